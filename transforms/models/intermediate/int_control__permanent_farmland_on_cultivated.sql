-- 永农 on 耕地: per county and control year, the area of permanent-farmland patches (YJJBNT) lying
-- on cultivated parcels of that year's land-use state, for years with both a control layer and a
-- survey state. Control layers are drawn independently of DLTB, so this is a true polygon
-- intersection (planar, in the region's zone-40 CRS), not a join on ids.
--
-- Expressed as 图斑地类面积: each parcel's intersection is scaled by TBDLMJ / (planar area of the
-- parcel). 田坎 is not drawn in DLTB — it is a coefficient on the 耕地 parcel (KCXS, KCMJ) — so a
-- patch covering part of a parcel covers the same share of its 田坎; scaling by TBDLMJ leaves the
-- 田坎 out, as 耕地保有量 and JBNTMJ do. Dividing by the planar area of the parcel (not by TBMJ)
-- also carries the survey's ellipsoidal area convention over to the intersection: a patch covering
-- a whole parcel counts exactly its TBDLMJ (TBDLMJ / TBMJ × TBMJ / planar area).

with

pairs as (
    select * from {{ ref('int_control__permanent_farmland_parcel_pairs') }}
),

permanent_farmland as (
    select control_year, source_file, source_row, county_code, geom
    from {{ ref('stg_control__permanent_farmland') }}
),

parcel_versions as (
    select parcel_version_id, county_code, valid_from, valid_to, land_class_area_m2, geom
    from {{ ref('int_survey__parcel_versions') }}
),

survey_years as (
    select year from {{ ref('int_survey__survey_years') }}
),

same_county_and_year as (
    -- the pair counts when the parcel version is part of the control year's state and both lie in
    -- the same county
    select
        pairs.control_year,
        permanent_farmland.county_code,
        pairs.pbf_bsm,
        pairs.parcel_version_id,
        permanent_farmland.geom as pbf_geom,
        parcel_versions.geom as parcel_geom,
        parcel_versions.land_class_area_m2
    from pairs
    inner join permanent_farmland
        on permanent_farmland.source_file = pairs.pbf_source_file
        and permanent_farmland.source_row = pairs.pbf_source_row
    inner join parcel_versions
        on parcel_versions.parcel_version_id = pairs.parcel_version_id
    where permanent_farmland.county_code = parcel_versions.county_code
      and pairs.control_year >= parcel_versions.valid_from
      and pairs.control_year < coalesce(parcel_versions.valid_to, 10000)
      and pairs.control_year in (select year from survey_years)
),

overlap_areas as (
    select
        control_year,
        county_code,
        pbf_bsm,
        parcel_version_id,
        st_area(st_intersection(pbf_geom, parcel_geom)) as overlap_planar_m2,
        st_area(parcel_geom) as parcel_planar_m2,
        land_class_area_m2
    from same_county_and_year
),

on_cultivated as (
    -- each pair's area fixed to 0.0001 m² as a decimal, so the county sums are exact and reproducible
    select
        control_year,
        county_code,
        pbf_bsm,
        parcel_version_id,
        cast(overlap_planar_m2 as decimal(18, 4)) as overlap_planar_m2,
        cast(overlap_planar_m2 * land_class_area_m2 / nullif(parcel_planar_m2, 0) as decimal(18, 4))
            as on_cultivated_m2
    from overlap_areas
),

per_county as (
    select
        county_code,
        control_year as year,
        sum(on_cultivated_m2) as pbf_on_cultivated_m2,
        {{ to_mu('sum(on_cultivated_m2)') }} as pbf_on_cultivated_mu,
        sum(overlap_planar_m2) as overlap_planar_m2,
        count(distinct pbf_bsm) as pbf_patch_count,
        count(distinct parcel_version_id) as cultivated_parcel_count
    from on_cultivated
    group by all
)

select * from per_county
