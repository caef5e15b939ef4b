-- 占水补水: the paddy quota linked to each approval the 占补平衡 binds (建设用地) against the 水田 it
-- occupied; 临时用地 and 设施农业用地 are not applicable (occupation_balance.balance_applies).
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, occupied_paddy_mu, supplied_paddy_mu
from {{ ref('occupation_balance') }}
where balance_applies
