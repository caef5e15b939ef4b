"""The run summary printed after a build: per county, the headline figures and the findings.

Every county of the region is listed: one that delivered nothing of its own says "not reported" instead
of showing figures or failures, and the city says how many of its counties its figures sum.

The summary is of one year, the latest survey year: its figures are that year's (永农 of the control
layer in force then), its findings those the rules found for that year, its open cases the enforcement
cases open at that year's end (未结案, as marts.county_scorecard counts them), its risk index that of the
year's last quarter. Findings of no year (a duplicated record, DQ07) are listed below the table.
"""

from __future__ import annotations

from pathlib import Path

from warehouse.connection import connect

SUMMARY_SQL = """
with latest as (select max(year) as year from marts.cultivated_land),
admins as (select admin_code, admin_name, admin_level from reference.ref_region),
coverage as (
    select r.admin_code, r.region_code,
           coalesce(bool_or(d.delivered) filter (where d.scope = 'county'), false) as reported
    from reference.ref_region r
    left join marts.delivery_coverage d on d.admin_code = r.admin_code and d.admin_level = 'county'
    where r.admin_level = 'county'
    group by all
),
cities as (
    select region_code as admin_code,
           count(*) filter (where reported) || ' of ' || count(*) || ' counties' as reported
    from coverage group by region_code
),
reporting as (
    select admin_code, if(reported, 'yes', 'not reported') as reported from coverage
    union all
    select admin_code, reported from cities
),
cultivated as (
    select c.admin_code, c.year, c.cultivated_mu, c.target_mu, c.meets_target
    from marts.cultivated_land c, latest where c.year = latest.year
),
pbf as (
    -- the control layer in force in the year: the latest delivered up to it
    select p.admin_code, p.pbf_mu, p.target_mu as pbf_target_mu, p.meets_target as pbf_meets_target
    from marts.permanent_farmland p
    where p.year = (select max(p2.year) from marts.permanent_farmland p2, latest where p2.year <= latest.year)
),
balance as (
    select b.admin_code, b.in_mu, b.out_mu from marts.in_out_balance b, latest where b.year = latest.year
),
findings as (
    -- the findings of the year only
    select admin_code, string_agg(rule_id || '×' || n, ' ' order by rule_id) as violations
    from (
        select v.admin_code, v.rule_id, count(*) as n
        from quality.violations v, latest where v.year = latest.year
        group by all
    )
    group by admin_code
),
cases as (
    select s.admin_code, s.open_cases from marts.county_scorecard s, latest where s.year = latest.year
),
risk as (
    select r.county_code as admin_code, r.risk_index
    from marts.risk_index r, latest where r.quarter_start = make_date(latest.year, 10, 1)
),
shown as (
    -- every admin of the region, and any other admin the marts hold
    select admin_code, admin_level from admins
    union
    select c.admin_code, c.admin_level from marts.cultivated_land c, latest where c.year = latest.year
)
select a.admin_code, n.admin_name, rp.reported, coalesce(c.year, (select year from latest)) as year,
       c.cultivated_mu, c.target_mu, c.meets_target,
       p.pbf_mu, p.pbf_target_mu, p.pbf_meets_target, b.in_mu, b.out_mu,
       -- open cases are empty for a county that reported nothing; the risk index is zero-filled
       s.open_cases,
       if(rp.reported = 'not reported', null, r.risk_index) as risk_index,
       coalesce(f.violations, '') as violations
from shown a
left join admins n using (admin_code)
left join reporting rp using (admin_code)
left join cultivated c using (admin_code)
left join pbf p using (admin_code)
left join balance b using (admin_code)
left join findings f using (admin_code)
left join cases s using (admin_code)
left join risk r using (admin_code)
order by a.admin_level = 'city', a.admin_code
"""

# Findings of the summary's year outside the region's admin units, and findings of no year.
OUTSIDE_SQL = """
select rule_id, count(*) from quality.violations
where (admin_code not in (select admin_code from reference.ref_region) or admin_code is null)
  and year = (select max(year) from marts.cultivated_land)
group by 1 order by 1
"""
UNDATED_SQL = "select rule_id, count(*) from quality.violations where year is null group by 1 order by 1"

HEADERS = ("code", "name", "reported", "year", "耕地 亩", "target", "meets", "永农 亩", "target", "meets",
           "进 亩", "出 亩", "open cases", "risk", "violations by rule")  # fmt: skip


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:,.0f}"
    return str(value)


def summary_table(published: Path) -> str:
    """The summary as aligned text, read from the published snapshot."""
    con = connect(published, read_only=True)
    try:
        rows = con.execute(SUMMARY_SQL).fetchall()
        other = con.execute(OUTSIDE_SQL).fetchall()
        undated = con.execute(UNDATED_SQL).fetchall()
    finally:
        con.close()
    cells = [list(HEADERS)] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if other:
        lines.append("outside the region: " + ", ".join(f"{rule}×{n}" for rule, n in other))
    if undated:
        lines.append("of no year: " + ", ".join(f"{rule}×{n}" for rule, n in undated))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
