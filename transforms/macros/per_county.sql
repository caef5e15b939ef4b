{#
  Overlays run one county at a time. DuckDB's SPATIAL_JOIN builds an in-memory R-tree over one side
  and takes exactly one spatial predicate; run over the whole city at once, the R-tree and the pairs in
  flight grow with the city. Every feature carries its county code, and features of different counties
  never count together (each county answers for its own land), so an overlay is the UNION ALL of one
  spatial join per county: memory is bounded by the largest county, not the city.

  county_codes() lists the counties of ref_region at run time (empty while dbt only parses), or only
  the county of a county-partition build (macros/county_partition.sql).
  The other predicates between the two sides (same delivery year, different polygon, …) are written
  `(…) = true` after the join: a plain equality would be pulled into the join condition and DuckDB would
  fall back to a hash join testing ST_Intersects on every pair of the county.
#}
{% macro county_codes() -%}
    {#- ref() outside the `if` so that parsing records the dependency on the seed -#}
    {%- set region = ref('ref_region') -%}
    {%- if county_partition() is not none -%}
        {{ return([county_partition()]) }}
    {%- elif execute -%}
        {%- set rows = run_query("select admin_code from " ~ region ~ " where admin_level = 'county' order by admin_code") -%}
        {{ return(rows.columns[0].values() | list) }}
    {%- else -%}
        {{ return([]) }}
    {%- endif -%}
{%- endmacro %}

{#- The statement inside {% call union_per_county() %} … {% endcall %}, once per county with
    '__county__' replaced by the county code, as a UNION ALL. -#}
{% macro union_per_county() -%}
    {%- set counties = county_codes() or ['000000'] -%}
    {%- for county in counties %}
    ({{ caller() | replace('__county__', county) }})
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

