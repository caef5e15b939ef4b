-- 永久基本农田: permanent farmland per admin × control year: Σ JBNTMJ, how much of it lies on
-- cultivated land of that year's survey state, the demonstration-zone share, the reserve (储备区),
-- and the 永久基本农田保护面积 target (rule PR02). Counties and the city (= Σ counties).
-- The on/off-cultivated split needs the year's survey state: it is NULL unless that survey year
-- passed the delivery gate (DQ09); the control-layer figures do not depend on the survey.

with

reconciled_years as {{ reconciled_survey_years() }},

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

patches_by_county as (
    select
        county_code as admin_code,
        control_year as year,
        coalesce(sum(pbf_area_m2), 0)                                   as pbf_m2,
        coalesce(sum(pbf_area_m2) filter (where is_demonstration), 0)   as demonstration_m2
    from {{ ref('stg_control__permanent_farmland') }}
    group by all
),

reserve_by_county as (
    select
        county_code as admin_code,
        control_year as year,
        coalesce(sum(reserve_area_m2), 0) as reserve_m2
    from {{ ref('stg_control__pbf_reserve') }}
    group by all
),

on_cultivated_by_county as (
    select
        county_code as admin_code,
        year,
        pbf_on_cultivated_m2
    from {{ ref('int_control__permanent_farmland_on_cultivated') }}
),

county_years as (
    select admin_code, year from patches_by_county
    union
    select admin_code, year from reserve_by_county
),

county_rows as (
    select
        county_years.admin_code,
        county_years.year,
        coalesce(patches_by_county.pbf_m2, 0)            as pbf_m2,
        case when county_years.year in (select year from reconciled_years)
            then coalesce(on_cultivated_by_county.pbf_on_cultivated_m2, 0)
        end                                              as pbf_on_cultivated_m2,
        coalesce(patches_by_county.demonstration_m2, 0)  as demonstration_m2,
        coalesce(reserve_by_county.reserve_m2, 0)        as reserve_m2
    from county_years
    left join patches_by_county using (admin_code, year)
    left join reserve_by_county using (admin_code, year)
    left join on_cultivated_by_county using (admin_code, year)
    where county_years.admin_code in (select admin_code from counties)
),

city_rows as (
    {{ city_rows('county_rows', ['year'], ['pbf_m2', 'pbf_on_cultivated_m2', 'demonstration_m2', 'reserve_m2']) }}
),

admin_rows as (
    select 'county' as admin_level, * from county_rows
    union all by name
    select * from city_rows
),

with_target as (
    -- the target in force: the latest whose target_year ≤ year (none before the first)
    {{ with_target_in_force('admin_rows', 'permanent_farmland') }}
),

final as (
    select
        admin_code,
        admin_level,
        year,
        {{ as_double(to_mu('pbf_m2')) }}                            as pbf_mu,
        {{ as_double(to_mu('pbf_on_cultivated_m2')) }}              as pbf_on_cultivated_mu,
        {{ as_double(to_mu('pbf_m2 - pbf_on_cultivated_m2')) }}     as pbf_off_cultivated_mu,
        {{ as_double(to_mu('demonstration_m2')) }}                  as demonstration_mu,
        {{ as_double(to_mu('reserve_m2')) }}                        as reserve_mu,
        target_mu,
        {{ as_double(to_mu('pbf_m2')) }} - target_mu                as gap_mu,
        {{ as_double(to_mu('pbf_m2')) }} >= target_mu               as meets_target,
        {{ as_double('pbf_m2') }}                                   as pbf_m2
    from with_target
)

select * from final
