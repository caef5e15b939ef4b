-- 永久基本农田 (Σ JBNTMJ) against the target that applies to the scope and year.
select
    admin_level as entity_type, admin_code as entity_id, admin_code, year,
    pbf_mu, target_mu, gap_mu
from {{ ref('permanent_farmland') }}
where target_mu is not null
