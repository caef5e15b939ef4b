"""Planted violations on base parcels: each breaks exactly one rule and touches nothing else.

Planted parcels are base parcels that no change survey touches, lying away from the 粮食生产功能区 and
(because the permanent-farmland boxes are drawn around them) from 永久基本农田, so they cannot shift
any other rule's outcome (the two PR11 FLS parcels below are the exceptions, on purpose). The DQ
rules' parcels are quarantined by the warehouse; the truth excludes them, including both parcels of the
DQ06 overlap pair.

Also chosen here, not as violations: the few 耕地 parcels planted with non-grain crops (ZZSXDM FLS),
which must lie outside 永农 and 功能区 or PR11 would flag them. And the PR11 parcels: two 撂荒 (ZZSXDM
WG, a finding wherever they lie), one FLS parcel inside a 功能区 (kept clear of 永农 like every planted
parcel) and one FLS parcel that control_plants.py puts a 永农 polygon over, in part.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import shapely

from sources.demo.attributes import terrace_split
from sources.demo.frame import Table
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.landclasses import CULTIVATED
from sources.demo.rects import Bounds, near_any, of, overlap_pairs

DQ_RULES = ("DQ01", "DQ02", "DQ03", "DQ04", "DQ05", "DQ06", "DQ08")
UNKNOWN_CLASSES = ("0199", "9999")
FOREIGN_COUNTIES = ("330102", "330501")  # 杭州市上城区, 湖州市吴兴区: outside 嘉兴市
AREA_ERROR = 1.01  # DQ03: TBMJ 1% above the polygon's area (tolerance 0.2%)
ARITHMETIC_ERROR_C = 300  # DQ04: 3 m² off
OVERLAP_STRIP = 10.0  # DQ06: metres parcel A grows into its neighbour B
FLS_SHARE = 0.02  # share of a county's 耕地 parcels planted with non-grain crops (outside 永农/功能区)
PR11_FLS_PBF = "PR11-FLS-pbf"  # Planting.rows keys of the two planted FLS parcels
PR11_FLS_ZONE = "PR11-FLS-zone"
ZONE_SHARE = 0.9  # the FLS parcel in a 功能区 lies at least this much inside it where the demo allows
_CONTROL_MARGIN = 10.0  # metres kept between planted parcels and 功能区 boxes


@dataclass
class Planting:
    """Base-table rows chosen for each planted rule (DQ06: [A, B] with B east of A)."""

    rows: dict[str, np.ndarray] = field(default_factory=dict)
    fls: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))

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


def choose(
    base: Table, touched: np.ndarray, lsgnq: Bounds, losses: np.ndarray, rng: np.random.Generator
) -> Planting:
    """Pick the parcels to plant on; `touched` masks base parcels the change years use, `losses` is the
    order in which 耕地 gives way (change_plan.loss_order), which 非粮 planting follows too."""
    n_parcels = len(base["BSM"])
    dlbm = base["DLBM"].astype(str)
    cultivated = np.isin(dlbm, CULTIVATED)
    no_marks = np.array([planting_code is None for planting_code in base["ZZSXDM"]])
    free = ~touched & ~near_any(of(base), lsgnq, _CONTROL_MARGIN)
    small = np.zeros(n_parcels, dtype=bool)
    for code in np.unique(base["COUNTY"]):
        in_county = base["COUNTY"] == code
        small[in_county] = base["TBMJ_C"][in_county] <= np.median(base["TBMJ_C"][in_county])

    taken = np.zeros(n_parcels, dtype=bool)
    planting = Planting()

    def pick(rule: str, mask: np.ndarray, count: int) -> np.ndarray:
        rows = _pick(np.flatnonzero(free & ~taken), mask, count, rng, small)
        taken[rows] = True
        planting.rows[rule] = np.concatenate([planting.rows.get(rule, np.empty(0, np.int64)), rows])
        return rows

    # DQ06 first: it needs two adjacent free parcels of one tiling row.
    left = np.arange(n_parcels - 1)
    pair = (
        free[left]
        & free[left + 1]
        & (base["ROW"][left] == base["ROW"][left + 1])
        & (base["x1"][left] == base["x0"][left + 1])
    )
    pair_a = left[pair & small[left]] if (pair & small[left]).any() else left[pair]
    if not len(pair_a):
        raise RuntimeError("no adjacent untouched parcels for the DQ06 overlap")
    first = int(rng.choice(pair_a))
    planting.rows["DQ06"] = np.array([first, first + 1])
    taken[[first, first + 1]] = True

    not_cultivated = ~cultivated & no_marks
    pick("DQ01", not_cultivated, 2)
    pick("DQ02", np.ones(n_parcels, dtype=bool), 2)
    pick("DQ03", cultivated, 1)
    pick("DQ03", not_cultivated, 1)
    pick("DQ04", cultivated, 2)
    pick("DQ05", np.ones(n_parcels, dtype=bool), 2)
    forest = np.char.startswith(dlbm.astype(str), "03") & no_marks
    pick("DQ08", forest if (forest & free & ~taken).any() else not_cultivated, 1)
    pick("DQ08", cultivated, 1)
    pick("PR11", cultivated, 2)

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

    # PR11 非粮 on protected land: one FLS parcel that a 永农 polygon will partly cover (away from the
    # 功能区 like the others), and one lying in a 功能区, as much inside it as any untouched 耕地 is.
    pick(PR11_FLS_PBF, cultivated, 1)
    parcel_index, zone_index, area = overlap_pairs(of(base), lsgnq)
    share = np.bincount(parcel_index, weights=area, minlength=n_parcels) / (
        (base["x1"] - base["x0"]) * (base["y1"] - base["y0"])
    )
    in_zone = np.flatnonzero(~touched & ~taken & cultivated & (share > 0))
    if not len(in_zone):
        raise RuntimeError("no untouched 耕地 in a 粮食生产功能区 to plant PR11 on")
    best = in_zone[share[in_zone] >= min(ZONE_SHARE, share[in_zone].max())]
    planting.rows[PR11_FLS_ZONE] = rng.choice(best, 1)
    taken[planting.rows[PR11_FLS_ZONE]] = True
    return planting


def _bow_tie(x0: float, y0: float, x1: float, y1: float) -> bytes:
    """A self-intersecting ring through the parcel's own corners (invalid, as digitising errors are)."""
    ring = [(x0, y0), (x1, y1), (x1, y0), (x0, y1), (x0, y0)]
    return shapely.to_wkb(shapely.Polygon(ring))


def _resize(base: Table, row: int) -> None:
    """Recompute TBMJ and the 田坎 split of a parcel from its (changed) rectangle."""
    edges = [base[edge][row : row + 1] for edge in ("x0", "y0", "x1", "y1")]
    base["TBMJ_C"][row] = rectangle_area_cents(*edges)[0]
    kcmj, tbdlmj = terrace_split(base["TBMJ_C"][row : row + 1], base["KCXS"][row : row + 1].astype(float))
    base["KCMJ_C"][row], base["TBDLMJ_C"][row] = kcmj[0], tbdlmj[0]


def apply(base: Table, planting: Planting) -> list[dict]:
    """Write the violations into the base table (in place); returns one description per planted row:
    {rule_id, row, detail}."""
    out: list[dict] = []

    def note(rule: str, row: int, detail: dict) -> None:
        out.append({"rule_id": rule, "row": int(row), "detail": detail})

    for row, code in zip(planting.rows["DQ01"], UNKNOWN_CLASSES, strict=True):
        note("DQ01", row, {"field": "DLBM", "value": code, "was": str(base["DLBM"][row])})
        base["DLBM"][row] = code
    for row, county in zip(planting.rows["DQ02"], FOREIGN_COUNTIES, strict=True):
        note("DQ02", row, {"field": "ZLDWDM", "county": county, "actual_county": str(base["COUNTY"][row])})
        base["ZLDWDM"][row] = county + str(base["ZLDWDM"][row])[6:]
    for row in planting.rows["DQ03"]:
        true_c = int(base["TBMJ_C"][row])
        base["TBMJ_C"][row] = int(np.rint(true_c * AREA_ERROR))
        kcmj, tbdlmj = terrace_split(base["TBMJ_C"][row : row + 1], base["KCXS"][row : row + 1].astype(float))
        base["KCMJ_C"][row], base["TBDLMJ_C"][row] = kcmj[0], tbdlmj[0]
        note("DQ03", row, {"TBMJ": float(base["TBMJ_C"][row]) / 100, "polygon_area_m2": true_c / 100})
    kc_row, dl_row = planting.rows["DQ04"]
    base["KCMJ_C"][kc_row] += ARITHMETIC_ERROR_C  # KCMJ ≠ TBMJ × KCXS; TBDLMJ = TBMJ − KCMJ still holds
    base["TBDLMJ_C"][kc_row] -= ARITHMETIC_ERROR_C
    note("DQ04", kc_row, {"field": "KCMJ", "off_by_m2": ARITHMETIC_ERROR_C / 100})
    base["TBDLMJ_C"][dl_row] += ARITHMETIC_ERROR_C  # TBDLMJ ≠ TBMJ − KCMJ
    note("DQ04", dl_row, {"field": "TBDLMJ", "off_by_m2": ARITHMETIC_ERROR_C / 100})
    for row in planting.rows["DQ05"]:
        base["WKB"][row] = _bow_tie(*(float(base[edge][row]) for edge in ("x0", "y0", "x1", "y1")))
        note("DQ05", row, {"geometry": "self-intersecting (bow-tie) ring"})
    left, right = planting.rows["DQ06"]
    strip = min(OVERLAP_STRIP, 0.3 * float(base["x1"][right] - base["x0"][right]))
    base["x1"][left] = np.round(base["x1"][left] + strip, 2)
    _resize(base, left)
    overlap = strip * float(base["y1"][left] - base["y0"][left])
    note("DQ06", left, {"overlaps_bsm": str(base["BSM"][right]), "overlap_m2_planar": round(overlap, 2)})
    note("DQ06", right, {"overlaps_bsm": str(base["BSM"][left]), "overlap_m2_planar": round(overlap, 2)})
    forest_row, slope_row = planting.rows["DQ08"]
    base["GDDB"][forest_row] = 5
    note("DQ08", forest_row, {"field": "GDDB", "value": 5, "on_class": str(base["DLBM"][forest_row])})
    base["GDPDJB"][slope_row] = "7"
    note("DQ08", slope_row, {"field": "GDPDJB", "value": "7"})
    # PR11 findings are listed per survey year from the final states and control layers (findings.py).
    base["ZZSXDM"][planting.rows["PR11"]] = "WG"
    base["ZZSXDM"][planting.fls] = "FLS"
    base["ZZSXDM"][planting.rows[PR11_FLS_PBF]] = "FLS"
    base["ZZSXDM"][planting.rows[PR11_FLS_ZONE]] = "FLS"
    return out
