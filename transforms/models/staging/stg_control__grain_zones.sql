-- 粮食生产功能区 LSGNQ: one row per grain production functional zone of a control year,
-- quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'lsgnq') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'LSGNQ') }}
),

renamed as (
    select
        not_quarantined._survey_year                    as control_year,
        {{ clean_code('not_quarantined."GNQBH"') }}     as zone_no,
        {{ clean_code('not_quarantined."XZQDM"') }}     as admin_code_delivered,
        {{ county_of('not_quarantined."XZQDM"') }}      as county_code,
        {{ area_m2('not_quarantined."GNQMJ"') }} as zone_area_m2,
        {{ to_mu(area_m2('not_quarantined."GNQMJ"')) }} as zone_area_mu,
        cast(not_quarantined."RDNF" as integer)         as recognised_year,
        not_quarantined.geom                            as geom,
        not_quarantined._source_file                    as source_file,
        not_quarantined._source_row                     as source_row,
        not_quarantined._file_sha256                    as file_sha256,
        not_quarantined._loaded_at                      as loaded_at
    from not_quarantined
)

select * from renamed
