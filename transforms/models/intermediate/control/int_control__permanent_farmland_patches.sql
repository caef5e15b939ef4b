-- Connected 永久基本农田 patches (集中连片): polygons of one county and delivery closer than
-- PR13's `connect_distance_m` (5 m, PR13's parameter: roads, ditches and 田坎 between fields do not break
-- a patch) belong to one patch, transitively. One row per patch: its stable id (the smallest BSM among
-- its polygons, zero-padded comparison so numeric BSMs order as numbers), members, Σ JBNTMJ and the
-- 百亩方 / 千亩方 / 万亩方 class it reaches (ref_contiguous_farmland_classes, 002 §二(四)).
--
-- Neighbours come from one ST_DWithin spatial join per county (macros/per_county.sql); the strict
-- "closer than" is checked on the exact distance, with ST_Distance_GEOS: spatial 1.5.5's own
-- ST_Distance / ST_DWithin return 0 / true for two polygons with collinear edges however far apart
-- (two fields side by side along one straight road, 8 m apart, came out 0 m apart and one patch). The
-- join's ST_DWithin only lets such pairs in as candidates; the exact distance throws them out. The
-- distance is taken to the millimetre: coordinates come in centimetres, and a road exactly 5.00 m wide
-- must not be read as 4.999999999999999 m. The join returns every candidate twice (a–b and b–a) and
-- each polygon with itself: the exact distance is measured only for a candidate of one delivery taken
-- in node order, so each pair once. The neighbour list is materialised, so the spatial join runs once,
-- not once per round of the recursion. Components by label propagation: every polygon starts as its
-- own label; a polygon whose label dropped in the last round hands it on to its neighbours (only those:
-- the others have nothing new to tell), and hands on the label's own current label, which may already
-- be smaller and lets a small label travel several polygons in one round. A neighbour takes the
-- smallest label it is handed if that is below its own, until nothing changes (a recursive CTE keyed on
-- the polygon, so each round updates labels in place). Labels only fall and stay within the component,
-- so every polygon ends with the component's smallest node. Nodes are numbered in node order, so the
-- rounds join and compare integers rather than the zero-padded node text, and the smallest number is
-- the smallest node.

with recursive

permanent_farmland as (
    select
        county_code,
        control_year,
        polygon_id,
        control_year || '|' || lpad(polygon_id, 24, '0') as node_key,
        delivered_area_m2,
        geom
    from {{ ref('int_control__polygons') }}
    where layer = 'permanent_farmland'
),

polygons as (
    -- the node: the polygon's rank in (control year, zero-padded BSM) order; a polygon without a BSM
    -- has no node and joins no patch, and two polygons of one delivery under one BSM are one node
    select
        county_code,
        control_year,
        polygon_id,
        case when node_key is not null then dense_rank() over (order by node_key) end as node,
        delivered_area_m2,
        geom
    from permanent_farmland
),

close_pairs as materialized (
    {% call union_per_county() -%}
    select a.node as node, b.node as neighbour
    from polygons as a
    inner join polygons as b
        on st_dwithin(a.geom, b.geom, {{ rule_parameter('PR13', 'connect_distance_m') }})
    where a.county_code = '__county__'
      and b.county_code = '__county__'
      -- a CASE, not AND: inside `(…) = true` DuckDB evaluates every operand of an AND, which would take
      -- the GEOS distance of every candidate; the CASE takes it only where the first test holds
      and (
          case
              when a.control_year = b.control_year and a.node < b.node
              then round(st_distance_geos(a.geom, b.geom), 3) < {{ rule_parameter('PR13', 'connect_distance_m') }}
              else false
          end
      ) = true
    {%- endcall %}
),

neighbours as materialized (
    select node, neighbour from close_pairs
    union all
    select neighbour, node from close_pairs
),

components (node, label) using key (node) as (
    select node, node from polygons
    union
    -- `components`: the polygons whose label fell in the last round; `recurring.components`: all labels
    select neighbours.neighbour, min(label_of_label.label)
    from components as changed
    inner join recurring.components as label_of_label
        on label_of_label.node = changed.label
    inner join neighbours
        on neighbours.node = changed.node
    inner join recurring.components as current_label
        on current_label.node = neighbours.neighbour
    group by neighbours.neighbour, current_label.label
    having min(label_of_label.label) < current_label.label
),

members as (
    select polygons.*, components.label
    from polygons
    inner join components using (node)
),

patches as (
    select
        county_code,
        control_year,
        arg_min(polygon_id, node)                           as patch_id,
        count(*)                                            as polygon_count,
        -- in node order: the (node, BSM) pairs sorted, then their BSMs (cheaper than an ordered list())
        list_transform(
            list_sort(list({'node': node, 'polygon_id': polygon_id})), member -> member.polygon_id
        )                                                   as polygon_ids,
        sum(delivered_area_m2)                              as patch_area_m2
    from members
    group by county_code, control_year, label
),

classified as (
    select
        patches.*,
        {{ to_mu('patches.patch_area_m2') }}                as patch_area_mu,
        (
            select classes.class_name
            from {{ ref('ref_contiguous_farmland_classes') }} as classes
            where {{ to_mu('patches.patch_area_m2') }} >= classes.min_mu
            order by classes.min_mu desc
            limit 1
        )                                                   as contiguity_class,
        {{ to_mu('patches.patch_area_m2') }} < {{ rule_parameter('PR13', 'min_patch_mu') }} as is_fragmented
    from patches
)

select * from classified
