-- 田长制 人田对应 (000 §三(二)1): in the latest 永农 control year, every village holding 永农 (some parcel of
-- its land-use state that year lies within pbf_distance_m (5 m) of a YJJBNT patch) needs a village-level 田长, and every
-- county of the region a county-level 田长, appointed by the end of that year.
with control_year as (
    select max(control_year) as year from {{ ref('stg_control__permanent_farmland') }}
),

permanent_farmland as (
    select control_year, geom from {{ ref('stg_control__permanent_farmland') }} where geom is not null
),

parcels as (
    select village_code, valid_from, valid_to, geom from {{ ref('int_survey__parcel_versions') }}
    where geom is not null and village_code is not null
),

near_pairs as materialized (
    -- materialized: the distance join stands alone, so DuckDB plans it as an R-tree SPATIAL_JOIN;
    -- years are matched after (a year condition in the same join would make it a filter over a cross product)
    select parcels.village_code, parcels.valid_from, parcels.valid_to, permanent_farmland.control_year
    from parcels
    inner join permanent_farmland on st_dwithin(parcels.geom, permanent_farmland.geom, {{ rule_parameter('PR21', 'pbf_distance_m') }})
),

holding as (
    -- parcel versions valid in the control year
    select distinct near_pairs.village_code
    from near_pairs, control_year
    where near_pairs.control_year = control_year.year
      and near_pairs.valid_from <= control_year.year
      and control_year.year < coalesce(near_pairs.valid_to, 10000)
),

chiefs as (
    select admin_level, admin_code from {{ ref('stg_records__field_chiefs') }}
    where appointed_on is null or appointed_on <= make_date((select year from control_year), 12, 31)
),

counties as (
    select admin_code from {{ ref('ref_region') }} where admin_level = 'county'
)

select
    'village' as entity_type, village_code as entity_id, left(village_code, 6) as admin_code,
    (select year from control_year) as year,
    true as holds_permanent_farmland,
    exists (select 1 from chiefs where chiefs.admin_level = 'village' and chiefs.admin_code = holding.village_code)
        as has_field_chief
from holding

union all

select
    'county' as entity_type, admin_code as entity_id, admin_code, (select year from control_year) as year,
    null as holds_permanent_farmland,
    exists (select 1 from chiefs where chiefs.admin_level = 'county' and chiefs.admin_code = counties.admin_code)
        as has_field_chief
from counties
