-- Each unit's headline figures in a survey year (every county of the region and the city): 耕地 and
-- 永农 against their targets, 进出, the enforcement cases open at the year's end, the risk index of the
-- year's last quarter and the year's findings per rule. A county that delivered nothing of its own is
-- 'not reported', with no figures. The CLI's summary and the report's table read it.
-- the year asked, or the latest survey year
with latest as (select coalesce(cast($year as integer), max(year)) as year from marts.cultivated_land),
admins as (select admin_code, admin_name, admin_level from reference.ref_region),
coverage as (
    select r.admin_code, r.region_code,
           coalesce(bool_or(d.delivered) filter (where d.scope = 'county'), false) as reported
    from reference.ref_region r
    left join marts.delivery_coverage d on d.admin_code = r.admin_code and d.admin_level = 'county'
    where r.admin_level = 'county'
    group by all
),
cities as (
    select region_code as admin_code,
           count(*) filter (where reported) || ' of ' || count(*) || ' counties' as reported
    from coverage group by region_code
),
reporting as (
    select admin_code, if(reported, 'yes', 'not reported') as reported from coverage
    union all
    select admin_code, reported from cities
),
cultivated as (
    select c.admin_code, c.year, c.cultivated_mu, c.target_mu, c.meets_target
    from marts.cultivated_land c, latest where c.year = latest.year
),
pbf as (
    -- the control layer in force in the year: the latest delivered up to it
    select p.admin_code, p.pbf_mu, p.target_mu as pbf_target_mu, p.meets_target as pbf_meets_target
    from marts.permanent_farmland p
    where p.year = (select max(p2.year) from marts.permanent_farmland p2, latest where p2.year <= latest.year)
),
balance as (
    select b.admin_code, b.in_mu, b.out_mu from marts.in_out_balance b, latest where b.year = latest.year
),
findings as (
    -- the findings of the year only
    select admin_code, string_agg(rule_id || '×' || n, ' ' order by rule_id) as violations
    from (
        select v.admin_code, v.rule_id, count(*) as n
        from quality.violations v, latest where v.year = latest.year
        group by all
    )
    group by admin_code
),
cases as (
    select s.admin_code, s.open_cases from marts.county_scorecard s, latest where s.year = latest.year
),
risk as (
    select r.county_code as admin_code, r.risk_index
    from marts.risk_index r, latest where r.quarter_start = make_date(latest.year, 10, 1)
),
shown as (
    -- every admin of the region, and any other admin the marts hold
    select admin_code, admin_level from admins
    union
    select c.admin_code, c.admin_level from marts.cultivated_land c, latest where c.year = latest.year
)
select a.admin_code, n.admin_name, rp.reported, coalesce(c.year, (select year from latest)) as year,
       c.cultivated_mu, c.target_mu, c.meets_target,
       p.pbf_mu, p.pbf_target_mu, p.pbf_meets_target, b.in_mu, b.out_mu,
       -- open cases are empty for a county that reported nothing; the risk index is zero-filled
       s.open_cases,
       if(rp.reported = 'not reported', null, r.risk_index) as risk_index,
       coalesce(f.violations, '') as violations
from shown a
left join admins n using (admin_code)
left join reporting rp using (admin_code)
left join cultivated c using (admin_code)
left join pbf p using (admin_code)
left join balance b using (admin_code)
left join findings f using (admin_code)
left join cases s using (admin_code)
left join risk r using (admin_code)
order by a.admin_level = 'city', a.admin_code
