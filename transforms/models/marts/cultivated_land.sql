-- 耕地: cultivated area per admin × survey year, by type, quality and slope, its restoration
-- potential, its change in the year by cause, and the 耕地保有量 target (rule PR01).
-- Years that passed the delivery gate (DQ09) only; counties and the city (= Σ counties).

{% set partial = 'coalesce(counties_reported < counties_expected, false)' %}

with

reconciled_years as {{ reconciled_survey_years() }},

survey_years as (
    select * from {{ ref('int_survey__survey_years') }}
    where year in (select year from reconciled_years)
),

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

land_classes as (
    select * from {{ ref('ref_land_classes') }}
),

parcels as (
    select * from {{ ref('int_survey__land_use_state') }}
    where survey_year in (select year from survey_years)
      and county_code in (select admin_code from counties)
),

cultivated_by_county as (
    -- 耕地 counts its 图斑地类面积 (TBDLMJ); restorable land (JKHF/GCHF) is 园地/林地/草地/坑塘 that
    -- was 耕地 in the previous national survey, counted with its own TBDLMJ
    select
        county_code as admin_code,
        survey_year as year,
        coalesce(sum(land_class_area_m2) filter (where is_cultivated), 0)                as cultivated_m2,
        coalesce(sum(land_class_area_m2) filter (where land_class = '0101'), 0)          as paddy_m2,
        coalesce(sum(land_class_area_m2) filter (where land_class = '0102'), 0)          as irrigated_m2,
        coalesce(sum(land_class_area_m2) filter (where land_class = '0103'), 0)          as dry_m2,
        coalesce(sum(land_class_area_m2) filter (where is_cultivated and quality_grade is not null), 0)
                                                                                         as graded_m2,
        coalesce(sum(land_class_area_m2 * quality_grade) filter (where is_cultivated), 0)
                                                                                         as grade_weighted_m2,
        coalesce(sum(land_class_area_m2) filter (where is_cultivated and slope_grade = '5'), 0)
                                                                                         as steep_slope_m2,
        coalesce(sum(land_class_area_m2) filter (where planting_attribute in ('JKHF', 'GCHF')), 0)
                                                                                         as restorable_m2
    from parcels
    group by all
),

flows as (
    select
        flows.county_code,
        flows.change_year as year,
        flows.from_class,
        flows.to_class,
        flows.area_m2,
        coalesce(from_classes.is_cultivated, false)         as from_cultivated,
        coalesce(to_classes.is_cultivated, false)           as to_cultivated,
        coalesce(to_classes.is_construction, false)         as to_construction,
        coalesce(to_classes.is_other_agricultural, false)   as to_other_agricultural
    from {{ ref('int_survey__change_flows_by_county') }} as flows
    left join land_classes as from_classes on from_classes.land_class = flows.from_class
    left join land_classes as to_classes on to_classes.land_class = flows.to_class
),

change_by_county as (
    -- gain: non-耕地 → 耕地; loss: 耕地 → non-耕地 (1203 田坎 is non-耕地); boundary: 耕地 moved
    -- into / out of the county across an administrative, national or coast line
    select
        county_code as admin_code,
        year,
        coalesce(sum(area_m2) filter (where to_cultivated and from_class is not null and not from_cultivated), 0)
                                                                                         as gain_m2,
        coalesce(sum(area_m2) filter (where from_cultivated and to_class is not null and not to_cultivated), 0)
                                                                                         as loss_m2,
        coalesce(sum(area_m2) filter (where from_cultivated and to_construction), 0)     as loss_to_construction_m2,
        coalesce(sum(area_m2) filter (where from_cultivated and to_other_agricultural), 0)
                                                                                         as loss_to_agriculture_m2,
        coalesce(sum(area_m2) filter (where to_cultivated and from_class is null), 0)
          - coalesce(sum(area_m2) filter (where from_cultivated and to_class is null), 0)
                                                                                         as boundary_net_m2
    from flows
    group by all
),

county_rows as (
    -- a year without a change survey to apply (the first base year) has no change figures
    select
        cultivated_by_county.*,
        case when survey_years.needs_reconciliation then coalesce(change_by_county.gain_m2, 0) end
                                                                        as gain_m2,
        case when survey_years.needs_reconciliation then coalesce(change_by_county.loss_m2, 0) end
                                                                        as loss_m2,
        case when survey_years.needs_reconciliation then coalesce(change_by_county.loss_to_construction_m2, 0) end
                                                                        as loss_to_construction_m2,
        case when survey_years.needs_reconciliation then coalesce(change_by_county.loss_to_agriculture_m2, 0) end
                                                                        as loss_to_agriculture_m2,
        case when survey_years.needs_reconciliation then coalesce(change_by_county.boundary_net_m2, 0) end
                                                                        as boundary_net_m2
    from cultivated_by_county
    inner join survey_years
        on survey_years.year = cultivated_by_county.year
    left join change_by_county
        on change_by_county.admin_code = cultivated_by_county.admin_code
        and change_by_county.year = cultivated_by_county.year
),

city_rows as (
    {{ city_rows('county_rows', ['year'], coverage_by='year', measures=[
        'cultivated_m2', 'paddy_m2', 'irrigated_m2', 'dry_m2', 'graded_m2', 'grade_weighted_m2',
        'steep_slope_m2', 'restorable_m2', 'gain_m2', 'loss_m2', 'loss_to_construction_m2',
        'loss_to_agriculture_m2', 'boundary_net_m2']) }}
),

admin_rows as (
    select 'county' as admin_level, * from county_rows
    union all by name
    select * from city_rows
),

with_target as (
    -- the target in force: the latest whose target_year ≤ year (none before the first)
    {{ with_target_in_force('admin_rows', 'cultivated_land') }}
),

final as (
    select
        admin_code,
        admin_level,
        year,
        {{ as_double(to_mu('cultivated_m2')) }}                                as cultivated_mu,
        {{ as_double(to_mu('paddy_m2')) }}                                     as paddy_mu,
        {{ as_double(to_mu('irrigated_m2')) }}                                 as irrigated_mu,
        {{ as_double(to_mu('dry_m2')) }}                                       as dry_mu,
        {{ as_double('grade_weighted_m2 / nullif(graded_m2, 0)') }}            as mean_quality_grade,
        {{ as_double(to_mu('steep_slope_m2')) }}                               as steep_slope_mu,
        {{ as_double(to_mu('restorable_m2')) }}                                as restorable_mu,
        {{ as_double(to_mu('gain_m2')) }}                                      as gain_mu,
        {{ as_double(to_mu('loss_m2')) }}                                      as loss_mu,
        {{ as_double(to_mu('loss_to_construction_m2')) }}                      as loss_to_construction_mu,
        {{ as_double(to_mu('loss_to_agriculture_m2')) }}                       as loss_to_agriculture_mu,
        {{ as_double(to_mu('gain_m2 - loss_m2')) }}                            as net_change_mu,
        {{ as_double(to_mu('boundary_net_m2')) }}                              as boundary_net_mu,
        target_mu,
        -- a city summing fewer counties than it has is not measured against the city's target
        case when not {{ partial }} then {{ as_double(to_mu('cultivated_m2')) }} - target_mu end as gap_mu,
        case when not {{ partial }} then {{ as_double(to_mu('cultivated_m2')) }} >= target_mu end as meets_target,
        counties_reported,
        counties_expected,
        {{ as_double('cultivated_m2') }}                                       as cultivated_m2,
        {{ as_double('graded_m2') }}                                           as graded_m2
    from with_target
)

select * from final
