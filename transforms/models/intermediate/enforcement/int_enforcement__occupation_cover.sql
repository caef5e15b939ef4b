-- Is each 耕地 → construction change piece covered by an approval? A piece is covered where a red line
-- (用地红线) of a 建设用地 approval approved on or before the change date (GXSJ) lies over it; 临时用地
-- and 设施农业用地 red lines do not make construction lawful. What no such red line covers is the
-- piece's suspected illegal occupation (违法占用耕地, PR10). Red lines approved after the change are
-- listed too: the officer sees the land was built on before it was approved.
--
-- Per county: one spatial join of the pieces with every red line of the county's approvals
-- (macros/per_county.sql); the date condition is applied after the join. The uncovered area needs an
-- overlay only where it is not known without one: a piece under no red line approved in time is
-- uncovered whole, and a piece inside one of them has nothing uncovered.

with

construction_pieces as (
    select * exclude (geom), geom
    from {{ ref('int_enforcement__cultivated_loss_pieces') }}
    where loss_kind = 'construction'
),

pieces_to_match as (
    -- the same pieces, with only what the spatial join needs: the county branches share this narrow
    -- copy, and the output rows come from construction_pieces
    select change_year, piece_id, county_code, updated_on, geom
    from {{ ref('int_enforcement__cultivated_loss_pieces') }}
    where loss_kind = 'construction'
),

red_lines as (
    select approval_no, county_code, approved_on, geom
    from {{ ref('int_enforcement__approval_red_lines') }}
    where land_use_type = 'construction'
      and {{ in_county_partition('county_code') }}
),

red_lines_over_pieces as (
    {% call union_per_county() -%}
    select
        pieces_to_match.change_year,
        pieces_to_match.piece_id,
        red_lines.approval_no,
        red_lines.approved_on,
        red_lines.approved_on <= pieces_to_match.updated_on as approved_in_time,
        -- asked of the red lines approved in time only: a later one covers nothing
        case
            when red_lines.approved_on <= pieces_to_match.updated_on
                then st_coveredby(pieces_to_match.geom, red_lines.geom)
        end                                                  as covers_whole_piece,
        red_lines.geom
    from pieces_to_match
    inner join red_lines
        on st_intersects(pieces_to_match.geom, red_lines.geom)
    where pieces_to_match.county_code = '__county__'
      and red_lines.county_code = '__county__'
    {%- endcall %}
),

cover_per_piece as (
    select
        change_year,
        piece_id,
        st_union_agg(geom) filter (where approved_in_time)          as cover_geom,
        bool_or(covers_whole_piece)                                 as is_covered_whole,
        -- lists sorted after the aggregate (cheaper than list(… order by …)); a 批准文号 that comes
        -- twice is listed by date
        list_sort(list(approval_no) filter (where approved_in_time)) as covering_approvals,
        list_transform(
            list_sort(list({'approval_no': approval_no, 'approved_on': approved_on})
                filter (where not approved_in_time)),
            red_line -> red_line.approval_no || ' (' || red_line.approved_on || ')'
        )                                                           as approved_after_change
    from red_lines_over_pieces
    group by all
),

uncovered as (
    select
        construction_pieces.* exclude (geom),
        cover_per_piece.covering_approvals,
        cover_per_piece.approved_after_change,
        case
            when cover_per_piece.cover_geom is null then construction_pieces.piece_planar_m2
            when cover_per_piece.is_covered_whole then 0
            else st_area(st_difference(construction_pieces.geom, cover_per_piece.cover_geom))
        end as uncovered_planar
    from construction_pieces
    left join cover_per_piece using (piece_id)
),

final as (
    select
        * exclude (uncovered_planar, covering_approvals, approved_after_change),
        coalesce(covering_approvals, [])                            as covering_approvals,
        coalesce(approved_after_change, [])                         as approved_after_change,
        cast(uncovered_planar as decimal(18, 4))                    as uncovered_planar_m2,
        cast(cultivated_m2 * uncovered_planar / nullif(piece_planar_m2, 0) as decimal(18, 4))
                                                                    as uncovered_cultivated_m2
    from uncovered
)

select * from final
