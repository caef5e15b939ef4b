"""Planted violations on base parcels: which parcels may carry them, the picker they are drawn with, and
the order the plants run in (each rule's plant is a function of parcel_plants.py); and the 非粮 parcels.

Planted parcels are base parcels that no change survey touches, lying away from the 粮食生产功能区 and
(because the permanent-farmland boxes are drawn around them) from 永久基本农田, so they cannot shift
any other rule's outcome (PR11's two FLS parcels are the exceptions, on purpose). The DQ
rules' parcels are quarantined by the warehouse; the truth excludes them, including both parcels of the
DQ06 overlap pair.

Also chosen here, not as violations: the few 耕地 parcels planted with non-grain crops (ZZSXDM FLS),
which must lie outside 永农 and 功能区 or PR11 would flag them. PR11's plant picks its 撂荒 parcels
before them and its FLS parcels after them (its step), as the planting stream has always drawn.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sources.demo.control_plants import SelectionStep
from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED
from sources.demo.parcel_plants import (
    Pr11Steps,
    plant_dq01_unknown_land_class,
    plant_dq02_foreign_county,
    plant_dq03_area_mismatch,
    plant_dq04_area_arithmetic,
    plant_dq05_invalid_geometry,
    plant_dq06_parcels_overlap,
    plant_dq08_attribute_out_of_range,
    plant_pr11_non_grain_on_protected_land,
)
from sources.demo.rects import Bounds, near_any, of

DQ_RULES = ("DQ01", "DQ02", "DQ03", "DQ04", "DQ05", "DQ06", "DQ08")
FLS_SHARE = 0.02  # share of a county's 耕地 parcels planted with non-grain crops (outside 永农/功能区)
_CONTROL_MARGIN = 10.0  # metres kept between planted parcels and 功能区 boxes

Note = Callable[[str, int, dict], None]  # (rule, base row, detail): one planted row for the manifest
Edit = Callable[[Table, Note], None]  # writes one rule's violation into the base table (in place)


@dataclass
class Planting:
    """Base-table rows chosen for each planted rule (DQ06: [A, B] with B east of A), the 非粮 parcels,
    each rule's edit (apply runs them), and the later steps of DQ05 and PR11 (their 永农 polygons)."""

    rows: dict[str, np.ndarray] = field(default_factory=dict)
    fls: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    edits: dict[str, Edit] = field(default_factory=dict)
    dq05_box: SelectionStep | None = None
    pr11: Pr11Steps | None = None

    def quarantined_rows(self) -> np.ndarray:
        return np.concatenate([self.rows[rule] for rule in DQ_RULES])

    def all_rows(self) -> np.ndarray:
        return np.concatenate([*self.rows.values(), self.fls])


def _pick(
    pool: np.ndarray, mask: np.ndarray, count: int, rng: np.random.Generator, small: np.ndarray
) -> np.ndarray:
    """n rows of `pool` satisfying `mask`, preferring the smaller half of parcels (so the planted
    parcels barely move the county totals)."""
    candidates = pool[mask[pool]]
    preferred = candidates[small[candidates]]
    if len(preferred) >= count:
        candidates = preferred
    if len(candidates) < count:
        raise RuntimeError(f"not enough untouched parcels to plant a violation (need {count})")
    return rng.choice(candidates, count, replace=False)


class ParcelPicker:
    """Draws the parcels to plant on, each at most once: `free` parcels are untouched by the change
    surveys (`touched`) and keep _CONTROL_MARGIN from the 功能区 boxes `lsgnq`; the smaller half of a
    county's parcels is preferred. Also the masks the plants choose among."""

    def __init__(self, base: Table, touched: np.ndarray, lsgnq: Bounds, rng: np.random.Generator) -> None:
        self.base, self.touched, self.lsgnq, self.rng = base, touched, lsgnq, rng
        n_parcels = len(base["BSM"])
        self.cultivated = np.isin(base["DLBM"].astype(str), CULTIVATED)
        self.no_marks = np.array([planting_code is None for planting_code in base["ZZSXDM"]])
        self.not_cultivated = ~self.cultivated & self.no_marks  # other land without a planting attribute
        self.free = ~touched & ~near_any(of(base), lsgnq, _CONTROL_MARGIN)
        self.small = np.zeros(n_parcels, dtype=bool)
        for code in np.unique(base["COUNTY"]):
            in_county = base["COUNTY"] == code
            self.small[in_county] = base["TBMJ_C"][in_county] <= np.median(base["TBMJ_C"][in_county])
        self.taken = np.zeros(n_parcels, dtype=bool)
        self.planting = Planting()

    def pick(self, rule: str, mask: np.ndarray, count: int) -> np.ndarray:
        """`count` free parcels not yet taken satisfying `mask`, taken for `rule`."""
        rows = self.draw(mask, count)
        self.take(rule, rows)
        return rows

    def draw(self, mask: np.ndarray, count: int) -> np.ndarray:
        """`count` free parcels not yet taken satisfying `mask`, drawn as `pick` draws them but not taken
        (for a plant that still has to see whether they suit it)."""
        return _pick(np.flatnonzero(self.free & ~self.taken), mask, count, self.rng, self.small)

    def take(self, rule: str, rows: np.ndarray) -> None:
        """Mark `rows` (chosen otherwise) taken for `rule`."""
        self.taken[rows] = True
        self.planting.rows[rule] = np.concatenate([self.planting.rows.get(rule, np.empty(0, np.int64)), rows])


def choose(
    base: Table, touched: np.ndarray, lsgnq: Bounds, losses: np.ndarray, rng: np.random.Generator
) -> Planting:
    """Pick the parcels to plant on; `touched` masks base parcels the change years use, `losses` is the
    order in which 耕地 gives way (change_plan.loss_order), which 非粮 planting follows too."""
    picker = ParcelPicker(base, touched, lsgnq, rng)
    planting = picker.planting
    cultivated, free, taken, small = picker.cultivated, picker.free, picker.taken, picker.small
    # The planting stream draws in this order; DQ06 first, as it needs two adjacent free parcels.
    planting.edits["DQ06"] = plant_dq06_parcels_overlap(picker)
    planting.edits["DQ01"] = plant_dq01_unknown_land_class(picker)
    planting.edits["DQ02"] = plant_dq02_foreign_county(picker)
    planting.edits["DQ03"] = plant_dq03_area_mismatch(picker)
    planting.edits["DQ04"] = plant_dq04_area_arithmetic(picker)
    planting.edits["DQ05"], planting.dq05_box = plant_dq05_invalid_geometry(picker)
    planting.edits["DQ08"] = plant_dq08_attribute_out_of_range(picker)
    pick_pr11_non_grain = plant_pr11_non_grain_on_protected_land(picker)

    # 非粮 (FLS) parcels: legitimate outside 永农/功能区, so they are kept clear of both; peri-urban
    # land next in line after the change surveys' losses, where the permanent-farmland boxes need not go.
    fls = []
    for code in np.unique(base["COUNTY"]):
        eligible = free & ~taken & cultivated & (base["COUNTY"] == code)
        pool = losses[eligible[losses]]
        count = min(len(pool), round(FLS_SHARE * int((cultivated & (base["COUNTY"] == code)).sum())))
        fls.append(pool[:count])
    planting.fls = np.concatenate(fls).astype(np.int64)
    if not len(planting.fls):  # at tiny scales still show one 非粮 parcel
        planting.fls = _pick(np.flatnonzero(free & ~taken), cultivated, 1, rng, small)
    taken[planting.fls] = True

    planting.pr11 = pick_pr11_non_grain()
    planting.edits["PR11"] = planting.pr11.edit
    return planting


def apply(base: Table, planting: Planting) -> list[dict]:
    """Write the violations into the base table (in place); returns one description per planted row:
    {rule_id, row, detail}."""
    out: list[dict] = []

    def note(rule: str, row: int, detail: dict) -> None:
        out.append({"rule_id": rule, "row": int(row), "detail": detail})

    for rule in sorted(planting.edits):  # in rule order, as the notes have always been listed
        planting.edits[rule](base, note)
    base["ZZSXDM"][planting.fls] = "FLS"
    return out
