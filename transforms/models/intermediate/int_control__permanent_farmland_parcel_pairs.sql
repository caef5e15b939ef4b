-- Candidate pairs for the 永农 × 耕地 overlay: every permanent-farmland patch and every cultivated
-- parcel version (valid in some control year) whose polygons intersect. Ids only.
--
-- Why a model of its own: DuckDB plans ST_Intersects as an R-tree SPATIAL_JOIN only when it is
-- the join's sole condition. Any other condition between the two sides in the same query
-- (county_code =, year =, year range) is pulled into a hash or merge join and ST_Intersects
-- becomes a filter over the county's full cross product (150 000 parcels × every patch). So the
-- spatial join stands alone here; int_control__permanent_farmland_on_cultivated keeps the pairs
-- of the same county and year and computes the intersection areas.

with

control_years as (
    -- control years that also have a land-use state
    select distinct control_year as year
    from {{ ref('stg_control__permanent_farmland') }}
    where control_year in (select year from {{ ref('int_survey__survey_years') }})
),

permanent_farmland as (
    select control_year, bsm, source_file, source_row, geom
    from {{ ref('stg_control__permanent_farmland') }}
    where geom is not null
      and control_year in (select year from control_years)
),

cultivated_versions as (
    select versions.parcel_version_id, versions.geom
    from {{ ref('int_survey__parcel_versions') }} as versions
    inner join {{ ref('ref_land_classes') }} as land_classes
        on land_classes.land_class = versions.land_class
        and land_classes.is_cultivated
    where versions.geom is not null
      and exists (
          select 1 from control_years
          where control_years.year >= versions.valid_from
            and control_years.year < coalesce(versions.valid_to, 10000)
      )
),

intersecting as (
    select
        permanent_farmland.control_year,
        permanent_farmland.source_file as pbf_source_file,
        permanent_farmland.source_row as pbf_source_row,
        permanent_farmland.bsm as pbf_bsm,
        cultivated_versions.parcel_version_id
    from permanent_farmland
    inner join cultivated_versions
        on st_intersects(permanent_farmland.geom, cultivated_versions.geom)
)

select * from intersecting
