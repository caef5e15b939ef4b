-- 卫片执法 progress: the colour of each suspected violation of case_lifecycle at every year end, from
-- the year it was found to the latest survey year (macro case_colour). The year it was found is the
-- finding; the later years are its case's progress (filed, rectified, 销号), not new findings: count
-- findings per year from case_lifecycle, and what stands open at a year end from here.

with

latest_year as (
    select max(year) as year from {{ reconciled_survey_years() }} as reconciled
),

findings as (
    select rule_id, entity_id, county_code, year as found_year, case_no
    from {{ ref('case_lifecycle') }}
),

cases as (
    select case_no, discovered_on, rectified_on, closed_on, status from {{ ref('case_status') }}
),

year_ends as (
    -- every year end from the year the finding was found to the latest survey year
    select
        findings.*,
        year_range.year,
        make_date(year_range.year, 12, 31)                  as year_end,
        year_range.year = latest_year.year                  as is_latest_year
    from findings
    cross join latest_year
    cross join lateral (select unnest(range(findings.found_year, latest_year.year + 1)) as year) as year_range
),

coloured as (
    select
        year_ends.rule_id,
        year_ends.entity_id,
        year_ends.county_code,
        year_ends.year,
        year_ends.year = year_ends.found_year                as is_found_year,
        year_ends.case_no,
        {{ case_colour('year_ends.year_end', 'year_ends.is_latest_year', case_no='year_ends.case_no',
                       discovered_on='cases.discovered_on', rectified_on='cases.rectified_on',
                       closed_on='cases.closed_on', status='cases.status') }} as colour
    from year_ends
    left join cases using (case_no)
),

final as (
    select
        *,
        {{ case_colour_name('colour') }}                     as colour_name
    from coloured
)

select * from final
