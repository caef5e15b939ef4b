-- 补充耕地指标余额: each county's quota balance (数量, 亩) after the last event of each day, from its
-- first event to the end of the year.
with events as (
    select county_code, event_date, event_order, balance_quantity_mu, balance_paddy_mu
    from marts.quota_ledger
    where county_code = any($counties) and event_date <= make_date($year, 12, 31)
),

end_of_day as (
    select *
    from events
    qualify row_number() over (partition by county_code, event_date order by event_order desc) = 1
)

select r.admin_name as county, d.event_date, d.balance_quantity_mu, d.balance_paddy_mu
from end_of_day as d
join reference.ref_region as r on r.admin_code = d.county_code
order by county, event_date
