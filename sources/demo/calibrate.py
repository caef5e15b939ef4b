"""Calibrate each county's cultivated area (耕地保有量) against its 2025 target (PR01).

Only base parcels that never change (and are not planted) are adjusted. They are in every year's state,
so an adjustment moves all four years by the same amount and leaves the change surveys (and their
exact replay) untouched. Coarse step, needed at small scales where one parcel is a few % of a county's
耕地: reclassify whole parcels (other agricultural land ⇄ 耕地). Fine step: shift the 田坎 coefficient
KCXS of the 耕地 among them within its plausible range 0.02–0.12.

Outcome: every county sits ≥ 2% above target in every year, except the PR01 county, which PR01's step
lands below its target in 2025 after heavy 2025 losses while it stays above it in 2022–2024.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sources.demo.attributes import (
    ATTRIBUTE_COLUMNS,
    KCXS_LIMITS,
    MEAN_KEEP,
    derive_attributes,
    terrace_split,
)
from sources.demo.base import best_fill, set_location
from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED, CULTIVATED_MIX
from sources.demo.region import counties, target_m2

_BISECTION_STEPS = 60
_FINE_SHARE = 0.4  # the coarse step leaves at most this share of the KCXS headroom to the fine step
CONVERTIBLE = ("0201", "0204", "0301", "0307", "0404", "1104", "1202")  # land that may become 耕地
_RETIRED_CLASS = "0201"  # 耕地 retired by the coarse step becomes 果园


def _reclassify(base: Table, rows: np.ndarray, dlbm: np.ndarray, rng: np.random.Generator) -> None:
    base["DLBM"][rows] = dlbm
    attrs = derive_attributes(dlbm, base["TBMJ_C"][rows], rng, restorable=False)
    for column in ATTRIBUTE_COLUMNS:
        base[column][rows] = attrs[column]


def _coarse(
    base: Table, county_rows: np.ndarray, tunable: np.ndarray, convertible: np.ndarray, want: int, rng
) -> int:
    """Reclassify whole parcels until the remaining `want` (cents) fits the KCXS headroom; returns it."""
    rows = county_rows[tunable[county_rows]]
    tbmj, kcxs = base["TBMJ_C"][rows], base["KCXS"][rows].astype(float)
    up = float((tbmj * (kcxs - KCXS_LIMITS[0])).sum())
    down = float((tbmj * (KCXS_LIMITS[1] - kcxs)).sum())
    if -_FINE_SHARE * down <= want <= _FINE_SHARE * up:
        return want
    gaining = want > 0
    pool = rng.permutation(county_rows[(convertible if gaining else tunable)[county_rows]])
    size = np.zeros(len(base["BSM"]))  # |change of Σ 耕地 TBDLMJ| if the parcel is reclassified
    size[pool] = base["TBMJ_C"][pool] * MEAN_KEEP if gaining else base["TBDLMJ_C"][pool]
    chosen = best_fill(pool, size, abs(want))
    if gaining:
        codes = np.array(list(CULTIVATED_MIX), dtype=object)
        weights = np.array(list(CULTIVATED_MIX.values()))
        _reclassify(base, chosen, rng.choice(codes, len(chosen), p=weights / weights.sum()), rng)
        tunable[chosen], convertible[chosen] = True, False
        return want - int(base["TBDLMJ_C"][chosen].sum())
    removed = int(base["TBDLMJ_C"][chosen].sum())
    _reclassify(base, chosen, np.full(len(chosen), _RETIRED_CLASS, dtype=object), rng)
    tunable[chosen] = False
    return want + removed


def _shifted_tbdlmj(tbmj_c: np.ndarray, kcxs: np.ndarray, shift: float) -> tuple[np.ndarray, int]:
    new = np.round(np.clip(kcxs + shift, *KCXS_LIMITS), 4)
    return new, int(terrace_split(tbmj_c, new)[1].sum())


def calibrate(
    base: Table,
    cultivated_by_year: list[dict[str, int]],
    free: np.ndarray,
    rng: np.random.Generator,
    planted_goal: Callable[[str, float, np.ndarray], int | None],
) -> dict[str, int]:
    """Adjust the `free` base rows (untouched, unplanted) in place so each county lands on its goal.

    `cultivated_by_year` holds, per state (2022…2025), county → Σ 耕地 area in cents before calibration
    (quarantined parcels excluded). `planted_goal` is PR01's step (target_plants.py): the cents to add
    in its county. Returns county → the cents added (negative: removed).
    """
    dlbm = base["DLBM"].astype(str)
    no_marks = np.array([planting_code is None for planting_code in base["ZZSXDM"]])
    tunable = free & np.isin(dlbm, CULTIVATED)
    convertible = free & np.isin(dlbm, CONVERTIBLE) & no_marks
    shifts: dict[str, int] = {}
    for county in counties():
        target_c = target_m2(county.code, "cultivated_land") * 100
        series = np.array([year.get(county.code, 0) for year in cultivated_by_year], dtype=np.int64)
        want = planted_goal(county.code, target_c, series)
        if want is None:
            want = round(target_c * rng.uniform(1.02, 1.035)) - int(series.min())
        county_rows = np.flatnonzero(base["COUNTY"] == county.code)
        start = int(base["TBDLMJ_C"][county_rows[tunable[county_rows]]].sum())
        want = _coarse(base, county_rows, tunable, convertible, want, rng)
        rows = county_rows[tunable[county_rows]]
        tbmj, kcxs = base["TBMJ_C"][rows], base["KCXS"][rows].astype(float)
        current = int(base["TBDLMJ_C"][rows].sum())
        goal = current + want
        lo, hi = -0.2, 0.2  # TBDLMJ falls as d rises
        for _ in range(_BISECTION_STEPS):
            mid = (lo + hi) / 2
            if _shifted_tbdlmj(tbmj, kcxs, mid)[1] > goal:
                lo = mid
            else:
                hi = mid
        new_kcxs, achieved = _shifted_tbdlmj(tbmj, kcxs, (lo + hi) / 2)
        if abs(achieved - goal) > 0.002 * target_c:
            raise RuntimeError(
                f"{county.code}: cannot calibrate 耕地 to its target within the KCXS range "
                f"(off by {(achieved - goal) / 100:.0f} m²); use a larger scale"
            )
        base["KCXS"][rows] = new_kcxs
        base["KCMJ_C"][rows], base["TBDLMJ_C"][rows] = terrace_split(tbmj, new_kcxs)
        shifts[county.code] = achieved - start
    set_location(base)  # 权属 names follow the (possibly new) 权属性质
    return shifts
