{#
  Rows quarantined by a DQ rule or by the extractor stay in raw (nothing is deleted) and are listed
  in raw.rejects; every staging model leaves them out with this anti-join. A rejected whole file
  (source_row NULL) loaded no rows into raw, so only row-level rejects need matching.
#}
{% macro not_quarantined(alias, layer_code) -%}
    not exists (
        select 1
        from {{ source('raw', 'rejects') }} as rejected
        where rejected.layer = '{{ layer_code }}'
          and rejected.source_file = {{ alias }}._source_file
          and rejected.source_row = {{ alias }}._source_row
    )
{%- endmacro %}
