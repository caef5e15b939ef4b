-- 补充耕地指标台账: every dated quota event of a county with the running balances of 数量 / 水田 /
-- 产能 after it. Within a day, pool entries come before what leaves (入库, 上划, 调入, 调出, 挂钩).

with

events as (
    select * from {{ ref('int_quota__events') }}
),

running as (
    select
        *,
        sum(quantity_mu) over county_time as balance_quantity_mu,
        sum(paddy_mu) over county_time    as balance_paddy_mu,
        sum(capacity_kg) over county_time as balance_capacity_kg
    from events
    window county_time as (
        partition by county_code
        order by event_date, event_order, ref_id
        rows between unbounded preceding and current row
    )
),

final as (
    select
        county_code,
        event_date,
        event_type,
        ref_id,
        {{ as_double('quantity_mu') }}         as quantity_mu,
        {{ as_double('paddy_mu') }}            as paddy_mu,
        {{ as_double('capacity_kg') }}         as capacity_kg,
        {{ as_double('balance_quantity_mu') }} as balance_quantity_mu,
        {{ as_double('balance_paddy_mu') }}    as balance_paddy_mu,
        {{ as_double('balance_capacity_kg') }} as balance_capacity_kg,
        event_order
    from running
)

select * from final
order by county_code, event_date, event_order, ref_id
