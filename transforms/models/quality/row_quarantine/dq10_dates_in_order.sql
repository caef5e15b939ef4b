-- The dates of a record that must follow one another, as a chain first ≤ middle ≤ last:
-- 立项 ≤ 验收 ≤ 入库 (supplement projects), 发现 ≤ 整改完成 ≤ 销号 (enforcement cases),
-- 批准 ≤ 复垦期限 (temporary land). A date not delivered is not this rule's concern.
with chains as (
    select 'supplement_projects' as layer, 'supplement_project' as entity_type, "项目编号" as id,
           "县级行政区代码" as county, _source_file, _source_row,
           '立项日期 ≤ 验收日期 ≤ 入库日期' as chain, "立项日期" as first_date, "验收日期" as middle_date,
           "入库日期" as last_date
    from {{ source('raw', 'supplement_projects') }}
    union all
    select 'enforcement_cases', 'enforcement_case', "案件编号", "县级行政区代码", _source_file, _source_row,
           '发现日期 ≤ 整改完成日期 ≤ 销号日期', "发现日期", "整改完成日期", "销号日期"
    from {{ source('raw', 'enforcement_cases') }}
    union all
    select 'land_approvals', 'approval', "批准文号", "县级行政区代码", _source_file, _source_row,
           '批准日期 ≤ 复垦期限', "批准日期", null, "复垦期限"
    from {{ source('raw', 'land_approvals') }}
    where "复垦期限" is not null
)

select
    entity_type, id as entity_id, left(county, 6) as admin_code, year(first_date) as year,
    layer, _source_file as source_file, _source_row as source_row,
    chain, first_date, middle_date, last_date
from chains
