-- 全域土地综合整治 progress (003 §一(二), rule PR19), two kinds of rows:
--   target rows — the city × target × reporting month: progress toward each 2027 target against the
--     linear pro-rata pace target × months elapsed / 60 (plan period 2023-01 … 2027-12, 2023-01 = 1).
--     Works count when accepted (整体验收) by the month's end, 跨乡镇 works when they also list two or
--     more townships; areas are Σ 累计完成 the works reported for the month (高标准农田 = 新建 + 改造提升).
--   work rows — each work × reporting month: its status at the month's end, whether it is 跨乡镇, and
--     each plan item planned and completed (cumulative).
-- Quarantined record rows (DQ07, DQ11) are left out.

with

targets as (
    -- 003 §一(二): the city's targets for 2027 and their plan period (ref_consolidation_targets)
    select target_order, target_key, target_2027, unit
    from {{ ref('ref_consolidation_targets') }}
),

plan_period as (
    select min(plan_start) as starts_on, max(plan_months) as months
    from {{ ref('ref_consolidation_targets') }}
),

works as (
    select * from {{ ref('stg_records__consolidation_works') }}
),

progress as (
    select * from {{ ref('stg_records__consolidation_progress') }}
),

months as (
    select distinct
        report_month as month,
        last_day(report_month) as month_end,
        datediff('month', (select starts_on from plan_period), report_month) + 1 as months_elapsed
    from progress
),

region as (
    select distinct region_code from {{ ref('ref_region') }}
),

accepted_by_month as (
    select
        months.month,
        count(works.work_id)                                          as works_accepted,
        count(works.work_id) filter (where works.township_count >= 2) as cross_township_accepted
    from months
    left join works on works.accepted_on <= months.month_end
    group by months.month
),

completed_by_month as (
    select
        report_month as month,
        sum(completed_pbf_consolidation_mu)                                       as pbf_consolidation_mu,
        sum(completed_high_standard_new_mu + completed_high_standard_upgrade_mu)  as high_standard_mu,
        sum(completed_construction_reclamation_mu)                                as construction_reclamation_mu,
        sum(completed_supplement_mu)                                              as supplement_mu,
        sum(completed_inefficient_land_mu)                                        as inefficient_land_mu
    from progress
    group by report_month
),

city_progress as (
    select
        months.month,
        months.months_elapsed,
        targets.target_order,
        targets.target_key,
        targets.unit,
        cast(targets.target_2027 as decimal(18, 2)) as target_2027,
        cast(
            case targets.target_key
                when '工程数量' then accepted_by_month.works_accepted
                when '跨乡镇工程数量' then accepted_by_month.cross_township_accepted
                when '永农集中连片整治亩' then completed_by_month.pbf_consolidation_mu
                when '高标准农田亩' then completed_by_month.high_standard_mu
                when '建设用地复垦亩' then completed_by_month.construction_reclamation_mu
                when '补充耕地亩' then completed_by_month.supplement_mu
                when '低效用地整治亩' then completed_by_month.inefficient_land_mu
            end as decimal(18, 2)
        ) as completed
    from months
    cross join targets
    left join accepted_by_month using (month)
    left join completed_by_month using (month)
),

target_rows as (
    select
        'target'                                                                as row_kind,
        (select region_code from region)                                        as admin_code,
        'city'                                                                  as admin_level,
        month,
        year(month)                                                             as year,
        months_elapsed,
        target_order,
        target_key,
        unit,
        target_2027,
        cast(target_2027 * months_elapsed / (select months from plan_period) as decimal(18, 4)) as planned,
        coalesce(completed, 0)                                                  as completed,
        -- exact: completed < target × months elapsed / 60
        coalesce(completed, 0) * (select months from plan_period) < target_2027 * months_elapsed
                                                                                as behind_pace
    from city_progress
),

work_months as (
    select
        progress.*,
        last_day(progress.report_month) as month_end,
        works.county_code,
        works.work_name,
        works.township_count,
        works.is_cross_township,
        works.work_name like '%跨乡镇%' as named_cross_township,
        works.approved_on,
        works.accepted_on,
        works.filed_on,
        works.planned_pbf_consolidation_mu,
        works.planned_high_standard_new_mu,
        works.planned_high_standard_upgrade_mu,
        works.planned_construction_reclamation_mu,
        works.planned_supplement_mu,
        works.planned_inefficient_land_mu
    from progress
    inner join works using (work_id)
),

work_rows as (
    select
        'work'                                              as row_kind,
        county_code                                         as admin_code,
        'county'                                            as admin_level,
        report_month                                        as month,
        year(report_month)                                  as year,
        datediff('month', (select starts_on from plan_period), report_month) + 1 as months_elapsed,
        work_id,
        work_name,
        case
            when filed_on <= month_end then 'filed'
            when accepted_on <= month_end then 'accepted'
            when approved_on <= month_end then 'in_progress'
            else 'reserve'
        end                                                 as status,
        township_count,
        is_cross_township                                   as cross_township,
        named_cross_township,
        planned_pbf_consolidation_mu,
        completed_pbf_consolidation_mu,
        planned_high_standard_new_mu,
        completed_high_standard_new_mu,
        planned_high_standard_upgrade_mu,
        completed_high_standard_upgrade_mu,
        planned_construction_reclamation_mu,
        completed_construction_reclamation_mu,
        planned_supplement_mu,
        completed_supplement_mu,
        planned_inefficient_land_mu,
        completed_inefficient_land_mu
    from work_months
),

all_rows as (
    select * from target_rows
    union all by name
    select * from work_rows
),

final as (
    select
        row_kind,
        admin_code,
        admin_level,
        month,
        year,
        months_elapsed,
        target_key,
        unit,
        {{ as_double('target_2027') }}                                  as target_2027,
        {{ as_double('planned') }}                                      as planned,
        {{ as_double('completed') }}                                    as completed,
        {{ as_double('round(completed / nullif(planned, 0), 4)') }}     as pace_ratio,
        behind_pace,
        work_id,
        work_name,
        status,
        township_count,
        cross_township,
        named_cross_township,
        {{ as_double('planned_pbf_consolidation_mu') }}            as planned_pbf_consolidation_mu,
        {{ as_double('completed_pbf_consolidation_mu') }}          as completed_pbf_consolidation_mu,
        {{ as_double('planned_high_standard_new_mu') }}            as planned_high_standard_new_mu,
        {{ as_double('completed_high_standard_new_mu') }}          as completed_high_standard_new_mu,
        {{ as_double('planned_high_standard_upgrade_mu') }}        as planned_high_standard_upgrade_mu,
        {{ as_double('completed_high_standard_upgrade_mu') }}      as completed_high_standard_upgrade_mu,
        {{ as_double('planned_construction_reclamation_mu') }}     as planned_construction_reclamation_mu,
        {{ as_double('completed_construction_reclamation_mu') }}   as completed_construction_reclamation_mu,
        {{ as_double('planned_supplement_mu') }}                   as planned_supplement_mu,
        {{ as_double('completed_supplement_mu') }}                 as completed_supplement_mu,
        {{ as_double('planned_inefficient_land_mu') }}             as planned_inefficient_land_mu,
        {{ as_double('completed_inefficient_land_mu') }}           as completed_inefficient_land_mu
    from all_rows
    order by row_kind, target_order, work_id, month
)

select * from final
