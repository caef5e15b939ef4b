"""The planted PR22 case (plant_pr22_grade_declining): the annual 耕地质量等别 update (耕地质量等别年度
更新评价) lowers the grade of part of one county's 耕地, so its area-weighted mean 耕地等别 rises (worsens)
by about PR22_RISE in a year.

It is delivered like any other change survey content: for each updated parcel a new DLTBGX version and
a DLTBGXGC piece with BGQDLBM = BGHDLBM (the class and every area stay) and BGHGDDB = BGQGDDB + 2. The
last parcel is split (BGXW 2) so the rise lands close to the design; the rest are whole-parcel 属性变更
(BGXW 1). Being same-class, the pieces are no flows and leave every area (DQ09, PR01, PR08) alone.

The parcels are base 耕地 that nothing else touches or plants on, chosen after calibration (which only
moves areas, never grades) so that the rise is measured on the final weights.
"""

from __future__ import annotations

import numpy as np

from sources.demo.change_plan import CHANGE_YEARS, YearPlan
from sources.demo.change_records import GRADE_UPDATE_STEP, build_year
from sources.demo.frame import Table, concat, take
from sources.demo.ids import BsmAllocator, TbbhAllocator
from sources.demo.landclasses import CULTIVATED
from sources.demo.replay import replay

PR22_COUNTY_YEAR = ("330482", 2024)  # 平湖
PR22_RISE = 0.10  # rise of the mean 耕地等别 planted (the rule's threshold is 0.05)
GRAIN_CODES = ("LS", "LYFL", "XG")
WORST_GRADE = 15
_SPLIT_RANGE = (0.2, 0.8)  # as change_plan: no slivers


def mean_grades(state: Table, quarantined: np.ndarray) -> dict[str, tuple[float, float]]:
    """County → (area-weighted mean GDDB of 耕地, Σ TBDLMJ in cents), quarantined parcels left out."""
    keep = np.isin(state["DLBM"].astype(str), CULTIVATED) & ~np.isin(state["BSM"], quarantined)
    out = {}
    for code in np.unique(state["COUNTY"][keep]):
        in_county = keep & (state["COUNTY"] == code)
        weights = state["TBDLMJ_C"][in_county].astype(float)
        out[str(code)] = (
            float((state["GDDB"][in_county] * weights).sum() / weights.sum()),
            float(weights.sum()),
        )
    return out


def _choose(base: Table, candidates: np.ndarray, need: float) -> tuple[np.ndarray, np.ndarray]:
    """Whole parcels while their grade-weighted area fits `need` (cents × grades), then one split piece
    for the rest; parcels too large for what is left are passed over."""
    rows, fractions = [], []
    left = need
    for row in candidates:
        gain = float(base["TBDLMJ_C"][row]) * GRADE_UPDATE_STEP
        if gain <= left:
            rows.append(row)
            fractions.append(1.0)
            left -= gain
        elif _SPLIT_RANGE[0] * gain <= left <= _SPLIT_RANGE[1] * gain:
            rows.append(row)
            fractions.append(left / gain)
            left = 0.0
        if left < 0.02 * need:
            break
    if left > 0.1 * need:
        raise RuntimeError("not enough untouched 耕地 to plant the PR22 grade update; use a larger scale")
    return np.array(rows, dtype=np.int64), np.array(fractions)


def plant_pr22_grade_declining(
    base: Table,
    years: dict[int, tuple[Table, Table]],
    free: np.ndarray,
    quarantined_bsm: np.ndarray,
    bsm: BsmAllocator,
    tbbh: TbbhAllocator,
    rng: np.random.Generator,
    county_year: tuple[str, int] = PR22_COUNTY_YEAR,
    rise: float = PR22_RISE,
) -> np.ndarray:
    """PR22 (耕地质量等别下降): in `county_year` the 耕地质量等别 update lowers the grade of grain-sown 耕地
    that nothing else touches or plants on by GRADE_UPDATE_STEP, parcels drawn at random until the
    county's area-weighted mean 耕地等别 rises by `rise` over the year before (the last parcel split so it
    lands close). PR22 finds that county-year, every other one's mean staying put or improving (the
    change surveys lose the worst-graded 耕地 first). Adds the update to `years[year]` (in place);
    `free` masks the base rows nothing touches or plants on. Returns the base rows updated."""
    code, year = county_year
    index = CHANGE_YEARS.index(year) + 1  # states[0] is the base year
    states = replay(base, [years[change_year] for change_year in CHANGE_YEARS])
    before, _ = mean_grades(states[index - 1], quarantined_bsm)[code]
    after, weight = mean_grades(states[index], quarantined_bsm)[code]
    need = (before + rise - after) * weight  # Σ TBDLMJ (cents) × grades lowered
    if need <= 0:
        raise RuntimeError(f"{code}'s mean 耕地等别 already rises by {after - before:.3f} in {year}")
    eligible = (
        free
        & (base["COUNTY"] == code)
        & np.isin(base["DLBM"].astype(str), CULTIVATED)
        & np.isin(base["ZZSXDM"].astype(str), GRAIN_CODES)
        & (base["GDDB"] + GRADE_UPDATE_STEP <= WORST_GRADE)
        & ~np.isin(base["BSM"], quarantined_bsm)
    )
    rows, fractions = _choose(base, rng.permutation(np.flatnonzero(eligible)), need)
    plan = YearPlan(
        year=year,
        parent=rows,
        kind=np.full(len(rows), "grade", dtype=object),
        new_dlbm=base["DLBM"][rows].copy(),
        fraction=fractions,
    )
    gx, gc = build_year(base, plan, bsm, tbbh, rng)
    old_gx, old_gc = years[year]
    gx = concat([old_gx, gx])
    gc = concat([old_gc, gc])
    years[year] = (
        take(gx, np.argsort(gx["BSM"], kind="stable")),
        take(gc, np.lexsort((gc["BGHTBBSM"], gc["BGQTBBSM"]))),
    )
    return rows
