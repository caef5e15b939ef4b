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
from warehouse.report.figures import query

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
        rows = [tuple(row.values()) for row in query(con, "headline", year=None)]
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
