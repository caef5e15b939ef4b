-- The page's subject: a county, or a city and its counties; the survey year asked or, when none is, the
-- latest survey year the marts hold; and the snapshot the figures come from.
with asked as (
    select admin_code, admin_name, admin_level, region_code
    from reference.ref_region
    where admin_code = $admin
),

counties as (
    select list(r.admin_code order by r.admin_code) as county_codes
    from reference.ref_region as r, asked as a
    where r.admin_level = 'county'
        and (r.admin_code = a.admin_code or (a.admin_level = 'city' and r.region_code = a.admin_code))
),

survey_year as (
    select coalesce(cast($year as integer), max(year)) as year from marts.cultivated_land
),

-- the size under which a 永农 patch counts as fragmented (零散), from the rule that judges it
fragment_size as (
    select cast(parameters ->> 'min_patch_mu' as double) as min_patch_mu
    from quality.rule_catalog
    where parameters ->> 'min_patch_mu' is not null
)

select
    asked.admin_code, asked.admin_name, asked.admin_level, counties.county_codes, survey_year.year,
    build.published_at, build.fingerprint, fragment_size.min_patch_mu
from asked, counties, survey_year
left join fragment_size on true
left join quality.published_build as build on true
