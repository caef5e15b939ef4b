-- 田长名册 (projects/田长名册.csv): one row per field-chief (田长) appointment: its level, the
-- administrative unit it covers and the appointment date, quarantined rows left out.
--
-- Personal data never enters staging: 姓名 and 联系电话 are not read past the first CTE, which keeps
-- only whether a phone number was given (has_contact). They stay in raw.field_chiefs, which is neither
-- published nor analyst-facing.

with

delivered as (
    select
        "层级",
        "行政区代码",
        "任职日期",
        nullif(trim("联系电话"), '') is not null                   as has_contact,
        _source_file,
        _source_row,
        _file_sha256,
        _loaded_at
    from {{ source('raw', 'field_chiefs') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'field_chiefs') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."层级"') }}                 as admin_level_name,
        case {{ clean_code('not_quarantined."层级"') }}
            when '市' then 'city'
            when '县' then 'county'
            when '镇' then 'township'
            when '村' then 'village'
        end                                                        as admin_level,
        {{ clean_code('not_quarantined."行政区代码"') }}           as admin_code,
        not_quarantined."任职日期"                                 as appointed_on,
        not_quarantined.has_contact                                as has_contact,
        not_quarantined._source_file                               as source_file,
        not_quarantined._source_row                                as source_row,
        not_quarantined._file_sha256                               as file_sha256,
        not_quarantined._loaded_at                                 as loaded_at
    from not_quarantined
)

select
    renamed.admin_level_name,
    renamed.admin_level,
    renamed.admin_code,
    case when renamed.admin_level in ('county', 'township', 'village') then left(renamed.admin_code, 6) end
                                                                   as county_code,
    case when renamed.admin_level in ('county', 'township', 'village')
        then {{ county_name('left(renamed.admin_code, 6)') }} end  as county_name,
    case when renamed.admin_level in ('township', 'village') and length(renamed.admin_code) >= 9
        then left(renamed.admin_code, 9) end                       as township_code,
    case when renamed.admin_level = 'village' and length(renamed.admin_code) >= 12
        then left(renamed.admin_code, 12) end                      as village_code,
    renamed.appointed_on,
    renamed.has_contact,
    renamed.source_file,
    renamed.source_row,
    renamed.file_sha256,
    renamed.loaded_at
from renamed
