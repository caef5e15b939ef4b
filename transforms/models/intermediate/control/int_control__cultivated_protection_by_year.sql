-- 耕地 under each protection layer, per survey year and cultivated parcel: the overlaps of
-- int_control__cultivated_overlay kept where the parcel version is part of the year's land-use state
-- and the polygon was in force that year (int_control__polygons_in_force), summed over the layer's
-- polygons. Polygons of one layer do not overlap each other, so the sum is the parcel's area under the
-- layer.

with

overlay as (
    select * from {{ ref('int_control__cultivated_overlay') }}
),

in_force as (
    select year, layer, polygon_id, control_year from {{ ref('int_control__polygons_in_force') }}
),

versions as (
    select parcel_version_id, bsm, valid_from, valid_to, village_code, land_class, planting_attribute,
           land_class_area_m2
    from {{ ref('int_survey__parcel_versions') }}
),

in_the_year as (
    select
        in_force.year,
        overlay.county_code,
        overlay.parcel_version_id,
        versions.bsm,
        versions.village_code,
        versions.land_class,
        versions.planting_attribute,
        versions.land_class_area_m2,
        overlay.layer,
        overlay.polygon_id,
        overlay.overlap_planar_m2,
        overlay.overlap_cultivated_m2
    from overlay
    inner join in_force
        on in_force.layer = overlay.layer
        and in_force.polygon_id = overlay.polygon_id
        and in_force.control_year = overlay.control_year
    inner join versions
        on versions.parcel_version_id = overlay.parcel_version_id
    where in_force.year >= versions.valid_from
      and in_force.year < coalesce(versions.valid_to, 10000)
),

per_parcel as (
    select
        year,
        county_code,
        parcel_version_id,
        bsm,
        village_code,
        land_class,
        planting_attribute,
        land_class_area_m2,
        layer,
        count(*)                                        as polygon_count,
        string_agg(polygon_id, ',' order by polygon_id) as polygon_ids,
        sum(overlap_planar_m2)                          as overlap_planar_m2,
        sum(overlap_cultivated_m2)                      as overlap_cultivated_m2
    from in_the_year
    group by all
)

select * from per_parcel
