"""Which base parcels the annual change surveys (年度变更调查) 2023–2025 touch, and how.

Every changed parcel is a base (2022) parcel that changes exactly once; parcels created by a change
survey never change again. That keeps planted violations and calibration on parcels that provably
never change, and makes every change piece a sub-rectangle of a base parcel.

Kinds of change (the piece that changes gets `new_dlbm`):
- out:  耕地 → other agricultural land (园地, 林地, 坑塘, 设施农用地): a split, part of the parcel changes
- in:   other agricultural land → 耕地 (restoration; JKHF/GCHF parcels first): whole parcel or split
- cons: 耕地 → construction (宅基地, 工业, 公路, …): whole parcel or split
- misc: no effect on 耕地 totals (园地 → 林地, 旱改水 0103 → 0101, 宅基地 → 城镇住宅, planting change)
- grade: 耕地 keeps its class and every area, its 耕地等别 worsens (planned by grade_update.py for the
  planted PR22 county-year only, after calibration)

Amounts are set by area so that 进出平衡 (PR08) comes out as planned: in = 1.6–2.4 × out everywhere
except the one planted county-year, whose restoration PR08's step sets; 耕地 losses to construction
offset most of the net gain, plus what PR01's step adds (target_plants.py). checks.py verifies the
outcomes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sources.demo.attributes import MEAN_KEEP
from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED, URBAN_MIX
from sources.demo.region import counties, target_m2

CHANGE_YEARS = (2023, 2024, 2025)
CHANGE_RATE = 0.025  # changed parcels per county-year, as a share of the base parcels

OUT_TARGETS = np.array(["0201", "0204", "0301", "1104", "1202"], dtype=object)
IN_SOURCES = ("0201", "0202", "0204", "0301", "0302", "0307", "0404", "1104", "1202")
IN_TARGETS = np.array(["0101", "0101", "0101", "0102"], dtype=object)
CONS_TARGETS = np.array(["0702", "0601", "1003", "0701", "05H1"], dtype=object)
# misc: (source classes, target class); "same" keeps the class and changes the planting attribute.
MISC_KINDS: tuple[tuple[tuple[str, ...], str], ...] = (
    (("0201",), "0301"),
    (("0204",), "0201"),
    (("0307",), "0301"),
    (("0103",), "0101"),
    (("0702",), "0701"),
    (("0101",), "same"),
)
GROWTH_CENTRES = 3  # per county
PRESSURE_BAND = 1_000.0  # metres
LOSS_GRADE = 6  # 耕地 lost is of this grade or worse while any is left
_SPLIT_RANGE = (0.2, 0.8)  # share of a parcel a split piece may take (no slivers)
_OUT_FRACTION = (0.25, 0.5)


@dataclass
class YearPlan:
    """The changes of one survey year, one element per changed base parcel."""

    year: int
    parent: np.ndarray  # row in the base table
    kind: np.ndarray  # out | in | cons | misc
    new_dlbm: np.ndarray  # class of the changing piece ("same" = class kept, planting attribute changes)
    fraction: np.ndarray  # share of the parent that changes; 1.0 = whole parcel (属性变更, BGXW 1)

    @property
    def split(self) -> np.ndarray:
        return self.fraction < 1.0


def fill_by_area(candidates: np.ndarray, area: np.ndarray, goal: float) -> tuple[np.ndarray, np.ndarray]:
    """Whole candidates in order while they fit under `goal`, then one split piece for the rest.
    Returns (rows, fractions)."""
    if goal <= 0 or not len(candidates):
        return np.empty(0, np.int64), np.empty(0)
    cum = np.cumsum(area[candidates])
    n_whole = int(np.searchsorted(cum, goal))
    rows = list(candidates[:n_whole])
    fractions = [1.0] * n_whole
    if n_whole < len(candidates):
        rest = goal - (cum[n_whole - 1] if n_whole else 0.0)
        share = rest / area[candidates[n_whole]]
        rows.append(candidates[n_whole])
        fractions.append(1.0 if share > _SPLIT_RANGE[1] else max(share, _SPLIT_RANGE[0]))
    return np.array(rows, dtype=np.int64), np.array(fractions)


# (county, year) → m² of 耕地 lost to construction on top of the usual (PR01's step)
ExtraLoss = Callable[[str, int], float]
# (county, year, candidate rows, TBMJ m² by row, m² lost) → (rows, fractions) or None (PR08's step)
Restoration = Callable[[str, int, np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray] | None]


class Planner:
    """Draws the change plans of all years, keeping track of parcels already used; `extra_loss` and
    `restoration` are the planted steps of PR01 and PR08."""

    def __init__(
        self,
        base: Table,
        scale: int,
        rng: np.random.Generator,
        losses: np.ndarray,
        extra_loss: ExtraLoss,
        restoration: Restoration,
    ) -> None:
        self.base = base
        self.rng = rng
        self.extra_loss, self.restoration = extra_loss, restoration
        self.used = np.zeros(len(base["BSM"]), dtype=bool)
        self.per_county = max(6, round(CHANGE_RATE * scale))
        dlbm = base["DLBM"].astype(str)
        self.cultivated = np.isin(dlbm, CULTIVATED)
        self.in_source = np.isin(dlbm, IN_SOURCES)
        self.tbdlmj = base["TBDLMJ_C"] / 100.0
        self.tbmj = base["TBMJ_C"] / 100.0
        restorable = np.isin(base["ZZSXDM"].astype(str), ["JKHF", "GCHF"])
        # Candidate orders, fixed once: losses follow `loss_order`, restorations take JKHF/GCHF first.
        self.loss_order = losses
        self.gain_order = np.lexsort((rng.random(len(dlbm)), ~restorable))
        self.misc_sources = [np.isin(dlbm, sources) for sources, _ in MISC_KINDS]

    def _free(self, order: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return order[mask[order] & ~self.used[order]]

    def _take(self, rows: np.ndarray) -> None:
        self.used[rows] = True

    def plan_year(self, year: int) -> YearPlan:
        parts: list[tuple[np.ndarray, str, np.ndarray, np.ndarray]] = []
        for county in counties():
            in_county = self.base["COUNTY"] == county.code
            parts.extend(self._plan_county_year(county.code, year, in_county))
        parent = np.concatenate([part[0] for part in parts])
        return YearPlan(
            year,
            parent,
            np.concatenate([np.full(len(part[0]), part[1], dtype=object) for part in parts]),
            np.concatenate([part[2] for part in parts]),
            np.concatenate([part[3] for part in parts]),
        )

    def _plan_county_year(self, code: str, year: int, in_county: np.ndarray) -> list[tuple]:
        rng = self.rng
        n_changes = self.per_county
        parts = []

        # out: splits of 耕地 parcels
        n_out = max(1, round(0.15 * n_changes))
        out_rows = self._free(self.loss_order, in_county & self.cultivated)[:n_out]
        out_frac = rng.uniform(*_OUT_FRACTION, len(out_rows))
        self._take(out_rows)
        out_area = float((self.tbdlmj[out_rows] * out_frac).sum())
        parts.append((out_rows, "out", rng.choice(OUT_TARGETS, len(out_rows)), out_frac))

        # in: restore other agricultural land to 耕地, by area relative to out
        pool = self._free(self.gain_order, in_county & self.in_source)
        restored = self.restoration(code, year, pool, self.tbmj, out_area)
        if restored is None:
            in_rows, in_frac = fill_by_area(pool, self.tbmj * MEAN_KEEP, rng.uniform(1.6, 2.4) * out_area)
        else:
            in_rows, in_frac = restored
        self._take(in_rows)
        parts.append((in_rows, "in", rng.choice(IN_TARGETS, len(in_rows)), in_frac))
        in_area = float((self.tbmj[in_rows] * in_frac).sum() * MEAN_KEEP)

        # cons: 耕地 → construction, offsetting most of the net gain (and much more in the PR01 county)
        cons_goal = 0.8 * max(in_area - out_area, 0.0) + 0.002 * target_m2(code, "cultivated_land")
        cons_goal += self.extra_loss(code, year)
        cons_rows, cons_frac = fill_by_area(
            self._free(self.loss_order, in_county & self.cultivated), self.tbdlmj, cons_goal
        )
        self._take(cons_rows)
        parts.append((cons_rows, "cons", rng.choice(CONS_TARGETS, len(cons_rows)), cons_frac))

        # misc: attribute changes that leave 耕地 totals and 进出平衡 alone
        n_misc = max(1, round(0.35 * n_changes))
        per_kind = np.bincount((np.arange(n_misc) + year) % len(MISC_KINDS), minlength=len(MISC_KINDS))
        for (_, target), source, n_of_kind in zip(MISC_KINDS, self.misc_sources, per_kind, strict=True):
            pool = self._free(self.gain_order, in_county & source)
            rows = rng.permutation(pool)[:n_of_kind]
            self._take(rows)
            parts.append((rows, "misc", np.full(len(rows), target, dtype=object), np.ones(len(rows))))
        return parts


def loss_order(base: Table, rng: np.random.Generator) -> np.ndarray:
    """The order in which 耕地 gives way (to construction, to other agriculture, to non-grain crops):
    towns grow outwards, so by 1 km distance band from a few growth centres per county, worst-graded
    first within a band. Land better than grade LOSS_GRADE (the county mean is ≈ 5.1) comes only after
    all worse land, so every loss lifts the mean 耕地等别 and PR22 never fires. Clustering the losses
    keeps them from peppering the districts where the permanent-farmland boxes go."""
    n_parcels = len(base["BSM"])
    cx, cy = (base["x0"] + base["x1"]) / 2, (base["y0"] + base["y1"]) / 2
    urban = np.isin(base["DLBM"].astype(str), list(URBAN_MIX))
    distance = np.full(n_parcels, np.inf)
    for county in counties():
        rows = np.flatnonzero(base["COUNTY"] == county.code)
        towns = rows[urban[rows]] if urban[rows].any() else rows
        for centre in rng.choice(towns, min(GROWTH_CENTRES, len(towns)), replace=False):
            distance[rows] = np.minimum(
                distance[rows], np.hypot(cx[rows] - cx[centre], cy[rows] - cy[centre])
            )
    better = base["GDDB"] < LOSS_GRADE
    return np.lexsort((rng.random(n_parcels), -base["GDDB"], distance // PRESSURE_BAND, better))


def plan_changes(
    base: Table,
    scale: int,
    rng: np.random.Generator,
    losses: np.ndarray,
    extra_loss: ExtraLoss,
    restoration: Restoration,
) -> tuple[list[YearPlan], np.ndarray]:
    """Plans for 2023–2025 and the mask of base parcels any of them touches; `losses` = loss_order(),
    `extra_loss` and `restoration` the planted steps of PR01 and PR08 (target_plants.py)."""
    planner = Planner(base, scale, rng, losses, extra_loss, restoration)
    return [planner.plan_year(year) for year in CHANGE_YEARS], planner.used
