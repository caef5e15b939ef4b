-- 耕地 under the protection layers: every cultivated parcel version against every protection polygon
-- (永农, 高标准农田, 功能区, and their common core) of its county that it overlaps, with the area in
-- common. The survey years come in later (int_control__cultivated_protection_by_year): a parcel version
-- is overlaid once, however many years it stays unchanged, so a new change survey only adds the
-- overlays of the parcels it created.
--
-- Areas: the planar intersection (zone-40 CRS), and that intersection as 图斑地类面积 — scaled by
-- TBDLMJ / planar area of the parcel, which leaves the 田坎 share out and carries the survey's
-- ellipsoidal convention over (a parcel wholly inside counts exactly its TBDLMJ).
-- A parcel wholly inside the polygon needs no intersection: its own area is the overlap.
-- One spatial join per county (macros/per_county.sql).

with

cultivated_versions as (
    select
        versions.parcel_version_id,
        versions.county_code,
        versions.land_class_area_m2,
        st_area(versions.geom) as parcel_planar_m2,
        versions.geom
    from {{ ref('int_survey__parcel_versions') }} as versions
    inner join {{ ref('ref_land_classes') }} as land_classes
        on land_classes.land_class = versions.land_class
        and land_classes.is_cultivated
    where versions.geom is not null
),

protection_polygons as (
    select layer, polygon_id, county_code, control_year, geom
    from {{ ref('int_control__polygons') }}
    union all
    select layer, polygon_id, county_code, control_year, geom
    from {{ ref('int_control__protected_core') }}
),

overlapping as (
    {% call union_per_county() -%}
    select
        cultivated_versions.county_code,
        cultivated_versions.parcel_version_id,
        protection_polygons.layer,
        protection_polygons.polygon_id,
        protection_polygons.control_year,
        cultivated_versions.land_class_area_m2,
        cultivated_versions.parcel_planar_m2,
        case
            when st_coveredby(cultivated_versions.geom, protection_polygons.geom)
                then cultivated_versions.parcel_planar_m2
            else st_area(st_intersection(cultivated_versions.geom, protection_polygons.geom))
        end as overlap_planar
    from cultivated_versions
    inner join protection_polygons
        on st_intersects(cultivated_versions.geom, protection_polygons.geom)
    where cultivated_versions.county_code = '__county__'
      and protection_polygons.county_code = '__county__'
    {%- endcall %}
),

final as (
    -- fixed to 0.0001 m² as decimals, so the sums per county are exact and reproducible
    select
        county_code,
        parcel_version_id,
        layer,
        polygon_id,
        control_year,
        cast(overlap_planar as decimal(18, 4)) as overlap_planar_m2,
        cast(overlap_planar * land_class_area_m2 / nullif(parcel_planar_m2, 0) as decimal(18, 4))
            as overlap_cultivated_m2
    -- `offset 0` keeps the filter above the pairs: DuckDB would otherwise push `overlap_planar > 0`
    -- below the projection by inlining the CASE, and run ST_CoveredBy / ST_Intersection twice per pair
    -- (once to filter, once to project), which doubles this model's time (benchmarks/README.md).
    from (select * from overlapping offset 0) as overlapping
    where overlap_planar > 0
)

select * from final
