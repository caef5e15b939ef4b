-- 扣除地类面积 and 图斑地类面积 recomputed from TBMJ and KCXS (an empty KCXS deducts nothing).
with parcels as (
    select 'DLTB' as layer, _source_file, _source_row, _survey_year, BSM, ZLDWDM, TBMJ, KCXS, KCMJ, TBDLMJ
    from {{ source('raw', 'dltb') }}
    union all
    select 'DLTBGX', _source_file, _source_row, _survey_year, BSM, ZLDWDM, TBMJ, KCXS, KCMJ, TBDLMJ
    from {{ source('raw', 'dltbgx') }}
)

select
    'parcel' as entity_type, cast(BSM as varchar) as entity_id, left(ZLDWDM, 6) as admin_code,
    _survey_year as year, layer, _source_file as source_file, _source_row as source_row,
    TBMJ as tbmj, KCXS as kcxs, KCMJ as kcmj, TBDLMJ as tbdlmj,
    round(abs(coalesce(KCMJ, 0) - TBMJ * coalesce(KCXS, 0)), 6) as kcmj_error_m2,
    round(abs(TBDLMJ - (TBMJ - coalesce(KCMJ, 0))), 6) as tbdlmj_error_m2
from parcels
where TBMJ is not null
