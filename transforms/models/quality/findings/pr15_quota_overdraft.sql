-- The quota pool of a county at the end of every day with an event: no balance may go below zero,
-- and a county holding an unbalanced approval (PR03–PR05) may not trade quota out (001 §三(八)).
-- Within a day the ledger counts what enters before what leaves, so the day's lowest balance is its last.
with end_of_day as (
    select county_code, event_date, balance_quantity_mu, balance_paddy_mu, balance_capacity_kg,
           bool_or(event_type = '调出') over (partition by county_code, event_date) as traded_out
    from {{ ref('quota_ledger') }}
    qualify row_number() over (
        partition by county_code, event_date order by event_order desc, ref_id desc
    ) = 1
),

unbalanced as (
    select county_code, approved_on
    from {{ ref('occupation_balance') }}
    where balance_applies
      and not (quantity_balanced and paddy_balanced and capacity_balanced)
)

select
    'county_date' as entity_type, d.county_code || ':' || strftime(d.event_date, '%Y-%m-%d') as entity_id,
    d.county_code as admin_code, year(d.event_date) as year,
    d.balance_quantity_mu, d.balance_paddy_mu, d.balance_capacity_kg,
    d.traded_out and exists (
        select 1 from unbalanced u where u.county_code = d.county_code and u.approved_on <= d.event_date
    ) as traded_out_while_unbalanced
from end_of_day d
