{#
  INDICATORS.md: every mart with county rows also has the city row, and the city row is the sum of
  its counties (ref_region). Fails for each (city, key) whose measure differs from the county sum by
  more than `tolerance`, or where a city row is missing for existing county rows (or vice versa).
#}
{% test city_equals_sum_of_counties(model, keys, measures, tolerance=0.001) %}
with

county_sums as (
    select
        region.region_code as admin_code,
        {%- for key in keys %}
        m.{{ key }},
        {%- endfor %}
        {%- for measure in measures %}
        sum(m.{{ measure }}) as {{ measure }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ model }} as m
    inner join {{ ref('ref_region') }} as region
        on region.admin_code = m.admin_code and region.admin_level = 'county'
    where m.admin_level = 'county'
    group by region.region_code{% for key in keys %}, m.{{ key }}{% endfor %}
),

city_rows as (
    select * from {{ model }} where admin_level = 'city'
)

select
    coalesce(city_rows.admin_code, county_sums.admin_code) as admin_code,
    {%- for key in keys %}
    coalesce(city_rows.{{ key }}, county_sums.{{ key }}) as {{ key }},
    {%- endfor %}
    city_rows.admin_code is null as city_row_missing,
    county_sums.admin_code is null as county_rows_missing
from city_rows
full outer join county_sums
    on city_rows.admin_code = county_sums.admin_code
    {%- for key in keys %}
    and city_rows.{{ key }} is not distinct from county_sums.{{ key }}
    {%- endfor %}
where city_rows.admin_code is null
   or county_sums.admin_code is null
   {%- for measure in measures %}
   or abs(coalesce(city_rows.{{ measure }}, 0) - coalesce(county_sums.{{ measure }}, 0)) > {{ tolerance }}
   {%- endfor %}
{% endtest %}
