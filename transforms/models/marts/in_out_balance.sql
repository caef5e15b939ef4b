-- 耕地进出平衡 (rule PR08): per county and change-survey year, 耕地 turned into other agricultural
-- land (out: 园地, 林地, 草地, 坑塘水面, 沟渠, 设施农用地 — ref_land_classes.is_other_agricultural)
-- against other agricultural land turned into 耕地 (in); balanced when in ≥ out. Counties and
-- the city (= Σ counties). Years that passed the delivery gate (DQ09) only.

with

reconciled_years as {{ reconciled_survey_years() }},

change_years as (
    select year from {{ ref('int_survey__survey_years') }}
    where needs_reconciliation
      and year in (select year from reconciled_years)
),

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

land_classes as (
    select * from {{ ref('ref_land_classes') }}
),

county_years as (
    -- every county with a land-use state in the year, flows or not
    select distinct county_code as admin_code, year
    from {{ ref('int_survey__land_use_area') }}
    where year in (select year from change_years)
      and county_code in (select admin_code from counties)
),

flows as (
    select
        flows.county_code as admin_code,
        flows.change_year as year,
        flows.area_m2,
        from_classes.is_cultivated and to_classes.is_other_agricultural as is_out,
        from_classes.is_other_agricultural and to_classes.is_cultivated as is_in
    from {{ ref('int_survey__change_flows_by_county') }} as flows
    inner join land_classes as from_classes on from_classes.land_class = flows.from_class
    inner join land_classes as to_classes on to_classes.land_class = flows.to_class
),

balance_by_county as (
    select
        admin_code,
        year,
        coalesce(sum(area_m2) filter (where is_out), 0) as out_m2,
        coalesce(sum(area_m2) filter (where is_in), 0)  as in_m2
    from flows
    group by all
),

county_rows as (
    select
        county_years.admin_code,
        county_years.year,
        coalesce(balance_by_county.out_m2, 0) as out_m2,
        coalesce(balance_by_county.in_m2, 0)  as in_m2
    from county_years
    left join balance_by_county using (admin_code, year)
),

city_rows as (
    {{ city_rows('county_rows', ['year'], ['out_m2', 'in_m2']) }}
),

admin_rows as (
    select 'county' as admin_level, * from county_rows
    union all by name
    select * from city_rows
),

final as (
    select
        admin_code,
        admin_level,
        year,
        {{ as_double(to_mu('out_m2')) }}          as out_mu,
        {{ as_double(to_mu('in_m2')) }}           as in_mu,
        {{ as_double(to_mu('in_m2 - out_m2')) }}  as net_mu,
        in_m2 >= out_m2                           as balanced,
        {{ as_double('out_m2') }}                 as out_m2,
        {{ as_double('in_m2') }}                  as in_m2
    from admin_rows
)

select * from final
