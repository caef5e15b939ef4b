-- 土地综合整治工程 (projects/土地综合整治工程.json): one row per land-consolidation work, its plan in 亩
-- and m², quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'consolidation_works') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'consolidation_works') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."工程编号"') }}                    as work_id,
        {{ clean_code('not_quarantined."工程名称"') }}                    as work_name,
        {{ county_of('not_quarantined."县级行政区代码"') }}               as county_code,
        {{ county_name(county_of('not_quarantined."县级行政区代码"')) }}  as county_name,
        from_json(not_quarantined."涉及乡镇", '["VARCHAR"]')              as township_codes,
        len(from_json(not_quarantined."涉及乡镇", '["VARCHAR"]'))         as township_count,
        coalesce(len(from_json(not_quarantined."涉及乡镇", '["VARCHAR"]')) > 1, false)
                                                                          as is_cross_township,
        {{ clean_code('not_quarantined."状态"') }}                        as status_name,
        case {{ clean_code('not_quarantined."状态"') }}
            when '储备' then 'reserve'
            when '立项' then 'approved'
            when '实施' then 'in_progress'
            when '验收' then 'accepted'
            when '备案' then 'filed'
        end                                                               as status,
        not_quarantined."立项日期"                                        as approved_on,
        not_quarantined."整体验收日期"                                    as accepted_on,
        not_quarantined."备案日期"                                        as filed_on,
        {{ mu_exact('not_quarantined."计划.永农集中连片整治亩"') }}       as planned_pbf_consolidation_mu,
        {{ mu_to_m2('not_quarantined."计划.永农集中连片整治亩"') }}       as planned_pbf_consolidation_m2,
        {{ mu_exact('not_quarantined."计划.高标准农田新建亩"') }}         as planned_high_standard_new_mu,
        {{ mu_to_m2('not_quarantined."计划.高标准农田新建亩"') }}         as planned_high_standard_new_m2,
        {{ mu_exact('not_quarantined."计划.高标准农田改造提升亩"') }}     as planned_high_standard_upgrade_mu,
        {{ mu_to_m2('not_quarantined."计划.高标准农田改造提升亩"') }}     as planned_high_standard_upgrade_m2,
        {{ mu_exact('not_quarantined."计划.建设用地复垦亩"') }}           as planned_construction_reclamation_mu,
        {{ mu_to_m2('not_quarantined."计划.建设用地复垦亩"') }}           as planned_construction_reclamation_m2,
        {{ mu_exact('not_quarantined."计划.补充耕地亩"') }}               as planned_supplement_mu,
        {{ mu_to_m2('not_quarantined."计划.补充耕地亩"') }}               as planned_supplement_m2,
        {{ mu_exact('not_quarantined."计划.低效用地整治亩"') }}           as planned_inefficient_land_mu,
        {{ mu_to_m2('not_quarantined."计划.低效用地整治亩"') }}           as planned_inefficient_land_m2,
        {{ wan_yuan('not_quarantined."总投资万元"') }}                    as total_investment_wan_yuan,
        {{ wan_yuan_to_yuan('not_quarantined."总投资万元"') }}            as total_investment_yuan,
        not_quarantined._source_file                                      as source_file,
        not_quarantined._source_row                                       as source_row,
        not_quarantined._file_sha256                                      as file_sha256,
        not_quarantined._loaded_at                                        as loaded_at
    from not_quarantined
)

select * from renamed
