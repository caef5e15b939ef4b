{#
  City rows of a mart: the sum of its county rows over the counties ref_region assigns to the city
  (INDICATORS.md: "City rows are the sum of their counties"). `county_rows` is a CTE with
  admin_code = county code; `keys` are the grain columns besides the admin; `measures` are summed.

  With `coverage_by` (the year column), the city rows also say which counties they sum:
  counties_reported (counties with a row in the mart that year) of counties_expected (the counties
  ref_region assigns to the city). A county that delivered nothing has no row and is not in the sum,
  so a city total over fewer counties than expected is not the city's figure.
#}
{% macro city_rows(county_rows, keys, measures, coverage_by=none) -%}
    select
        region.region_code as admin_code,
        'city' as admin_level,
        {%- for key in keys %}
        {{ county_rows }}.{{ key }},
        {%- endfor %}
        {%- if coverage_by %}
        any_value(reported.counties_reported) as counties_reported,
        any_value(expected.counties_expected) as counties_expected,
        {%- endif %}
        {%- for measure in measures %}
        sum({{ county_rows }}.{{ measure }}) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ county_rows }}
    inner join {{ ref('ref_region') }} as region
        on region.admin_code = {{ county_rows }}.admin_code
        and region.admin_level = 'county'
    {%- if coverage_by %}
    inner join (
        select region_code, count(*) as counties_expected
        from {{ ref('ref_region') }}
        where admin_level = 'county'
        group by region_code
    ) as expected
        on expected.region_code = region.region_code
    inner join (
        select reporting.region_code, rows.{{ coverage_by }}, count(distinct rows.admin_code) as counties_reported
        from {{ county_rows }} as rows
        inner join {{ ref('ref_region') }} as reporting
            on reporting.admin_code = rows.admin_code
            and reporting.admin_level = 'county'
        group by all
    ) as reported
        on reported.region_code = region.region_code
        and reported.{{ coverage_by }} = {{ county_rows }}.{{ coverage_by }}
    {%- endif %}
    group by region.region_code{% for key in keys %}, {{ county_rows }}.{{ key }}{% endfor %}
{%- endmacro %}
