-- 多田套合: per admin × survey year, how the four kinds of protected farmland lie on each other —
-- 耕地 (the year's survey state), 永久基本农田, 高标准农田 and 粮食生产功能区 (the polygons in force that
-- year, int_control__polygons_in_force) — and the 高标准农田 newly built (新建) that year inside 永农
-- (000 §三(四)1, rule PR12 per block). Counties and the city (= Σ counties).
--
-- Areas on the delivered basis: layer areas are Σ of their delivered areas (JBNTMJ, JSMJ, GNQMJ);
-- overlaps of two layers are the planar intersection scaled by the first layer's delivered / planar
-- area; 耕地 under a layer is 图斑地类面积 (int_control__cultivated_overlay). The 耕地 figures need the
-- year's survey state and are NULL unless the year passed the delivery gate (DQ09).
-- Control polygons a DQ rule quarantined (e.g. DQ05, a self-intersecting ring) are not in the overlay;
-- quarantined_control_polygons counts those of the year's deliveries, so the gap is never silent.

with

reconciled_years as {{ reconciled_survey_years() }},

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

in_force as (
    select in_force.year, polygons.*
    from {{ ref('int_control__polygons_in_force') }} as in_force
    inner join {{ ref('int_control__polygons') }} as polygons
        on polygons.layer = in_force.layer
        and polygons.polygon_id = in_force.polygon_id
        and polygons.control_year = in_force.control_year
),

layer_areas as (
    select
        county_code as admin_code,
        year,
        sum(delivered_area_m2) filter (where layer = 'permanent_farmland')      as pbf_m2,
        sum(delivered_area_m2) filter (where layer = 'high_standard_farmland')  as high_standard_m2,
        sum(delivered_area_m2) filter (where layer = 'grain_zone')              as grain_zone_m2,
        sum(delivered_area_m2) filter (where layer = 'high_standard_farmland'
                                          and build_type = 'new' and in_force_from = year)
                                                                                as new_high_standard_m2
    from in_force
    group by all
),

overlaps_in_force as (
    -- both polygons of the overlap in force in the year
    select
        in_force.year,
        layer_overlap.county_code,
        layer_overlap.layer,
        layer_overlap.over_layer,
        layer_overlap.build_type,
        layer_overlap.in_force_from,
        layer_overlap.overlap_m2
    from {{ ref('int_control__layer_overlaps') }} as layer_overlap
    inner join in_force
        on in_force.layer = layer_overlap.layer
        and in_force.polygon_id = layer_overlap.polygon_id
        and in_force.control_year = layer_overlap.control_year
    inner join in_force as over_in_force
        on over_in_force.year = in_force.year
        and over_in_force.layer = layer_overlap.over_layer
        and over_in_force.polygon_id = layer_overlap.over_polygon_id
        and over_in_force.control_year = layer_overlap.control_year
),

overlap_areas as (
    select
        county_code as admin_code,
        year,
        sum(overlap_m2) filter (where layer = 'high_standard_farmland'
                                  and over_layer = 'permanent_farmland')        as high_standard_in_pbf_m2,
        sum(overlap_m2) filter (where layer = 'grain_zone'
                                  and over_layer = 'permanent_farmland')        as grain_zone_in_pbf_m2,
        sum(overlap_m2) filter (where layer = 'high_standard_farmland'
                                  and over_layer = 'permanent_farmland'
                                  and build_type = 'new' and in_force_from = year)
                                                                                as new_high_standard_in_pbf_m2
    from overlaps_in_force
    group by all
),

cultivated as (
    select county_code as admin_code, year, sum(area_m2) as cultivated_m2
    from {{ ref('int_survey__land_use_area') }} as areas
    inner join {{ ref('ref_land_classes') }} as land_classes
        on land_classes.land_class = areas.land_class
        and land_classes.is_cultivated
    group by all
),

cultivated_under_layers as (
    select
        county_code as admin_code,
        year,
        sum(overlap_cultivated_m2) filter (where layer = 'permanent_farmland')     as cultivated_in_pbf_m2,
        sum(overlap_cultivated_m2) filter (where layer = 'high_standard_farmland') as cultivated_in_high_standard_m2,
        sum(overlap_cultivated_m2) filter (where layer = 'grain_zone')             as cultivated_in_grain_zone_m2,
        sum(overlap_cultivated_m2) filter (where layer = 'protected_core')         as all_four_m2
    from {{ ref('int_control__cultivated_protection_by_year') }}
    group by all
),

quarantined_polygons as (
    -- delivered protection polygons kept out of staging by a DQ rule, per county and delivery year
    select county_code as admin_code, control_year as year, count(*) as quarantined_control_polygons
    from (
        {%- for layer, code in [('yjjbnt', 'YJJBNT'), ('gbznt', 'GBZNT'), ('lsgnq', 'LSGNQ')] %}
        select left(trim(delivered."XZQDM"), 6) as county_code, delivered._survey_year as control_year
        from {{ source('raw', layer) }} as delivered
        where not {{ not_quarantined('delivered', code) }}
        {{ 'union all' if not loop.last }}
        {%- endfor %}
    )
    group by all
),

county_years as (
    select admin_code, year from layer_areas
    union
    select admin_code, year from cultivated
),

county_rows as (
    select
        county_years.admin_code,
        county_years.year,
        {%- for measure in ['cultivated_m2', 'cultivated_in_pbf_m2', 'cultivated_in_high_standard_m2',
                            'cultivated_in_grain_zone_m2', 'all_four_m2'] %}
        case when county_years.year in (select year from reconciled_years)
            then coalesce({{ measure }}, 0) end                      as {{ measure }},
        {%- endfor %}
        {%- for measure in ['pbf_m2', 'high_standard_m2', 'grain_zone_m2', 'new_high_standard_m2',
                            'high_standard_in_pbf_m2', 'grain_zone_in_pbf_m2', 'new_high_standard_in_pbf_m2'] %}
        coalesce({{ measure }}, 0)                                   as {{ measure }},
        {%- endfor %}
        coalesce(quarantined_polygons.quarantined_control_polygons, 0) as quarantined_control_polygons
    from county_years
    left join layer_areas using (admin_code, year)
    left join overlap_areas using (admin_code, year)
    left join cultivated using (admin_code, year)
    left join cultivated_under_layers using (admin_code, year)
    left join quarantined_polygons using (admin_code, year)
    where county_years.admin_code in (select admin_code from counties)
),

{%- set measures = ['cultivated_m2', 'cultivated_in_pbf_m2', 'cultivated_in_high_standard_m2',
                    'cultivated_in_grain_zone_m2', 'all_four_m2', 'pbf_m2', 'high_standard_m2',
                    'grain_zone_m2', 'new_high_standard_m2', 'high_standard_in_pbf_m2',
                    'grain_zone_in_pbf_m2', 'new_high_standard_in_pbf_m2'] %}

city_rows as (
    {{ city_rows('county_rows', ['year'], measures + ['quarantined_control_polygons']) }}
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
        {%- for measure in measures %}
        {{ as_double(to_mu(measure)) }} as {{ measure[:-3] }}_mu,
        {%- endfor %}
        {{ as_double('high_standard_in_pbf_m2 / nullif(high_standard_m2, 0)') }}         as high_standard_in_pbf_rate,
        {{ as_double('new_high_standard_in_pbf_m2 / nullif(new_high_standard_m2, 0)') }} as new_high_standard_in_pbf_rate,
        {{ as_double('all_four_m2 / nullif(cultivated_in_pbf_m2, 0)') }}                  as all_four_share_of_pbf_cultivated,
        cast(quarantined_control_polygons as bigint)                                       as quarantined_control_polygons
    from admin_rows
)

select * from final
