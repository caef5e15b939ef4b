-- 占一补一: the quantity quota linked to each construction approval against the 耕地 it occupied.
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, occupied_mu, supplied_mu
from {{ ref('occupation_balance') }}
where land_use_type = 'construction'
