-- 补充耕地项目范围 (BCGDXMFW): the boundary of each supplementary-farmland project, keyed by 项目编号;
-- quarantined rows left out. An identifier may own several polygons (a red line in parts).

with

delivered as (
    select * from {{ source('raw', 'supplement_boundaries') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'BCGDXMFW') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."项目编号"') }} as project_no,
        not_quarantined.geom                      as geom,
        ST_Area(not_quarantined.geom)             as planar_area_m2,
        not_quarantined._source_file              as source_file,
        not_quarantined._source_row               as source_row,
        not_quarantined._file_sha256              as file_sha256,
        not_quarantined._loaded_at                as loaded_at
    from not_quarantined
)

select * from renamed
