-- The county each delivered row says it lies in: ZLDWDM's first six characters on parcels,
-- both sides of a change piece, XZQDM on control layers, 县级行政区代码 on the records of a county.
-- A quota trade is between two counties, one of which may lie outside the region: both codes must be
-- county codes and one of them the region's (the row stands for that side).
with declared as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, cast(BSM as varchar) as id,
           'parcel' as entity_type, 'ZLDWDM' as field, ZLDWDM as code
    from {{ source('raw', 'dltb') }}
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, cast(BSM as varchar), 'parcel', 'ZLDWDM', ZLDWDM
    from {{ source('raw', 'dltbgx') }}
    union all
    select 'DLTBGXGC', _source_file, _source_row, _survey_year, cast(BGHTBBSM as varchar), 'change_record',
           'BGQZLDWDM', BGQZLDWDM
    from {{ source('raw', 'dltbgxgc') }} where coalesce(XZQTZLX, '0') not in ('1', '3')
    union all
    select 'DLTBGXGC', _source_file, _source_row, _survey_year, cast(BGHTBBSM as varchar), 'change_record',
           'BGHZLDWDM', BGHZLDWDM
    from {{ source('raw', 'dltbgxgc') }} where coalesce(XZQTZLX, '0') not in ('2', '4')
    union all
    select 'YJJBNT', _source_file, _source_row, _survey_year, cast(BSM as varchar), 'pbf_polygon', 'XZQDM', XZQDM
    from {{ source('raw', 'yjjbnt') }}
    union all
    select 'YJJBNTCBQ', _source_file, _source_row, _survey_year, cast(BSM as varchar), 'reserve_polygon',
           'XZQDM', XZQDM
    from {{ source('raw', 'yjjbntcbq') }}
    union all
    select 'GBZNT', _source_file, _source_row, _survey_year, XMBH, 'high_standard_project', 'XZQDM', XZQDM
    from {{ source('raw', 'gbznt') }}
    union all
    select 'LSGNQ', _source_file, _source_row, _survey_year, GNQBH, 'grain_zone', 'XZQDM', XZQDM
    from {{ source('raw', 'lsgnq') }}
),

region_counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
),

record_counties as (
    select 'consolidation_works' as layer, _source_file, _source_row, null as _sheet, "工程编号" as id,
           'work' as entity_type, '县级行政区代码' as field, "县级行政区代码" as code
    from {{ source('raw', 'consolidation_works') }}
    union all
    select 'supplement_projects', _source_file, _source_row, null, "项目编号", 'supplement_project',
           '县级行政区代码', "县级行政区代码"
    from {{ source('raw', 'supplement_projects') }}
    union all
    select 'land_approvals', _source_file, _source_row, null, "批准文号", 'approval', '县级行政区代码',
           "县级行政区代码"
    from {{ source('raw', 'land_approvals') }}
    union all
    select 'enforcement_cases', _source_file, _source_row, null, "案件编号", 'case', '县级行政区代码',
           "县级行政区代码"
    from {{ source('raw', 'enforcement_cases') }}
    union all
    select 'reclamation_fee_standards', _source_file, _source_row, null, "县级行政区代码", 'county',
           '县级行政区代码', "县级行政区代码"
    from {{ source('raw', 'reclamation_fee_standards') }}
    union all
    select 'land_supply', _source_file, _source_row, _sheet, "县级行政区代码", 'county', '县级行政区代码',
           "县级行政区代码"
    from {{ source('raw', 'land_supply') }}
    union all
    select 'quota_trades', _source_file, _source_row, null, "交易编号", 'quota_trade',
           '调出县代码 / 调入县代码', coalesce("调出县代码", '') || ' → ' || coalesce("调入县代码", '')
    from {{ source('raw', 'quota_trades') }}
),

trade_sides as (
    -- the region's side of a trade whose two codes are both county codes, else the code as delivered
    select
        record_counties.*,
        case
            when layer <> 'quota_trades' then left(coalesce(trim(code), ''), 6)
            when not regexp_matches(code, '^[0-9]{6} → [0-9]{6}$') then code
            when left(code, 6) in (select admin_code from region_counties) then left(code, 6)
            else right(code, 6)
        end as county_code
    from record_counties
)

select
    entity_type, id as entity_id, left(coalesce(code, ''), 6) as admin_code, _survey_year as year,
    layer, _source_file as source_file, _source_row as source_row, null as source_sheet,
    field, code, left(coalesce(code, ''), 6) as county_code
from declared

union all

select
    entity_type, id as entity_id, county_code as admin_code, null as year,
    layer, _source_file as source_file, _source_row as source_row, _sheet as source_sheet,
    field, code, county_code
from trade_sides
