-- 土地综合整治进度 (003 §一(二), §三(四)): the city's progress toward each 2027 target every reporting
-- month against the linear pro-rata pace (consolidation_progress), and every work named 跨乡镇
-- against the townships it lists (as of the latest reporting year).
select
    'target' as entity_type, target_key as entity_id, admin_code, year,
    month, target_2027, planned, completed, pace_ratio,
    not behind_pace as on_pace,
    cast(null as boolean) as cross_township_consistent
from {{ ref('consolidation_progress') }}
where row_kind = 'target'

union all by name

select
    'consolidation_work' as entity_type, w.work_id as entity_id, w.county_code as admin_code,
    (select max(year(report_month)) from {{ ref('stg_records__consolidation_progress') }}) as year,
    w.township_count,
    cast(null as boolean) as on_pace,
    coalesce(w.township_count, 0) >= {{ rule_parameter('PR19', 'min_cross_township') }} as cross_township_consistent
from {{ ref('stg_records__consolidation_works') }} w
where w.work_name like '%跨乡镇%'
