-- What stands today inside the red line of each 临时用地 and 设施农业用地 approval, per survey year
-- from the approval's year on: the 耕地 (for temporary land that must be restored by its 复垦期限,
-- PR24) and the 设施农用地 1202 (for facility farmland built beyond its 备案面积, PR25), each as
-- TBDLMJ × the planar share of the parcel inside the red line.
--
-- Per county: one spatial join of the red lines with the parcel versions (macros/per_county.sql);
-- versions are overlaid once and the survey years they belong to come in after the join.

with

red_lines as (
    select approval_no, county_code, land_use_type, approved_on, geom
    from {{ ref('int_enforcement__approval_red_lines') }}
    where land_use_type in ('temporary', 'facility_agriculture')
      and {{ in_county_partition('county_code') }}
),

parcel_versions as (
    select
        versions.parcel_version_id,
        versions.county_code,
        versions.valid_from,
        versions.valid_to,
        versions.land_class,
        land_classes.is_cultivated,
        versions.land_class_area_m2,
        st_area(versions.geom) as parcel_planar_m2,
        versions.geom
    from {{ ref('int_survey__parcel_versions') }} as versions
    inner join {{ ref('ref_land_classes') }} as land_classes
        on land_classes.land_class = versions.land_class
    where versions.geom is not null
      and (land_classes.is_cultivated or versions.land_class = '1202')
),

versions_inside as (
    {% call union_per_county() -%}
    select
        red_lines.approval_no,
        parcel_versions.parcel_version_id,
        parcel_versions.valid_from,
        parcel_versions.valid_to,
        parcel_versions.is_cultivated,
        parcel_versions.land_class,
        parcel_versions.land_class_area_m2
            * st_area(st_intersection(red_lines.geom, parcel_versions.geom))
            / nullif(parcel_versions.parcel_planar_m2, 0) as inside_m2
    from red_lines
    inner join parcel_versions
        on st_intersects(red_lines.geom, parcel_versions.geom)
    where red_lines.county_code = '__county__'
      and parcel_versions.county_code = '__county__'
    {%- endcall %}
),

approval_years as (
    select red_lines.approval_no, red_lines.county_code, red_lines.land_use_type, red_lines.approved_on,
           survey_years.year
    from red_lines
    inner join {{ ref('int_survey__survey_years') }} as survey_years
        on survey_years.year >= year(red_lines.approved_on)
),

per_year as (
    select
        approval_years.*,
        coalesce(sum(versions_inside.inside_m2) filter (where versions_inside.is_cultivated), 0)
            as cultivated_inside_m2,
        coalesce(sum(versions_inside.inside_m2) filter (where versions_inside.land_class = '1202'), 0)
            as facility_inside_m2
    from approval_years
    left join versions_inside
        on versions_inside.approval_no = approval_years.approval_no
        and approval_years.year >= versions_inside.valid_from
        and approval_years.year < coalesce(versions_inside.valid_to, 10000)
    group by all
),

final as (
    select
        approval_no, county_code, land_use_type, approved_on, year,
        cast(cultivated_inside_m2 as decimal(18, 4))                as cultivated_inside_m2,
        cast({{ to_mu('cultivated_inside_m2') }} as decimal(18, 4)) as cultivated_inside_mu,
        cast(facility_inside_m2 as decimal(18, 4))                  as facility_inside_m2,
        cast({{ to_mu('facility_inside_m2') }} as decimal(18, 4))   as facility_inside_mu
    from per_year
)

select * from final
