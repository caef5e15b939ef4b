-- Every land-class code a parcel or change record carries: DLBM and KCDLBM on parcels,
-- BGQDLBM / BGHDLBM on change pieces (the after side is empty when land left the county, XZQTZLX 2/4).
with parcel_codes as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, BSM, ZLDWDM, 'DLBM' as field,
           coalesce(DLBM, '') as code
    from {{ source('raw', 'dltb') }}
    union all
    select 'DLTB', _source_file, _source_row, _survey_year, BSM, ZLDWDM, 'KCDLBM', KCDLBM
    from {{ source('raw', 'dltb') }} where nullif(trim(KCDLBM), '') is not null
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, BSM, ZLDWDM, 'DLBM', coalesce(DLBM, '')
    from {{ source('raw', 'dltbgx') }}
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, BSM, ZLDWDM, 'KCDLBM', KCDLBM
    from {{ source('raw', 'dltbgx') }} where nullif(trim(KCDLBM), '') is not null
),

change_codes as (
    select 'DLTBGXGC' as layer, _source_file, _source_row, _survey_year, BGHTBBSM as BSM,
           BGQZLDWDM as ZLDWDM, 'BGQDLBM' as field, coalesce(BGQDLBM, '') as code
    from {{ source('raw', 'dltbgxgc') }} where coalesce(XZQTZLX, '0') <> '3'
    union all
    select 'DLTBGXGC', _source_file, _source_row, _survey_year, BGHTBBSM, BGHZLDWDM, 'BGHDLBM',
           coalesce(BGHDLBM, '')
    from {{ source('raw', 'dltbgxgc') }} where coalesce(XZQTZLX, '0') not in ('2', '4')
)

select
    case when layer = 'DLTBGXGC' then 'change_record' else 'parcel' end as entity_type,
    cast(BSM as varchar) as entity_id,
    left(ZLDWDM, 6) as admin_code,
    _survey_year as year,
    layer, _source_file as source_file, _source_row as source_row,
    field, code
from (select * from parcel_codes union all select * from change_codes)
