-- 占补平衡 per approval: what it occupied (数量 / 水田 / 产能, of which 永农 and 示范区), what its
-- quota links supplied, whether each balances (占一补一, 占水补水, 占优补优), whether the supply came
-- first (先补后占), and the 耕地开垦费 due against what was paid.
-- The balances and the fee bind 非农建设占用耕地 only (001 §三(六)): for a 临时用地 or 设施农业用地
-- approval they are not applicable, NULL with the reason (ref_land_use_types), never a failed balance.

with

approvals as (
    select * from {{ ref('stg_records__land_approvals') }}
),

applicability as (
    -- whether the 占补平衡 and the 耕地开垦费 bind an approval, by its 用地类型
    select
        land_use_type,
        occupation_balance_applies as balance_applies,
        not_applicable_reason      as balance_not_applicable_reason
    from {{ ref('ref_land_use_types') }}
),

links as (
    select * from {{ ref('stg_records__quota_links') }}
),

supplement_projects as (
    select project_no, pooled_on from {{ ref('stg_records__supplement_projects') }}
),

grain_capacity as (
    select quality_grade, capacity_kg_per_mu from {{ ref('ref_grain_capacity') }}
),

fee_standards as (
    select * from {{ ref('stg_records__reclamation_fee_standards') }}
),

fee_multipliers as (
    -- the rule catalog's PR07 parameters, passed in by the pipeline (dbt_project.yml holds the defaults)
    select
        {{ rule_parameter('PR07', 'pbf_multiplier') }} as pbf_multiplier,
        {{ rule_parameter('PR07', 'demonstration_multiplier') }} as demo_multiplier
),

fees_paid as (
    select approval_no, sum(amount_yuan) as fee_paid_yuan
    from {{ ref('stg_records__reclamation_fees') }}
    group by approval_no
),

occupied_capacity as (
    -- 占用耕地产能: the occupied 耕地 × the grain capacity of its mean grade (rounded to a grade)
    select
        approvals.approval_no,
        approvals.occupied_mu * grain_capacity.capacity_kg_per_mu as occupied_capacity_kg
    from approvals
    left join grain_capacity
        on grain_capacity.quality_grade = cast(round(approvals.occupied_mean_grade) as integer)
),

supplied as (
    select
        links.approval_no,
        sum(links.quantity_mu)                                       as supplied_mu,
        sum(links.paddy_mu)                                          as supplied_paddy_mu,
        sum(links.capacity_kg)                                       as supplied_capacity_kg,
        max(links.linked_on)                                         as last_linked_on,
        max(supplement_projects.pooled_on)                           as last_pooled_on,
        count(*) filter (where supplement_projects.pooled_on is null) as links_to_unpooled
    from links
    left join supplement_projects
        on supplement_projects.project_no = links.supplement_project_no
    group by links.approval_no
),

fee_due as (
    -- 001 §二(四): 一般耕地 at the standard of the approval's grade; 永农 at the county's highest
    -- standard × 2; 示范区 at the highest × 3 (multipliers: rule catalog, PR07)
    select
        approvals.approval_no,
        (approvals.occupied_mu - approvals.occupied_pbf_mu) * grade_standard.standard_yuan_per_mu
        + (approvals.occupied_pbf_mu - approvals.occupied_demo_mu)
            * grade_standard.county_highest_yuan_per_mu * fee_multipliers.pbf_multiplier
        + approvals.occupied_demo_mu * grade_standard.county_highest_yuan_per_mu * fee_multipliers.demo_multiplier
            as fee_due_yuan
    from approvals
    cross join fee_multipliers
    left join fee_standards as grade_standard
        on grade_standard.county_code = approvals.county_code
        and grade_standard.quality_grade = cast(round(approvals.occupied_mean_grade) as integer)
),

final as (
    select
        approvals.approval_no,
        approvals.county_code,
        approvals.land_use_type,
        approvals.approved_on,
        approvals.authority_level,
        approvals.is_commitment,
        {{ as_double('approvals.occupied_mu') }}                              as occupied_mu,
        {{ as_double('approvals.occupied_paddy_mu') }}                        as occupied_paddy_mu,
        {{ as_double('approvals.occupied_pbf_mu') }}                          as occupied_pbf_mu,
        {{ as_double('approvals.occupied_demo_mu') }}                         as occupied_demo_mu,
        {{ as_double('occupied_capacity.occupied_capacity_kg') }}             as occupied_capacity_kg,
        {{ as_double('coalesce(supplied.supplied_mu, 0)') }}                  as supplied_mu,
        {{ as_double('coalesce(supplied.supplied_paddy_mu, 0)') }}            as supplied_paddy_mu,
        {{ as_double('coalesce(supplied.supplied_capacity_kg, 0)') }}         as supplied_capacity_kg,
        applicability.balance_applies,
        applicability.balance_not_applicable_reason,
        case when applicability.balance_applies then
            coalesce(supplied.supplied_mu, 0) >= approvals.occupied_mu
        end                                                                   as quantity_balanced,
        case when applicability.balance_applies then
            coalesce(supplied.supplied_paddy_mu, 0) >= approvals.occupied_paddy_mu
        end                                                                   as paddy_balanced,
        case when applicability.balance_applies then
            coalesce(supplied.supplied_capacity_kg, 0) >= coalesce(occupied_capacity.occupied_capacity_kg, 0)
        end                                                                   as capacity_balanced,
        case when applicability.balance_applies then
            supplied.last_pooled_on <= approvals.approved_on and supplied.links_to_unpooled = 0
        end                                                                   as supplied_before_approval,
        supplied.last_linked_on                                               as last_linked_on,
        supplied.last_pooled_on                                               as last_pooled_on,
        approvals.commitment_due,
        case when applicability.balance_applies then
            {{ as_double('fee_due.fee_due_yuan') }}
        end                                                                   as fee_due_yuan,
        {{ as_double('coalesce(fees_paid.fee_paid_yuan, 0)') }}               as fee_paid_yuan
    from approvals
    left join applicability using (land_use_type)
    left join occupied_capacity using (approval_no)
    left join supplied using (approval_no)
    left join fee_due using (approval_no)
    left join fees_paid using (approval_no)
)

select * from final
