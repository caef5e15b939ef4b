{#
  `+schema: staging` lands in schema `staging` exactly (dbt's default would be `main_staging`):
  the warehouse layers are fixed schema names that Dagster, the quality runner and analysts share.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
