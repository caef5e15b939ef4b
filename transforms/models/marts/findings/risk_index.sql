-- 违法用地风险指数 per county and quarter (000 §三(五)4). The formula, its weights and its scale are
-- documented in quality/rules/risk_index.yml; the pipeline passes them as dbt vars (risk_index_weights,
-- risk_index_scale). What it weighs: the enforcement cases (case_status; open = 未结案, macro
-- case_is_open) and the survey's suspected violations no case answers (case_lifecycle without a case),
-- each with its 耕地 and 永农 area, per 万亩 of the county's 耕地.

with

cases as (
    -- every enforcement case: found on its 发现日期, rectified, 销号
    select
        county_code,
        discovered_on,
        occupied_cultivated_mu                          as cultivated_mu,
        occupied_pbf_mu                                 as pbf_mu,
        rectified_on,
        closed_on
    from {{ ref('case_status') }}
    where discovered_on is not null
),

unfiled_findings as (
    -- a survey finding no case answers: found on its change date, never rectified or 销号
    select
        county_code,
        found_on,
        cultivated_mu,
        pbf_mu
    from {{ ref('case_lifecycle') }}
    where case_no is null
),

counties as (
    select admin_code as county_code from {{ ref('ref_region') }} where admin_level = 'county'
),

quarters as (
    select
        quarter_start,
        cast(quarter_start + interval 3 month - interval 1 day as date) as quarter_end
    from (
        select unnest(generate_series(
            cast(date_trunc('quarter', least(
                (select min(discovered_on) from cases), (select min(found_on) from unfiled_findings)
            )) as date),
            cast(make_date((select max(year) from {{ ref('cultivated_land') }}), 10, 1) as date),
            interval 3 month
        )) as quarter_start
    )
),

cultivated as (
    select admin_code as county_code, year, cultivated_mu
    from {{ ref('cultivated_land') }}
    where admin_level = 'county' and cultivated_mu is not null
),

county_quarters as (
    -- C: the county's 耕地 in 万亩 from the latest survey year not after the quarter (else the earliest)
    select
        counties.county_code,
        quarters.quarter_start,
        cast(quarters.quarter_end as date) as quarter_end,
        coalesce(
            max_by(cultivated.cultivated_mu, cultivated.year)
                filter (where cultivated.year <= year(quarters.quarter_end)),
            min_by(cultivated.cultivated_mu, cultivated.year)
        ) / 10000.0 as cultivated_10k_mu
    from counties
    cross join quarters
    left join cultivated on cultivated.county_code = counties.county_code
    group by all
),

case_measures as (
    select
        county_quarters.county_code,
        county_quarters.quarter_start,
        count(cases.discovered_on) filter (
            where cases.discovered_on between county_quarters.quarter_start and county_quarters.quarter_end
        )                                                                               as new_cases,
        coalesce(sum(cases.cultivated_mu) filter (
            where cases.discovered_on between county_quarters.quarter_start and county_quarters.quarter_end
        ), 0)                                                                           as new_case_mu,
        count(cases.discovered_on) filter (
            where {{ case_is_open('county_quarters.quarter_end', 'cases.discovered_on', 'cases.closed_on') }}
        )                                                                               as open_cases,
        coalesce(sum(cases.cultivated_mu) filter (
            where {{ case_is_open('county_quarters.quarter_end', 'cases.discovered_on', 'cases.closed_on') }}
              and coalesce(cases.rectified_on > county_quarters.quarter_end, true)
        ), 0)                                                                           as unrectified_case_mu,
        coalesce(sum(cases.pbf_mu) filter (
            where {{ case_is_open('county_quarters.quarter_end', 'cases.discovered_on', 'cases.closed_on') }}
        ), 0)                                                                           as open_case_pbf_mu
    from county_quarters
    left join cases on cases.county_code = county_quarters.county_code
    group by all
),

unfiled_measures as (
    select
        county_quarters.county_code,
        county_quarters.quarter_start,
        count(unfiled_findings.found_on) filter (
            where unfiled_findings.found_on between county_quarters.quarter_start and county_quarters.quarter_end
        )                                                                               as new_unfiled_findings,
        coalesce(sum(unfiled_findings.cultivated_mu) filter (
            where unfiled_findings.found_on between county_quarters.quarter_start and county_quarters.quarter_end
        ), 0)                                                                           as new_unfiled_mu,
        count(unfiled_findings.found_on) filter (
            where unfiled_findings.found_on <= county_quarters.quarter_end
        )                                                                               as unfiled_findings,
        coalesce(sum(unfiled_findings.cultivated_mu) filter (
            where unfiled_findings.found_on <= county_quarters.quarter_end
        ), 0)                                                                           as unfiled_mu,
        coalesce(sum(unfiled_findings.pbf_mu) filter (
            where unfiled_findings.found_on <= county_quarters.quarter_end
        ), 0)                                                                           as unfiled_pbf_mu
    from county_quarters
    left join unfiled_findings on unfiled_findings.county_code = county_quarters.county_code
    group by all
),

measured as (
    select
        county_quarters.*,
        case_measures.* exclude (county_code, quarter_start),
        unfiled_measures.* exclude (county_code, quarter_start),
        -- an unfiled finding is land taken and never rectified: it weighs as an open, unrectified case
        case_measures.unrectified_case_mu + unfiled_measures.unfiled_mu                 as unrectified_mu,
        case_measures.open_case_pbf_mu + unfiled_measures.unfiled_pbf_mu                as pbf_case_mu
    from county_quarters
    inner join case_measures using (county_code, quarter_start)
    inner join unfiled_measures using (county_code, quarter_start)
),

{%- set w = var('risk_index_weights') %}

scored as (
    select
        *,
        {{ w['new'] }} * (new_cases + new_unfiled_findings) / cultivated_10k_mu
        + {{ w['new_mu'] }} * (new_case_mu + new_unfiled_mu) / cultivated_10k_mu
        + {{ w['open_mu'] }} * unrectified_mu / cultivated_10k_mu
        + {{ w['pbf_mu'] }} * pbf_case_mu / cultivated_10k_mu                   as score
    from measured
    where cultivated_10k_mu > 0
),

final as (
    select
        county_code,
        year(quarter_start) || 'Q' || quarter(quarter_start)                    as quarter,
        quarter_start,
        quarter_end,
        new_cases,
        round(new_case_mu, 4)                                                   as new_case_mu,
        open_cases,
        new_unfiled_findings,
        unfiled_findings,
        round(unrectified_mu, 4)                                                as unrectified_mu,
        round(pbf_case_mu, 4)                                                   as pbf_case_mu,
        round(cultivated_10k_mu * 10000, 4)                                     as cultivated_mu,
        round(score, 6)                                                         as score,
        -- score / (score + scale): 0 with nothing, 50 at the scale, approaching 100 without reaching it
        round(100 * score / (score + {{ var('risk_index_scale') }}), 2)         as risk_index,
        rank() over (partition by quarter_start order by score desc)            as rank
    from scored
)

select * from final
