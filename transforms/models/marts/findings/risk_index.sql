-- 违法用地风险指数 per county and quarter (000 §三(五)4). The formula and its weights are documented
-- in quality/rules/risk_index.yml; the pipeline passes the weights as dbt vars (risk_index_weights,
-- risk_index_scale). Cases = enforcement case records plus the survey's suspected violations that no
-- case answers yet (yellow in case_lifecycle), each with its 耕地 and 永农 area.

with

cases_filed as (
    select
        county_code,
        discovered_on                                   as found_on,
        cast(occupied_cultivated_mu as double)          as cultivated_mu,
        cast(occupied_pbf_mu as double)                 as pbf_mu,
        rectified_on,
        closed_on
    from {{ ref('stg_records__enforcement_cases') }}
    where discovered_on is not null
),

suspected_unfiled as (
    -- a survey finding with no case: found on its change date, never rectified or closed
    select
        county_code,
        any_value(found_on)                             as found_on,
        any_value(cultivated_mu)                        as cultivated_mu,
        any_value(pbf_mu)                               as pbf_mu,
        cast(null as date)                              as rectified_on,
        cast(null as date)                              as closed_on
    from {{ ref('case_lifecycle') }}
    where case_no is null
    group by rule_id, entity_id, county_code
),

all_cases as (
    select * from cases_filed
    union all
    select * from suspected_unfiled
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
            cast(date_trunc('quarter', (select min(found_on) from all_cases)) as date),
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

measured as (
    select
        county_quarters.county_code,
        county_quarters.quarter_start,
        county_quarters.quarter_end,
        county_quarters.cultivated_10k_mu,
        count(all_cases.found_on) filter (
            where all_cases.found_on between county_quarters.quarter_start and county_quarters.quarter_end
        )                                                                               as new_cases,
        coalesce(sum(all_cases.cultivated_mu) filter (
            where all_cases.found_on between county_quarters.quarter_start and county_quarters.quarter_end
        ), 0)                                                                           as new_case_mu,
        count(all_cases.found_on) filter (
            where all_cases.found_on <= county_quarters.quarter_end
              and coalesce(all_cases.closed_on, date '9999-12-31') > county_quarters.quarter_end
        )                                                                               as open_cases,
        coalesce(sum(all_cases.cultivated_mu) filter (
            where all_cases.found_on <= county_quarters.quarter_end
              and coalesce(all_cases.rectified_on, all_cases.closed_on, date '9999-12-31') > county_quarters.quarter_end
        ), 0)                                                                           as unrectified_mu,
        coalesce(sum(all_cases.pbf_mu) filter (
            where all_cases.found_on <= county_quarters.quarter_end
              and coalesce(all_cases.closed_on, date '9999-12-31') > county_quarters.quarter_end
        ), 0)                                                                           as pbf_case_mu
    from county_quarters
    left join all_cases on all_cases.county_code = county_quarters.county_code
    group by all
),

{%- set w = var('risk_index_weights') %}

scored as (
    select
        *,
        {{ w['new'] }} * new_cases / cultivated_10k_mu
        + {{ w['new_mu'] }} * new_case_mu / cultivated_10k_mu
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
        round(unrectified_mu, 4)                                                as unrectified_mu,
        round(pbf_case_mu, 4)                                                   as pbf_case_mu,
        round(cultivated_10k_mu * 10000, 4)                                     as cultivated_mu,
        round(score, 6)                                                         as score,
        round(100 * (1 - exp(-score / {{ var('risk_index_scale') }})), 2)       as risk_index,
        rank() over (partition by quarter_start order by score desc)            as rank
    from scored
)

select * from final
