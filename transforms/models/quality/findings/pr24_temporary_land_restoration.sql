-- 临时用地到期复垦: a temporary-use approval whose 复垦期限 passed by the end of the latest reconciled
-- survey year must hold again, inside its red line, at least the 耕地 it occupied.
with latest as (
    select max(year) as year from {{ reconciled_survey_years() }} as gate
)
select
    'approval' as entity_type, approvals.approval_no as entity_id, approvals.county_code as admin_code,
    ground.year, approvals.approved_on, approvals.restoration_due,
    round(cast(approvals.occupied_mu as double), 4) as occupied_mu,
    round(cast(ground.cultivated_inside_mu as double), 4) as cultivated_inside_mu,
    round(cast(approvals.occupied_mu as double) - cast(ground.cultivated_inside_mu as double), 4) as shortfall_mu
from {{ ref('stg_records__land_approvals') }} as approvals
inner join {{ ref('int_enforcement__approval_ground') }} as ground
    on ground.approval_no = approvals.approval_no
where approvals.land_use_type = 'temporary'
  and ground.year = (select year from latest)
  and approvals.restoration_due < make_date(ground.year, 12, 31)
