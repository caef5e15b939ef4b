-- 耕地保护考核 scorecard per admin × year: the headline figures of the marts and one pass column per
-- policy rule (pr01_pass … pr25_pass): false when the rule found something for the county that year
-- (for the city: for the city or any of its counties); NULL when the rule could not be evaluated there
-- because a delivery it needs is missing (quality.rule_results status not_evaluated, with the reason);
-- true otherwise. Every PR rule of the catalog is evaluated by the rule runner (tests/test_definitions.py
-- keeps it so), so a true is a pass, not a rule nobody checked. `violations` counts the policy findings
-- of the county and year (the city: all of them). Every county of ref_region has a row for every survey
-- year, so a county that delivered nothing shows as not reported (reported false, passes NULL) rather
-- than passing or failing.
-- The enforcement figures count a finding of the survey once, in the year it was found (new_findings,
-- case_lifecycle), what of it stands open at the year end (open_findings, case_progress), and the
-- enforcement cases open at the year end (open_cases: 未结案, macro case_is_open, over case_status).

with

region as (
    select admin_code, admin_level, region_code from {{ ref('ref_region') }}
),

coverage as (
    -- a county reported when it delivered a layer or record that names it (scope county)
    select
        admin_code,
        bool_or(delivered) filter (where scope = 'county')  as reported
    from {{ ref('delivery_coverage') }}
    where admin_level = 'county'
    group by admin_code
),

reporting as (
    select
        region.admin_code,
        coalesce(coverage.reported, false)                  as reported
    from region
    left join coverage using (admin_code)
    where region.admin_level = 'county'
    union all
    -- the city reported when every one of its counties did; it sums those that did
    select
        city.admin_code,
        bool_and(coalesce(coverage.reported, false))        as reported
    from region as city
    inner join region as county
        on county.region_code = city.admin_code
        and county.admin_level = 'county'
    left join coverage on coverage.admin_code = county.admin_code
    where city.admin_level = 'city'
    group by city.admin_code
),

city_counties as (
    select
        county.region_code                                  as admin_code,
        count(*) filter (where coalesce(coverage.reported, false)) as counties_reported,
        count(*)                                            as counties_expected
    from region as county
    left join coverage using (admin_code)
    where county.admin_level = 'county'
    group by county.region_code
),

latest_runs as (
    -- rule_results keeps every run; each rule's latest run says what was (not) evaluated
    select rule_id, arg_max(run_id, evaluated_at) as run_id
    from {{ source('quality', 'rule_results') }}
    where rule_id like 'PR%'
    group by rule_id
),

not_evaluated as (
    -- year NULL: no year of the admin unit was evaluated
    select results.rule_id, results.admin_code, results.year
    from {{ source('quality', 'rule_results') }} as results
    inner join latest_runs using (rule_id, run_id)
    where results.status = 'not_evaluated'
),

findings as (
    select
        violations.rule_id,
        violations.admin_code,
        violations.year,
        coalesce(region.region_code, violations.admin_code) as city_code
    from {{ source('quality', 'violations') }} as violations
    left join region
        on region.admin_code = violations.admin_code
        and region.admin_level = 'county'
    where violations.rule_id like 'PR%'
),

spine as (
    select admin_code, admin_level, year from {{ ref('cultivated_land') }}
    union
    -- every county and the city in every survey year, reported or not
    select region.admin_code, region.admin_level, survey_years.year
    from region
    cross join (select distinct year from {{ ref('cultivated_land') }}) as survey_years
    union
    select region.admin_code, region.admin_level, findings.year
    from findings
    inner join region on region.admin_code in (findings.admin_code, findings.city_code)
    where findings.year is not null
),

findings_per_admin as (
    -- each finding counts for its county and for the city
    select rule_id, admin_code, year from findings
    union all
    select rule_id, city_code, year from findings where city_code <> admin_code
),

violation_counts as (
    select
        spine.admin_code,
        spine.year,
        count(findings_per_admin.rule_id)                                   as violations,
        {%- for n in range(1, 26) %}
        {%- set rule = 'PR%02d' % n %}
        count(findings_per_admin.rule_id) filter (where findings_per_admin.rule_id = '{{ rule }}')
                                                                            as {{ rule | lower }}_violations{{ ',' if not loop.last }}
        {%- endfor %}
    from spine
    left join findings_per_admin
        on findings_per_admin.admin_code = spine.admin_code
        and findings_per_admin.year = spine.year
    group by all
),

not_evaluated_counts as (
    select
        spine.admin_code,
        spine.year,
        count(distinct not_evaluated.rule_id)                               as rules_not_evaluated,
        {%- for n in range(1, 26) %}
        {%- set rule = 'PR%02d' % n %}
        count(not_evaluated.rule_id) filter (where not_evaluated.rule_id = '{{ rule }}')
                                                                            as {{ rule | lower }}_not_evaluated{{ ',' if not loop.last }}
        {%- endfor %}
    from spine
    left join not_evaluated
        on not_evaluated.admin_code = spine.admin_code
        and (not_evaluated.year is null or not_evaluated.year = spine.year)
    group by all
),

new_findings as (
    select county_code as admin_code, year, count(*) as new_findings
    from {{ ref('case_lifecycle') }}
    group by all
),

open_findings as (
    select county_code as admin_code, year, count(*) filter (where colour <> 'green') as open_findings
    from {{ ref('case_progress') }}
    group by all
),

open_cases as (
    -- 未结案 at the year end: the one meaning of an open case
    select cases.county_code as admin_code, years.year, count(*) as open_cases
    from {{ ref('case_status') }} as cases
    inner join (select distinct year from spine) as years
        on {{ case_is_open('make_date(years.year, 12, 31)', 'cases.discovered_on', 'cases.closed_on') }}
    group by all
),

county_enforcement as (
    -- a county's findings only where it holds the year's land-use state (the survey they come from), its
    -- cases only where it reported: else empty, not zero
    select
        spine.admin_code,
        spine.year,
        if(cultivated.cultivated_mu is not null, coalesce(new_findings.new_findings, 0), null)   as new_findings,
        if(cultivated.cultivated_mu is not null, coalesce(open_findings.open_findings, 0), null) as open_findings,
        if(reporting.reported, coalesce(open_cases.open_cases, 0), null)                        as open_cases
    from spine
    inner join reporting using (admin_code)
    left join {{ ref('cultivated_land') }} as cultivated using (admin_code, year)
    left join new_findings using (admin_code, year)
    left join open_findings using (admin_code, year)
    left join open_cases using (admin_code, year)
    where spine.admin_level = 'county'
),

enforcement as (
    select admin_code, year, new_findings, open_findings, open_cases from county_enforcement
    union all
    -- the city: the sum of its counties
    select
        region.region_code,
        county_enforcement.year,
        sum(county_enforcement.new_findings),
        sum(county_enforcement.open_findings),
        sum(county_enforcement.open_cases)
    from county_enforcement
    inner join region
        on region.admin_code = county_enforcement.admin_code
        and region.admin_level = 'county'
    group by all
),

rule_columns as (
    -- a finding is a fail even where another county kept the rule from being evaluated for the city
    select
        violation_counts.admin_code,
        violation_counts.year,
        violation_counts.violations,
        not_evaluated_counts.rules_not_evaluated,
        {%- for n in range(1, 26) %}
        {%- set rule = ('PR%02d' % n) | lower %}
        case
            when violation_counts.{{ rule }}_violations > 0 then false
            when not_evaluated_counts.{{ rule }}_not_evaluated > 0 then null
            else true
        end                                                                 as {{ rule }}_pass{{ ',' if not loop.last }}
        {%- endfor %}
    from violation_counts
    inner join not_evaluated_counts using (admin_code, year)
),

final as (
    select
        spine.admin_code,
        spine.admin_level,
        spine.year,
        reporting.reported,
        city_counties.counties_reported,
        city_counties.counties_expected,
        cultivated.cultivated_mu,
        cultivated.target_mu                            as cultivated_target_mu,
        cultivated.gap_mu                               as cultivated_gap_mu,
        cultivated.net_change_mu                        as cultivated_net_change_mu,
        cultivated.mean_quality_grade,
        permanent.pbf_mu,
        permanent.target_mu                             as pbf_target_mu,
        permanent.gap_mu                                as pbf_gap_mu,
        permanent.patches_under_20mu,
        balance.net_mu                                  as in_out_net_mu,
        overlay.all_four_mu,
        overlay.high_standard_in_pbf_rate,
        cast(enforcement.new_findings as bigint)                as new_findings,
        cast(enforcement.open_findings as bigint)               as open_findings,
        cast(enforcement.open_cases as bigint)                  as open_cases,
        rule_columns.* exclude (admin_code, year)
    from spine
    inner join rule_columns using (admin_code, year)
    left join reporting using (admin_code)
    left join city_counties using (admin_code)
    left join {{ ref('cultivated_land') }} as cultivated using (admin_code, year)
    left join {{ ref('permanent_farmland') }} as permanent using (admin_code, year)
    left join {{ ref('in_out_balance') }} as balance using (admin_code, year)
    left join {{ ref('field_overlay') }} as overlay using (admin_code, year)
    left join enforcement using (admin_code, year)
)

select * from final
