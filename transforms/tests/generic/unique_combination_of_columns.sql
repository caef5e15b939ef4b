{#
  The grain of a model: no two rows share the same values of `combination` (NULLs compare equal,
  so a NULL key is a duplicate too). Written here because packages (dbt_utils) are never downloaded.
#}
{% test unique_combination_of_columns(model, combination) %}
select
    {{ combination | join(', ') }},
    count(*) as rows_with_this_key
from {{ model }}
group by {{ combination | join(', ') }}
having count(*) > 1
{% endtest %}
