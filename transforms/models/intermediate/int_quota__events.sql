-- 补充耕地指标 events per county, each dated and signed as the county's quota pool sees it:
-- 入库 (a supplement project enters the pool), 上划 (its provincial share leaves it, 001 §三(七)),
-- 调入 / 调出 (trades between counties), 挂钩 (an approval uses quota, 001 §三(六)).

with

supplement_projects as (
    select * from {{ ref('stg_records__supplement_projects') }}
),

approvals as (
    select approval_no, county_code from {{ ref('stg_records__land_approvals') }}
),

links as (
    select * from {{ ref('stg_records__quota_links') }}
),

trades as (
    select * from {{ ref('stg_records__quota_trades') }}
),

pooled as (
    -- 入库: the accepted new cultivated land, paddy and grain capacity enter the county pool
    select
        county_code, pooled_on as event_date, '入库' as event_type, 1 as event_order, project_no as ref_id,
        new_cultivated_mu as quantity_mu, new_paddy_mu as paddy_mu, new_capacity_kg as capacity_kg
    from supplement_projects
    where pooled_on is not null
),

handed_to_province as (
    -- 上划: the delivered 上划省统筹数量 leaves the pool the day it enters; paddy and capacity leave
    -- in the same proportion (the delivery gives the quantity only)
    select
        county_code, pooled_on, '上划', 2, project_no,
        -provincial_transfer_mu,
        -new_paddy_mu * provincial_transfer_mu / nullif(new_cultivated_mu, 0),
        -new_capacity_kg * provincial_transfer_mu / nullif(new_cultivated_mu, 0)
    from supplement_projects
    where pooled_on is not null and coalesce(provincial_transfer_mu, 0) <> 0
),

traded_in as (
    select to_county_code, traded_on, '调入', 3, trade_no, quantity_mu, paddy_mu, capacity_kg
    from trades
),

traded_out as (
    select from_county_code, traded_on, '调出', 4, trade_no, -quantity_mu, -paddy_mu, -capacity_kg
    from trades
),

used_by_approvals as (
    -- 挂钩: the approval's county pays from its own pool
    select
        approvals.county_code, links.linked_on, '挂钩', 5, links.link_no,
        -links.quantity_mu, -links.paddy_mu, -links.capacity_kg
    from links
    inner join approvals
        on approvals.approval_no = links.approval_no
),

events as (
    select * from pooled
    union all select * from handed_to_province
    union all select * from traded_in
    union all select * from traded_out
    union all select * from used_by_approvals
)

select
    county_code,
    event_date,
    event_type,
    event_order,
    ref_id,
    cast(coalesce(quantity_mu, 0) as decimal(18, 4)) as quantity_mu,
    cast(coalesce(paddy_mu, 0) as decimal(18, 4))    as paddy_mu,
    cast(coalesce(capacity_kg, 0) as decimal(18, 2)) as capacity_kg
from events
