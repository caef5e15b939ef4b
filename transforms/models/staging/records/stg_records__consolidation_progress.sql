-- 整治工程月度进展 (projects/整治工程月度进展_YYYYMM.csv): one row per consolidation work and reporting
-- month, cumulative completion in 亩 and m², quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'consolidation_progress') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'consolidation_progress') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."工程编号"') }}                      as work_id,
        not_quarantined."填报月份"                                          as report_month,
        {{ mu_exact('not_quarantined."永农集中连片整治累计完成(亩)"') }}    as completed_pbf_consolidation_mu,
        {{ mu_to_m2('not_quarantined."永农集中连片整治累计完成(亩)"') }}    as completed_pbf_consolidation_m2,
        {{ mu_exact('not_quarantined."高标准农田新建累计完成(亩)"') }}      as completed_high_standard_new_mu,
        {{ mu_to_m2('not_quarantined."高标准农田新建累计完成(亩)"') }}      as completed_high_standard_new_m2,
        {{ mu_exact('not_quarantined."高标准农田改造提升累计完成(亩)"') }}  as completed_high_standard_upgrade_mu,
        {{ mu_to_m2('not_quarantined."高标准农田改造提升累计完成(亩)"') }}  as completed_high_standard_upgrade_m2,
        {{ mu_exact('not_quarantined."建设用地复垦累计完成(亩)"') }}        as completed_construction_reclamation_mu,
        {{ mu_to_m2('not_quarantined."建设用地复垦累计完成(亩)"') }}        as completed_construction_reclamation_m2,
        {{ mu_exact('not_quarantined."补充耕地累计完成(亩)"') }}            as completed_supplement_mu,
        {{ mu_to_m2('not_quarantined."补充耕地累计完成(亩)"') }}            as completed_supplement_m2,
        {{ mu_exact('not_quarantined."低效用地整治累计完成(亩)"') }}        as completed_inefficient_land_mu,
        {{ mu_to_m2('not_quarantined."低效用地整治累计完成(亩)"') }}        as completed_inefficient_land_m2,
        {{ wan_yuan('not_quarantined."累计完成投资(万元)"') }}              as completed_investment_wan_yuan,
        {{ wan_yuan_to_yuan('not_quarantined."累计完成投资(万元)"') }}      as completed_investment_yuan,
        not_quarantined._year                                               as delivery_year,
        not_quarantined._source_file                                        as source_file,
        not_quarantined._source_row                                         as source_row,
        not_quarantined._file_sha256                                        as file_sha256,
        not_quarantined._loaded_at                                          as loaded_at
    from not_quarantined
)

select * from renamed
