-- 节约集约用地 (000 §三(五)2): every county × year of the land-supply statistics — the 新增 share of the
-- supply (below max_new_share and below last year's), the 闲置土地 and 批而未供 disposal rates, and from
-- gdp_rule_from_year the 建设用地 m² per 万元 GDP. A ratio without a denominator is null (not tested).
with supply as (
    select
        county_code, year,
        cast(supply_new_construction_mu as double) / nullif(cast(supply_total_mu as double), 0) as new_share,
        cast(idle_land_disposed_mu as double) / nullif(cast(idle_land_mu as double), 0) as idle_disposal_rate,
        cast(approved_unsupplied_disposed_mu as double) / nullif(cast(approved_unsupplied_mu as double), 0)
            as unsupplied_disposal_rate,
        cast(construction_land_m2 as double) / nullif(cast(gdp_yuan as double) / 10000, 0) as m2_per_10k_yuan_gdp
    from {{ ref('stg_records__land_supply') }}
    where county_code is not null
),

with_last as (
    select *, lag(new_share) over (partition by county_code order by year) as last_new_share
    from supply
)

select
    'county' as entity_type, county_code as entity_id, county_code as admin_code, year,
    new_share, last_new_share,
    new_share - last_new_share as new_share_change,
    idle_disposal_rate, unsupplied_disposal_rate,
    case when year >= {{ rule_parameter('PR20', 'gdp_rule_from_year') }} then m2_per_10k_yuan_gdp end as m2_per_10k_yuan_gdp
from with_last
