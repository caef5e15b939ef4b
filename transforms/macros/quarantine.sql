{#
  Rows quarantined by a DQ rule or by the extractor stay in raw (nothing is deleted) and are listed
  in raw.rejects; every staging model leaves them out with this anti-join. A rejected whole file
  (source_row NULL) loaded no rows into raw, so only row-level rejects need matching.

  `layer_code` is raw.rejects.layer: the layer code (DLTB, YJJBNT, …) for the spatial layers, the raw
  table name (enforcement_cases, compensation_payments, …) for the tabular records.

  `match_sheet`: in a workbook the row number repeats on every sheet, so `_source_file` +
  `_source_row` does not name one row. The reject's `record` JSON carries the row's `_sheet` (the
  extractor's and the rule runner's alike), and the sheet must match too. A reject whose record names
  no sheet matches that row number on every sheet: a quarantined row is never let through.
#}
{% macro not_quarantined(alias, layer_code, match_sheet=false) -%}
    not exists (
        select 1
        from {{ source('raw', 'rejects') }} as rejected
        where rejected.layer = '{{ layer_code }}'
          and rejected.source_file = {{ alias }}._source_file
          and rejected.source_row = {{ alias }}._source_row
          {%- if match_sheet %}
          and coalesce(json_extract_string(rejected.record, '$._sheet'), {{ alias }}._sheet)
              is not distinct from {{ alias }}._sheet
          {%- endif %}
    )
{%- endmacro %}
