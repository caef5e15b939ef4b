-- The 变更一览表 balance per county, class and change year, as the intermediate model computes it,
-- and the chain: a county's change year whose year before was not delivered cannot be reconciled at
-- all (it would be applied to an older state), so it fails with the missing year.
select
    'county_class' as entity_type,
    county_code || ':' || land_class as entity_id,
    county_code as admin_code, year,
    land_class, area_prev_m2, outflow_m2, inflow_m2, expected_m2, actual_m2, diff_m2,
    cast(null as integer) as missing_change_year
from {{ ref('int_survey__reconciliation') }}

union all

select
    'county_year' as entity_type,
    county_code || ':' || year as entity_id,
    county_code as admin_code, year,
    null, null, null, null, null, null, null,
    cast(missing_years_before[1] as integer) as missing_change_year
from {{ ref('int_survey__county_years') }}
where len(missing_years_before) > 0
