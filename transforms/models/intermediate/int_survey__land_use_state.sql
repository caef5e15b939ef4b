-- The land-use state at the end of each survey year: one row per parcel × survey year, the parcel
-- versions valid in that year. Geometry stays on int_survey__parcel_versions (join on
-- parcel_version_id) so the state is not one polygon copy per year.

with

survey_years as (
    select year from {{ ref('int_survey__survey_years') }}
),

parcel_versions as (
    select * exclude (geom) from {{ ref('int_survey__parcel_versions') }}
),

land_classes as (
    select * from {{ ref('ref_land_classes') }}
),

state as (
    select
        survey_years.year as survey_year,
        parcel_versions.*
    from parcel_versions
    inner join survey_years
        on survey_years.year >= parcel_versions.valid_from
        and survey_years.year < coalesce(parcel_versions.valid_to, 10000)
),

classified as (
    select
        state.*,
        coalesce(land_classes.is_cultivated, false)         as is_cultivated,
        coalesce(land_classes.is_other_agricultural, false) as is_other_agricultural,
        coalesce(land_classes.is_construction, false)       as is_construction,
        coalesce(land_classes.is_wetland, false)            as is_wetland
    from state
    left join land_classes
        on land_classes.land_class = state.land_class
)

select * from classified
