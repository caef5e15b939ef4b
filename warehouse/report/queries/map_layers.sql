-- The page's map, one feature per row in the region's projected CRS: the outlines (a city's counties, a
-- county's villages and itself), the 永农 patches under the minimum size in the control layer in force
-- in the year, and the geometry of the year's findings. Simplified to what a page can show (a
-- tolerance of about a pixel), as GeoJSON for Vega-Lite.
with outlines as (
    -- a county's outline is labelled with its name
    select
        '行政区界' as layer, o.admin_level, o.admin_code as feature_id,
        if(o.admin_level = 'county', r.admin_name, null) as label, o.geom
    from marts.admin_outlines as o
    left join reference.ref_region as r using (admin_code)
    where o.county_code = any($counties)
        and (o.admin_level = 'county' or $admin_level = 'county')
),

control_year as (
    select county_code, max(control_year) as control_year
    from marts.permanent_farmland_patches
    where county_code = any($counties) and control_year <= $year
    group by county_code
),

small_patches as (
    select '永农零散图斑' as layer, 'patch' as admin_level,
        p.patch_id as feature_id, null as label, p.geom
    from marts.permanent_farmland_patches as p
    join control_year as c using (county_code, control_year)
    where p.is_fragmented
),

finding_shapes as (
    select '问题图斑' as layer, 'finding' as admin_level,
        s.rule_id || ' ' || s.entity_id as feature_id, null as label, ST_Union_Agg(s.geom) as geom
    from marts.finding_sources as s
    where s.year = $year and s.geom is not null
        and (s.admin_code = any($counties) or s.admin_code = $admin)
    group by all
),

-- about a pixel of a page-wide map
tolerance as (
    select (ST_XMax(extent) - ST_XMin(extent)) / 1500 as metres
    from (select ST_Extent_Agg(geom) as extent from outlines)
),

features as (
    select * from outlines
    union all
    select * from small_patches
    union all
    select * from finding_shapes
)

select layer, admin_level, feature_id, label,
    ST_X(ST_PointOnSurface(geom)) as label_x, ST_Y(ST_PointOnSurface(geom)) as label_y,
    ST_AsGeoJSON(ST_SimplifyPreserveTopology(geom, tolerance.metres)) as geometry
from features, tolerance
where geom is not null and not ST_IsEmpty(geom)
