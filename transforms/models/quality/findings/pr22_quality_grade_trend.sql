-- 耕地质量等别: the area-weighted mean grade of each county's 耕地 (1 best … 15 worst) against the year
-- before; a rise is a decline in quality.
with grades as (
    select
        admin_code, year, mean_quality_grade,
        lag(mean_quality_grade) over (partition by admin_code order by year) as previous_grade,
        lag(year) over (partition by admin_code order by year) as previous_year
    from {{ ref('cultivated_land') }}
    where admin_level = 'county' and mean_quality_grade is not null
)
select
    'county' as entity_type, admin_code as entity_id, admin_code, year,
    previous_year,
    round(previous_grade, 4) as previous_grade,
    round(mean_quality_grade, 4) as mean_grade,
    round(mean_quality_grade - previous_grade, 4) as grade_increase
from grades
where previous_grade is not null
