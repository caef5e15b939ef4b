{#
  Units and codes of the tabular records (SOURCES.md §2–§4). Areas are delivered in 亩 (DOUBLE in raw):
  staging keeps them exact as DECIMAL 亩 and adds m² (2 decimals, as the survey areas), both computed
  from the delivered value. Money is DECIMAL 元 (2 decimals, the 分); amounts delivered in 万元 or 亿元
  keep their delivered unit too.
-#}

{#- A delivered 亩 figure as DECIMAL(18, 4): every delivered digit kept, sums exact. -#}
{% macro mu_exact(column) -%}
    cast({{ column }} as decimal(18, 4))
{%- endmacro %}

{#- A delivered 亩 figure in m²: 1 亩 = 10000/15 m², so m² = 亩 / 0.0015, rounded to the standard's 2 decimals. -#}
{% macro mu_to_m2(column) -%}
    cast(({{ column }}) / 0.0015 as decimal(18, 2))
{%- endmacro %}

{#- An amount in 元 (or a rate in 元/亩) as DECIMAL(18, 2). -#}
{% macro yuan(column) -%}
    cast({{ column }} as decimal(18, 2))
{%- endmacro %}

{#- An amount in 万元 as delivered, DECIMAL(18, 6) (exact to the 分). -#}
{% macro wan_yuan(column) -%}
    cast({{ column }} as decimal(18, 6))
{%- endmacro %}

{#- An amount in 万元 converted to 元 (× 10 000), DECIMAL(18, 2). -#}
{% macro wan_yuan_to_yuan(column) -%}
    cast(({{ column }}) * 10000 as decimal(18, 2))
{%- endmacro %}

{#- A 是/否 flag (also Y/N, 1/0, true/false) as a boolean; anything else NULL. -#}
{% macro yes_no(column) -%}
    case
        when upper(trim({{ column }})) in ('是', 'Y', 'YES', '1', 'TRUE') then true
        when upper(trim({{ column }})) in ('否', 'N', 'NO', '0', 'FALSE') then false
    end
{%- endmacro %}

{#- The county name (GB/T 2260) of a 6-digit county code, from the ref_region seed. -#}
{% macro county_name(code) -%}
    (select r.admin_name from {{ ref('ref_region') }} as r where r.admin_level = 'county' and r.admin_code = {{ code }})
{%- endmacro %}
