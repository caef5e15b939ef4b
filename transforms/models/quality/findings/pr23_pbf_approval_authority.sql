-- 占用永久基本农田 must be approved by the State Council (001 §二(四)).
select
    'approval' as entity_type, approval_no as entity_id, county_code as admin_code,
    year(approved_on) as year, authority_level_name, occupied_pbf_mu
from {{ ref('stg_records__land_approvals') }}
where occupied_pbf_mu > 0
