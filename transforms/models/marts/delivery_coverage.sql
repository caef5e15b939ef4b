-- 交付覆盖 (delivery coverage): what every build rests on, per county × year × delivered layer or record
-- kind, and for the city which of its counties it sums. A county of ref_region that delivered nothing
-- of a source has a row with delivered = false, so "not reported" is stated, never inferred from an
-- absent row. Rows are the staged rows (quarantined rows left out). ref_delivery_sources says, per
-- source, whether a county delivers it by the rows naming the county (scope county) or one file covers
-- the region (scope region). The rule runner reads this model to leave a county out of the rules whose
-- inputs it did not deliver.

{# raw table → its staging model, the county its rows name, the <year> they were delivered for #}
{%- set staged = [
    ('dltb', 'stg_survey__parcels', 'county_code', 'survey_year'),
    ('dltbgx', 'stg_survey__updated_parcels', 'county_code', 'survey_year'),
    ('dltbgxgc', 'stg_survey__change_pieces', 'coalesce(before_county_code, after_county_code)', 'change_year'),
    ('yjjbnt', 'stg_control__permanent_farmland', 'county_code', 'control_year'),
    ('yjjbntcbq', 'stg_control__pbf_reserve', 'county_code', 'control_year'),
    ('gbznt', 'stg_control__high_standard_farmland', 'county_code', 'control_year'),
    ('lsgnq', 'stg_control__grain_zones', 'county_code', 'control_year'),
    ('approval_boundaries', 'stg_projects__approval_boundaries', 'null', 'null'),
    ('supplement_boundaries', 'stg_projects__supplement_boundaries', 'null', 'null'),
    ('consolidation_works', 'stg_records__consolidation_works', 'county_code', 'null'),
    ('consolidation_progress', 'stg_records__consolidation_progress', 'null', 'delivery_year'),
    ('supplement_projects', 'stg_records__supplement_projects', 'county_code', 'null'),
    ('land_approvals', 'stg_records__land_approvals', 'county_code', 'null'),
    ('quota_links', 'stg_records__quota_links', 'null', 'null'),
    ('quota_trades', 'stg_records__quota_trades', 'null', 'null'),
    ('enforcement_cases', 'stg_records__enforcement_cases', 'county_code', 'null'),
    ('field_chiefs', 'stg_records__field_chiefs', 'county_code', 'null'),
    ('compensation_payments', 'stg_records__compensation_payments', 'county_code', 'year'),
    ('reclamation_fees', 'stg_records__reclamation_fees', 'null', 'year'),
    ('farmland_maintenance', 'stg_records__farmland_maintenance', 'null', 'delivery_year'),
    ('reclamation_fee_standards', 'stg_records__reclamation_fee_standards', 'county_code', 'null'),
    ('land_supply', 'stg_records__land_supply', 'county_code', 'year'),
] %}

with

sources as (
    select source, raw_table, source_kind, delivered_as, scope from {{ ref('ref_delivery_sources') }}
),

counties as (
    select admin_code, region_code from {{ ref('ref_region') }} where admin_level = 'county'
),

delivered_rows as (
    {%- for raw_table, model, county, year in staged %}
    select
        '{{ raw_table }}'               as raw_table,
        cast({{ county }} as varchar)   as county_code,
        cast({{ year }} as integer)     as year,
        source_file,
        loaded_at
    from {{ ref(model) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

source_years as (
    select distinct raw_table, year from delivered_rows
),

spine as (
    -- every county × every year anybody delivered the source in; a source nobody delivered: year NULL
    select sources.*, counties.admin_code, counties.region_code, source_years.year
    from sources
    cross join counties
    left join source_years on source_years.raw_table = sources.raw_table
),

by_county as (
    select
        raw_table,
        county_code,
        year,
        count(*)                                            as rows,
        list(distinct source_file order by source_file)     as source_files,
        max(loaded_at)                                      as loaded_at
    from delivered_rows
    where county_code is not null
    group by all
),

by_source as (
    select
        raw_table,
        year,
        count(*)                                            as rows,
        list(distinct source_file order by source_file)     as source_files,
        max(loaded_at)                                      as loaded_at
    from delivered_rows
    group by all
),

county_rows as (
    -- scope region: the whole delivery covers the county (its rows and files are the delivery's)
    select
        spine.admin_code,
        'county'                                            as admin_level,
        spine.region_code,
        spine.year,
        spine.source,
        spine.raw_table,
        spine.source_kind,
        spine.delivered_as,
        spine.scope,
        case when spine.scope = 'region' then by_source.rows is not null
             else by_county.rows is not null end            as delivered,
        coalesce(case when spine.scope = 'region' then by_source.rows else by_county.rows end, 0)
                                                            as rows,
        coalesce(
            case when spine.scope = 'region' then by_source.source_files else by_county.source_files end,
            []::varchar[]
        )                                                   as source_files,
        case when spine.scope = 'region' then by_source.loaded_at else by_county.loaded_at end
                                                            as loaded_at
    from spine
    left join by_county
        on by_county.raw_table = spine.raw_table
        and by_county.county_code = spine.admin_code
        and by_county.year is not distinct from spine.year
    left join by_source
        on by_source.raw_table = spine.raw_table
        and by_source.year is not distinct from spine.year
),

city_rows as (
    -- the city has a source when every one of its counties delivered it
    select
        region_code                                         as admin_code,
        'city'                                              as admin_level,
        year,
        source,
        raw_table,
        source_kind,
        delivered_as,
        scope,
        bool_and(delivered)                                 as delivered,
        if(scope = 'region', max(rows), sum(rows))          as rows,
        list_sort(list_distinct(flatten(list(source_files)))) as source_files,
        max(loaded_at)                                      as loaded_at,
        count(*) filter (where delivered)                   as counties_reported,
        count(*)                                            as counties_expected
    from county_rows
    group by region_code, year, source, raw_table, source_kind, delivered_as, scope
),

final as (
    select
        admin_code, admin_level, year, source, raw_table, source_kind, delivered_as, scope, delivered,
        rows, source_files, loaded_at,
        null::bigint as counties_reported,
        null::bigint as counties_expected
    from county_rows
    union all
    select
        admin_code, admin_level, year, source, raw_table, source_kind, delivered_as, scope, delivered,
        rows, source_files, loaded_at, counties_reported, counties_expected
    from city_rows
)

select * from final
