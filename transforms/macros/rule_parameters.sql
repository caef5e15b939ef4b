{#
  A rule's parameter (quality/rules/catalog.yml) as a SQL literal. The pipeline passes every rule's
  parameters from the catalog as the var `rule_parameters`; dbt_project.yml holds the defaults for a
  hand run, and a test keeps those equal to the catalog, so a threshold changes in the catalog only.
#}
{% macro rule_parameter(rule_id, name) -%}
    {%- set parameters = var('rule_parameters') -%}
    {%- if rule_id not in parameters or name not in parameters[rule_id] -%}
        {{ exceptions.raise_compiler_error(
            "rule parameter " ~ rule_id ~ "." ~ name ~ " is not in var('rule_parameters'): add the "
            ~ "catalog's value to the defaults in dbt_project.yml"
        ) }}
    {%- endif -%}
    {%- set value = parameters[rule_id][name] -%}
    {%- if value is string -%}
        '{{ value | replace("'", "''") }}'
    {%- elif value is iterable and value is not mapping -%}
        [{% for item in value %}'{{ item | replace("'", "''") }}'{% if not loop.last %}, {% endif %}{% endfor %}]
    {%- else -%}
        {{ value }}
    {%- endif -%}
{%- endmacro %}
