"""The run summary printed after a build: per county, the headline figures and the findings."""

from __future__ import annotations

from pathlib import Path

from warehouse.connection import connect

SUMMARY_SQL = """
with latest as (select max(year) as year from marts.cultivated_land),
cultivated as (
    select c.admin_code, c.admin_level, c.year, c.cultivated_mu, c.target_mu, c.meets_target
    from marts.cultivated_land c, latest where c.year = latest.year
),
pbf as (
    select p.admin_code, p.pbf_mu, p.target_mu as pbf_target_mu, p.meets_target as pbf_meets_target
    from marts.permanent_farmland p
    where p.year = (select max(year) from marts.permanent_farmland)
),
balance as (
    select admin_code, in_mu, out_mu from marts.in_out_balance
    where year = (select max(year) from marts.in_out_balance)
),
findings as (
    select admin_code, string_agg(rule_id || '×' || n, ' ' order by rule_id) as violations
    from (select admin_code, rule_id, count(*) as n from quality.violations group by all)
    group by admin_code
),
cases as (
    select admin_code, open_findings from marts.case_status
    where year = (select max(year) from marts.case_status)
),
risk as (
    select county_code as admin_code, risk_index from marts.risk_index
    where quarter_start = (select max(quarter_start) from marts.risk_index)
),
names as (select admin_code, admin_name from reference.ref_region)
select c.admin_code, n.admin_name, c.year, c.cultivated_mu, c.target_mu, c.meets_target,
       p.pbf_mu, p.pbf_target_mu, p.pbf_meets_target, b.in_mu, b.out_mu,
       s.open_findings, r.risk_index,
       coalesce(f.violations, '') as violations
from cultivated c
left join names n using (admin_code)
left join pbf p using (admin_code)
left join balance b using (admin_code)
left join findings f using (admin_code)
left join cases s using (admin_code)
left join risk r using (admin_code)
order by c.admin_level = 'city', c.admin_code
"""

HEADERS = ("code", "name", "year", "耕地 亩", "target", "meets", "永农 亩", "target", "meets",
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
        other = con.execute(
            "select rule_id, count(*) from quality.violations where admin_code not in "
            "(select admin_code from reference.ref_region) or admin_code is null group by 1 order by 1"
        ).fetchall()
    finally:
        con.close()
    cells = [list(HEADERS)] + [[_fmt(v) for v in row] for row in rows]
    widths = [max(_width(r[i]) for r in cells) for i in range(len(HEADERS))]
    lines = ["  ".join(_pad(cell, widths[i]) for i, cell in enumerate(row)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    if other:
        lines.append("outside the region: " + ", ".join(f"{rule}×{n}" for rule, n in other))
    return "\n".join(lines)


def _width(text: str) -> int:
    # CJK characters take two terminal columns.
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))
