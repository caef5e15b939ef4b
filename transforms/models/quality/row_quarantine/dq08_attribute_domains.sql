-- The cultivated-land attributes of each parcel, beside whether its class is 耕地. Empty strings
-- (flat land's GDLX in shapefiles) count as not set. And the 用地类型 of each land-use approval, which
-- decides whether its red line makes construction lawful (PR10) or must be restored (PR24).
with parcels as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, BSM, ZLDWDM, DLBM,
           ZZSXDM, GDPDJB, GDLX, GDDB from {{ source('raw', 'dltb') }}
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, BSM, ZLDWDM, DLBM,
           ZZSXDM, GDPDJB, GDLX, GDDB from {{ source('raw', 'dltbgx') }}
)

select
    'parcel' as entity_type, cast(p.BSM as varchar) as entity_id, left(p.ZLDWDM, 6) as admin_code,
    p._survey_year as year, p.layer, p._source_file as source_file, p._source_row as source_row,
    p.DLBM,
    coalesce(c.is_cultivated, false) as is_cultivated,
    nullif(trim(p.ZZSXDM), '') as ZZSXDM,
    nullif(trim(p.GDPDJB), '') as GDPDJB,
    nullif(trim(p.GDLX), '') as GDLX,
    p.GDDB,
    null as land_use_type
from parcels p
left join {{ ref('ref_land_classes') }} c on c.land_class = p.DLBM

union all

select
    'approval', "批准文号", left("县级行政区代码", 6), null, 'land_approvals', _source_file, _source_row,
    null, null, null, null, null, null,
    coalesce(trim("用地类型"), '') as land_use_type
from {{ source('raw', 'land_approvals') }}
