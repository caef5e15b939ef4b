-- 补偿资金与违法占地挂钩 (001 §六(二十)): every village × year of the compensation ledger; a village with
-- an enforcement case open at year end (未结案: found by 31 Dec and not 销号 by then, macro case_is_open)
-- may not be paid 实发 = 应发 for that year.
with villages as (
    select county_code, village_code, year,
           sum(amount_due_yuan) as amount_due_yuan, sum(amount_paid_yuan) as amount_paid_yuan
    from {{ ref('stg_records__compensation_payments') }}
    where village_code is not null
    group by all
),

open_cases as (
    select villages.village_code, villages.year, count(*) as open_cases,
           list(cases.case_no order by cases.case_no) as case_nos
    from villages
    inner join {{ ref('stg_records__enforcement_cases') }} as cases
        on cases.village_code = villages.village_code
        and {{ case_is_open('make_date(villages.year, 12, 31)', 'cases.discovered_on', 'cases.closed_on') }}
    group by all
)

select
    'village' as entity_type, villages.village_code as entity_id, villages.county_code as admin_code,
    villages.year,
    cast(villages.amount_due_yuan as double) as amount_due_yuan,
    cast(villages.amount_paid_yuan as double) as amount_paid_yuan,
    coalesce(open_cases.open_cases, 0) as open_cases_at_year_end,
    open_cases.case_nos,
    coalesce(open_cases.open_cases, 0) > 0
        and villages.amount_paid_yuan = villages.amount_due_yuan as paid_in_full_with_open_case
from villages
left join open_cases using (village_code, year)
