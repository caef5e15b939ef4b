-- 耕地保护考核 scorecard per admin × year: the headline figures of the marts and one pass/fail column
-- per policy rule (pr01_pass … pr25_pass): true when the rule found nothing for the county that year
-- (for the city: nothing for the city or any of its counties), false otherwise. Every PR rule of the
-- catalog is evaluated by the rule runner (tests/test_definitions.py keeps it so), so a true is a
-- pass, not a rule nobody checked. `violations` counts the policy findings of the county and year
-- (the city: all of them).

with

region as (
    select admin_code, admin_level, region_code from {{ ref('ref_region') }}
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

rule_columns as (
    select
        spine.admin_code,
        spine.year,
        count(findings_per_admin.rule_id)                                   as violations,
        {%- for n in range(1, 26) %}
        {%- set rule = 'PR%02d' % n %}
        count(findings_per_admin.rule_id) filter (where findings_per_admin.rule_id = '{{ rule }}') = 0
                                                                            as {{ rule | lower }}_pass{{ ',' if not loop.last }}
        {%- endfor %}
    from spine
    left join findings_per_admin
        on findings_per_admin.admin_code = spine.admin_code
        and findings_per_admin.year = spine.year
    group by all
),

final as (
    select
        spine.admin_code,
        spine.admin_level,
        spine.year,
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
        cases.new_findings,
        cases.open_findings,
        rule_columns.* exclude (admin_code, year)
    from spine
    inner join rule_columns using (admin_code, year)
    left join {{ ref('cultivated_land') }} as cultivated using (admin_code, year)
    left join {{ ref('permanent_farmland') }} as permanent using (admin_code, year)
    left join {{ ref('in_out_balance') }} as balance using (admin_code, year)
    left join {{ ref('field_overlay') }} as overlay using (admin_code, year)
    left join {{ ref('case_status') }} as cases using (admin_code, year)
)

select * from final
