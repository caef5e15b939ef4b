{#
  City rows of a mart: the sum of its county rows over the counties ref_region assigns to the city
  (INDICATORS.md: "City rows are the sum of their counties"). `county_rows` is a CTE with
  admin_code = county code; `keys` are the grain columns besides the admin; `measures` are summed.
#}
{% macro city_rows(county_rows, keys, measures) -%}
    select
        region.region_code as admin_code,
        'city' as admin_level,
        {%- for key in keys %}
        {{ county_rows }}.{{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        sum({{ county_rows }}.{{ measure }}) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ county_rows }}
    inner join {{ ref('ref_region') }} as region
        on region.admin_code = {{ county_rows }}.admin_code
        and region.admin_level = 'county'
    group by region.region_code{% for key in keys %}, {{ county_rows }}.{{ key }}{% endfor %}
{%- endmacro %}
