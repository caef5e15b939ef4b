-- Every change piece (DLTBGXGC) that took land out of 耕地, with where it lies: its county and village,
-- the 耕地 it took (BGQTBDLMJ), and how much of it lies inside 永久基本农田 in force in the change
-- year. The base of the survey's suspected violations: 耕地 → other agricultural land inside 永农
-- (PR09) and 耕地 → construction (PR10, with int_enforcement__occupation_cover).
--
-- Planar areas in the zone-40 CRS; the 耕地 inside 永农 is BGQTBDLMJ × the planar share inside.
-- One spatial join per county (macros/per_county.sql); the "in force in the change year" condition
-- is applied after the join.

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

permanent_farmland as (
    select in_force.year, polygons.polygon_id, polygons.county_code, polygons.geom
    from {{ ref('int_control__polygons_in_force') }} as in_force
    inner join {{ ref('int_control__polygons') }} as polygons
        on polygons.layer = in_force.layer
        and polygons.polygon_id = in_force.polygon_id
        and polygons.control_year = in_force.control_year
    where in_force.layer = 'permanent_farmland'
),

inside_permanent_farmland as (
    {% call union_per_county() -%}
    select
        loss_pieces.change_year,
        loss_pieces.piece_id,
        permanent_farmland.polygon_id,
        st_area(st_intersection(loss_pieces.geom, permanent_farmland.geom)) as inside_planar_m2
    from loss_pieces
    inner join permanent_farmland
        on st_intersects(loss_pieces.geom, permanent_farmland.geom)
    where loss_pieces.county_code = '__county__'
      and permanent_farmland.county_code = '__county__'
      and (permanent_farmland.year = loss_pieces.change_year) = true
    {%- endcall %}
),

inside_per_piece as (
    select
        change_year,
        piece_id,
        sum(inside_planar_m2)                       as inside_pbf_planar_m2,
        list(polygon_id order by polygon_id)        as pbf_polygon_ids
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
