-- 卫片执法 case lifecycle, one row per suspected violation the survey revealed (the findings of PR09,
-- PR10 and PR11 in quality.violations — the rules listed in ref_survey_finding_matching), in the year
-- it was first found: the enforcement case (违法用地案件) filed for it, that case's dates, and its colour
-- at the end of the latest survey year (macro case_colour):
--   yellow 疑似 — no case answers it yet;   red 立案 — its case is open, not rectified;
--   blue 整改 — rectified or being rectified, not yet 销号;   green 销号 — the case is closed.
-- A finding is counted once, in the year it was found: a parcel still 撂荒 is found again every year
-- and stays one finding. Its colour at each year end since is case_progress; every case, answering a
-- finding or not, is case_status.
--
-- Matching (cases carry no parcel id, only village, type, date and area): same 村代码; a problem type
-- of a category ref_survey_finding_matching allows for the rule (非农化 for construction, 非粮化 for
-- 永农 turned to other farm use and 撂荒); found between the change date (or the 1 January of the
-- survey year for a parcel finding) and the end of the following `window_years`; among several, the
-- case whose 其中耕地 is closest to the finding's 耕地 area, then the earliest, then the smallest number.
-- A case answers for one finding only: the first (by date, rule, entity) that chose it.

with

matching as (
    select * from {{ ref('ref_survey_finding_matching') }}
),

latest_year as (
    select max(year) as year, make_date(max(year), 12, 31) as year_end
    from {{ reconciled_survey_years() }} as reconciled
),

violations as (
    select * from {{ source('quality', 'violations') }}
    where rule_id in (select rule_id from matching)
),

findings as (
    -- one finding per rule and entity; a parcel found again in later years keeps its first year
    select
        rule_id,
        entity_type,
        entity_id,
        admin_code                                                      as county_code,
        min(year)                                                       as first_found_year,
        max(year)                                                       as last_found_year,
        arg_max(json_extract_string(detail, '$.village_code'), year)    as village_code,
        min(try_cast(json_extract_string(detail, '$.changed_on') as date)) as changed_on,
        arg_max(try_cast(json_extract_string(detail, '$.cultivated_mu') as double), year) as cultivated_mu,
        arg_max(try_cast(json_extract_string(detail, '$.pbf_mu') as double), year)       as pbf_mu,
        any_value(source_doc)                                           as source_doc,
        any_value(source_clause)                                        as source_clause
    from violations
    group by rule_id, entity_type, entity_id, admin_code
),

dated as (
    select
        findings.*,
        rules.finding_name,
        rules.dated_by,
        rules.window_years,
        case rules.dated_by
            when 'change_date' then coalesce(findings.changed_on, make_date(findings.first_found_year, 1, 1))
            else make_date(findings.first_found_year, 1, 1)
        end                                                             as window_start,
        make_date(findings.first_found_year + rules.window_years, 12, 31) as window_end,
        row_number() over (
            order by coalesce(findings.changed_on, make_date(findings.first_found_year, 1, 1)),
                     findings.rule_id, findings.entity_id
        )                                                               as finding_order
    from findings
    inner join (
        select distinct rule_id, finding_name, dated_by, window_years from matching
    ) as rules using (rule_id)
),

cases as (
    select * from {{ ref('stg_records__enforcement_cases') }}
),

candidates as (
    select
        dated.rule_id,
        dated.entity_id,
        dated.finding_order,
        cases.case_no,
        row_number() over (
            partition by dated.rule_id, dated.entity_id
            order by abs(coalesce(cast(cases.occupied_cultivated_mu as double), 0) - coalesce(dated.cultivated_mu, 0)),
                     cases.discovered_on, cases.case_no
        ) as preference
    from dated
    inner join cases
        on cases.village_code = dated.village_code
        and cases.discovered_on between dated.window_start and dated.window_end
    inner join matching
        on matching.rule_id = dated.rule_id
        and matching.problem_category = cases.problem_category
),

first_choice as (
    select * from candidates where preference = 1
),

matched as (
    -- a case chosen by several findings goes to the first of them
    select rule_id, entity_id, case_no
    from first_choice
    qualify row_number() over (partition by case_no order by finding_order) = 1
),

lifecycle as (
    select
        dated.rule_id,
        dated.finding_name,
        dated.entity_type,
        dated.entity_id,
        dated.county_code,
        dated.village_code,
        dated.changed_on,
        dated.window_start                                               as found_on,
        dated.first_found_year                                           as year,
        dated.last_found_year,
        dated.cultivated_mu,
        dated.pbf_mu,
        matched.case_no,
        cases.discovered_on                                              as case_discovered_on,
        cases.discovery_source_name                                      as case_source,
        cases.problem_type_name                                          as case_problem_type,
        cases.status_name                                                as case_status_now,
        cases.rectified_on                                               as case_rectified_on,
        cases.closed_on                                                  as case_closed_on,
        latest_year.year_end                                             as as_of,
        {{ case_colour('latest_year.year_end', 'true', case_no='matched.case_no',
                       discovered_on='cases.discovered_on', rectified_on='cases.rectified_on',
                       closed_on='cases.closed_on', status='cases.status') }} as colour,
        dated.source_doc,
        dated.source_clause
    from dated
    cross join latest_year
    left join matched using (rule_id, entity_id)
    left join cases using (case_no)
),

final as (
    select
        * exclude (source_doc, source_clause),
        {{ case_colour_name('colour') }}                                 as colour_name,
        source_doc,
        source_clause
    from lifecycle
)

select * from final
