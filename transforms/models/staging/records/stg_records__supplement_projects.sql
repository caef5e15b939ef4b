-- 补充耕地项目 (projects/补充耕地项目.csv): one row per supplementary-farmland project (垦造耕地, 旱地改水田,
-- 建设用地复垦, 高标准农田新增耕地), areas in 亩 and m², quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'supplement_projects') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'supplement_projects') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."项目编号"') }}                    as project_no,
        {{ clean_code('not_quarantined."项目名称"') }}                    as project_name,
        {{ clean_code('not_quarantined."项目类型"') }}                    as project_type_name,
        case {{ clean_code('not_quarantined."项目类型"') }}
            when '垦造耕地' then 'land_reclamation'
            when '旱地改水田' then 'dry_to_paddy'
            when '建设用地复垦' then 'construction_land_reclamation'
            when '高标准农田新增耕地' then 'high_standard_new_farmland'
        end                                                               as project_type,
        {{ county_of('not_quarantined."县级行政区代码"') }}               as county_code,
        {{ county_name(county_of('not_quarantined."县级行政区代码"')) }}  as county_name,
        not_quarantined."立项日期"                                        as approved_on,
        not_quarantined."验收日期"                                        as accepted_on,
        not_quarantined."入库日期"                                        as pooled_on,
        {{ mu_exact('not_quarantined."新增耕地面积(亩)"') }}              as new_cultivated_mu,
        {{ mu_to_m2('not_quarantined."新增耕地面积(亩)"') }}              as new_cultivated_m2,
        {{ mu_exact('not_quarantined."新增水田面积(亩)"') }}              as new_paddy_mu,
        {{ mu_to_m2('not_quarantined."新增水田面积(亩)"') }}              as new_paddy_m2,
        cast(not_quarantined."新增粮食产能(公斤)" as decimal(18, 2))      as new_capacity_kg,
        cast(not_quarantined."耕地等别" as integer)                       as quality_grade,
        {{ mu_exact('not_quarantined."上划省统筹数量(亩)"') }}            as provincial_transfer_mu,
        {{ mu_to_m2('not_quarantined."上划省统筹数量(亩)"') }}            as provincial_transfer_m2,
        not_quarantined._source_file                                      as source_file,
        not_quarantined._source_row                                       as source_row,
        not_quarantined._file_sha256                                      as file_sha256,
        not_quarantined._loaded_at                                        as loaded_at
    from not_quarantined
)

select * from renamed
