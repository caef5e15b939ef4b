-- 占优补优: the capacity quota linked to each construction approval against the grain capacity of the
-- 耕地 it occupied (occupied 亩 × kg/亩 of its mean grade, ref_grain_capacity).
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, occupied_capacity_kg, supplied_capacity_kg
from {{ ref('occupation_balance') }}
where land_use_type = 'construction'
