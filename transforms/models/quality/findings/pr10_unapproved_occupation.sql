-- 违法占用耕地 (suspected): a change record taking 耕地 to construction land on ground no 建设用地 red
-- line approved on or before the change date covers. One row per change record (BGHTBBSM) of a
-- reconciled survey year; the uncovered area is what the expectation tests.
with reconciled as (
    select year from {{ reconciled_survey_years() }} as gate
)
select
    'change_record' as entity_type, cast(after_parcel_bsm as varchar) as entity_id,
    county_code as admin_code, change_year as year,
    any_value(village_code) as village_code,
    min(updated_on) as changed_on,
    string_agg(distinct before_land_class || '→' || after_land_class, ',') as change,
    string_agg(piece_id, ',' order by piece_id) as pieces,
    round(cast(sum(uncovered_planar_m2) as double), 2) as uncovered_m2,
    round({{ to_mu('cast(sum(uncovered_cultivated_m2) as double)') }}, 4) as cultivated_mu,
    round({{ to_mu('cast(sum(inside_pbf_cultivated_m2) as double)') }}, 4) as pbf_mu,
    list_distinct(flatten(list(covering_approvals))) as covering_approvals,
    list_distinct(flatten(list(approved_after_change))) as approved_after_change
from {{ ref('int_enforcement__occupation_cover') }}
where change_year in (select year from reconciled)
group by all
