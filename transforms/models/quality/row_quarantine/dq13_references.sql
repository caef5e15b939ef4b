-- Records that point at another record: 挂钩 → approval and supplement project, monthly progress →
-- work, 开垦费 payment → approval, 管护 → supplement project. `reference_found` says whether the
-- target exists in the delivery.
with links as (
    select 'quota_links' as layer, 'quota_link' as entity_type, l."挂钩编号" as id, a."县级行政区代码" as county,
           year(l."挂钩日期") as year, l._source_file, l._source_row,
           '批准文号 ' || coalesce(l."批准文号", '') as reference,
           a."批准文号" is not null as reference_found
    from {{ source('raw', 'quota_links') }} l
    left join (select distinct "批准文号", "县级行政区代码" from {{ source('raw', 'land_approvals') }}) a
        on a."批准文号" = l."批准文号"
    union all
    select 'quota_links', 'quota_link', l."挂钩编号", null, year(l."挂钩日期"), l._source_file, l._source_row,
           '补充项目编号 ' || coalesce(l."补充项目编号", ''),
           exists (select 1 from {{ source('raw', 'supplement_projects') }} p where p."项目编号" = l."补充项目编号")
    from {{ source('raw', 'quota_links') }} l
    union all
    select 'consolidation_progress', 'consolidation_work', g."工程编号", null, year(g."填报月份"),
           g._source_file, g._source_row, '工程编号 ' || coalesce(g."工程编号", ''),
           exists (select 1 from {{ source('raw', 'consolidation_works') }} w where w."工程编号" = g."工程编号")
    from {{ source('raw', 'consolidation_progress') }} g
    union all
    select 'reclamation_fees', 'fee_payment', f."缴款编号", null, f._year, f._source_file, f._source_row,
           '批准文号 ' || coalesce(f."批准文号", ''),
           exists (select 1 from {{ source('raw', 'land_approvals') }} a where a."批准文号" = f."批准文号")
    from {{ source('raw', 'reclamation_fees') }} f
    union all
    select 'farmland_maintenance', 'supplement_project', m."项目编号", null, m._year, m._source_file,
           m._source_row, '项目编号 ' || coalesce(m."项目编号", ''),
           exists (select 1 from {{ source('raw', 'supplement_projects') }} p where p."项目编号" = m."项目编号")
    from {{ source('raw', 'farmland_maintenance') }} m
)

select
    entity_type, id as entity_id, left(county, 6) as admin_code, year,
    layer, _source_file as source_file, _source_row as source_row,
    reference, reference_found
from links
