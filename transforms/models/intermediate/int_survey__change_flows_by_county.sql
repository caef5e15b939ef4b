-- Change-survey flows per county × change year × from class × to class (the county's 变更一览表).
-- from_class / to_class is NULL for land entering / leaving the county across a boundary.

with

flows as (
    select * from {{ ref('int_survey__change_flows') }}
),

aggregated as (
    select
        county_code,
        change_year,
        from_class,
        to_class,
        sum(area_m2) as area_m2,
        count(distinct piece_id) as piece_count
    from flows
    group by all
),

final as (
    select
        county_code,
        change_year,
        from_class,
        {{ land_class_name('aggregated.from_class') }} as from_class_name,
        to_class,
        {{ land_class_name('aggregated.to_class') }} as to_class_name,
        from_class is null or to_class is null as crosses_boundary,
        area_m2,
        {{ to_mu('area_m2') }} as area_mu,
        piece_count
    from aggregated
)

select * from final
