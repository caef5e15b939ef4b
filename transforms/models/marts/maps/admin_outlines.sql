-- 行政区轮廓: each county and village (村, by the 坐落单位代码 of its parcels) outlined by the parcels in force
-- at the end of the latest survey year. A village is the union of its parcels, a county the union of its
-- villages' outlines: two small unions instead of one over every parcel of the county. (A delivery's
-- parcels do not always form a clean coverage, so the robust union, not the coverage union.) Maps of
-- findings and patches are drawn over it.

with latest_year as (
    select max(year) as survey_year from {{ ref('int_survey__survey_years') }}
),

parcels_in_force as (
    select versions.county_code, versions.village_code, versions.geom, latest_year.survey_year
    from {{ ref('int_survey__parcel_versions') }} as versions
    cross join latest_year
    where versions.valid_from <= latest_year.survey_year
        and (versions.valid_to is null or latest_year.survey_year < versions.valid_to)
),

villages as (
    select
        'village' as admin_level, coalesce(village_code, county_code) as admin_code, county_code, survey_year,
        ST_Union_Agg(geom) as geom
    from parcels_in_force
    group by all
),

counties as (
    select
        'county' as admin_level, county_code as admin_code, county_code, survey_year,
        ST_Union_Agg(geom) as geom
    from villages
    group by all
)

select admin_level, admin_code, county_code, survey_year, ST_Area(geom) as area_m2, geom from counties
union all
select admin_level, admin_code, county_code, survey_year, ST_Area(geom) as area_m2, geom from villages
where admin_code <> county_code
