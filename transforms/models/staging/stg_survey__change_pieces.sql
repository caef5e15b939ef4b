-- 地类图斑更新过程层 DLTBGXGC: one row per piece of area a year's change survey moved or changed,
-- with the before (BGQ…) and after (BGH…) attributes, quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'dltbgxgc') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'DLTBGXGC') }}
),

renamed as (
    select
        not_quarantined._survey_year                                   as change_year,
        -- a piece is its file and row: SOURCES.md lists no BSM for DLTBGXGC, and a delivered BSM
        -- is not guaranteed unique across a county's files (it stays an attribute)
        not_quarantined._source_file || '#' || not_quarantined._source_row as piece_id,
        not_quarantined."BSM"                                          as piece_bsm,
        {{ clean_code('not_quarantined."BGXW"') }}                     as change_kind,
        {{ change_kind_name(clean_code('not_quarantined."BGXW"')) }}   as change_kind_name,
        -- an empty XZQTZLX is the ordinary case: a change within the county
        coalesce({{ clean_code('not_quarantined."XZQTZLX"') }}, '0')   as admin_adjustment,
        {{ admin_adjustment_name("coalesce(" ~ clean_code('not_quarantined."XZQTZLX"') ~ ", '0')") }} as admin_adjustment_name,
        {{ area_m2('not_quarantined."TBBGMJ"') }}                      as piece_area_m2,
        {{ to_mu(area_m2('not_quarantined."TBBGMJ"')) }}               as piece_area_mu,
        not_quarantined."GXSJ"                                         as updated_on,
{{ change_side_columns('not_quarantined', 'BGQ', 'before') }},
{{ change_side_columns('not_quarantined', 'BGH', 'after') }},
        not_quarantined.geom                                           as geom,
        not_quarantined._source_file                                   as source_file,
        not_quarantined._source_row                                    as source_row,
        not_quarantined._file_sha256                                   as file_sha256,
        not_quarantined._loaded_at                                     as loaded_at
    from not_quarantined
)

select * from renamed
