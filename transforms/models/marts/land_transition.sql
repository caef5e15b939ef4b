-- 地类转换 (land-use transition matrix): area the change survey of a year moved from one land class
-- to another, per admin × year × from × to (from ≠ to), counties and the city. Land entering or
-- leaving a county across a boundary (XZQTZLX 1–4) is not a transition between classes and is left
-- out (it is in int_survey__change_flows_by_county). Years that passed the delivery gate only.

with

reconciled_years as {{ reconciled_survey_years() }},

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

county_rows as (
    select
        flows.county_code as admin_code,
        flows.change_year as year,
        flows.from_class,
        flows.to_class,
        flows.area_m2
    from {{ ref('int_survey__change_flows_by_county') }} as flows
    where flows.from_class is not null
      and flows.to_class is not null
      and flows.change_year in (select year from reconciled_years)
      and flows.county_code in (select admin_code from counties)
),

city_rows as (
    {{ city_rows('county_rows', ['year', 'from_class', 'to_class'], ['area_m2']) }}
),

admin_rows as (
    select admin_code, 'county' as admin_level, year, from_class, to_class, area_m2 from county_rows
    union all
    select admin_code, admin_level, year, from_class, to_class, area_m2 from city_rows
),

final as (
    select
        admin_code,
        admin_level,
        year,
        from_class,
        {{ land_class_name('admin_rows.from_class') }} as from_class_name,
        to_class,
        {{ land_class_name('admin_rows.to_class') }} as to_class_name,
        {{ as_double('area_m2') }} as area_m2,
        {{ as_double(to_mu('area_m2')) }} as area_mu
    from admin_rows
)

select * from final
