-- 占优补优: the capacity quota linked to each approval the 占补平衡 binds (建设用地) against the grain
-- capacity of the 耕地 it occupied (occupied 亩 × kg/亩 of its mean grade, ref_grain_capacity);
-- 临时用地 and 设施农业用地 are not applicable (occupation_balance.balance_applies).
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, occupied_capacity_kg, supplied_capacity_kg
from {{ ref('occupation_balance') }}
where balance_applies
