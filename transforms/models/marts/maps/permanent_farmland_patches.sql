-- 永久基本农田图斑连片: every connected patch of permanent basic farmland per county and control year, with
-- its outline, to map the patches below the minimum size (is_fragmented: under PR13's min_patch_mu, the
-- 20 亩 of 杭州市耕地保护“十四五”规划) that the plans want merged or consolidated.

with patches as (
    select * from {{ ref('int_control__permanent_farmland_patches') }}
),

patch_polygons as (
    select patches.county_code, patches.control_year, patches.patch_id, polygons.geom
    from patches
    cross join unnest(patches.polygon_ids) as listed(polygon_id)
    join {{ ref('stg_control__permanent_farmland') }} as polygons
        on cast(polygons.bsm as varchar) = listed.polygon_id
        and polygons.control_year = patches.control_year
),

outlines as (
    select county_code, control_year, patch_id, ST_Union_Agg(geom) as geom
    from patch_polygons
    group by all
)

select
    patches.county_code,
    patches.control_year,
    patches.patch_id,
    patches.polygon_count,
    patches.patch_area_m2,
    patches.patch_area_mu,
    patches.contiguity_class,
    patches.is_fragmented,
    outlines.geom
from patches
left join outlines using (county_code, control_year, patch_id)
