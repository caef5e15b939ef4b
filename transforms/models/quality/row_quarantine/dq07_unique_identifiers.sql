-- Identifiers per layer and survey year: BSM on parcels and protection polygons; and per record
-- file: 项目编号, 批准文号, 工程编号, 案件编号, 挂钩编号, 交易编号. `occurrence` counts in delivery order
-- (file, then row), so the first occurrence is kept and later duplicates are quarantined. An empty identifier is quarantined too: nothing can join
-- to it. A change piece's BSM is not an identifier (SOURCES.md: a piece is its file and row), and
-- the blocks of a 高标准农田 project or a 功能区 share its 项目编号 / 功能区编号 as boundary parts share their
-- record's 批准文号 / 项目编号, so those are only required, not counted.
with identifiers as (
    select 'DLTB' as layer, 'parcel' as entity_type, cast(BSM as varchar) as id, left(ZLDWDM, 6) as admin_code,
           _survey_year, _source_file, _source_row from {{ source('raw', 'dltb') }}
    union all
    select 'DLTBGX', 'parcel', cast(BSM as varchar), left(ZLDWDM, 6), _survey_year, _source_file, _source_row
    from {{ source('raw', 'dltbgx') }}
    union all
    select 'YJJBNT', 'pbf_polygon', cast(BSM as varchar), left(XZQDM, 6), _survey_year, _source_file, _source_row
    from {{ source('raw', 'yjjbnt') }}
    union all
    select 'YJJBNTCBQ', 'reserve_polygon', cast(BSM as varchar), left(XZQDM, 6), _survey_year, _source_file,
           _source_row from {{ source('raw', 'yjjbntcbq') }}
),

record_identifiers as (
    -- records are not per survey year: the file is the scope (the year slot carries the file instead)
    select 'supplement_projects' as layer, 'supplement_project' as entity_type, "项目编号" as id,
           left("县级行政区代码", 6) as admin_code, _source_file, _source_row
    from {{ source('raw', 'supplement_projects') }}
    union all
    select 'land_approvals', 'approval', "批准文号", left("县级行政区代码", 6), _source_file, _source_row
    from {{ source('raw', 'land_approvals') }}
    union all
    select 'consolidation_works', 'work', "工程编号", left("县级行政区代码", 6), _source_file, _source_row
    from {{ source('raw', 'consolidation_works') }}
    union all
    select 'enforcement_cases', 'case', "案件编号", left("县级行政区代码", 6), _source_file, _source_row
    from {{ source('raw', 'enforcement_cases') }}
    union all
    select 'quota_links', 'quota_link', "挂钩编号", null, _source_file, _source_row from {{ source('raw', 'quota_links') }}
    union all
    select 'quota_trades', 'quota_trade', "交易编号", left("调出县代码", 6), _source_file, _source_row
    from {{ source('raw', 'quota_trades') }}
)

select
    entity_type, id as entity_id, admin_code, _survey_year as year,
    layer, _source_file as source_file, _source_row as source_row,
    case when id is not null then
        row_number() over (partition by layer, _survey_year, id order by _source_file, _source_row)
    end as occurrence
from (select * replace (nullif(trim(id), '') as id) from identifiers)

union all

select
    entity_type, id as entity_id, admin_code, null as year,
    layer, _source_file as source_file, _source_row as source_row,
    case when id is not null then
        row_number() over (partition by layer, _source_file, id order by _source_row)
    end as occurrence
from (select * replace (nullif(trim(id), '') as id) from record_identifiers)

union all

-- blocks and parts: the 项目编号 / 功能区编号 / 批准文号 that ties a block to its project or a boundary
-- part to its record must be there
select
    entity_type, null as entity_id, admin_code, year,
    layer, _source_file as source_file, _source_row as source_row, null as occurrence
from (
    select 'GBZNT' as layer, 'high_standard_project' as entity_type, XMBH as id, left(XZQDM, 6) as admin_code,
           _survey_year as year, _source_file, _source_row
    from {{ source('raw', 'gbznt') }}
    union all
    select 'LSGNQ', 'grain_zone', GNQBH, left(XZQDM, 6), _survey_year, _source_file, _source_row from {{ source('raw', 'lsgnq') }}
    union all
    select 'YDHX', 'approval_boundary', "批准文号", null, null, _source_file, _source_row
    from {{ source('raw', 'approval_boundaries') }}
    union all
    select 'BCGDXMFW', 'supplement_boundary', "项目编号", null, null, _source_file, _source_row
    from {{ source('raw', 'supplement_boundaries') }}
)
where nullif(trim(id), '') is null
