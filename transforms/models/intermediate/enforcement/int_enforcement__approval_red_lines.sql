-- One red line (用地红线) per land-use approval, with what the overlays need of its record: county, use
-- (建设用地 / 临时用地 / 设施农业用地) and approval date. A red line may be delivered in parts (several
-- polygons under one 批准文号): the parts are unioned, or ground under two parts would count twice.
-- Boundaries without an approval record (or whose record was quarantined) have no county and no date to
-- judge by and are left out.

with

boundaries as (
    select approval_no, geom
    from {{ ref('stg_projects__approval_boundaries') }}
    where geom is not null
),

approvals as (
    select approval_no, county_code, land_use_type, approved_on
    from {{ ref('stg_records__land_approvals') }}
),

red_lines as (
    select
        approvals.approval_no,
        approvals.county_code,
        approvals.land_use_type,
        approvals.approved_on,
        count(*)                        as part_count,
        st_union_agg(boundaries.geom)   as geom
    from boundaries
    inner join approvals using (approval_no)
    group by all
)

select * from red_lines
