{#
  The survey years that passed the delivery gate (rule DQ09, run by Dagster between intermediate and
  marts): the latest status written per year must say reconciled. Reading the source here also gives
  Dagster the edge quality/survey_reconciliation → marts.
#}
{% macro reconciled_survey_years() -%}
    (
        select status.year
        from {{ source('quality', 'survey_year_status') }} as status
        qualify row_number() over (
            partition by status.year order by status.checked_at desc nulls last, status.run_id desc
        ) = 1
            and status.reconciled
    )
{%- endmacro %}
