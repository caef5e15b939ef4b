-- How each rule came out on the page's counties in the year: failed where any of them failed, otherwise
-- not evaluated where any of them lacked its inputs, otherwise passed; so that a page without findings
-- never reads as a clean bill by omission.
with results as (
    select rule_id, status
    from quality.rule_results
    where year = $year and (admin_code = any($counties) or admin_code = $admin)
),

per_rule as (
    select
        rule_id,
        case
            when bool_or(status = 'failed') then 'failed'
            when bool_or(status = 'not_evaluated') then 'not_evaluated'
            else 'passed'
        end as outcome
    from results
    group by rule_id
)

select outcome, count(*) as rules, list(rule_id order by rule_id) as rule_ids
from per_rule
group by outcome
order by outcome
