-- The county each delivered row says it lies in: ZLDWDM's first six characters on parcels,
-- both sides of a change piece, XZQDM on control layers.
with declared as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, cast(BSM as varchar) as id,
           'parcel' as entity_type, 'ZLDWDM' as field, ZLDWDM as code
    from raw.dltb
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, cast(BSM as varchar), 'parcel', 'ZLDWDM', ZLDWDM
    from raw.dltbgx
    union all
    select 'DLTBGXGC', _source_file, _source_row, _survey_year, cast(BGHTBBSM as varchar), 'change_record',
           'BGQZLDWDM', BGQZLDWDM
    from raw.dltbgxgc where coalesce(XZQTZLX, '0') not in ('1', '3')
    union all
    select 'DLTBGXGC', _source_file, _source_row, _survey_year, cast(BGHTBBSM as varchar), 'change_record',
           'BGHZLDWDM', BGHZLDWDM
    from raw.dltbgxgc where coalesce(XZQTZLX, '0') not in ('2', '4')
    union all
    select 'YJJBNT', _source_file, _source_row, _survey_year, cast(BSM as varchar), 'pbf_polygon', 'XZQDM', XZQDM
    from raw.yjjbnt
    union all
    select 'YJJBNTCBQ', _source_file, _source_row, _survey_year, cast(BSM as varchar), 'reserve_polygon',
           'XZQDM', XZQDM
    from raw.yjjbntcbq
    union all
    select 'GBZNT', _source_file, _source_row, _survey_year, XMBH, 'high_standard_project', 'XZQDM', XZQDM
    from raw.gbznt
    union all
    select 'LSGNQ', _source_file, _source_row, _survey_year, GNQBH, 'grain_zone', 'XZQDM', XZQDM
    from raw.lsgnq
)

select
    entity_type, id as entity_id, left(coalesce(code, ''), 6) as admin_code, _survey_year as year,
    layer, _source_file as source_file, _source_row as source_row,
    field, code, left(coalesce(code, ''), 6) as county_code
from declared
