-- The enforcement picture per county and year (and the city): how many suspected violations the
-- survey revealed that year (new), how many stand in each colour of case_lifecycle at the year end,
-- how many are still open (yellow, red or blue) and how many turned green (销号) during the year.
-- A county with no land-use state in the year (it delivered no survey) is not reported: its row says
-- so and carries no figures, rather than zeros that read as "no violations"; the city row says how
-- many counties it sums.

with

lifecycle as (
    select
        *,
        lag(colour) over (partition by rule_id, entity_id order by year) as colour_year_before
    from {{ ref('case_lifecycle') }}
),

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

years as (
    select distinct year from lifecycle
),

reported as (
    -- the counties holding a land-use state in the year: the survey the findings come from
    select distinct admin_code, year from {{ ref('cultivated_land') }} where admin_level = 'county'
),

not_reported as (
    select counties.admin_code, years.year
    from counties
    cross join years
    anti join reported using (admin_code, year)
),

county_rows as (
    select
        reported.admin_code,
        reported.year,
        count(lifecycle.entity_id) filter (where lifecycle.is_new)                      as new_findings,
        coalesce(sum(lifecycle.cultivated_mu) filter (where lifecycle.is_new), 0)       as new_finding_mu,
        count(lifecycle.entity_id) filter (where lifecycle.colour = 'yellow')           as yellow,
        count(lifecycle.entity_id) filter (where lifecycle.colour = 'red')              as red,
        count(lifecycle.entity_id) filter (where lifecycle.colour = 'blue')             as blue,
        count(lifecycle.entity_id) filter (where lifecycle.colour = 'green')            as green,
        count(lifecycle.entity_id) filter (where lifecycle.colour <> 'green')           as open_findings,
        coalesce(sum(lifecycle.cultivated_mu) filter (where lifecycle.colour <> 'green'), 0) as open_finding_mu,
        count(lifecycle.entity_id) filter (
            where lifecycle.colour = 'green' and coalesce(lifecycle.colour_year_before, '') <> 'green'
        )                                                                               as closed_in_year
    from reported
    inner join years using (year)
    left join lifecycle
        on lifecycle.county_code = reported.admin_code
        and lifecycle.year = reported.year
    group by all
),

{%- set measures = ['new_findings', 'new_finding_mu', 'yellow', 'red', 'blue', 'green', 'open_findings',
                    'open_finding_mu', 'closed_in_year'] %}

city_rows as (
    {{ city_rows('county_rows', ['year'], measures, coverage_by='year') }}
),

admin_rows as (
    select 'county' as admin_level, true as reported, * from county_rows
    union all by name
    select 'county' as admin_level, false as reported, * from not_reported
    union all by name
    select *, counties_reported = counties_expected as reported from city_rows
),

final as (
    select
        admin_code,
        admin_level,
        year,
        reported,
        counties_reported,
        counties_expected,
        {%- for measure in measures %}
        {%- if measure.endswith('_mu') %}
        {#- a sum of doubles differs in its last digit with the order it adds in: 1e-6 亩 is far below
            what the survey measures, and the figure is then the same in every build #}
        round(cast({{ measure }} as double), 6) as {{ measure }}{{ ',' if not loop.last }}
        {%- else %}
        cast({{ measure }} as bigint) as {{ measure }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from admin_rows
)

select * from final
