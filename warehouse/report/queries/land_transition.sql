-- 地类转换: the year's change in area between the land-use groups (一级类) of the survey classification,
-- summed over the page's counties.
with classes as (
    select land_class, group_code, group_name from reference.ref_land_classes
),

transitions as (
    select t.from_class, t.to_class, t.area_mu
    from marts.land_transition as t
    where t.admin_level = 'county' and t.admin_code = any($counties) and t.year = $year
)

select
    f.group_code || ' ' || f.group_name as from_group,
    g.group_code || ' ' || g.group_name as to_group,
    sum(t.area_mu) as area_mu
from transitions as t
join classes as f on f.land_class = t.from_class
join classes as g on g.land_class = t.to_class
group by all
order by all
