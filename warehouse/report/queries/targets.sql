-- 耕地保有量 and 永久基本农田 against their targets: a city's page compares its counties in the year, a
-- county's page its own years up to the year. 永农 is the control layer in force in the survey year (the
-- latest delivered up to it). A county without figures keeps its place, with no bar.
with cultivated as (
    select admin_code, year, cultivated_mu, target_mu as cultivated_target_mu
    from marts.cultivated_land
),

with_pbf as (
    select c.*, p.pbf_mu, p.target_mu as pbf_target_mu
    from cultivated as c
    asof left join marts.permanent_farmland as p
        on p.admin_code = c.admin_code and p.year <= c.year
),

bars as (
    -- a city: each county in the year
    select r.admin_name as label, r.admin_code as sort_key, f.year, f.cultivated_mu, f.cultivated_target_mu,
        f.pbf_mu, f.pbf_target_mu
    from reference.ref_region as r
    left join with_pbf as f on f.admin_code = r.admin_code and f.year = $year
    where $admin_level = 'city' and r.admin_code = any($counties)
    union all
    -- a county: its years
    select f.year || '年', cast(f.year as varchar), f.year, f.cultivated_mu, f.cultivated_target_mu,
        f.pbf_mu, f.pbf_target_mu
    from with_pbf as f
    where $admin_level = 'county' and f.admin_code = $admin and f.year <= $year
)

select * from bars order by sort_key
