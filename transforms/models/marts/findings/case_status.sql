-- The enforcement picture per county and year (and the city): how many suspected violations the
-- survey revealed that year (new), how many stand in each colour of case_lifecycle at the year end,
-- how many are still open (yellow, red or blue) and how many turned green (销号) during the year.

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

county_rows as (
    select
        counties.admin_code,
        years.year,
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
    from counties
    cross join years
    left join lifecycle
        on lifecycle.county_code = counties.admin_code
        and lifecycle.year = years.year
    group by all
),

{%- set measures = ['new_findings', 'new_finding_mu', 'yellow', 'red', 'blue', 'green', 'open_findings',
                    'open_finding_mu', 'closed_in_year'] %}

city_rows as (
    {{ city_rows('county_rows', ['year'], measures) }}
),

admin_rows as (
    select 'county' as admin_level, * from county_rows
    union all by name
    select * from city_rows
),

final as (
    select
        admin_code,
        admin_level,
        year,
        {%- for measure in measures %}
        {%- if measure.endswith('_mu') %}
        cast({{ measure }} as double) as {{ measure }}{{ ',' if not loop.last }}
        {%- else %}
        cast({{ measure }} as bigint) as {{ measure }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from admin_rows
)

select * from final
