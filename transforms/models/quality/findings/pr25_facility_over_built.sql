-- 设施农业用地报少建多: the 设施农用地 (1202) standing inside a facility-farmland filing's red line in the
-- latest reconciled survey year, against its 备案面积.
with latest as (
    select max(year) as year from {{ reconciled_survey_years() }} as gate
)
select
    'approval' as entity_type, approvals.approval_no as entity_id, approvals.county_code as admin_code,
    ground.year, approvals.approved_on,
    round(cast(approvals.filed_area_mu as double), 4) as filed_mu,
    round(cast(ground.facility_inside_mu as double), 4) as facility_inside_mu,
    round(cast(ground.facility_inside_mu as double) / nullif(cast(approvals.filed_area_mu as double), 0), 4)
        as built_ratio
from {{ ref('stg_records__land_approvals') }} as approvals
inner join {{ ref('int_enforcement__approval_ground') }} as ground
    on ground.approval_no = approvals.approval_no
where approvals.land_use_type = 'facility_agriculture'
  and ground.year = (select year from latest)
