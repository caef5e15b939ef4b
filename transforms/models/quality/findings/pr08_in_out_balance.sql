-- 进出平衡 per county and change year: land brought into 耕地 from other farm use must at least
-- match 耕地 taken into other farm use.
select
    'county' as entity_type, admin_code as entity_id, admin_code, year,
    in_mu, out_mu, net_mu
from {{ ref('in_out_balance') }}
where admin_level = 'county'
