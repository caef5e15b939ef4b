-- Area per county × survey year × land class (SOURCES.md): Σ TBDLMJ of the parcels whose DLBM is
-- the class, plus Σ KCMJ deducted from parcels whose KCDLBM is the class (田坎 deducted from 耕地
-- counts as 1203 田坎; a KCMJ without KCDLBM is taken as 1203, the only deduction class of 三调).

with

state as (
    select * from {{ ref('int_survey__land_use_state') }}
),

land_class_area as (
    select
        county_code,
        survey_year as year,
        land_class,
        land_class_area_m2 as area_m2,
        1 as parcels
    from state
),

deducted_area as (
    select
        county_code,
        survey_year as year,
        coalesce(deduction_class, '1203') as land_class,
        deduction_area_m2 as area_m2,
        0 as parcels
    from state
    where deduction_area_m2 <> 0
),

area_by_class as (
    select
        county_code,
        year,
        land_class,
        sum(area_m2) as area_m2,
        cast(sum(parcels) as bigint) as parcel_count
    from (
        select * from land_class_area
        union all
        select * from deducted_area
    )
    group by all
),

final as (
    select
        county_code,
        year,
        land_class,
        {{ land_class_name('area_by_class.land_class') }} as land_class_name,
        area_m2,
        {{ to_mu('area_m2') }} as area_mu,
        parcel_count
    from area_by_class
)

select * from final
