-- 耕地开垦费标准 (funds/reference/耕地开垦费标准.csv): one row per county and 耕地等别 with the
-- reclamation-fee standard in 元/亩, and the county's highest standard (the max over its grades),
-- quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'reclamation_fee_standards') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'reclamation_fee_standards') }}
),

renamed as (
    select
        {{ county_of('not_quarantined."县级行政区代码"') }}               as county_code,
        {{ county_name(county_of('not_quarantined."县级行政区代码"')) }}  as county_name,
        cast(not_quarantined."耕地等别" as integer)                       as quality_grade,
        {{ yuan('not_quarantined."标准(元/亩)"') }}                       as standard_yuan_per_mu,
        not_quarantined._source_file                                      as source_file,
        not_quarantined._source_row                                       as source_row,
        not_quarantined._file_sha256                                      as file_sha256,
        not_quarantined._loaded_at                                        as loaded_at
    from not_quarantined
)

select
    renamed.county_code,
    renamed.county_name,
    renamed.quality_grade,
    renamed.standard_yuan_per_mu,
    max(renamed.standard_yuan_per_mu) over (partition by renamed.county_code)
                                                                          as county_highest_yuan_per_mu,
    renamed.source_file,
    renamed.source_row,
    renamed.file_sha256,
    renamed.loaded_at
from renamed
