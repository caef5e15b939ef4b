-- 先补后占: an ordinary approval's linked supplements entered the pool on or before its approval;
-- under 承诺制 (001 §三(十)) the supply may follow, but every link must come by the 承诺兑现期限 and
-- the approval must be balanced once that date has passed.
with approvals as (
    select * from {{ ref('occupation_balance') }}
    where balance_applies and supplied_mu > 0
)

select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year,
    is_commitment, approved_on, last_pooled_on, last_linked_on, commitment_due,
    case
        when not is_commitment then coalesce(supplied_before_approval, false)
        else last_linked_on <= commitment_due
            and (commitment_due >= current_date or (quantity_balanced and paddy_balanced and capacity_balanced))
    end as supplied_in_order
from approvals
