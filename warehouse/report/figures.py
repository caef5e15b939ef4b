"""What a report shows, read from the published snapshot by the queries in `queries/`: one SQL file per
figure, bound to the page's unit, counties and year (never spliced into the SQL)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

QUERIES = Path(__file__).with_name("queries")

Rows = list[dict[str, Any]]


class NoSuchPage(ValueError):
    """The unit asked is not one of the region's (reference.ref_region), or the year not a survey year the
    snapshot holds."""


@dataclass(frozen=True)
class Page:
    """The subject of one report: a city or a county, in one survey year, from one snapshot."""

    admin_code: str
    admin_name: str
    admin_level: str
    county_codes: list[str]
    year: int
    published_at: datetime | None
    fingerprint: str | None
    min_patch_mu: float | None

    @property
    def compares(self) -> str:
        """What the per-unit charts put side by side: a city's counties, a county's years."""
        return "县（市、区）" if self.admin_level == "city" else "年度"


@cache
def _sql(name: str) -> str:
    return (QUERIES / f"{name}.sql").read_text(encoding="utf-8")


def query(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> Rows:
    """Rows of `queries/<name>.sql` as dicts, given the named parameters it uses."""
    sql = _sql(name)
    bound = {key: value for key, value in params.items() if f"${key}" in sql}
    cursor = con.execute(sql, bound)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def find_page(con: duckdb.DuckDBPyConnection, admin_code: str, year: int | None) -> Page:
    """The page of `admin_code` in `year` (None: the latest survey year the snapshot holds)."""
    rows = query(con, "page", admin=admin_code, year=year)
    if not rows:
        known = ", ".join(
            f"{code} {name}"
            for code, name in con.execute(
                "select admin_code, admin_name from reference.ref_region order by admin_code"
            ).fetchall()
        )
        raise NoSuchPage(f"{admin_code} is not a unit of the region; the snapshot's units are: {known}")
    years = [
        y for (y,) in con.execute("select distinct year from marts.cultivated_land order by year").fetchall()
    ]
    if rows[0]["year"] not in years:
        held = ", ".join(map(str, years)) or "none"
        raise NoSuchPage(f"{year} is not a survey year of the snapshot; its survey years are: {held}")
    return Page(**rows[0])


def page_params(p: Page) -> dict[str, Any]:
    return {"admin": p.admin_code, "admin_level": p.admin_level, "counties": p.county_codes, "year": p.year}


def map_features(con: duckdb.DuckDBPyConnection, p: Page) -> Rows:
    """The map's features as GeoJSON Features (geometry in the region's projected CRS)."""
    return [
        {
            "type": "Feature",
            "geometry": json.loads(row["geometry"]),
            "properties": {
                "layer": row["layer"],
                "id": row["feature_id"],
                "level": row["admin_level"],
                "label": row["label"],
                "x": row["label_x"],
                "y": row["label_y"],
            },
        }
        for row in query(con, "map_layers", **page_params(p))
    ]
