-- 建设用地审批 (projects/建设用地审批.csv): one row per land-use approval (建设用地, 临时用地, 设施农业用地),
-- occupied areas in 亩 and m², quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'land_approvals') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'land_approvals') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."批准文号"') }}                    as approval_no,
        {{ clean_code('not_quarantined."项目名称"') }}                    as project_name,
        {{ clean_code('not_quarantined."用地类型"') }}                    as land_use_type_name,
        case {{ clean_code('not_quarantined."用地类型"') }}
            when '建设用地' then 'construction'
            when '临时用地' then 'temporary'
            when '设施农业用地' then 'facility_agriculture'
        end                                                               as land_use_type,
        {{ county_of('not_quarantined."县级行政区代码"') }}               as county_code,
        {{ county_name(county_of('not_quarantined."县级行政区代码"')) }}  as county_name,
        not_quarantined."批准日期"                                        as approved_on,
        {{ clean_code('not_quarantined."批准机关级别"') }}                as authority_level_name,
        case {{ clean_code('not_quarantined."批准机关级别"') }}
            when '国务院' then 'state_council'
            when '省' then 'province'
            when '市' then 'city'
            when '县' then 'county'
        end                                                               as authority_level,
        {{ mu_exact('not_quarantined."占用耕地面积(亩)"') }}              as occupied_mu,
        {{ mu_to_m2('not_quarantined."占用耕地面积(亩)"') }}              as occupied_m2,
        {{ mu_exact('not_quarantined."其中水田(亩)"') }}                  as occupied_paddy_mu,
        {{ mu_to_m2('not_quarantined."其中水田(亩)"') }}                  as occupied_paddy_m2,
        {{ mu_exact('not_quarantined."其中永久基本农田(亩)"') }}          as occupied_pbf_mu,
        {{ mu_to_m2('not_quarantined."其中永久基本农田(亩)"') }}          as occupied_pbf_m2,
        {{ mu_exact('not_quarantined."其中示范区(亩)"') }}                as occupied_demo_mu,
        {{ mu_to_m2('not_quarantined."其中示范区(亩)"') }}                as occupied_demo_m2,
        not_quarantined."占用耕地平均等别"                                as occupied_mean_grade,
        {{ clean_code('not_quarantined."承诺制"') }}                      as commitment_flag,
        coalesce({{ yes_no('not_quarantined."承诺制"') }}, false)         as is_commitment,
        not_quarantined."承诺兑现期限"                                    as commitment_due,
        not_quarantined."复垦期限"                                        as restoration_due,
        {{ mu_exact('not_quarantined."备案面积(亩)"') }}                  as filed_area_mu,
        {{ mu_to_m2('not_quarantined."备案面积(亩)"') }}                  as filed_area_m2,
        not_quarantined._source_file                                      as source_file,
        not_quarantined._source_row                                       as source_row,
        not_quarantined._file_sha256                                      as file_sha256,
        not_quarantined._loaded_at                                        as loaded_at
    from not_quarantined
)

select * from renamed
