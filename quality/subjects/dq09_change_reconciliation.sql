-- The 变更一览表 balance per county, class and change year, as the intermediate model computes it.
select
    'county_class' as entity_type,
    county_code || ':' || land_class as entity_id,
    county_code as admin_code, year,
    land_class, area_prev_m2, outflow_m2, inflow_m2, expected_m2, actual_m2, diff_m2
from intermediate.int_survey__reconciliation
