-- 永久基本农田转为其他农用地: a change record taking 耕地 to other agricultural land (园地, 林地, 坑塘 …)
-- on ground inside 永农 in force in the change year. One row per change record (BGHTBBSM) of a
-- reconciled survey year; the area inside 永农 is what the expectation tests.
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
    round(cast(sum(inside_pbf_planar_m2) as double), 2) as inside_pbf_m2,
    round({{ to_mu('cast(sum(inside_pbf_cultivated_m2) as double)') }}, 4) as cultivated_mu,
    round({{ to_mu('cast(sum(inside_pbf_cultivated_m2) as double)') }}, 4) as pbf_mu,
    list_sort(flatten(list(pbf_polygon_ids))) as pbf_polygons
from {{ ref('int_enforcement__cultivated_loss_pieces') }}
where loss_kind = 'other_agricultural'
  and change_year in (select year from reconciled)
group by all
