-- 耕地保有量 against the target that applies to the scope and year.
select
    admin_level as entity_type, admin_code as entity_id, admin_code, year,
    cultivated_mu, target_mu, gap_mu
from {{ ref('cultivated_land') }}
where target_mu is not null
