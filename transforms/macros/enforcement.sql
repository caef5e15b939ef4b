{#
  违法用地案件 (enforcement cases) on a given day. The definitions, with the policy's wording, are
  documented in macros/enforcement.yml; every model that counts open cases or colours a case uses these,
  so "open" means one thing in the risk index, the scorecard, the funds and PR18.
  Arguments are SQL expressions: the day, and the case's columns (default: staging's names).
-#}

{#- 未结案: found on or before the day and not 销号 (closed) by then. -#}
{% macro case_is_open(as_of, discovered_on='discovered_on', closed_on='closed_on') -%}
    ({{ discovered_on }} <= {{ as_of }} and ({{ closed_on }} is null or {{ closed_on }} > {{ as_of }}))
{%- endmacro %}

{#- The 卫片执法 colour of a survey finding at the end of a day, by the case that answers it (case_no NULL:
    none). The delivered 状态 整改中 only describes the latest year end, when `is_latest` is true. -#}
{% macro case_colour(as_of, is_latest, case_no='case_no', discovered_on='discovered_on',
                     rectified_on='rectified_on', closed_on='closed_on', status='status') -%}
    case
        when {{ case_no }} is null or {{ discovered_on }} > {{ as_of }} then 'yellow'
        when not {{ case_is_open(as_of, discovered_on, closed_on) }} then 'green'
        when {{ rectified_on }} <= {{ as_of }} then 'blue'
        when {{ is_latest }} and {{ status }} = 'rectifying' then 'blue'
        else 'red'
    end
{%- endmacro %}

{#- The colour's name in Chinese. -#}
{% macro case_colour_name(colour) -%}
    case {{ colour }}
        when 'yellow' then '疑似'
        when 'red' then '立案'
        when 'blue' then '整改'
        when 'green' then '销号'
    end
{%- endmacro %}
