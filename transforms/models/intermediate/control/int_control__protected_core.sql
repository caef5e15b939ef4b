-- 多田套合的核心: ground that is at once 永久基本农田, 高标准农田 and 粮食生产功能区 — each piece of a
-- high-standard block over permanent farmland (int_control__layer_overlaps), cut again by the grain
-- zones of the same county and delivery. In force from the latest of its three polygons' years.
-- field_overlay overlays cultivated land on these pieces for 耕地 ∩ 永农 ∩ 高标准 ∩ 功能区.

with

high_standard_on_pbf as (
    select county_code, control_year, polygon_id as high_standard_id, over_polygon_id as pbf_id,
           greatest(in_force_from, over_in_force_from) as in_force_from, overlap_geom as geom
    from {{ ref('int_control__layer_overlaps') }}
    where layer = 'high_standard_farmland' and over_layer = 'permanent_farmland'
),

grain_zones as (
    select county_code, control_year, polygon_id as grain_zone_id, in_force_from, geom
    from {{ ref('int_control__polygons') }}
    where layer = 'grain_zone'
),

cut_by_grain_zone as (
    {% call union_per_county() -%}
    select
        high_standard_on_pbf.county_code,
        high_standard_on_pbf.control_year,
        high_standard_on_pbf.high_standard_id,
        high_standard_on_pbf.pbf_id,
        grain_zones.grain_zone_id,
        greatest(high_standard_on_pbf.in_force_from, grain_zones.in_force_from) as in_force_from,
        st_intersection(high_standard_on_pbf.geom, grain_zones.geom) as geom
    from high_standard_on_pbf
    inner join grain_zones
        on st_intersects(high_standard_on_pbf.geom, grain_zones.geom)
    where high_standard_on_pbf.county_code = '__county__'
      and grain_zones.county_code = '__county__'
      and (high_standard_on_pbf.control_year = grain_zones.control_year) = true
    {%- endcall %}
),

final as (
    select
        'protected_core'                                            as layer,
        high_standard_id || '|' || pbf_id || '|' || grain_zone_id   as polygon_id,
        *,
        st_area(geom)                                               as planar_area_m2
    from cut_by_grain_zone
    where st_area(geom) > 0
)

select * from final
