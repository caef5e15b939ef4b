{#- Text codes as delivered: trimmed, empty string → NULL (shapefiles pad, exports write ''). -#}
{% macro clean_code(column) -%}
    nullif(trim({{ column }}), '')
{%- endmacro %}

{#- The county (GB/T 2260, 6 digits) of a 19-char 坐落单位代码 ZLDWDM or a 6/9/12-digit XZQDM. -#}
{% macro county_of(column) -%}
    left(nullif(trim({{ column }}), ''), 6)
{%- endmacro %}

{#- The 12-digit village code of a 19-char ZLDWDM (village code + 7 zeros). -#}
{% macro village_of(column) -%}
    case when length(trim({{ column }})) >= 12 then left(trim({{ column }}), 12) end
{%- endmacro %}

{#- 地类名称 of a 三调工作分类 code (DLBM), from the ref_land_classes seed. -#}
{% macro land_class_name(code) -%}
    (select lc.land_class_name from {{ ref('ref_land_classes') }} as lc where lc.land_class = {{ code }})
{%- endmacro %}

{#- Chinese name of a code of GDLX / GDPDJB / ZZSXDM, from the ref_attribute_domains seed. -#}
{% macro attribute_name(field, code) -%}
    (select d.name_zh from {{ ref('ref_attribute_domains') }} as d where d.field = '{{ field }}' and d.code = {{ code }})
{%- endmacro %}

{#- 权属性质 QSXZ (三调 database standard). -#}
{% macro ownership_type_name(code) -%}
    case {{ code }}
        when '10' then '国有土地所有权'
        when '20' then '国有土地使用权'
        when '30' then '集体土地所有权'
        when '31' then '村民小组'
        when '32' then '村集体经济组织'
        when '33' then '乡集体经济组织'
        when '34' then '其他农民集体经济组织'
        when '40' then '集体土地使用权'
    end
{%- endmacro %}

{#- 城镇村属性码 CZCSXM. -#}
{% macro urban_village_name(code) -%}
    case {{ code }}
        when '201' then '城市'
        when '202' then '建制镇'
        when '203' then '村庄'
        when '204' then '盐田及采矿'
        when '205' then '特殊用地'
    end
{%- endmacro %}

{#- 变更行为 BGXW of a change piece. -#}
{% macro change_kind_name(code) -%}
    case {{ code }}
        when '1' then '属性变更'
        when '2' then '图形变更'
    end
{%- endmacro %}

{#- 行政区调整类型 XZQTZLX of a change piece. -#}
{% macro admin_adjustment_name(code) -%}
    case {{ code }}
        when '0' then '非行政区调整'
        when '1' then '行政区调入'
        when '2' then '行政区调出'
        when '3' then '国界线/海岸线调整增加'
        when '4' then '国界线/海岸线调整减少'
    end
{%- endmacro %}
