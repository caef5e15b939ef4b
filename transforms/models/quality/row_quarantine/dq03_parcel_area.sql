-- TBMJ against the polygon's ellipsoidal area on CGCS2000. The region CRS is north-first, so
-- transform with always_xy and flip to latitude-first for ST_Area_Spheroid (SOURCES.md axis trap).
-- Only geometries that pass DQ05 are measured: an invalid polygon has no meaningful area.
with region_crs as (
    select 'EPSG:' || any_value(crs_epsg) as crs from {{ ref('ref_region') }}
),

parcels as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, BSM, ZLDWDM, TBMJ, geom from {{ source('raw', 'dltb') }}
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, BSM, ZLDWDM, TBMJ, geom from {{ source('raw', 'dltbgx') }}
),

measurable as (
    select * from parcels
    where geom is not null and not ST_IsEmpty(geom) and ST_IsValid(geom)
      and ST_GeometryType(geom) in ('POLYGON', 'MULTIPOLYGON')
),

measured as (
    select *,
        ST_Area_Spheroid(ST_FlipCoordinates(
            ST_Transform(geom, (select crs from region_crs), 'EPSG:4490', always_xy := true)
        )) as ellipsoidal_area_m2
    from measurable
)

select
    'parcel' as entity_type, cast(BSM as varchar) as entity_id, left(ZLDWDM, 6) as admin_code,
    _survey_year as year, layer, _source_file as source_file, _source_row as source_row,
    TBMJ as tbmj, round(ellipsoidal_area_m2, 2) as ellipsoidal_area_m2,
    case when TBMJ > 0 then abs(TBMJ - ellipsoidal_area_m2) / TBMJ end as relative_difference
from measured
