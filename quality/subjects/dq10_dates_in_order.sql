-- Dates that must follow one another on a record: 立项 ≤ 验收 ≤ 入库 (supplement projects),
-- 发现 ≤ 整改完成 ≤ 销号 (enforcement cases), 批准 ≤ 复垦期限 (temporary land). One row per pair of dates
-- both delivered; a missing date is not this rule's concern.
with pairs as (
    select 'supplement_projects' as layer, 'supplement_project' as entity_type, "项目编号" as id,
           "县级行政区代码" as county, _source_file, _source_row,
           '立项日期 ≤ 验收日期' as dates, "立项日期" as earlier, "验收日期" as later
    from raw.supplement_projects
    union all
    select 'supplement_projects', 'supplement_project', "项目编号", "县级行政区代码", _source_file, _source_row,
           '验收日期 ≤ 入库日期', "验收日期", "入库日期"
    from raw.supplement_projects
    union all
    select 'enforcement_cases', 'enforcement_case', "案件编号", "县级行政区代码", _source_file, _source_row,
           '发现日期 ≤ 整改完成日期', "发现日期", "整改完成日期"
    from raw.enforcement_cases
    union all
    select 'enforcement_cases', 'enforcement_case', "案件编号", "县级行政区代码", _source_file, _source_row,
           '整改完成日期 ≤ 销号日期', "整改完成日期", "销号日期"
    from raw.enforcement_cases
    union all
    -- a case closed (销号) without a recorded 整改完成 still may not be closed before it was found
    select 'enforcement_cases', 'enforcement_case', "案件编号", "县级行政区代码", _source_file, _source_row,
           '发现日期 ≤ 销号日期', "发现日期", "销号日期"
    from raw.enforcement_cases
    union all
    select 'land_approvals', 'approval', "批准文号", "县级行政区代码", _source_file, _source_row,
           '批准日期 ≤ 复垦期限', "批准日期", "复垦期限"
    from raw.land_approvals
)

select
    entity_type, id as entity_id, left(county, 6) as admin_code, year(earlier) as year,
    layer, _source_file as source_file, _source_row as source_row,
    dates, earlier, later
from pairs
where earlier is not null and later is not null
