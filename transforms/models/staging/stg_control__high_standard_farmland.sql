-- 高标准农田上图入库 GBZNT: one row per project block of a control year, quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'gbznt') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'GBZNT') }}
),

renamed as (
    select
        not_quarantined._survey_year                    as control_year,
        {{ clean_code('not_quarantined."XMBH"') }}      as project_no,
        {{ clean_code('not_quarantined."XZQDM"') }}     as admin_code_delivered,
        {{ county_of('not_quarantined."XZQDM"') }}      as county_code,
        cast(not_quarantined."JSNF" as integer)         as built_year,
        {{ clean_code('not_quarantined."JSLX"') }}      as build_type_name,
        case {{ clean_code('not_quarantined."JSLX"') }}
            when '新建' then 'new'
            when '改造提升' then 'upgrade'
        end                                             as build_type,
        {{ area_m2('not_quarantined."JSMJ"') }} as built_area_m2,
        {{ to_mu(area_m2('not_quarantined."JSMJ"')) }} as built_area_mu,
        not_quarantined.geom                            as geom,
        not_quarantined._source_file                    as source_file,
        not_quarantined._source_row                     as source_row,
        not_quarantined._file_sha256                    as file_sha256,
        not_quarantined._loaded_at                      as loaded_at
    from not_quarantined
)

select * from renamed
