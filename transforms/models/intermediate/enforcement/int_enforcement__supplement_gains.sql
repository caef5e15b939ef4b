-- 地、数、图一致: for each supplement project (补充耕地项目) accepted in a year the change survey covers,
-- the 耕地 that survey gained inside the project's boundary (补充耕地项目范围) in the acceptance year,
-- beside the 新增耕地面积 the project declares (PR17). Gained = Σ over that year's change pieces from
-- other land to 耕地: BGHTBDLMJ × the planar share of the piece inside the boundary.
--
-- Per county: one spatial join of the boundaries with the gain pieces (macros/per_county.sql); the
-- acceptance-year condition is applied after the join.

with

survey_years as (
    select year from {{ ref('int_survey__survey_years') }} where has_change_survey
),

projects as (
    select
        projects.project_no,
        projects.project_type_name,
        projects.county_code,
        projects.accepted_on,
        year(projects.accepted_on)      as accepted_year,
        projects.new_cultivated_mu      as declared_mu,
        -- a boundary may come in parts (several polygons under one 项目编号): one geometry per project
        st_union_agg(boundaries.geom)   as geom
    from {{ ref('stg_records__supplement_projects') }} as projects
    inner join {{ ref('stg_projects__supplement_boundaries') }} as boundaries
        on boundaries.project_no = projects.project_no
    where boundaries.geom is not null
      and year(projects.accepted_on) in (select year from survey_years)
      and {{ in_county_partition('projects.county_code') }}
    group by all
),

gain_pieces as (
    select
        pieces.change_year,
        pieces.piece_id,
        coalesce(pieces.after_county_code, pieces.before_county_code) as county_code,
        pieces.after_land_class_area_m2                                as gained_m2,
        st_area(pieces.geom)                                           as piece_planar_m2,
        pieces.geom
    from {{ ref('stg_survey__change_pieces') }} as pieces
    inner join {{ ref('ref_land_classes') }} as before_classes
        on before_classes.land_class = pieces.before_land_class
        and not before_classes.is_cultivated
    inner join {{ ref('ref_land_classes') }} as after_classes
        on after_classes.land_class = pieces.after_land_class
        and after_classes.is_cultivated
    where pieces.geom is not null
      and {{ in_county_partition('coalesce(pieces.after_county_code, pieces.before_county_code)') }}
),

gains_inside as (
    {% call union_per_county() -%}
    select
        projects.project_no,
        gain_pieces.piece_id,
        gain_pieces.gained_m2
            * st_area(st_intersection(projects.geom, gain_pieces.geom))
            / nullif(gain_pieces.piece_planar_m2, 0) as gained_inside_m2
    from projects
    inner join gain_pieces
        on st_intersects(projects.geom, gain_pieces.geom)
    where projects.county_code = '__county__'
      and gain_pieces.county_code = '__county__'
      and (gain_pieces.change_year = projects.accepted_year) = true
    {%- endcall %}
),

per_project as (
    select
        project_no,
        count(*) filter (where gained_inside_m2 > 0)            as gain_piece_count,
        sum(gained_inside_m2)                                   as gained_m2
    from gains_inside
    group by all
),

final as (
    select
        projects.* exclude (geom),
        coalesce(per_project.gain_piece_count, 0)                         as gain_piece_count,
        cast(coalesce(per_project.gained_m2, 0) as decimal(18, 4))        as gained_m2,
        cast({{ to_mu('coalesce(per_project.gained_m2, 0)') }} as decimal(18, 4)) as gained_mu
    from projects
    left join per_project using (project_no)
)

select * from final
