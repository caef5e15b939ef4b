-- Which survey years each county delivered, and where its chain of change surveys is broken.
-- A county's change years must follow its base year without a gap (SOURCES.md: year Y rests on the
-- state at the end of Y−1): with 2024 missing, 2025 would be applied to the state of 2023 and every
-- later figure would be wrong while still reconciling. A gap blocks the years after it at the DQ09 gate.
--
-- A county with no change in a year has no rows in that year's layers. Whether that is "no change" or
-- "not delivered" depends on how the year came: the layout of SOURCES.md (survey/<year>/DLTBGXGC.*) is
-- one file for the region, so a county absent from it had no change; a file whose name carries a county
-- code (DLTBGXGC_330402.gpkg) speaks for that county alone, so where every file of the year is such a
-- file, a county without one did not deliver; a year with no change-survey file at all is missing.

with

base_deliveries as (
    select distinct county_code, survey_year as year, source_file, 'DLTB' as layer
    from {{ ref('stg_survey__parcels') }}
    where county_code is not null
),

change_deliveries as (
    select distinct county_code, survey_year as year, source_file, 'DLTBGX' as layer
    from {{ ref('stg_survey__updated_parcels') }}
    where county_code is not null
    union
    select distinct before_county_code, change_year, source_file, 'DLTBGXGC'
    from {{ ref('stg_survey__change_pieces') }}
    where before_county_code is not null
    union
    select distinct after_county_code, change_year, source_file, 'DLTBGXGC'
    from {{ ref('stg_survey__change_pieces') }}
    where after_county_code is not null
),

delivered as (
    select county_code, year, layer from base_deliveries
    union all
    select county_code, year, layer from change_deliveries
),

change_years as (
    -- per change year: does some file of it speak for the whole region (no county code in its name)?
    select
        year,
        bool_or(not regexp_matches(regexp_extract(source_file, '[^/]+$'), '(^|[^0-9])[0-9]{6}([^0-9]|$)'))
            as has_region_file
    from change_deliveries
    group by all
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

uncovered_years as (
    -- years after a county's base year and before its last delivered year that hold nothing of it
    -- and came as files of other counties only, or did not come at all
    select county_code, list(candidate.year order by candidate.year) as years
    from (
        select county_code, unnest(range(base_year + 1, last_year)) as year
        from (
            select first_base.county_code, first_base.base_year, max(county_years.year) as last_year
            from first_base
            inner join county_years using (county_code)
            group by all
        )
    ) as candidate
    left join county_years using (county_code, year)
    left join change_years using (year)
    where county_years.year is null
      and not coalesce(change_years.has_region_file, false)
    group by all
),

chained as (
    select
        county_years.*,
        first_base.base_year,
        lag(county_years.year) over (
            partition by county_years.county_code order by county_years.year
        )                                                as previous_delivered_year,
        coalesce(uncovered_years.years, [])              as uncovered
    from county_years
    left join first_base using (county_code)
    left join uncovered_years using (county_code)
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
        -- a later full DLTB starts a new chain and needs no predecessor
        case
            when not has_base_delivery and base_year < year
                then list_filter(uncovered, missing -> missing > previous_delivered_year and missing < year)
            else []
        end                                              as missing_years_before
    from chained
)

select * from final
