-- Every change piece (DLTBGXGC) that took land out of 耕地, with where it lies: its county and village,
-- the 耕地 it took (BGQTBDLMJ), and how much of it lies inside 永久基本农田 in force in the change
-- year. The base of the survey's suspected violations: 耕地 → other agricultural land inside 永农
-- (PR09) and 耕地 → construction (PR10, with int_enforcement__occupation_cover).
--
-- Planar areas in the zone-40 CRS; the 耕地 inside 永农 is BGQTBDLMJ × the planar share inside.
-- One spatial join per county (macros/per_county.sql) with the county's 永农 polygons, each polygon
-- once; the "in force in the change year" condition is applied after the join, on the pairs found,
-- and only the pairs it keeps are intersected. A piece wholly inside a polygon needs no intersection.

with

loss_pieces as (
    select
        pieces.change_year,
        pieces.piece_id,
        pieces.piece_bsm,
        pieces.after_parcel_bsm,
        coalesce(pieces.before_county_code, pieces.after_county_code)   as county_code,
        left(pieces.before_location_unit_code, 12)                      as village_code,
        pieces.before_land_class,
        pieces.after_land_class,
        case
            when after_classes.is_construction then 'construction'
            when after_classes.is_other_agricultural then 'other_agricultural'
            else 'other'
        end                                                             as loss_kind,
        pieces.updated_on,
        pieces.piece_area_m2,
        pieces.before_land_class_area_m2                                as cultivated_m2,
        st_area(pieces.geom)                                            as piece_planar_m2,
        pieces.geom
    from {{ ref('stg_survey__change_pieces') }} as pieces
    inner join {{ ref('ref_land_classes') }} as before_classes
        on before_classes.land_class = pieces.before_land_class
        and before_classes.is_cultivated
    inner join {{ ref('ref_land_classes') }} as after_classes
        on after_classes.land_class = pieces.after_land_class
        and not after_classes.is_cultivated
    where pieces.geom is not null
      and {{ in_county_partition('coalesce(pieces.before_county_code, pieces.after_county_code)') }}
),

permanent_farmland as not materialized (
    -- read by each county branch with its county filter, rather than copied whole for the seven
    select polygon_id, control_year, county_code, geom
    from {{ ref('int_control__polygons') }}
    where layer = 'permanent_farmland'
),

permanent_farmland_in_force as (
    select year, polygon_id, control_year
    from {{ ref('int_control__polygons_in_force') }}
    where layer = 'permanent_farmland'
),

pieces_over_permanent_farmland as (
    -- the R-tree holds each polygon once, not once per survey year it is in force
    {% call union_per_county() -%}
    select
        loss_pieces.change_year,
        loss_pieces.piece_id,
        permanent_farmland.polygon_id,
        permanent_farmland.control_year,
        loss_pieces.piece_planar_m2,
        loss_pieces.geom            as piece_geom,
        permanent_farmland.geom     as polygon_geom
    from loss_pieces
    inner join permanent_farmland
        on st_intersects(loss_pieces.geom, permanent_farmland.geom)
    where loss_pieces.county_code = '__county__'
      and permanent_farmland.county_code = '__county__'
    {%- endcall %}
),

inside_permanent_farmland as (
    -- the polygons in force in the piece's change year, matched on BSM and delivery
    select
        pairs.change_year,
        pairs.piece_id,
        pairs.polygon_id,
        -- a piece wholly inside the polygon needs no intersection: its own area is the part inside
        case
            when st_coveredby(pairs.piece_geom, pairs.polygon_geom) then pairs.piece_planar_m2
            else st_area(st_intersection(pairs.piece_geom, pairs.polygon_geom))
        end as inside_planar_m2
    from pieces_over_permanent_farmland as pairs
    inner join permanent_farmland_in_force as in_force
        on in_force.year = pairs.change_year
        and in_force.polygon_id = pairs.polygon_id
        and in_force.control_year = pairs.control_year
),

inside_per_piece as (
    select
        change_year,
        piece_id,
        sum(inside_planar_m2)                       as inside_pbf_planar_m2,
        list_sort(list(polygon_id))                 as pbf_polygon_ids
    -- `offset 0`: without it DuckDB inlines ST_Area(ST_Intersection(…)) into this filter and computes
    -- every intersection twice (see int_control__cultivated_overlay)
    from (select * from inside_permanent_farmland offset 0) as inside_permanent_farmland
    where inside_planar_m2 > 0
    group by all
),

final as (
    select
        loss_pieces.* exclude (geom),
        cast(coalesce(inside_per_piece.inside_pbf_planar_m2, 0) as decimal(18, 4))  as inside_pbf_planar_m2,
        cast(
            loss_pieces.cultivated_m2 * coalesce(inside_per_piece.inside_pbf_planar_m2, 0)
            / nullif(loss_pieces.piece_planar_m2, 0) as decimal(18, 4)
        )                                                                            as inside_pbf_cultivated_m2,
        coalesce(inside_per_piece.pbf_polygon_ids, [])                               as pbf_polygon_ids,
        loss_pieces.geom
    from loss_pieces
    left join inside_per_piece using (piece_id)
)

select * from final
