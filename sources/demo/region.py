"""The demo region's administrative layout: 嘉兴市 (330400), its seven counties (县级行政区) as adjacent
rectangles in CGCS2000 zone 40 (EPSG:4528), their townships (乡镇) and villages (行政村), and the
2025 targets from the repository's seed table.

The layout is fixed (not drawn from the seed), so county and village codes are stable across runs and
other demo generators can import them.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

REGION_CODE = "330400"
REGION_NAME = "嘉兴市"
CRS_EPSG = 4528  # CGCS2000 3-degree Gauss-Krüger zone 40 (central meridian 120°E)
SEEDS_DIR = Path(__file__).resolve().parents[2] / "transforms" / "seeds"
MU_PER_M2 = 0.0015  # 1 亩 = 10000/15 m²

# South-west corner of the layout; x carries the zone number 40 (false easting 40 500 000 m).
_ORIGIN = (40_530_000.0, 3_375_000.0)
# Two rows of counties, west to east: (code, name, area km²). Rough geography: 桐乡/秀洲/嘉善 north,
# 海宁/南湖/海盐/平湖 south.
_ROWS: tuple[tuple[float, tuple[tuple[str, str, float], ...]], ...] = (
    (27_800.0, (("330481", "海宁市", 700), ("330402", "南湖区", 430), ("330424", "海盐县", 584),
                ("330482", "平湖市", 537))),
    (22_000.0, (("330483", "桐乡市", 727), ("330411", "秀洲区", 548), ("330421", "嘉善县", 507))),
)  # fmt: skip

# Two-character place-name syllables for townships (…镇) and villages (…村); common GB2312 characters
# only, so GBK .dbf files decode without ambiguity.
_TOWN_FIRST = "新凤余王油洪大长沈通百于澉许斜周丁钟曹林广独崇濮屠石河高乌洲梧"
_TOWN_SECOND = "丰桥新店港合云塘宁浦荡安官花元步城福院甸门山泉麻埭镇阳溪"
_VILLAGE_FIRST = "东西南北中上下前后新金银青红白黄龙凤永兴和平安福利民胜建光明华"
_VILLAGE_SECOND = "星河湾田圩浜港桥庄园林塘湖家村里头岸墩荡泾汇舍庙滩坝湾埠"


@dataclass(frozen=True)
class County:
    """A 县级行政区 (county-level division) of the demo region."""

    index: int
    code: str  # 6-digit GB/T 2260 code
    name: str
    bounds: tuple[float, float, float, float]  # xmin, ymin, xmax, ymax in EPSG:4528
    n_townships: int
    villages_per_township: int

    @property
    def width(self) -> float:
        return self.bounds[2] - self.bounds[0]

    @property
    def height(self) -> float:
        return self.bounds[3] - self.bounds[1]

    @property
    def planar_area(self) -> float:
        return self.width * self.height


@cache
def counties() -> tuple[County, ...]:
    """The seven counties of 嘉兴市, as non-overlapping adjacent rectangles."""
    result: list[County] = []
    south = _ORIGIN[1]
    for height, members in _ROWS:
        west = _ORIGIN[0]
        for code, name, area_km2 in members:
            width = round(area_km2 * 1e6 / height, -1)  # 10 m grid, so the layout has round coordinates
            n_townships = max(6, round(area_km2 / 55))
            result.append(
                County(len(result), code, name, (west, south, west + width, south + height), n_townships, 12)
            )
            west += width
        south += height
    return tuple(result)


def county_by_code(code: str) -> County:
    return next(county for county in counties() if county.code == code)


def township_code(county: County, township: int) -> str:
    return f"{county.code}{township + 1:03d}"


def village_code(county: County, township: int, village: int) -> str:
    """12-digit 行政村 code: 9-digit township + 3 digits (2xx = 村民委员会 in GB/T 10114)."""
    return f"{township_code(county, township)}{201 + village:03d}"


def township_name(county: County, township: int) -> str:
    first = _TOWN_FIRST[(county.index * 5 + township * 3) % len(_TOWN_FIRST)]
    second = _TOWN_SECOND[(county.index * 7 + township) % len(_TOWN_SECOND)]
    return f"{first}{second}镇"


def village_name(county: County, township: int, village: int) -> str:
    first = _VILLAGE_FIRST[(county.index * 11 + township * 5 + village * 3) % len(_VILLAGE_FIRST)]
    # One distinct second character per village of a township keeps names unique within it.
    second = _VILLAGE_SECOND[(township + village) % len(_VILLAGE_SECOND)]
    return f"{first}{second}村"


@dataclass(frozen=True)
class VillageTable:
    """All villages of the region, indexed by a global village number (county-major order)."""

    code: np.ndarray  # 12-digit codes (object array of str)
    name: np.ndarray  # full 坐落单位名称: township + village
    county_code: np.ndarray


@cache
def villages() -> VillageTable:
    codes, names, county_codes = [], [], []
    for county in counties():
        for township in range(county.n_townships):
            for village in range(county.villages_per_township):
                codes.append(village_code(county, township, village))
                names.append(township_name(county, township) + village_name(county, township, village))
                county_codes.append(county.code)
    as_array = lambda values: np.array(values, dtype=object)  # noqa: E731
    return VillageTable(as_array(codes), as_array(names), as_array(county_codes))


def village_offsets() -> np.ndarray:
    """Global village number of each county's first village."""
    sizes = [county.n_townships * county.villages_per_township for county in counties()]
    return np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.int64)


def locate_villages(county: County, cx: np.ndarray, cy: np.ndarray) -> np.ndarray:
    """Global village number of points inside `county`: townships are west→east strips of the county,
    villages south→north cells of a strip."""
    xmin, ymin, xmax, ymax = county.bounds
    township = np.clip(
        ((cx - xmin) / (xmax - xmin) * county.n_townships).astype(np.int64), 0, county.n_townships - 1
    )
    village = np.clip(
        ((cy - ymin) / (ymax - ymin) * county.villages_per_township).astype(np.int64),
        0,
        county.villages_per_township - 1,
    )
    return village_offsets()[county.index] + township * county.villages_per_township + village


@cache
def targets() -> dict[tuple[str, str], float]:
    """(admin_code, indicator) → 2025 target in 亩, from transforms/seeds/ref_targets.csv."""
    with (SEEDS_DIR / "ref_targets.csv").open(encoding="utf-8") as handle:
        return {
            (record["admin_code"], record["indicator"]): float(record["target_mu"])
            for record in csv.DictReader(handle)
        }


def target_m2(admin_code: str, indicator: str) -> float:
    return targets()[(admin_code, indicator)] / MU_PER_M2
