-- 多田套合: a 新建 high-standard farmland block must lie inside 永农, an 改造提升 block inside a 粮食生产
-- 功能区 — here, the planar share of each block inside that layer as delivered with it (latest
-- delivery). The layers as now drawn, not as in force in the 建设年份: 多田套合 asks that what the county
-- built sits in what is protected, and a block built before the 2022 永农 划定 is judged by it too.
with blocks as (
    select * from {{ ref('int_control__polygons') }}
    where layer = 'high_standard_farmland'
    qualify control_year = max(control_year) over (partition by polygon_id)
),
required as (
    select *, case build_type when 'new' then 'permanent_farmland' when 'upgrade' then 'grain_zone' end
        as required_layer
    from blocks
),
inside as (
    select o.polygon_id, o.control_year, o.over_layer, sum(o.overlap_planar_m2) as inside_planar_m2
    from {{ ref('int_control__layer_overlaps') }} as o
    where o.layer = 'high_standard_farmland'
    group by all
)
select
    'high_standard_project' as entity_type, required.polygon_id as entity_id,
    required.county_code as admin_code, required.in_force_from as year,
    required.build_type, required.required_layer,
    round(required.planar_area_m2, 2) as block_m2,
    round(coalesce(cast(inside.inside_planar_m2 as double), 0), 2) as inside_m2,
    round(coalesce(cast(inside.inside_planar_m2 as double), 0) / nullif(required.planar_area_m2, 0), 4)
        as share_inside
from required
left join inside
    on inside.polygon_id = required.polygon_id
    and inside.control_year = required.control_year
    and inside.over_layer = required.required_layer
where required.required_layer = 'permanent_farmland'
   -- an 改造提升 block is judged only where the county delivered its 功能区: not delivered is not outside
   or (required.required_layer = 'grain_zone' and required.county_code in (
       select county_code from {{ ref('int_control__polygons') }} where layer = 'grain_zone'))
