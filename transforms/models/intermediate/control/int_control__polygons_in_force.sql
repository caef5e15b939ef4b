-- Which protection polygons were in force in each survey year.
--
-- A layer is delivered for some control years (the demo delivers only 2025). For survey year Y the
-- layer's delivery is the latest one of year ≤ Y, or, when none is that old, the earliest delivered:
-- protection layers are drawn once and kept, so a later delivery's polygon drawn (HDNF), built (JSNF)
-- or recognised (RDNF) in or before Y stands for the layer as it was in Y. Polygons drawn after Y are
-- left out of Y.

with

survey_years as (
    select year from {{ ref('int_survey__survey_years') }}
),

polygons as (
    -- the common core of 永农, 高标准 and 功能区 counts as a layer of its own
    select layer, polygon_id, county_code, control_year, in_force_from
    from {{ ref('int_control__polygons') }}
    union all
    select layer, polygon_id, county_code, control_year, in_force_from
    from {{ ref('int_control__protected_core') }}
),

deliveries as (
    select distinct layer, control_year from polygons
),

delivery_for_year as (
    select
        survey_years.year,
        deliveries.layer,
        coalesce(
            max(deliveries.control_year) filter (where deliveries.control_year <= survey_years.year),
            min(deliveries.control_year)
        ) as control_year
    from survey_years
    cross join deliveries
    group by all
),

in_force as (
    select
        delivery_for_year.year,
        polygons.*
    from delivery_for_year
    inner join polygons
        on polygons.layer = delivery_for_year.layer
        and polygons.control_year = delivery_for_year.control_year
    where polygons.in_force_from <= delivery_for_year.year
)

select * from in_force
