-- 指标调剂 (projects/指标调剂.csv): one row per quota trade between two counties, quantities in 亩 and
-- m², price in 万元/亩 and 元/亩, quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'quota_trades') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'quota_trades') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."交易编号"') }}                 as trade_no,
        {{ county_of('not_quarantined."调出县代码"') }}                as from_county_code,
        {{ county_name(county_of('not_quarantined."调出县代码"')) }}   as from_county_name,
        {{ county_of('not_quarantined."调入县代码"') }}                as to_county_code,
        {{ county_name(county_of('not_quarantined."调入县代码"')) }}   as to_county_name,
        not_quarantined."交易日期"                                     as traded_on,
        {{ mu_exact('not_quarantined."数量指标(亩)"') }}               as quantity_mu,
        {{ mu_to_m2('not_quarantined."数量指标(亩)"') }}               as quantity_m2,
        {{ mu_exact('not_quarantined."水田指标(亩)"') }}               as paddy_mu,
        {{ mu_to_m2('not_quarantined."水田指标(亩)"') }}               as paddy_m2,
        cast(not_quarantined."产能指标(公斤)" as decimal(18, 2))       as capacity_kg,
        {{ wan_yuan('not_quarantined."成交单价(万元/亩)"') }}          as unit_price_wan_yuan_per_mu,
        {{ wan_yuan_to_yuan('not_quarantined."成交单价(万元/亩)"') }}  as unit_price_yuan_per_mu,
        -- 万元/亩 × 亩 × 10 000, exact: DECIMAL(38) operands, as an 18-digit product overflows DECIMAL(18).
        cast(
            cast(not_quarantined."成交单价(万元/亩)" as decimal(38, 6))
            * cast(not_quarantined."数量指标(亩)" as decimal(38, 4)) * 10000 as decimal(18, 2)
        )                                                              as trade_value_yuan,
        not_quarantined._source_file                                   as source_file,
        not_quarantined._source_row                                    as source_row,
        not_quarantined._file_sha256                                   as file_sha256,
        not_quarantined._loaded_at                                     as loaded_at
    from not_quarantined
)

select * from renamed
