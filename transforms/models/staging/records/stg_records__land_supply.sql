-- 土地供应统计 (stats/<year>/土地供应统计_<year>.xlsx): one row per county and year of land-supply
-- statistics, areas in 亩 and m², GDP in 亿元 and 元, quarantined rows left out (matched on the sheet
-- too: row numbers repeat on every sheet of a workbook).

with

delivered as (
    select * from {{ source('raw', 'land_supply') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'land_supply', match_sheet=true) }}
),

renamed as (
    select
        not_quarantined._year                                             as year,
        {{ county_of('not_quarantined."县级行政区代码"') }}               as county_code,
        {{ county_name(county_of('not_quarantined."县级行政区代码"')) }}  as county_name,
        {{ mu_exact('not_quarantined."供应总量(亩)"') }}                  as supply_total_mu,
        {{ mu_to_m2('not_quarantined."供应总量(亩)"') }}                  as supply_total_m2,
        {{ mu_exact('not_quarantined."其中新增建设用地(亩)"') }}          as supply_new_construction_mu,
        {{ mu_to_m2('not_quarantined."其中新增建设用地(亩)"') }}          as supply_new_construction_m2,
        {{ mu_exact('not_quarantined."其中存量建设用地(亩)"') }}          as supply_existing_construction_mu,
        {{ mu_to_m2('not_quarantined."其中存量建设用地(亩)"') }}          as supply_existing_construction_m2,
        {{ mu_exact('not_quarantined."闲置土地总量(亩)"') }}              as idle_land_mu,
        {{ mu_to_m2('not_quarantined."闲置土地总量(亩)"') }}              as idle_land_m2,
        {{ mu_exact('not_quarantined."闲置土地处置量(亩)"') }}            as idle_land_disposed_mu,
        {{ mu_to_m2('not_quarantined."闲置土地处置量(亩)"') }}            as idle_land_disposed_m2,
        {{ mu_exact('not_quarantined."批而未供总量(亩)"') }}              as approved_unsupplied_mu,
        {{ mu_to_m2('not_quarantined."批而未供总量(亩)"') }}              as approved_unsupplied_m2,
        {{ mu_exact('not_quarantined."批而未供处置量(亩)"') }}            as approved_unsupplied_disposed_mu,
        {{ mu_to_m2('not_quarantined."批而未供处置量(亩)"') }}            as approved_unsupplied_disposed_m2,
        {{ mu_exact('not_quarantined."建设用地总面积(亩)"') }}            as construction_land_mu,
        {{ mu_to_m2('not_quarantined."建设用地总面积(亩)"') }}            as construction_land_m2,
        cast(not_quarantined."地区生产总值(亿元)" as decimal(18, 6))      as gdp_yi_yuan,
        cast(not_quarantined."地区生产总值(亿元)" * 100000000 as decimal(18, 2))
                                                                          as gdp_yuan,
        not_quarantined._source_file                                      as source_file,
        not_quarantined._sheet                                            as sheet,
        not_quarantined._source_row                                       as source_row,
        not_quarantined._file_sha256                                      as file_sha256,
        not_quarantined._loaded_at                                        as loaded_at
    from not_quarantined
)

select * from renamed
