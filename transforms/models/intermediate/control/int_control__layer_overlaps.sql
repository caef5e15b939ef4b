-- Where the protection layers overlap each other, per county and delivery: every 高标准农田 block and
-- 粮食生产功能区 over 永久基本农田, and every 高标准农田 block over a 功能区 (多田套合, PR12), with the
-- intersection itself (the 高标准 ∩ 永农 pieces feed int_control__protected_core).
--
-- Areas are planar (the region's zone-40 CRS) and also carried over to the delivered (ellipsoidal)
-- basis of the first polygon: overlap × delivered area / planar area of that polygon.
-- One spatial join per county (see macros/per_county.sql).

with

overlapping as (
    {% call union_per_county() -%}
    select
        a.county_code,
        a.control_year,
        a.layer                   as layer,
        a.polygon_id              as polygon_id,
        a.build_type,
        a.in_force_from,
        a.delivered_area_m2,
        a.planar_area_m2,
        b.layer                   as over_layer,
        b.polygon_id              as over_polygon_id,
        b.in_force_from           as over_in_force_from,
        st_intersection(a.geom, b.geom) as overlap_geom
    from {{ ref('int_control__polygons') }} as a
    inner join {{ ref('int_control__polygons') }} as b
        on st_intersects(a.geom, b.geom)
    where a.county_code = '__county__'
      and b.county_code = '__county__'
      and a.layer in ('high_standard_farmland', 'grain_zone')
      and b.layer in ('permanent_farmland', 'grain_zone')
      and (
          a.control_year = b.control_year
          and (a.layer, b.layer) in (
              ('high_standard_farmland', 'permanent_farmland'),
              ('grain_zone', 'permanent_farmland'),
              ('high_standard_farmland', 'grain_zone')
          )
      ) = true
    {%- endcall %}
),

measured as (
    select
        * exclude (overlap_geom),
        cast(st_area(overlap_geom) as decimal(18, 4)) as overlap_planar_m2,
        cast(st_area(overlap_geom) * delivered_area_m2 / nullif(planar_area_m2, 0) as decimal(18, 4))
            as overlap_m2,
        overlap_geom
    from overlapping
)

select * from measured
where overlap_planar_m2 > 0
