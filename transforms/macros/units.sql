{#
  Survey areas are square metres with 2 decimals (国土调查 database standard). Staging casts them to
  DECIMAL(18, 2) so every sum downstream is exact and reproducible: a DOUBLE sum depends on the order
  DuckDB's parallel aggregation adds the rows in, and a rebuild of the same delivery must give the
  same marts to the last digit. Marts publish DOUBLE (`as_double`), converted from the exact figures.
-#}
{% macro area_m2(column) -%}
    cast({{ column }} as decimal(18, 2))
{%- endmacro %}

{#- 1 亩 (mu) = 10000/15 m² exactly, so area_mu = area_m2 × 0.0015 (SOURCES.md, "Units"). -#}
{% macro to_mu(area_m2) -%}
    (({{ area_m2 }}) * 0.0015)
{%- endmacro %}

{#- A published figure: exact decimal arithmetic upstream, DOUBLE for readers. -#}
{% macro as_double(expression) -%}
    cast({{ expression }} as double)
{%- endmacro %}
