-- 占水补水: the paddy quota linked to each construction approval against the 水田 it occupied.
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, occupied_paddy_mu, supplied_paddy_mu
from {{ ref('occupation_balance') }}
where land_use_type = 'construction'
