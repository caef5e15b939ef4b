-- 勾稽核查 (rule DQ09): for every county, change-survey year Y and land class c,
-- expected(Y) = state(Y−1) − Σ flows out of c + Σ flows into c, compared with the state(Y)
-- the warehouse holds. The quality runner evaluates DQ09 (|diff_m2| ≤ 1 m²) on this model and
-- writes quality.survey_year_status, the gate of the marts.

with

years_to_check as (
    select year, previous_year
    from {{ ref('int_survey__survey_years') }}
    where needs_reconciliation
),

area as (
    select county_code, year, land_class, area_m2
    from {{ ref('int_survey__land_use_area') }}
),

flows as (
    select * from {{ ref('int_survey__change_flows_by_county') }}
),

area_before as (
    select area.county_code, years_to_check.year, area.land_class, area.area_m2
    from area
    inner join years_to_check on years_to_check.previous_year = area.year
),

area_after as (
    select area.county_code, area.year, area.land_class, area.area_m2
    from area
    inner join years_to_check on years_to_check.year = area.year
),

outflows as (
    select county_code, change_year as year, from_class as land_class, sum(area_m2) as area_m2
    from flows
    where from_class is not null
    group by all
),

inflows as (
    select county_code, change_year as year, to_class as land_class, sum(area_m2) as area_m2
    from flows
    where to_class is not null
    group by all
),

county_classes as (
    select county_code, year, land_class from area_before
    union
    select county_code, year, land_class from area_after
    union
    select county_code, year, land_class from outflows where year in (select year from years_to_check)
    union
    select county_code, year, land_class from inflows where year in (select year from years_to_check)
),

balanced as (
    select
        county_classes.county_code,
        county_classes.year,
        years_to_check.previous_year,
        county_classes.land_class,
        coalesce(area_before.area_m2, 0) as area_prev_m2,
        coalesce(outflows.area_m2, 0)    as outflow_m2,
        coalesce(inflows.area_m2, 0)     as inflow_m2,
        coalesce(area_after.area_m2, 0)  as actual_m2
    from county_classes
    inner join years_to_check using (year)
    left join area_before using (county_code, year, land_class)
    left join outflows using (county_code, year, land_class)
    left join inflows using (county_code, year, land_class)
    left join area_after using (county_code, year, land_class)
),

final as (
    select
        county_code,
        year,
        previous_year,
        land_class,
        {{ land_class_name('balanced.land_class') }} as land_class_name,
        -- exact decimal arithmetic, published as DOUBLE for the rule runner
        {{ as_double('area_prev_m2') }} as area_prev_m2,
        {{ as_double('outflow_m2') }} as outflow_m2,
        {{ as_double('inflow_m2') }} as inflow_m2,
        {{ as_double('area_prev_m2 - outflow_m2 + inflow_m2') }} as expected_m2,
        {{ as_double('actual_m2') }} as actual_m2,
        {{ as_double('actual_m2 - (area_prev_m2 - outflow_m2 + inflow_m2)') }} as diff_m2
    from balanced
)

select * from final
