-- 补偿资金与违法占地挂钩 (001 §六(二十)): every village × year of the compensation ledger; a village with
-- an illegal-occupation case open at year end (found by 31 Dec and not 销号 by then) may not be paid
-- 实发 = 应发 for that year.
with villages as (
    select county_code, village_code, year,
           sum(amount_due_yuan) as amount_due_yuan, sum(amount_paid_yuan) as amount_paid_yuan
    from {{ ref('stg_records__compensation_payments') }}
    where village_code is not null
    group by all
),

open_cases as (
    select v.village_code, v.year, count(*) as open_cases, string_agg(c.case_no, ',' order by c.case_no) as case_nos
    from villages v
    inner join {{ ref('stg_records__enforcement_cases') }} c
        on c.village_code = v.village_code
        and c.discovered_on <= make_date(v.year, 12, 31)
        and (c.closed_on is null or c.closed_on > make_date(v.year, 12, 31))
    group by all
)

select
    'village' as entity_type, v.village_code as entity_id, v.county_code as admin_code, v.year,
    cast(v.amount_due_yuan as double) as amount_due_yuan,
    cast(v.amount_paid_yuan as double) as amount_paid_yuan,
    coalesce(o.open_cases, 0) as open_cases_at_year_end,
    o.case_nos,
    coalesce(o.open_cases, 0) > 0 and v.amount_paid_yuan = v.amount_due_yuan as paid_in_full_with_open_case
from villages v
left join open_cases o using (village_code, year)
