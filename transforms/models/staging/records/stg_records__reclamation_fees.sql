-- 耕地开垦费缴纳 (funds/<year>/耕地开垦费缴纳_<year>.csv): one row per payment of the cultivated-land
-- reclamation fee for an approval, in 元, quarantined rows left out.
--
-- Personal data never enters staging: 缴款单位 (the payer) is not read by this model. It stays in
-- raw.reclamation_fees, which is neither published nor analyst-facing.

with

delivered as (
    select
        "缴款编号",
        "批准文号",
        "缴款金额(元)",
        "缴款日期",
        _year,
        _source_file,
        _source_row,
        _file_sha256,
        _loaded_at
    from {{ source('raw', 'reclamation_fees') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'reclamation_fees') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."缴款编号"') }}  as payment_no,
        {{ clean_code('not_quarantined."批准文号"') }}  as approval_no,
        {{ yuan('not_quarantined."缴款金额(元)"') }}    as amount_yuan,
        not_quarantined."缴款日期"                      as paid_on,
        not_quarantined._year                           as year,
        not_quarantined._source_file                    as source_file,
        not_quarantined._source_row                     as source_row,
        not_quarantined._file_sha256                    as file_sha256,
        not_quarantined._loaded_at                      as loaded_at
    from not_quarantined
)

select * from renamed
