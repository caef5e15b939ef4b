-- The land-class flows of each change piece (地类图斑更新过程层), as the official 变更一览表 derives
-- them (SOURCES.md): the piece's land moves from its before class to its after class, and a
-- change of the deducted 田坎 area is a further flow between 1203 田坎 and the land class.
-- Flows with from = to, or no area, are not flows. County: the county that loses the before
-- classes (BGQ), except for land entering across a boundary (XZQTZLX 1/3: the BGH county).

with

pieces as (
    select
        change_year,
        piece_id,
        before_parcel_bsm,
        after_parcel_bsm,
        admin_adjustment,
        before_county_code,
        after_county_code,
        before_land_class,
        after_land_class,
        coalesce(before_land_class_area_m2, 0)  as before_area_m2,
        coalesce(after_land_class_area_m2, 0)   as after_area_m2,
        coalesce(before_deduction_area_m2, 0)   as before_deduction_m2,
        coalesce(after_deduction_area_m2, 0)    as after_deduction_m2,
        -- 三调 deducts only 田坎 1203; fall back to it when the deduction class is empty
        coalesce(before_deduction_class, after_deduction_class, '1203') as before_deduction_class,
        coalesce(after_deduction_class, before_deduction_class, '1203') as after_deduction_class
    from {{ ref('stg_survey__change_pieces') }}
),

changes_within_county as (
    -- XZQTZLX 0: the same ground before and after, in the same county
    select * from pieces
    where admin_adjustment not in ('1', '2', '3', '4')
),

land_class_flows as (
    -- the piece's land-class area: before class → after class, the smaller of the two areas
    select
        change_year, piece_id, before_parcel_bsm, after_parcel_bsm, admin_adjustment,
        before_county_code as county_code,
        'land_class' as flow_kind,
        before_land_class as from_class,
        after_land_class as to_class,
        least(before_area_m2, after_area_m2) as area_m2
    from changes_within_county
),

deduction_flows as (
    -- what is left of the land-class area moves to / comes from the deducted 田坎:
    -- more 田坎 after the change: before class → 1203; less: 1203 → after class
    select
        change_year, piece_id, before_parcel_bsm, after_parcel_bsm, admin_adjustment,
        before_county_code as county_code,
        'deduction' as flow_kind,
        case when before_area_m2 > after_area_m2 then before_land_class else before_deduction_class end as from_class,
        case when before_area_m2 > after_area_m2 then after_deduction_class else after_land_class end as to_class,
        abs(before_area_m2 - after_area_m2) as area_m2
    from changes_within_county
    where before_area_m2 <> after_area_m2
),

boundary_inflows as (
    -- XZQTZLX 1 (moved in from another county) / 3 (added at a national or coast line):
    -- the after classes enter the after county from outside it (from_class NULL); the other
    -- county's loss is its own XZQTZLX 2 piece
    select
        change_year, piece_id, before_parcel_bsm, after_parcel_bsm, admin_adjustment,
        after_county_code as county_code,
        'boundary_in' as flow_kind,
        null as from_class,
        after_land_class as to_class,
        after_area_m2 as area_m2
    from pieces
    where admin_adjustment in ('1', '3')
    union all
    select
        change_year, piece_id, before_parcel_bsm, after_parcel_bsm, admin_adjustment,
        after_county_code,
        'boundary_in',
        null,
        after_deduction_class,
        after_deduction_m2
    from pieces
    where admin_adjustment in ('1', '3')
),

boundary_outflows as (
    -- XZQTZLX 2 (moved out to another county) / 4 (lost at a national or coast line): the BGH
    -- side is empty; the before classes leave the before county (to_class NULL)
    select
        change_year, piece_id, before_parcel_bsm, after_parcel_bsm, admin_adjustment,
        before_county_code as county_code,
        'boundary_out' as flow_kind,
        before_land_class as from_class,
        null as to_class,
        before_area_m2 as area_m2
    from pieces
    where admin_adjustment in ('2', '4')
    union all
    select
        change_year, piece_id, before_parcel_bsm, after_parcel_bsm, admin_adjustment,
        before_county_code,
        'boundary_out',
        before_deduction_class,
        null,
        before_deduction_m2
    from pieces
    where admin_adjustment in ('2', '4')
),

all_flows as (
    select * from land_class_flows
    union all
    select * from deduction_flows
    union all
    select * from boundary_inflows
    union all
    select * from boundary_outflows
),

flows as (
    select
        change_year,
        county_code,
        piece_id,
        before_parcel_bsm,
        after_parcel_bsm,
        admin_adjustment,
        flow_kind,
        cast(from_class as varchar) as from_class,
        cast(to_class as varchar) as to_class,
        area_m2,
        {{ to_mu('area_m2') }} as area_mu
    from all_flows
    where area_m2 > 0
      and from_class is distinct from to_class
      and {{ in_county_partition('county_code') }}
)

select * from flows
