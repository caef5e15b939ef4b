-- 新增耕地管护 (funds/<year>/新增耕地管护_<year>.csv): one row per supplementary-farmland project and
-- year of maintenance (管护): area in 亩 and m², funds in 元, grain seasons and the planting photo,
-- quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'farmland_maintenance') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'farmland_maintenance') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."项目编号"') }}        as project_no,
        cast(not_quarantined."年度" as integer)               as year,
        not_quarantined._year                                 as delivery_year,
        {{ mu_exact('not_quarantined."管护面积(亩)"') }}      as maintained_mu,
        {{ mu_to_m2('not_quarantined."管护面积(亩)"') }}      as maintained_m2,
        {{ yuan('not_quarantined."管护资金(元)"') }}          as maintenance_funds_yuan,
        cast(
            {{ yuan('not_quarantined."管护资金(元)"') }}
            / nullif({{ mu_exact('not_quarantined."管护面积(亩)"') }}, 0) as decimal(18, 2)
        )                                                     as maintenance_yuan_per_mu,
        cast(not_quarantined."种植粮食季数" as integer)       as grain_seasons,
        {{ clean_code('not_quarantined."种植影像已上传"') }}  as photo_uploaded_flag,
        coalesce({{ yes_no('not_quarantined."种植影像已上传"') }}, false)
                                                              as has_planting_photo,
        not_quarantined._source_file                          as source_file,
        not_quarantined._source_row                           as source_row,
        not_quarantined._file_sha256                          as file_sha256,
        not_quarantined._loaded_at                            as loaded_at
    from not_quarantined
)

select * from renamed
