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

-- A 高标准农田 project (XMBH) or a 功能区 (GNQBH) may be delivered as several blocks, one polygon each:
-- they are unioned per identifier and control year, so an identifier names one polygon and its area is
-- counted once. Projects are county projects; a block across a county line counts in the county that
-- holds most of the project.
high_standard_farmland as (
    select
        'high_standard_farmland',
        project_no,
        arg_max(county_code, st_area(geom)),
        control_year,
        coalesce(min(built_year), control_year),
        -- a project is one build type; should its blocks disagree, an upgrade does not pass as new
        case when bool_and(build_type = 'new') then 'new' else max(build_type) end,
        sum(built_area_m2),
        st_union_agg(geom)
    from {{ ref('stg_control__high_standard_farmland') }}
    where geom is not null
    group by project_no, control_year
),

grain_zones as (
    select
        'grain_zone',
        zone_no,
        arg_max(county_code, st_area(geom)),
        control_year,
        coalesce(min(recognised_year), control_year),
        cast(null as varchar),
        sum(zone_area_m2),
        st_union_agg(geom)
    from {{ ref('stg_control__grain_zones') }}
    where geom is not null
    group by zone_no, control_year
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
