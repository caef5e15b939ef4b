-- What is wrong with a delivered polygon, if anything; NULL when it is usable.
with features as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, cast(BSM as varchar) as id,
           left(ZLDWDM, 6) as admin_code, 'parcel' as entity_type, geom from {{ source('raw', 'dltb') }}
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, cast(BSM as varchar), left(ZLDWDM, 6),
           'parcel', geom from {{ source('raw', 'dltbgx') }}
    union all
    select 'DLTBGXGC', _source_file, _source_row, _survey_year, cast(BGHTBBSM as varchar),
           left(coalesce(BGHZLDWDM, BGQZLDWDM), 6), 'change_record', geom from {{ source('raw', 'dltbgxgc') }}
    union all
    select 'YJJBNT', _source_file, _source_row, _survey_year, cast(BSM as varchar), left(XZQDM, 6),
           'pbf_polygon', geom from {{ source('raw', 'yjjbnt') }}
    union all
    select 'YJJBNTCBQ', _source_file, _source_row, _survey_year, cast(BSM as varchar), left(XZQDM, 6),
           'reserve_polygon', geom from {{ source('raw', 'yjjbntcbq') }}
    union all
    select 'GBZNT', _source_file, _source_row, _survey_year, XMBH, left(XZQDM, 6), 'high_standard_project',
           geom from {{ source('raw', 'gbznt') }}
    union all
    select 'LSGNQ', _source_file, _source_row, _survey_year, GNQBH, left(XZQDM, 6), 'grain_zone', geom
    from {{ source('raw', 'lsgnq') }}
    union all
    select 'YDHX', _source_file, _source_row, null, "批准文号", null, 'approval_boundary', geom
    from {{ source('raw', 'approval_boundaries') }}
    union all
    select 'BCGDXMFW', _source_file, _source_row, null, "项目编号", null, 'supplement_boundary', geom
    from {{ source('raw', 'supplement_boundaries') }}
)

select
    entity_type, id as entity_id, admin_code, _survey_year as year,
    layer, _source_file as source_file, _source_row as source_row,
    case
        when geom is null then 'geometry missing'
        when ST_IsEmpty(geom) then 'geometry empty'
        when ST_GeometryType(geom) not in ('POLYGON', 'MULTIPOLYGON')
            then 'geometry is ' || ST_GeometryType(geom) || ', not a polygon'
        when not ST_IsValid(geom) then 'polygon invalid (self-intersecting or broken ring)'
    end as geometry_problem
from features
