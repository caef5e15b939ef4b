"""Reports for officials (年度耕地保护报告): per city or county and survey year, one self-contained HTML
page of charts, tables and a map, and an Excel workbook of the findings, read from the published
snapshot only and written beside it in `<snapshot name>_reports/`."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from warehouse.connection import connect
from warehouse.report.figures import NoSuchPage, find_page, query
from warehouse.report.page import render
from warehouse.report.workbook import write_workbook

__all__ = ["Report", "NoSuchPage", "reports_folder", "write_reports"]


@dataclass(frozen=True)
class Report:
    admin_code: str
    admin_name: str
    year: int
    page: Path
    workbook: Path
    findings: int


def reports_folder(snapshot: Path) -> Path:
    """Where the snapshot's reports live: `<snapshot name>_reports/` beside it."""
    return snapshot.with_name(f"{snapshot.stem}_reports")


def _replace(path: Path, write: object) -> None:
    # a reader (a browser, a mail attachment) never picks up a half-written file
    partial = path.with_name(f".{path.name}.partial")
    write(partial)  # type: ignore[operator]
    os.replace(partial, path)


def write_reports(
    snapshot: Path, *, year: int | None = None, admins: list[str] | None = None, folder: Path | None = None
) -> list[Report]:
    """Write the page and workbook of each of `admins` (default: the city and every county of the region)
    in `year` (default: the latest survey year) into `folder` (default: reports_folder(snapshot))."""
    folder = folder or reports_folder(snapshot)
    folder.mkdir(parents=True, exist_ok=True)
    con = connect(snapshot, read_only=True)
    try:
        codes = admins or [
            code
            for (code,) in con.execute(
                "select admin_code from reference.ref_region order by admin_level = 'county', admin_code"
            ).fetchall()
        ]
        reports = []
        for code in codes:
            p = find_page(con, code, year)
            stem = f"{p.admin_code}_{p.year}"
            workbook = folder / f"{stem}_findings.xlsx"
            findings = query(con, "findings", admin=p.admin_code, counties=p.county_codes, year=p.year)
            units = {p.admin_code: p.admin_name}
            units.update(
                con.execute(
                    "select admin_code, admin_name from reference.ref_region "
                    "where admin_code = any($counties) order by admin_code",
                    {"counties": p.county_codes},
                ).fetchall()
            )
            _replace(
                workbook,
                lambda target, units=units, findings=findings: write_workbook(target, units, findings),
            )
            html = render(con, p, workbook.name)
            target = folder / f"{stem}.html"
            _replace(target, lambda partial, html=html: partial.write_text(html, encoding="utf-8"))
            reports.append(Report(p.admin_code, p.admin_name, p.year, target, workbook, len(findings)))
        return reports
    finally:
        con.close()
