-- 上划省统筹: a 垦造耕地 project put into the pool hands at least its provincial share to the province.
select
    'supplement_project' as entity_type, project_no as entity_id, county_code as admin_code,
    year(pooled_on) as year,
    cast(new_cultivated_mu as double) as new_cultivated_mu,
    cast(provincial_transfer_mu as double) as provincial_transfer_mu,
    round(cast(new_cultivated_mu as double) * {{ rule_parameter('PR14', 'provincial_share') }} - coalesce(cast(provincial_transfer_mu as double), 0), 4)
        as shortfall_mu
from {{ ref('stg_records__supplement_projects') }}
where project_type_name = '垦造耕地' and pooled_on is not null
