-- Which survey years each county delivered, and where its chain of change surveys is broken.
-- A county's change years must follow its base year without a gap (SOURCES.md: year Y rests on the
-- state at the end of Y−1): with 2024 missing, 2025 would be applied to the state of 2023 and every
-- later figure would be wrong while still reconciling. A gap blocks the years after it at the DQ09 gate.

with

base_deliveries as (
    select distinct county_code, survey_year as year, 'DLTB' as layer
    from {{ ref('stg_survey__parcels') }}
    where county_code is not null
),

change_deliveries as (
    select distinct county_code, survey_year as year, 'DLTBGX' as layer
    from {{ ref('stg_survey__updated_parcels') }}
    where county_code is not null
    union
    select distinct before_county_code, change_year, 'DLTBGXGC'
    from {{ ref('stg_survey__change_pieces') }}
    where before_county_code is not null
    union
    select distinct after_county_code, change_year, 'DLTBGXGC'
    from {{ ref('stg_survey__change_pieces') }}
    where after_county_code is not null
),

delivered as (
    select county_code, year, layer from base_deliveries
    union all
    select county_code, year, layer from change_deliveries
),

county_years as (
    select
        county_code,
        year,
        bool_or(layer = 'DLTB')                          as has_base_delivery,
        bool_or(layer in ('DLTBGX', 'DLTBGXGC'))         as has_change_survey,
        list(distinct layer order by layer)              as layers
    from delivered
    group by all
),

first_base as (
    select county_code, min(year) as base_year
    from base_deliveries
    group by all
),

chained as (
    select
        county_years.*,
        first_base.base_year,
        lag(county_years.year) over (
            partition by county_years.county_code order by county_years.year
        )                                                as previous_delivered_year
    from county_years
    left join first_base using (county_code)
),

final as (
    select
        county_code,
        year,
        has_base_delivery,
        has_change_survey,
        layers,
        base_year,
        previous_delivered_year,
        -- a change year after the base whose year before was not delivered: the years in between are
        -- missing (a later full DLTB starts a new chain and needs no predecessor)
        case
            when not has_base_delivery and base_year < year and previous_delivered_year < year - 1
                then range(previous_delivered_year + 1, year)
            else []
        end                                              as missing_years_before
    from chained
)

select * from final
