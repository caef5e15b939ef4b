-- 多田套合图层: where the 耕地 in force lies under 永久基本农田, 高标准农田, 粮食生产功能区 and all three
-- at once, per county, drawn for the latest reconciled survey year — the ground marts.field_overlay
-- sums, as a map. One year only: every year would redraw mostly the same ground, and a map is read for
-- the land as it stands now; field_overlay keeps every year's figures.
--
-- The pieces are the overlaps field_overlay counts, no others: the parcel version × polygon pairs of
-- int_control__cultivated_overlay whose parcel is in the year's state and whose polygon is in force
-- that year (int_control__cultivated_protection_by_year), each drawn as the parcel cut by the polygon.
-- The figure (cultivated_m2) is theirs, on field_overlay's 图斑地类面积 basis; the outline's own planar
-- area (planar_area_m2) includes the 田坎 share the figure leaves out.

with

reconciled_years as {{ reconciled_survey_years() }},

-- the 耕地 figures need a reconciled state: the latest year field_overlay fills them for
map_year as (
    select max(year) as year from reconciled_years
),

overlays as (
    -- what each protection layer is called on the map (field_overlay's column names)
    select * from (values
        ('permanent_farmland', 'pbf'),
        ('high_standard_farmland', 'high_standard'),
        ('grain_zone', 'grain_zone'),
        ('protected_core', 'all_four')
    ) as names(layer, overlay)
),

cultivated_under_layers as (
    -- 耕地 per parcel version and layer in the year: field_overlay's rows
    select by_year.*
    from {{ ref('int_control__cultivated_protection_by_year') }} as by_year
    inner join map_year using (year)
),

polygons_in_force as (
    select in_force.year, in_force.layer, in_force.polygon_id, in_force.control_year
    from {{ ref('int_control__polygons_in_force') }} as in_force
    inner join map_year using (year)
),

protection_polygons as (
    select layer, polygon_id, control_year, geom from {{ ref('int_control__polygons') }}
    union all
    select layer, polygon_id, control_year, geom from {{ ref('int_control__protected_core') }}
),

overlapping_pairs as (
    -- the parcel × polygon overlaps behind each row of cultivated_under_layers
    select
        cultivated_under_layers.year,
        cultivated_under_layers.county_code,
        cultivated_under_layers.village_code,
        overlay.parcel_version_id,
        overlay.layer,
        overlay.polygon_id,
        overlay.control_year
    from {{ ref('int_control__cultivated_overlay') }} as overlay
    inner join polygons_in_force
        on polygons_in_force.layer = overlay.layer
        and polygons_in_force.polygon_id = overlay.polygon_id
        and polygons_in_force.control_year = overlay.control_year
    inner join cultivated_under_layers
        on cultivated_under_layers.year = polygons_in_force.year
        and cultivated_under_layers.parcel_version_id = overlay.parcel_version_id
        and cultivated_under_layers.layer = overlay.layer
),

pieces as (
    -- a parcel wholly inside the polygon is its own piece (no intersection to compute); of a cut, only its
    -- surface is kept (the intersection of two polygons may carry the lines and points where they touch)
    select
        pairs.year,
        pairs.county_code,
        pairs.village_code,
        pairs.layer,
        case
            when st_coveredby(versions.geom, polygons.geom) then versions.geom
            else st_collectionextract(st_intersection(versions.geom, polygons.geom), 3)
        end as geom
    from overlapping_pairs as pairs
    inner join {{ ref('int_survey__parcel_versions') }} as versions
        on versions.parcel_version_id = pairs.parcel_version_id
    inner join protection_polygons as polygons
        on polygons.layer = pairs.layer
        and polygons.polygon_id = pairs.polygon_id
        and polygons.control_year = pairs.control_year
),

-- the pieces of a county are unioned village by village, then the villages: two small unions instead of
-- one over every piece of the county (as admin_outlines)
village_outlines as (
    select year, county_code, village_code, layer, st_union_agg(geom) as geom
    from pieces
    group by all
),

county_outlines as (
    select year, county_code, layer, st_union_agg(geom) as geom
    from village_outlines
    group by all
),

county_figures as (
    select
        year,
        county_code,
        layer,
        count(distinct parcel_version_id) as parcel_count,
        sum(overlap_cultivated_m2)        as cultivated_m2
    from cultivated_under_layers
    group by all
),

final as (
    select
        county_figures.county_code,
        county_figures.year,
        overlays.overlay,
        county_figures.parcel_count,
        {{ as_double('county_figures.cultivated_m2') }}          as cultivated_m2,
        {{ as_double(to_mu('county_figures.cultivated_m2')) }}   as cultivated_mu,
        st_area(county_outlines.geom)                            as planar_area_m2,
        county_outlines.geom
    from county_figures
    inner join overlays using (layer)
    left join county_outlines using (year, county_code, layer)
)

select * from final
