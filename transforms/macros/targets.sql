{#
  The rows of a scope × year relation with the target in force for them: the latest target of the
  indicator (ref_targets: cultivated_land, permanent_farmland) whose target_year ≤ the row's year.
  Before the first target year there is none (target_mu NULL), so "meets target" stays unknown
  rather than false.
-#}
{% macro with_target_in_force(rows, indicator) -%}
    select
        {{ rows }}.*,
        targets.target_mu
    from {{ rows }}
    asof left join (
        select admin_code, target_year, target_mu
        from {{ ref('ref_targets') }}
        where indicator = '{{ indicator }}'
    ) as targets
        on targets.admin_code = {{ rows }}.admin_code
        and targets.target_year <= {{ rows }}.year
{%- endmacro %}
