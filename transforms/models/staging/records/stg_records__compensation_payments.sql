-- 耕地保护补偿资金发放明细 (funds/<year>/耕地保护补偿资金发放明细_<year>.xlsx): one row per village and
-- year of cultivated-land protection compensation, from the county's sheet (合计 rows are not loaded),
-- areas in 亩 and m², amounts in 元, quarantined rows left out. Row numbers repeat on every sheet, so
-- the quarantine is matched on the sheet too.

with

delivered as (
    select * from {{ source('raw', 'compensation_payments') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'compensation_payments', match_sheet=true) }}
),

-- The county: from the 村代码, else the county ref_region names like the sheet.
located as (
    select
        not_quarantined.*,
        coalesce(
            {{ county_of('not_quarantined."村代码"') }},
            (
                select r.admin_code from {{ ref('ref_region') }}  as r
                where r.admin_level = 'county' and r.admin_name = trim(not_quarantined._sheet)
            )
        )                                                         as _county_code
    from not_quarantined
),

renamed as (
    select
        located._year                                             as year,
        nullif(trim(located._sheet), '')                          as county_name_delivered,
        located._county_code                                      as county_code,
        {{ county_name('located._county_code') }}                 as county_name,
        located."序号"                                            as serial_no,
        {{ clean_code('located."乡镇(街道)"') }}                  as township_name,
        case when length(trim(located."村代码")) >= 9
            then left(trim(located."村代码"), 9) end              as township_code,
        {{ clean_code('located."行政村"') }}                      as village_name,
        {{ village_of('located."村代码"') }}                      as village_code,
        {{ mu_exact('located."永久基本农田面积"') }}              as pbf_area_mu,
        {{ mu_to_m2('located."永久基本农田面积"') }}              as pbf_area_m2,
        {{ mu_exact('located."一般耕地面积"') }}                  as general_cultivated_area_mu,
        {{ mu_to_m2('located."一般耕地面积"') }}                  as general_cultivated_area_m2,
        {{ yuan('located."永农补偿标准"') }}                      as pbf_rate_yuan_per_mu,
        {{ yuan('located."一般耕地补偿标准"') }}                  as general_rate_yuan_per_mu,
        {{ yuan('located."应发金额"') }}                          as amount_due_yuan,
        {{ yuan('located."实发金额"') }}                          as amount_paid_yuan,
        located."发放日期"                                        as paid_on,
        {{ clean_code('located."备注"') }}                        as remark,
        located._source_file                                      as source_file,
        located._sheet                                            as sheet,
        located._source_row                                       as source_row,
        located._file_sha256                                      as file_sha256,
        located._loaded_at                                        as loaded_at
    from located
)

select * from renamed
