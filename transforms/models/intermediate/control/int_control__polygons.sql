-- The three protection layers (管控图层) as one table of polygons: 永久基本农田 YJJBNT, 高标准农田
-- GBZNT and 粮食生产功能区 LSGNQ, each polygon with its county, the delivery (control year) it came in,
-- and the year it came into force (划定年份 HDNF / 建设年份 JSNF / 认定年份 RDNF; the delivery year
-- when the delivery leaves it empty). Overlays treat the three alike; the layer says which is which.

with

permanent_farmland as (
    select
        'permanent_farmland'                            as layer,
        cast(bsm as varchar)                            as polygon_id,
        county_code,
        control_year,
        coalesce(designated_year, control_year)         as in_force_from,
        cast(null as varchar)                           as build_type,
        pbf_area_m2                                     as delivered_area_m2,
        geom
    from {{ ref('stg_control__permanent_farmland') }}
),

high_standard_farmland as (
    select
        'high_standard_farmland',
        project_no,
        county_code,
        control_year,
        coalesce(built_year, control_year),
        build_type,
        built_area_m2,
        geom
    from {{ ref('stg_control__high_standard_farmland') }}
),

grain_zones as (
    select
        'grain_zone',
        zone_no,
        county_code,
        control_year,
        coalesce(recognised_year, control_year),
        cast(null as varchar),
        zone_area_m2,
        geom
    from {{ ref('stg_control__grain_zones') }}
),

polygons as (
    select * from permanent_farmland
    union all
    select * from high_standard_farmland
    union all
    select * from grain_zones
),

final as (
    select
        *,
        st_area(geom) as planar_area_m2
    from polygons
    where geom is not null
)

select * from final
