-- Every enforcement case (违法用地案件, every source: 卫片执法, 巡查, 举报, 铁塔探头) as it stands at the
-- end of the latest survey year: open or not (macro case_is_open, the one meaning of 未结案), its
-- colour (macro case_colour), and the survey finding it answers (case_lifecycle's matching), NULL for a
-- case no finding of the survey explains (a 举报 about land the survey did not see change, a case
-- found before the survey years). A case found after that year end is listed, not yet open.

with

latest_year as (
    select make_date(max(year), 12, 31) as year_end
    from {{ reconciled_survey_years() }} as reconciled
),

cases as (
    select cases.*, latest_year.year_end as as_of
    from {{ ref('stg_records__enforcement_cases') }} as cases
    cross join latest_year
),

answered as (
    -- the survey finding each case answers (a case answers one finding at most)
    select case_no, rule_id, finding_name, entity_type, entity_id
    from {{ ref('case_lifecycle') }}
    where case_no is not null
),

standing as (
    -- where each case stands at the year end
    select
        cases.*,
        {{ case_is_open('cases.as_of', 'cases.discovered_on', 'cases.closed_on') }} as is_open,
        case when cases.discovered_on <= cases.as_of then
            {{ case_colour('cases.as_of', 'true', case_no='cases.case_no',
                           discovered_on='cases.discovered_on', rectified_on='cases.rectified_on',
                           closed_on='cases.closed_on', status='cases.status') }}
        end                                                                     as colour
    from cases
),

final as (
    select
        standing.case_no,
        standing.county_code,
        standing.village_code,
        standing.discovery_source,
        standing.discovery_source_name,
        standing.discovered_on,
        year(standing.discovered_on)                                            as year,
        standing.problem_type,
        standing.problem_type_name,
        standing.problem_category,
        {{ as_double('standing.occupied_mu') }}                                 as occupied_mu,
        {{ as_double('standing.occupied_cultivated_mu') }}                      as occupied_cultivated_mu,
        {{ as_double('standing.occupied_pbf_mu') }}                             as occupied_pbf_mu,
        standing.status,
        standing.status_name,
        standing.rectified_on,
        standing.closed_on,
        standing.as_of,
        standing.is_open,
        standing.colour,
        {{ case_colour_name('standing.colour') }}                               as colour_name,
        answered.rule_id,
        answered.finding_name,
        answered.entity_type,
        answered.entity_id,
        standing.source_file,
        standing.source_row
    from standing
    left join answered using (case_no)
)

select * from final
