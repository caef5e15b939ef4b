-- Identifiers per layer and survey year: BSM on parcels, change records and protection polygons,
-- 项目编号 on high-standard farmland, 功能区编号 on grain zones; and per record file: 项目编号, 批准文号,
-- 工程编号, 案件编号, 挂钩编号, 交易编号. `occurrence` counts in delivery order (file, then row), so the
-- first occurrence is kept and later duplicates are quarantined.
with identifiers as (
    select 'DLTB' as layer, 'parcel' as entity_type, cast(BSM as varchar) as id, left(ZLDWDM, 6) as admin_code,
           _survey_year, _source_file, _source_row from raw.dltb
    union all
    select 'DLTBGX', 'parcel', cast(BSM as varchar), left(ZLDWDM, 6), _survey_year, _source_file, _source_row
    from raw.dltbgx
    union all
    select 'DLTBGXGC', 'change_record', cast(BSM as varchar), left(coalesce(BGHZLDWDM, BGQZLDWDM), 6),
           _survey_year, _source_file, _source_row from raw.dltbgxgc
    union all
    select 'YJJBNT', 'pbf_polygon', cast(BSM as varchar), left(XZQDM, 6), _survey_year, _source_file, _source_row
    from raw.yjjbnt
    union all
    select 'YJJBNTCBQ', 'reserve_polygon', cast(BSM as varchar), left(XZQDM, 6), _survey_year, _source_file,
           _source_row from raw.yjjbntcbq
    union all
    select 'GBZNT', 'high_standard_project', XMBH, left(XZQDM, 6), _survey_year, _source_file, _source_row
    from raw.gbznt
    union all
    select 'LSGNQ', 'grain_zone', GNQBH, left(XZQDM, 6), _survey_year, _source_file, _source_row from raw.lsgnq
),

record_identifiers as (
    -- records are not per survey year: the file is the scope (the year slot carries the file instead)
    select 'supplement_projects' as layer, 'supplement_project' as entity_type, "项目编号" as id,
           left("县级行政区代码", 6) as admin_code, _source_file, _source_row
    from raw.supplement_projects
    union all
    select 'land_approvals', 'approval', "批准文号", left("县级行政区代码", 6), _source_file, _source_row
    from raw.land_approvals
    union all
    select 'consolidation_works', 'work', "工程编号", left("县级行政区代码", 6), _source_file, _source_row
    from raw.consolidation_works
    union all
    select 'enforcement_cases', 'case', "案件编号", left("县级行政区代码", 6), _source_file, _source_row
    from raw.enforcement_cases
    union all
    select 'quota_links', 'quota_link', "挂钩编号", null, _source_file, _source_row from raw.quota_links
    union all
    select 'quota_trades', 'quota_trade', "交易编号", left("调出县代码", 6), _source_file, _source_row
    from raw.quota_trades
)

select
    entity_type, id as entity_id, admin_code, _survey_year as year,
    layer, _source_file as source_file, _source_row as source_row,
    row_number() over (partition by layer, _survey_year, id order by _source_file, _source_row) as occurrence
from identifiers
where id is not null

union all

select
    entity_type, id as entity_id, admin_code, null as year,
    layer, _source_file as source_file, _source_row as source_row,
    row_number() over (partition by layer, _source_file, id order by _source_row) as occurrence
from record_identifiers
where id is not null
