-- 新增耕地管护 (000 §三(四)3): every supplementary project's maintenance year — funding per 亩, grain
-- seasons planted and the planting photo. Maintenance rows of unknown projects are DQ13's finding.
select
    'supplement_project' as entity_type, m.project_no as entity_id, p.county_code as admin_code,
    m.year,
    cast(m.maintained_mu as double) as maintained_mu,
    cast(m.maintenance_funds_yuan as double) as maintenance_funds_yuan,
    cast(m.maintenance_funds_yuan as double) / nullif(cast(m.maintained_mu as double), 0) as yuan_per_mu,
    m.grain_seasons,
    m.has_planting_photo
from {{ ref('stg_records__farmland_maintenance') }} m
inner join (
    select project_no, any_value(county_code) as county_code
    from {{ ref('stg_records__supplement_projects') }} group by project_no
) p using (project_no)
