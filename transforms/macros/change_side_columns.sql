{#
  One side of a 地类图斑更新过程层 row: the BGQ… (before) or BGH… (after) copy of the parcel
  attributes, renamed `before_…` / `after_…`. Areas keep NULL when the side is empty (the BGH side of
  XZQTZLX 2/4 pieces), so an empty side is distinguishable from a zero area.
#}
{% macro change_side_columns(g, code, side) -%}
        {{ g }}."{{ code }}TBBSM"                                          as {{ side }}_parcel_bsm,
        {{ clean_code(g ~ '."' ~ code ~ 'TBBH"') }}                        as {{ side }}_parcel_no,
        {{ clean_code(g ~ '."' ~ code ~ 'DLBM"') }}                        as {{ side }}_land_class,
        {{ land_class_name(clean_code(g ~ '."' ~ code ~ 'DLBM"')) }}       as {{ side }}_land_class_name,
        {{ clean_code(g ~ '."' ~ code ~ 'QSXZ"') }}                        as {{ side }}_ownership_type,
        {{ clean_code(g ~ '."' ~ code ~ 'QSDWDM"') }}                      as {{ side }}_owner_unit_code,
        {{ clean_code(g ~ '."' ~ code ~ 'ZLDWDM"') }}                      as {{ side }}_location_unit_code,
        {{ clean_code(g ~ '."' ~ code ~ 'ZLDWMC"') }}                      as {{ side }}_location_unit_name,
        {{ county_of(g ~ '."' ~ code ~ 'ZLDWDM"') }}                       as {{ side }}_county_code,
        {{ clean_code(g ~ '."' ~ code ~ 'KCDLBM"') }}                      as {{ side }}_deduction_class,
        {{ g }}."{{ code }}KCXS"                                           as {{ side }}_deduction_coefficient,
        {{ area_m2(g ~ '."' ~ code ~ 'KCMJ"') }}                           as {{ side }}_deduction_area_m2,
        {{ to_mu(area_m2(g ~ '."' ~ code ~ 'KCMJ"')) }}                    as {{ side }}_deduction_area_mu,
        {{ area_m2(g ~ '."' ~ code ~ 'TBDLMJ"') }}                         as {{ side }}_land_class_area_m2,
        {{ to_mu(area_m2(g ~ '."' ~ code ~ 'TBDLMJ"')) }}                  as {{ side }}_land_class_area_mu,
        {{ clean_code(g ~ '."' ~ code ~ 'GDLX"') }}                        as {{ side }}_cultivated_type,
        {{ clean_code(g ~ '."' ~ code ~ 'GDPDJB"') }}                      as {{ side }}_slope_grade,
        {{ clean_code(g ~ '."' ~ code ~ 'TBXHDM"') }}                      as {{ side }}_refinement_code,
        {{ clean_code(g ~ '."' ~ code ~ 'ZZSXDM"') }}                      as {{ side }}_planting_attribute,
        cast({{ g }}."{{ code }}GDDB" as integer)                          as {{ side }}_quality_grade,
        {{ clean_code(g ~ '."' ~ code ~ 'CZCSXM"') }}                      as {{ side }}_urban_village_code
{%- endmacro %}
