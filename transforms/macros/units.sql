{#- 1 亩 (mu) = 10000/15 m² exactly, so area_mu = area_m2 × 0.0015 (SOURCES.md, "Units"). -#}
{% macro to_mu(area_m2) -%}
    (({{ area_m2 }}) * 0.0015)
{%- endmacro %}
