-- 永久基本农田保护图斑 YJJBNT (also delivered as YJJBNTBHTB / YJJBNTTB; the extractor maps the
-- aliases): one row per permanent-farmland patch of a control year, quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'yjjbnt') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'YJJBNT') }}
),

renamed as (
    select
        not_quarantined._survey_year                            as control_year,
        not_quarantined."BSM"                                   as bsm,
        {{ clean_code('not_quarantined."JBNTTBBH"') }}          as patch_no,
        {{ clean_code('not_quarantined."XZQDM"') }}             as admin_code_delivered,
        {{ county_of('not_quarantined."XZQDM"') }}              as county_code,
        {{ clean_code('not_quarantined."DLBM"') }}              as land_class,
        {{ land_class_name(clean_code('not_quarantined."DLBM"')) }} as land_class_name,
        {{ area_m2('not_quarantined."JBNTMJ"') }} as pbf_area_m2,
        {{ to_mu(area_m2('not_quarantined."JBNTMJ"')) }} as pbf_area_mu,
        cast(not_quarantined."GDDB" as integer)                 as quality_grade,
        {{ clean_code('not_quarantined."SFSFQ"') }}             as demonstration_flag,
        coalesce(upper({{ clean_code('not_quarantined."SFSFQ"') }}) in ('Y', '是', '1', 'TRUE'), false)
                                                                as is_demonstration,
        cast(not_quarantined."HDNF" as integer)                 as designated_year,
        not_quarantined."GLTBBSM"                               as source_parcel_bsm,
        not_quarantined.geom                                    as geom,
        not_quarantined._source_file                            as source_file,
        not_quarantined._source_row                             as source_row,
        not_quarantined._file_sha256                            as file_sha256,
        not_quarantined._loaded_at                              as loaded_at
    from not_quarantined
)

select * from renamed
