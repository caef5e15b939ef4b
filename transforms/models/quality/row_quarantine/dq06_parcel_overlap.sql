-- Pairs of parcels of one delivered state (one DLTB year) that share more than a boundary.
-- Both parcels of a pair are listed: neither can be trusted to own the shared ground.
with usable as (
    select _source_file, _source_row, _survey_year, BSM, ZLDWDM, geom
    from {{ source('raw', 'dltb') }}
    where geom is not null and not ST_IsEmpty(geom) and ST_IsValid(geom)
      and ST_GeometryType(geom) in ('POLYGON', 'MULTIPOLYGON')
    -- a repeated BSM is DQ07's case, not an overlap: only its first occurrence is measured
    qualify row_number() over (partition by _survey_year, BSM order by _source_file, _source_row) = 1
),

-- The spatial join must carry ST_Intersects alone: with another comparison beside it (same year,
-- a.BSM < b.BSM) DuckDB 1.5.5 plans a hash or merge join and tests ST_Intersects on every pair it
-- yields instead of using its R-tree. `(…) = true` keeps those conditions filters on the join's output.
intersecting as (
    select a.BSM as bsm_a, b.BSM as bsm_b, a._survey_year as year_a, b._survey_year as year_b,
           a.geom as geom_a, b.geom as geom_b
    from usable a
    join usable b
      on ST_Intersects(a.geom, b.geom)
    where (a.BSM < b.BSM) = true
),

touching_pairs as (
    select bsm_a, bsm_b, year_a as year, ST_Area(ST_Intersection(geom_a, geom_b)) as overlap_m2
    from intersecting
    where (year_a = year_b) = true
),

-- Neighbours that only share a boundary (most pairs: every parcel touches several) cannot fail;
-- only pairs that share some area are handed on.
overlapping_pairs as (
    select * from touching_pairs where overlap_m2 > 0
),

pair_members as (
    select bsm_a as bsm, bsm_b as other_bsm, year, overlap_m2 from overlapping_pairs
    union all
    select bsm_b, bsm_a, year, overlap_m2 from overlapping_pairs
)

select
    'parcel' as entity_type, cast(u.BSM as varchar) as entity_id, left(u.ZLDWDM, 6) as admin_code,
    p.year, 'DLTB' as layer, u._source_file as source_file, u._source_row as source_row,
    p.other_bsm, round(p.overlap_m2, 2) as overlap_m2
from pair_members p
join usable u on u.BSM = p.bsm and u._survey_year = p.year
