-- 地、数、图一致: the 新增耕地面积 a supplement project declares against the 耕地 the change survey of its
-- acceptance year gained inside its boundary (int_enforcement__supplement_gains). Projects declaring
-- new 耕地, accepted in a reconciled survey year.
with reconciled as (
    select year from {{ reconciled_survey_years() }} as gate
)
select
    'supplement_project' as entity_type, project_no as entity_id, county_code as admin_code,
    accepted_year as year, project_type_name, accepted_on,
    round(cast(declared_mu as double), 4) as declared_mu,
    round(cast(gained_mu as double), 4) as gained_mu,
    gain_piece_count,
    case
        when gained_mu > 0 then round(abs(cast(declared_mu as double) - cast(gained_mu as double)) / cast(gained_mu as double), 4)
        else cast('infinity' as double)
    end as relative_difference
from {{ ref('int_enforcement__supplement_gains') }}
where declared_mu > 0
  and accepted_year in (select year from reconciled)
