-- 永农图斑破碎: every connected 永久基本农田 patch (polygons closer than the connect distance are one
-- patch; int_control__permanent_farmland_patches) with its area; the expectation asks for at least
-- the minimum patch size.
select
    'pbf_patch' as entity_type, patch_id as entity_id, county_code as admin_code, control_year as year,
    polygon_count, array_to_string(polygon_ids, ',') as polygon_ids,
    round(cast(patch_area_mu as double), 4) as patch_area_mu,
    contiguity_class
from {{ ref('int_control__permanent_farmland_patches') }}
