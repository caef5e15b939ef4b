-- 占补挂钩 (projects/占补挂钩.csv): one row per use of supplementary-farmland quota by an approval,
-- quantities in 亩 and m², quarantined rows left out.

with

delivered as (
    select * from {{ source('raw', 'quota_links') }}
),

not_quarantined as (
    select * from delivered
    where {{ not_quarantined('delivered', 'quota_links') }}
),

renamed as (
    select
        {{ clean_code('not_quarantined."挂钩编号"') }}            as link_no,
        {{ clean_code('not_quarantined."批准文号"') }}            as approval_no,
        {{ clean_code('not_quarantined."补充项目编号"') }}        as supplement_project_no,
        not_quarantined."挂钩日期"                                as linked_on,
        {{ mu_exact('not_quarantined."数量指标(亩)"') }}          as quantity_mu,
        {{ mu_to_m2('not_quarantined."数量指标(亩)"') }}          as quantity_m2,
        {{ mu_exact('not_quarantined."水田指标(亩)"') }}          as paddy_mu,
        {{ mu_to_m2('not_quarantined."水田指标(亩)"') }}          as paddy_m2,
        cast(not_quarantined."产能指标(公斤)" as decimal(18, 2))  as capacity_kg,
        not_quarantined._source_file                              as source_file,
        not_quarantined._source_row                               as source_row,
        not_quarantined._file_sha256                              as file_sha256,
        not_quarantined._loaded_at                                as loaded_at
    from not_quarantined
)

select * from renamed
