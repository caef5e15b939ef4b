"""The configured region (辖区): city, counties and CRS, from the dbt seed the models use too."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from warehouse.config import SEEDS_DIR


@dataclass(frozen=True)
class Region:
    code: str  # 6-digit city code, e.g. 330400 嘉兴市
    name: str
    crs_epsg: int  # CGCS2000 3-degree Gauss-Krüger zone of the region, e.g. 4528 (zone 40)
    counties: dict[str, str]  # 6-digit county code -> name


@cache
def region() -> Region:
    """The region of `transforms/seeds/ref_region.csv`."""
    with (SEEDS_DIR / "ref_region.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    city = next(r for r in rows if r["admin_level"] == "city")
    return Region(
        code=city["admin_code"],
        name=city["admin_name"],
        crs_epsg=int(city["crs_epsg"]),
        counties={r["admin_code"]: r["admin_name"] for r in rows if r["admin_level"] == "county"},
    )
