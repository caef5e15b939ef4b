-- 资金 per county and year: cultivated-land protection compensation due and paid (and how many
-- villages were paid in full while an illegal-occupation case of theirs was open at year end, rule
-- PR18), the 耕地开垦费 due and paid on the construction approvals of the year (PR07), and the lowest
-- 新增耕地管护 funding per 亩 among the county's supplementary projects maintained that year (PR16).
-- Counties and the city (= Σ counties; the city's lowest funding is the lowest of its counties).

with

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

compensation as (
    select * from {{ ref('stg_records__compensation_payments') }}
    where village_code is not null and county_code in (select admin_code from counties)
),

cases as (
    select village_code, discovered_on, closed_on from {{ ref('stg_records__enforcement_cases') }}
    where village_code is not null
),

village_years as (
    -- one row per village and year of the compensation ledger
    select
        county_code,
        village_code,
        year,
        sum(amount_due_yuan)  as amount_due_yuan,
        sum(amount_paid_yuan) as amount_paid_yuan
    from compensation
    group by all
),

open_cases as (
    -- 未结案 at year end: found by 31 Dec and not 销号 by then (macro case_is_open)
    select village_years.village_code, village_years.year, count(*) as open_cases
    from village_years
    inner join cases
        on cases.village_code = village_years.village_code
        and {{ case_is_open('make_date(village_years.year, 12, 31)', 'cases.discovered_on', 'cases.closed_on') }}
    group by all
),

villages as (
    select
        village_years.*,
        coalesce(open_cases.open_cases, 0)                  as open_cases,
        village_years.amount_paid_yuan > 0                  as was_paid,
        village_years.amount_paid_yuan = village_years.amount_due_yuan
            and coalesce(open_cases.open_cases, 0) > 0      as paid_in_full_with_open_case
    from village_years
    left join open_cases using (village_code, year)
),

compensation_by_county as (
    select
        county_code                                           as admin_code,
        year,
        sum(amount_due_yuan)                                  as compensation_due_yuan,
        sum(amount_paid_yuan)                                 as compensation_paid_yuan,
        count(*) filter (where was_paid)                      as villages_paid,
        count(*) filter (where paid_in_full_with_open_case)   as villages_with_open_cases_paid_in_full
    from villages
    group by all
),

reclamation_fees as (
    -- 耕地开垦费 of the approvals it binds (建设用地) approved in the year (marts.occupation_balance)
    select
        county_code                      as admin_code,
        year(approved_on)                as year,
        sum(cast(fee_due_yuan as decimal(18, 2)))  as reclamation_fee_due_yuan,
        sum(cast(fee_paid_yuan as decimal(18, 2))) as reclamation_fee_paid_yuan
    from {{ ref('occupation_balance') }}
    where balance_applies
      and county_code in (select admin_code from counties)
    group by all
),

maintenance as (
    -- 新增耕地管护 of the supplementary projects the county holds, per maintenance year
    select
        projects.county_code                                                  as admin_code,
        maintenance.year,
        min(maintenance.maintenance_funds_yuan / nullif(maintenance.maintained_mu, 0))
                                                                              as maintenance_yuan_per_mu_min
    from {{ ref('stg_records__farmland_maintenance') }} as maintenance
    inner join {{ ref('stg_records__supplement_projects') }} as projects using (project_no)
    where projects.county_code in (select admin_code from counties)
    group by all
),

county_years as (
    select admin_code, year from compensation_by_county
    union
    select admin_code, year from reclamation_fees
    union
    select admin_code, year from maintenance
),

county_rows as (
    select
        county_years.admin_code,
        county_years.year,
        coalesce(compensation_by_county.compensation_due_yuan, 0)                 as compensation_due_yuan,
        coalesce(compensation_by_county.compensation_paid_yuan, 0)                as compensation_paid_yuan,
        coalesce(compensation_by_county.villages_paid, 0)                         as villages_paid,
        coalesce(compensation_by_county.villages_with_open_cases_paid_in_full, 0)
                                                                                  as villages_with_open_cases_paid_in_full,
        coalesce(reclamation_fees.reclamation_fee_due_yuan, 0)                    as reclamation_fee_due_yuan,
        coalesce(reclamation_fees.reclamation_fee_paid_yuan, 0)                   as reclamation_fee_paid_yuan,
        maintenance.maintenance_yuan_per_mu_min
    from county_years
    left join compensation_by_county using (admin_code, year)
    left join reclamation_fees using (admin_code, year)
    left join maintenance using (admin_code, year)
),

city_sums as (
    {{ city_rows('county_rows', ['year'], [
        'compensation_due_yuan', 'compensation_paid_yuan', 'villages_paid',
        'villages_with_open_cases_paid_in_full', 'reclamation_fee_due_yuan', 'reclamation_fee_paid_yuan'
    ]) }}
),

city_rows as (
    select
        city_sums.*,
        (
            select min(county_rows.maintenance_yuan_per_mu_min) from county_rows
            where county_rows.year = city_sums.year
        ) as maintenance_yuan_per_mu_min
    from city_sums
),

admin_rows as (
    select 'county' as admin_level, * from county_rows
    union all by name
    select * from city_rows
),

final as (
    select
        admin_code,
        admin_level,
        year,
        {{ as_double('compensation_due_yuan') }}                 as compensation_due_yuan,
        {{ as_double('compensation_paid_yuan') }}                as compensation_paid_yuan,
        cast(villages_paid as integer)                           as villages_paid,
        cast(villages_with_open_cases_paid_in_full as integer)   as villages_with_open_cases_paid_in_full,
        {{ as_double('reclamation_fee_due_yuan') }}              as reclamation_fee_due_yuan,
        {{ as_double('reclamation_fee_paid_yuan') }}             as reclamation_fee_paid_yuan,
        {{ as_double('round(maintenance_yuan_per_mu_min, 2)') }} as maintenance_yuan_per_mu_min
    from admin_rows
)

select * from final
