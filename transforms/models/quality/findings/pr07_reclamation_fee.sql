-- 耕地开垦费: what an approval paid against what it owes (fee_due_yuan of the mart, 001 §二(四)).
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, fee_due_yuan, fee_paid_yuan,
    round(fee_due_yuan - fee_paid_yuan, 2) as shortfall_yuan
from {{ ref('occupation_balance') }}
where balance_applies and occupied_mu > 0
