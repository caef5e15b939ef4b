{#
  County partitions (县级分区). A county build (`dbt build --target county --select tag:county_partition`
  with FARMLAND_COUNTY_PARTITION=330402 and var region_catalog) computes the parcel-scale models of one
  county into that county's own file, reading everything else from the region's file. Each county
  answers for its own land, so the region's table is the UNION ALL of the counties' (warehouse/
  county_shards.py makes those union views), and a county whose inputs did not change is not rebuilt.

  county_partition(): the county being built, or none in a region-wide build. It is read when a model
  is compiled, never while the project is parsed: a var or a profile setting would make dbt re-parse
  the whole project for every county.
  in_county_partition(column): the filter a county-partitioned model applies where it reads
  region-wide rows (`true` in a region-wide build).
#}
{% macro county_partition() -%}
    {%- set county = env_var('FARMLAND_COUNTY_PARTITION', '') if execute else '' -%}
    {%- if county and not (county | length == 6 and county.isdigit()) -%}
        {{ exceptions.raise_compiler_error("FARMLAND_COUNTY_PARTITION must be a 6-digit county code, got " ~ county) }}
    {%- endif -%}
    {{ return(county or none) }}
{%- endmacro %}

{% macro in_county_partition(column) -%}
    {%- set county = county_partition() -%}
    {%- if county is none -%} true {%- else -%} {{ column }} = '{{ county }}' {%- endif -%}
{%- endmacro %}

{#
  on-run-start of a region-wide build: the region's views of the county-partitioned models read the
  county partitions, so they are attached (read-only, under their catalog names) for the run: the
  county files in FARMLAND_COUNTY_FOLDER, or, with FARMLAND_COUNTY_LAKE (a PostgreSQL connection
  string), every county's DuckLake catalogued there (warehouse.config.CountyLake). Both come from
  orchestration.resources.WarehouseResource; without them, or in a county build, nothing is attached.
#}
{% macro attach_county_partitions() -%}
    {%- set folder = env_var('FARMLAND_COUNTY_FOLDER', '') -%}
    {%- set lake = env_var('FARMLAND_COUNTY_LAKE', '') -%}
    {%- if execute and county_partition() is none and lake -%}
        {%- do run_query("load ducklake; load postgres_scanner") -%}
        {%- set target = lake | replace("'", "''") -%}
        {%- do run_query("attach if not exists '" ~ target ~ "' as county_lakes (type postgres, read_only)") -%}
        {%- set schemas = run_query("select schema_name from county_lakes.information_schema.schemata where schema_name like 'county_%' order by 1") -%}
        {%- for catalog in schemas.columns[0].values() -%}
            {%- do run_query("attach if not exists 'ducklake:postgres:" ~ target ~ "' as \"" ~ catalog ~ "\" (metadata_schema '" ~ catalog ~ "', read_only)") -%}
        {%- endfor -%}
    {%- elif execute and folder and county_partition() is none -%}
        {%- set pattern = (folder ~ '/county_*.duckdb') | replace("'", "''") -%}
        {%- set files = run_query("select file from glob('" ~ pattern ~ "') order by file") -%}
        {%- for file in files.columns[0].values() -%}
            {%- set catalog = file.split('/')[-1][:-7] -%}
            {%- do run_query("attach if not exists '" ~ (file | replace("'", "''")) ~ "' as \"" ~ catalog ~ "\" (read_only)") -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
