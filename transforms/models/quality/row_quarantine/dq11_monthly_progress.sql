-- Each work's monthly cumulative figures (整治工程月度进展): never below the month before, never above
-- the work's plan × max_plan_ratio. One row per work × month × plan item.
with progress as (
    select "工程编号" as work_id, "填报月份" as report_month, _source_file, _source_row, item, cumulative
    from {{ source('raw', 'consolidation_progress') }}
    unpivot (cumulative for item in (
        "永农集中连片整治累计完成(亩)", "高标准农田新建累计完成(亩)", "高标准农田改造提升累计完成(亩)",
        "建设用地复垦累计完成(亩)", "补充耕地累计完成(亩)", "低效用地整治累计完成(亩)", "累计完成投资(万元)"
    ))
),

plans as (
    select "工程编号" as work_id, "县级行政区代码" as county, item, planned
    from {{ source('raw', 'consolidation_works') }}
    unpivot (planned for item in (
        "计划.永农集中连片整治亩", "计划.高标准农田新建亩", "计划.高标准农田改造提升亩",
        "计划.建设用地复垦亩", "计划.补充耕地亩", "计划.低效用地整治亩", "总投资万元"
    ))
),

plan_items as (
    -- the progress column that reports against each plan item
    select work_id, county, planned,
           case item
               when '总投资万元' then '累计完成投资(万元)'
               else replace(replace(item, '计划.', ''), '亩', '') || '累计完成(亩)'
           end as item
    from plans
),

with_previous as (
    select
        progress.*,
        lag(cumulative) over (partition by work_id, item order by report_month, _source_file, _source_row)
            as previous_cumulative
    from progress
)

select
    'consolidation_work' as entity_type, w.work_id as entity_id, left(p.county, 6) as admin_code,
    year(w.report_month) as year, 'consolidation_progress' as layer,
    w._source_file as source_file, w._source_row as source_row,
    w.item, strftime(w.report_month, '%Y-%m') as month, w.cumulative, w.previous_cumulative, p.planned,
    w.cumulative - coalesce(w.previous_cumulative, w.cumulative) as change_from_previous,
    w.cumulative / nullif(p.planned, 0) as share_of_plan
from with_previous w
left join plan_items p on p.work_id = w.work_id and p.item = w.item
where w.cumulative is not null
