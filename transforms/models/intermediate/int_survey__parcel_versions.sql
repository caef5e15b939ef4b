-- Every version of every parcel, with the survey years it is part of the state:
-- valid from the year it was delivered (a base DLTB, or the DLTBGX of a change survey) until
-- (exclusive) the first later change survey whose pieces retire its BSM (BGQTBBSM), or the next
-- full DLTB, whichever comes first. No recursion: one join per way a version ends.

with

survey_years as (
    select * from {{ ref('int_survey__survey_years') }}
),

base_parcels as (
    select
        'DLTB' as source_layer,
        survey_year as valid_from,
        *
    from {{ ref('stg_survey__parcels') }}
    where {{ in_county_partition('county_code') }}
),

updated_parcels as (
    -- a year that also has a full DLTB takes its state from the DLTB, not from the replay
    select
        'DLTBGX' as source_layer,
        updated.survey_year as valid_from,
        updated.*
    from {{ ref('stg_survey__updated_parcels') }} as updated
    inner join survey_years
        on survey_years.year = updated.survey_year
        and survey_years.state_source = 'replay'
    where {{ in_county_partition('updated.county_code') }}
),

parcel_versions as (
    select * from base_parcels
    union all by name
    select * from updated_parcels
),

retirements as (
    -- from every county: BSM is unique in the layer, and a piece may retire a parcel of the county
    -- it moved out of (XZQTZLX 2)
    select distinct
        before_parcel_bsm as bsm,
        change_year
    from {{ ref('stg_survey__change_pieces') }}
    where before_parcel_bsm is not null
),

retired_by as (
    -- the first change survey after the version appeared that retires its BSM
    select
        parcel_versions.source_layer,
        parcel_versions.valid_from,
        parcel_versions.bsm,
        min(retirements.change_year) as retired_in_year
    from parcel_versions
    inner join retirements
        on retirements.bsm = parcel_versions.bsm
        and retirements.change_year > parcel_versions.valid_from
    group by all
),

superseded_by as (
    -- the next full DLTB after the year the version appeared
    select
        version_years.valid_from,
        min(base_years.year) as superseded_in_year
    from (select distinct valid_from from parcel_versions) as version_years
    inner join survey_years as base_years
        on base_years.state_source = 'base'
        and base_years.year > version_years.valid_from
    group by all
),

final as (
    select
        parcel_versions.source_layer || ':' || parcel_versions.valid_from || ':' || parcel_versions.bsm
                                                            as parcel_version_id,
        parcel_versions.bsm,
        parcel_versions.source_layer,
        parcel_versions.valid_from,
        nullif(
            least(
                coalesce(retired_by.retired_in_year, 10000),
                coalesce(superseded_by.superseded_in_year, 10000)
            ),
            10000
        )                                                   as valid_to,
        retired_by.retired_in_year,
        superseded_by.superseded_in_year,
        parcel_versions.* exclude (source_layer, valid_from, bsm, survey_year)
    from parcel_versions
    left join retired_by
        on retired_by.source_layer = parcel_versions.source_layer
        and retired_by.valid_from = parcel_versions.valid_from
        and retired_by.bsm = parcel_versions.bsm
    left join superseded_by
        on superseded_by.valid_from = parcel_versions.valid_from
)

select * from final
