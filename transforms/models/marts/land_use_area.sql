-- 土地利用现状: area per admin × survey year × land class (三调工作分类), counties and the city.
-- Survey years that passed the delivery gate (DQ09) only.

with

reconciled_years as {{ reconciled_survey_years() }},

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

county_rows as (
    select
        area.county_code as admin_code,
        area.year,
        area.land_class,
        area.area_m2
    from {{ ref('int_survey__land_use_area') }} as area
    where area.year in (select year from reconciled_years)
      and area.county_code in (select admin_code from counties)
),

city_rows as (
    {{ city_rows('county_rows', ['year', 'land_class'], ['area_m2'], coverage_by='year') }}
),

admin_rows as (
    select
        admin_code, 'county' as admin_level, year, land_class, area_m2,
        null::bigint as counties_reported, null::bigint as counties_expected
    from county_rows
    union all
    select admin_code, admin_level, year, land_class, area_m2, counties_reported, counties_expected
    from city_rows
),

final as (
    select
        admin_code,
        admin_level,
        year,
        land_class,
        {{ land_class_name('admin_rows.land_class') }} as land_class_name,
        {{ as_double('area_m2') }} as area_m2,
        {{ as_double(to_mu('area_m2')) }} as area_mu,
        counties_reported,
        counties_expected
    from admin_rows
)

select * from final
