-- 耕地进出: cultivated land that came in from, and went out to, other agricultural land (进出平衡), per
-- county in the year on a city's page, per year on a county's.
with balance as (
    select admin_code, year, in_mu, out_mu from marts.in_out_balance
),

bars as (
    select r.admin_name as label, r.admin_code as sort_key, b.in_mu, b.out_mu
    from reference.ref_region as r
    left join balance as b on b.admin_code = r.admin_code and b.year = $year
    where $admin_level = 'city' and r.admin_code = any($counties)
    union all
    select b.year || '年', cast(b.year as varchar), b.in_mu, b.out_mu
    from balance as b
    where $admin_level = 'county' and b.admin_code = $admin and b.year <= $year
)

select label, sort_key, '进（流入耕地）' as direction, in_mu as area_mu from bars
union all
select label, sort_key, '出（流出耕地）', out_mu from bars
order by sort_key, direction
