-- 地类图斑 DLTB: the full land-use state delivered for a base year, one row per parcel,
-- quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'dltb') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'DLTB') }}
),

renamed as (
    select
{{ parcel_columns('not_quarantined') }}
    from not_quarantined
)

select * from renamed
