-- 永久基本农田: permanent farmland per admin × control year: Σ JBNTMJ, how much of it lies on
-- cultivated land of that year's survey state, the demonstration-zone share, the reserve (储备区),
-- and the 永久基本农田保护面积 target (rule PR02). Counties and the city (= Σ counties).
-- The on/off-cultivated split needs the year's survey state: it is NULL unless that survey year
-- passed the delivery gate (DQ09); the control-layer figures do not depend on the survey.
-- Contiguity (集中连片, 002 §二(四), §三(一)2): connected patches (int_control__permanent_farmland_patches),
-- how many fall under the PR13 minimum and their area, the largest, and the 百亩方 / 千亩方 / 万亩方
-- each reaches (a patch counts in the largest class it reaches). Polygons a DQ rule quarantined are
-- left out of every figure, and counted here so the gap is visible: pbf_quarantined_polygons / _mu.

{% set partial = 'coalesce(counties_reported < counties_expected, false)' %}

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
        sum(overlap_cultivated_m2) as pbf_on_cultivated_m2
    from {{ ref('int_control__cultivated_protection_by_year') }}
    where layer = 'permanent_farmland'
    group by all
),

patch_stats_by_county as (
    select
        county_code as admin_code,
        control_year as year,
        count(*)                                                            as patch_count,
        count(*) filter (where is_fragmented)                               as patches_under_20mu,
        coalesce(sum(patch_area_m2) filter (where is_fragmented), 0)        as fragmented_m2,
        max(patch_area_m2)                                                  as largest_patch_m2,
        count(*) filter (where contiguity_class = '百亩方')                  as hundred_mu_blocks,
        count(*) filter (where contiguity_class = '千亩方')                  as thousand_mu_blocks,
        count(*) filter (where contiguity_class = '万亩方')                  as ten_thousand_mu_blocks
    from {{ ref('int_control__permanent_farmland_patches') }}
    group by all
),

quarantined_by_county as (
    -- delivered 永农 polygons a DQ rule (e.g. DQ05, a self-intersecting ring) kept out of staging
    select
        left(trim(delivered."XZQDM"), 6)                    as admin_code,
        delivered._survey_year                              as year,
        count(*)                                            as pbf_quarantined_polygons,
        coalesce(sum({{ area_m2('delivered."JBNTMJ"') }}), 0) as pbf_quarantined_m2
    from {{ source('raw', 'yjjbnt') }} as delivered
    where not {{ not_quarantined('delivered', 'YJJBNT') }}
    group by all
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
        coalesce(reserve_by_county.reserve_m2, 0)        as reserve_m2,
        coalesce(patch_stats_by_county.patch_count, 0)              as patch_count,
        coalesce(patch_stats_by_county.patches_under_20mu, 0)       as patches_under_20mu,
        coalesce(patch_stats_by_county.fragmented_m2, 0)            as fragmented_m2,
        patch_stats_by_county.largest_patch_m2,
        coalesce(patch_stats_by_county.hundred_mu_blocks, 0)        as hundred_mu_blocks,
        coalesce(patch_stats_by_county.thousand_mu_blocks, 0)       as thousand_mu_blocks,
        coalesce(patch_stats_by_county.ten_thousand_mu_blocks, 0)   as ten_thousand_mu_blocks,
        coalesce(quarantined_by_county.pbf_quarantined_polygons, 0) as pbf_quarantined_polygons,
        coalesce(quarantined_by_county.pbf_quarantined_m2, 0)       as pbf_quarantined_m2
    from county_years
    left join patches_by_county using (admin_code, year)
    left join patch_stats_by_county using (admin_code, year)
    left join quarantined_by_county using (admin_code, year)
    left join reserve_by_county using (admin_code, year)
    left join on_cultivated_by_county using (admin_code, year)
    where county_years.admin_code in (select admin_code from counties)
),

city_sums as (
    {{ city_rows('county_rows', ['year'], coverage_by='year', measures=[
        'pbf_m2', 'pbf_on_cultivated_m2', 'demonstration_m2', 'reserve_m2', 'patch_count', 'patches_under_20mu',
        'fragmented_m2', 'hundred_mu_blocks', 'thousand_mu_blocks', 'ten_thousand_mu_blocks',
        'pbf_quarantined_polygons', 'pbf_quarantined_m2']) }}
),

city_rows as (
    -- patches are counted per county, so the city's largest patch is the largest of its counties'
    select city_sums.*, largest.largest_patch_m2
    from city_sums
    left join (
        select year, max(largest_patch_m2) as largest_patch_m2 from county_rows group by year
    ) as largest using (year)
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
        -- a city summing fewer counties than it has is not measured against the city's target
        case when not {{ partial }} then {{ as_double(to_mu('pbf_m2')) }} - target_mu end as gap_mu,
        case when not {{ partial }} then {{ as_double(to_mu('pbf_m2')) }} >= target_mu end as meets_target,
        counties_reported,
        counties_expected,
        cast(patch_count as bigint) as patch_count,
        cast(patches_under_20mu as bigint) as patches_under_20mu,
        {{ as_double(to_mu('fragmented_m2')) }}                     as fragmented_mu,
        {{ as_double(to_mu('largest_patch_m2')) }}                  as largest_patch_mu,
        cast(hundred_mu_blocks as bigint) as hundred_mu_blocks,
        cast(thousand_mu_blocks as bigint) as thousand_mu_blocks,
        cast(ten_thousand_mu_blocks as bigint) as ten_thousand_mu_blocks,
        cast(pbf_quarantined_polygons as bigint) as pbf_quarantined_polygons,
        {{ as_double(to_mu('pbf_quarantined_m2')) }}                as pbf_quarantined_mu,
        {{ as_double('pbf_m2') }}                                   as pbf_m2
    from with_target
)

select * from final
