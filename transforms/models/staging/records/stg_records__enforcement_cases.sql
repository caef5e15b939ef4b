-- 违法用地案件 (projects/违法用地案件.csv): one row per illegal land-use case (卫片执法, 巡查, 举报, 铁塔探头),
-- problem type decoded into the 非农化 / 非粮化 types, areas in 亩 and m², quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'enforcement_cases') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'enforcement_cases') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."案件编号"') }}                    as case_no,
        {{ clean_code('not_quarantined."发现来源"') }}                    as discovery_source_name,
        case {{ clean_code('not_quarantined."发现来源"') }}
            when '卫片执法' then 'satellite_enforcement'
            when '巡查' then 'patrol'
            when '举报' then 'report'
            when '铁塔探头' then 'tower_camera'
        end                                                               as discovery_source,
        not_quarantined."发现日期"                                        as discovered_on,
        {{ county_of('not_quarantined."县级行政区代码"') }}               as county_code,
        {{ county_name(county_of('not_quarantined."县级行政区代码"')) }}  as county_name,
        {{ village_of('not_quarantined."村代码"') }}                      as village_code,
        {{ clean_code('not_quarantined."问题类型"') }}                    as problem_type_name,
        -- 002 §三(四)3: six 非农化 and four 非粮化 problem types, plus 其他违法占地. Matched on their key words,
        -- because systems word them differently (违规占用耕地挖湖造景 / 耕地上挖湖造景).
        case
            when not_quarantined."问题类型" like '%绿化造林%' then 'afforestation'
            when not_quarantined."问题类型" like '%绿色通道%' then 'green_corridor'
            when not_quarantined."问题类型" like '%挖湖造景%' then 'lake_landscaping'
            when not_quarantined."问题类型" like '%自然保护地%' then 'nature_reserve_expansion'
            when not_quarantined."问题类型" like '%非农建设%' then 'non_agricultural_construction'
            when not_quarantined."问题类型" like '%批地用地%' then 'illegal_approval'
            when not_quarantined."问题类型" like '%苗木%'
                or not_quarantined."问题类型" like '%花卉%'
                or not_quarantined."问题类型" like '%草皮%' then 'nursery_turf'
            when not_quarantined."问题类型" like '%水果%'
                or not_quarantined."问题类型" like '%茶叶%'
                or not_quarantined."问题类型" like '%经济作物%' then 'perennial_cash_crops'
            when not_quarantined."问题类型" like '%挖塘养殖%' then 'pond_aquaculture'
            when not_quarantined."问题类型" like '%闲置%'
                or not_quarantined."问题类型" like '%荒芜%' then 'idle_abandoned'
            when not_quarantined."问题类型" like '%其他%' then 'other'
        end                                                               as problem_type,
        {{ mu_exact('not_quarantined."占地面积(亩)"') }}                  as occupied_mu,
        {{ mu_to_m2('not_quarantined."占地面积(亩)"') }}                  as occupied_m2,
        {{ mu_exact('not_quarantined."其中耕地(亩)"') }}                  as occupied_cultivated_mu,
        {{ mu_to_m2('not_quarantined."其中耕地(亩)"') }}                  as occupied_cultivated_m2,
        {{ mu_exact('not_quarantined."其中永久基本农田(亩)"') }}          as occupied_pbf_mu,
        {{ mu_to_m2('not_quarantined."其中永久基本农田(亩)"') }}          as occupied_pbf_m2,
        {{ clean_code('not_quarantined."状态"') }}                        as status_name,
        case {{ clean_code('not_quarantined."状态"') }}
            when '立案' then 'filed'
            when '整改中' then 'rectifying'
            when '已整改' then 'rectified'
            when '已销号' then 'closed'
        end                                                               as status,
        not_quarantined."整改完成日期"                                    as rectified_on,
        not_quarantined."销号日期"                                        as closed_on,
        not_quarantined._source_file                                      as source_file,
        not_quarantined._source_row                                       as source_row,
        not_quarantined._file_sha256                                      as file_sha256,
        not_quarantined._loaded_at                                        as loaded_at
    from not_quarantined
)

select
    renamed.*,
    case
        when renamed.problem_type in (
            'afforestation', 'green_corridor', 'lake_landscaping', 'nature_reserve_expansion',
            'non_agricultural_construction', 'illegal_approval'
        ) then 'non_agricultural'
        when renamed.problem_type in (
            'nursery_turf', 'perennial_cash_crops', 'pond_aquaculture', 'idle_abandoned'
        ) then 'non_grain'
        when renamed.problem_type = 'other' then 'other'
    end                                                                   as problem_category
from renamed
