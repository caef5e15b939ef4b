-- 地类图斑更新层 DLTBGX: the parcels a year's change survey creates (they replace the parcels its
-- change pieces retire), one row per parcel, quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'dltbgx') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'DLTBGX') }}
),

renamed as (
    select
{{ parcel_columns('not_quarantined') }}
    from not_quarantined
)

select * from renamed
