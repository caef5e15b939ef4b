-- The survey years the warehouse holds a land-use state for, and how each is obtained:
-- a base year delivers the full state (DLTB); every later change-survey year replays
-- state(Y) = state(previous) − parcels its change pieces retire + its DLTBGX parcels,
-- until a later full DLTB (if delivered) replaces the replay from its year on.

with

base_deliveries as (
    select distinct survey_year as year
    from {{ ref('stg_survey__parcels') }}
),

change_surveys as (
    select distinct change_year as year
    from {{ ref('stg_survey__change_pieces') }}
    union
    select distinct survey_year as year
    from {{ ref('stg_survey__updated_parcels') }}
),

survey_years as (
    -- a change survey before the first base year has no state to apply to
    select year from base_deliveries
    union
    select year from change_surveys
    where year > (select min(year) from base_deliveries)
),

described as (
    select
        survey_years.year,
        survey_years.year in (select year from base_deliveries)              as has_base_delivery,
        survey_years.year in (select year from change_surveys)               as has_change_survey,
        case
            when survey_years.year in (select year from base_deliveries) then 'base'
            else 'replay'
        end                                                                  as state_source,
        lag(survey_years.year) over (order by survey_years.year)             as previous_year
    from survey_years
),

final as (
    select
        *,
        -- DQ09 checks a year's change survey against the state of the year before it
        has_change_survey and previous_year is not null                      as needs_reconciliation
    from described
)

select * from final
