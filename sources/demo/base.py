"""The base-year 地类图斑 (DLTB, 2022): tiling, land classes, codes and attributes of every parcel.

Land classes follow a smooth random "farmland propensity" field so that 耕地 forms contiguous farming
districts (as in the 嘉兴 plain) rather than salt-and-pepper, which lets the permanent-farmland boxes
drawn later lie mostly over cultivated land. Each county gets enough 耕地 to sit near its 2025 target;
calibration fine-tunes the exact figure once the change years are known.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sources.demo.attributes import GRADE_P, GRADES, MEAN_KEEP, derive_attributes
from sources.demo.frame import Table, concat
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.ids import BsmAllocator, TbbhAllocator
from sources.demo.landclasses import CULTIVATED_MIX, RURAL_MIX, URBAN_MIX
from sources.demo.region import County, counties, locate_villages, target_m2, villages
from sources.demo.tiling import tile_rectangle

BASE_YEAR = 2022
CULTIVATED_MARGIN = 1.025  # base-year 耕地 / 2025 target, where PR01 does not set it
URBAN_SHARE = 0.17  # share of a county's non-cultivated area that is the built-up core
_FILL_LOOKAHEAD = 25  # candidates considered for the parcel that lands the cultivated total on target


def base_cultivated_goal(county: County, planted_margin: Callable[[str], float | None]) -> float:
    """Σ TBDLMJ of 耕地 (m²) the base year aims for: a little above the 2025 target, or what PR01's
    step `planted_margin` says for its county (whose heavy 2025 losses must still leave it above target
    in 2022–2024)."""
    planted = planted_margin(county.code)
    factor = CULTIVATED_MARGIN if planted is None else planted
    return target_m2(county.code, "cultivated_land") * factor


def _propensity(cx: np.ndarray, cy: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A smooth random field: plane waves of 4–12 km (farming districts vs towns) and 0.8–2.5 km (their
    ragged edges), plus a little parcel-level noise. Its structure is in metres, not parcels, so the
    districts look alike at every scale."""
    field = np.zeros(len(cx))
    for count, (short, long), amplitude in ((4, (4_000, 12_000), 1.0), (6, (800, 2_500), 0.2)):
        for _ in range(count):
            theta, wavelength, phase = (
                rng.uniform(0, np.pi),
                rng.uniform(short, long),
                rng.uniform(0, 2 * np.pi),
            )
            field += amplitude * np.cos(
                2 * np.pi * (cx * np.cos(theta) + cy * np.sin(theta)) / wavelength + phase
            )
    return field + rng.normal(0, 0.15, len(cx))


def best_fill(order: np.ndarray, expected: np.ndarray, goal: float) -> np.ndarray:
    """Rows (taken in `order`) whose `expected` sizes (indexed by row) sum closest to `goal`: the prefix
    that stays below it, then the one of the next few candidates that best fills the gap."""
    cum = np.cumsum(expected[order])
    below = int(np.searchsorted(cum, goal))  # order[:k] stays below the goal
    chosen = list(order[:below])
    gap = goal - (cum[below - 1] if below else 0.0)
    candidates = order[below : below + _FILL_LOOKAHEAD]
    if len(candidates):
        best = candidates[np.argmin(np.abs(expected[candidates] - gap))]
        if abs(expected[best] - gap) < gap:
            chosen.append(best)
    return np.array(chosen, dtype=np.int64)


def _draw(mix: dict[str, float], count: int, rng: np.random.Generator) -> np.ndarray:
    codes = np.array(list(mix), dtype=object)
    weights = np.array(list(mix.values()), dtype=float)
    return rng.choice(codes, count, p=weights / weights.sum())


def _assign_classes(
    county: County, tbmj_c: np.ndarray, score: np.ndarray, rng: np.random.Generator, cultivated_goal: float
) -> np.ndarray:
    count = len(tbmj_c)
    dlbm = np.empty(count, dtype=object)
    order = np.argsort(-score, kind="stable")
    cultivated = best_fill(order, tbmj_c / 100.0 * MEAN_KEEP, cultivated_goal)
    dlbm[cultivated] = _draw(CULTIVATED_MIX, len(cultivated), rng)

    rest = np.setdiff1d(np.arange(count), cultivated)
    rest = rest[np.argsort(score[rest], kind="stable")]  # least farm-like first: the built-up core
    urban = rest[np.cumsum(tbmj_c[rest]) <= URBAN_SHARE * tbmj_c[rest].sum()]
    rural = np.setdiff1d(rest, urban)
    dlbm[urban] = _draw(URBAN_MIX, len(urban), rng)
    dlbm[rural] = _draw(RURAL_MIX, len(rural), rng)
    return dlbm


def build_base(
    scale: int,
    rng: np.random.Generator,
    bsm: BsmAllocator,
    tbbh: TbbhAllocator,
    planted_margin: Callable[[str], float | None] | None = None,
) -> Table:
    """The 2022 DLTB of the whole region: `scale` parcels per county, gap-free and non-overlapping.
    `planted_margin` is PR01's step (target_plants.py); without it no county is set up to miss its
    target."""
    margin = planted_margin or (lambda code: None)
    parts: list[Table] = []
    for county in counties():
        x0, y0, x1, y1 = tile_rectangle(county.bounds, scale, rng)
        # Tiling rows are recovered from identical southern edges (cells of a row share y0 exactly).
        _, row = np.unique(y0, return_inverse=True)
        parts.append(
            {
                "x0": x0, "y0": y0, "x1": x1, "y1": y1,
                "COUNTY": np.full(scale, county.code, dtype=object),
                "ROW": county.index * 1_000_000 + row.astype(np.int64),
            }
        )  # fmt: skip
    table = concat(parts)
    table["TBMJ_C"] = rectangle_area_cents(table["x0"], table["y0"], table["x1"], table["y1"])

    cx = (table["x0"] + table["x1"]) / 2
    cy = (table["y0"] + table["y1"]) / 2
    score = _propensity(cx, cy, rng)
    village = np.empty(len(cx), dtype=np.int64)
    dlbm = np.empty(len(cx), dtype=object)
    ids = np.empty(len(cx), dtype=np.int64)
    for county in counties():
        mask = table["COUNTY"] == county.code
        village[mask] = locate_villages(county, cx[mask], cy[mask])
        goal = base_cultivated_goal(county, margin)
        dlbm[mask] = _assign_classes(county, table["TBMJ_C"][mask], score[mask], rng, goal)
        ids[mask] = bsm.take(county.code, int(mask.sum()))

    table["BSM"] = ids
    table["VILLAGE"] = village
    table["TBBH"] = tbbh.take_for(village)
    table["DLBM"] = dlbm
    table.update(derive_attributes(dlbm, table["TBMJ_C"], rng))
    table["GDDB"] = _grades_by_propensity(table, score, rng)
    set_location(table)
    table["SJNF"] = np.full(len(cx), BASE_YEAR, dtype=np.int64)
    table["WKB"] = np.full(len(cx), None, dtype=object)
    return table


def _grades_by_propensity(table: Table, score: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """耕地等别 follows the farmland field: the heart of a farming district is the best land, its ragged
    edge near towns the worst. So the worst-graded 耕地, which change surveys and 非粮 planting take
    first, lies at district edges, clear of the permanent-farmland core."""
    gddb = table["GDDB"].copy()
    cum = np.cumsum(GRADE_P)
    for code in np.unique(table["COUNTY"]):
        rows = np.flatnonzero((table["COUNTY"] == code) & (gddb >= 0))
        noisy = score[rows] + rng.normal(0, 0.1, len(rows))
        quantile = np.argsort(np.argsort(-noisy)) / max(len(rows), 1)  # 0 = most farm-like
        gddb[rows] = GRADES[np.minimum(np.searchsorted(cum, quantile, side="right"), len(GRADES) - 1)]
    return gddb


def set_location(table: Table) -> None:
    """坐落/权属单位 codes and names from each parcel's village (in place). Collective land is owned by
    the village's economic cooperative; state land is recorded against the village it lies in."""
    vt = villages()
    code = vt.code[table["VILLAGE"]] + "0000000"  # 19 characters: 12-digit village + 7 zeros
    name = vt.name[table["VILLAGE"]]
    collective = table["QSXZ"].astype(str) >= "30"
    table["ZLDWDM"] = code
    table["ZLDWMC"] = name
    table["QSDWDM"] = code.copy()
    table["QSDWMC"] = np.where(collective, name + "股份经济合作社", "国有").astype(object)
