-- 非粮化 on protected land: per reconciled survey year, every 耕地 parcel lying inside 永农 or a 粮食生产
-- 功能区 in force that year (by more than a sliver), and every 撂荒 (WG) 耕地 parcel anywhere; the
-- expectations ask the first to be sown to grain and none to be abandoned.
with reconciled as (
    select year from {{ reconciled_survey_years() }} as gate
),
protected as (
    select
        year, bsm, county_code, village_code, planting_attribute, land_class_area_m2,
        sum(overlap_cultivated_m2) filter (where layer = 'permanent_farmland') as pbf_m2,
        sum(overlap_cultivated_m2) filter (where layer in ('permanent_farmland', 'grain_zone')) as protected_m2,
        sum(overlap_planar_m2) filter (where layer = 'permanent_farmland') as pbf_planar_m2,
        sum(overlap_planar_m2) filter (where layer = 'grain_zone') as grain_zone_planar_m2
    from {{ ref('int_control__cultivated_protection_by_year') }}
    where layer in ('permanent_farmland', 'grain_zone')
    group by all
    having coalesce(pbf_planar_m2, 0) > {{ rule_parameter('PR11', 'tolerance_m2') }}
        or coalesce(grain_zone_planar_m2, 0) > {{ rule_parameter('PR11', 'tolerance_m2') }}
),
abandoned as (
    select state.survey_year as year, state.bsm, state.county_code, state.village_code,
           state.planting_attribute, state.land_class_area_m2
    from {{ ref('int_survey__land_use_state') }} as state
    where state.is_cultivated and state.planting_attribute = {{ rule_parameter('PR11', 'abandoned_code') }}
),
subjects as (
    select year, bsm, county_code, village_code, planting_attribute, land_class_area_m2,
           pbf_m2, protected_m2 from protected
    union all by name
    select * from abandoned
    where (year, bsm) not in (select (year, bsm) from protected)
)
select
    'parcel' as entity_type, cast(bsm as varchar) as entity_id, county_code as admin_code, year,
    village_code,
    cast(null as date) as changed_on,
    planting_attribute,
    round({{ to_mu('cast(land_class_area_m2 as double)') }}, 4) as cultivated_mu,
    round({{ to_mu('coalesce(cast(protected_m2 as double), 0)') }}, 4) as protected_mu,
    round({{ to_mu('coalesce(cast(pbf_m2 as double), 0)') }}, 4) as pbf_mu
from subjects
where year in (select year from reconciled)
