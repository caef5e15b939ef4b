"""Turn a year's change plan into the delivered layers: DLTBGX (更新层, the new parcels) and DLTBGXGC
(更新过程层, one from→to record per piece).

A whole-parcel change (BGXW 1, 属性变更) gives one new parcel and one piece with the parent's polygon. A
split (BGXW 2, 图形变更) cuts the parent rectangle in two: the kept piece keeps every attribute (new
BSM, same class) and the changed piece takes the new class; each piece is one new parcel and one record.

All areas are integer hundredths of m², so that for every piece
TBBGMJ = BGQKCMJ + BGQTBDLMJ = BGHKCMJ + BGHTBDLMJ exactly, and the pieces of a parent add up exactly to
the parent's KCMJ and TBDLMJ. That is what makes the 2-decimal replay
area_Y(c) = area_{Y−1}(c) − out + in hold to the cent.
"""

from __future__ import annotations

import numpy as np

from sources.demo.attributes import BEST_GRADE, derive_attributes, terrace_split
from sources.demo.base import set_location
from sources.demo.change_plan import YearPlan
from sources.demo.frame import (
    CHANGE_ATTRIBUTES,
    GEOMETRY_COLUMNS,
    INTERNAL_COLUMNS,
    PARCEL_COLUMNS,
    Table,
    concat,
    take,
)
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.ids import BsmAllocator, TbbhAllocator
from sources.demo.landclasses import CULTIVATED, is_restorable_class

GRADE_UPDATE_STEP = 2  # grades a 耕地质量等别 update lowers a parcel by (GDDB + 2: worse)


def _cut(parent: Table, fraction: np.ndarray, rng: np.random.Generator) -> tuple[Table, Table]:
    """Split parent rectangles across their longer side: (changed piece, kept piece) bounds."""
    x0, y0, x1, y1 = (parent[column] for column in ("x0", "y0", "x1", "y1"))
    vertical = (x1 - x0) >= (y1 - y0)
    low_side = rng.random(len(x0)) < 0.5  # the changed piece is the western/southern part
    lo, hi = np.where(vertical, x0, y0), np.where(vertical, x1, y1)
    cut = np.round(np.where(low_side, lo + fraction * (hi - lo), hi - fraction * (hi - lo)), 2)
    changed_lo, changed_hi = np.where(low_side, lo, cut), np.where(low_side, cut, hi)
    kept_lo, kept_hi = np.where(low_side, cut, lo), np.where(low_side, hi, cut)

    def bounds(low: np.ndarray, high: np.ndarray) -> Table:
        return {
            "x0": np.where(vertical, low, x0), "x1": np.where(vertical, high, x1),
            "y0": np.where(vertical, y0, low), "y1": np.where(vertical, y1, high),
        }  # fmt: skip

    return bounds(changed_lo, changed_hi), bounds(kept_lo, kept_hi)


def _changed_attributes(
    parent: Table, plan_new: np.ndarray, kind: np.ndarray, tbmj_c: np.ndarray, rng
) -> Table:
    old = parent["DLBM"].astype(str)
    same = plan_new == "same"
    new = np.where(same, old, plan_new).astype(object)
    attrs = derive_attributes(new, tbmj_c, rng, restorable=False, grade=BEST_GRADE)
    new_s = new.astype(str)
    stays_cultivated = np.isin(old, CULTIVATED) & np.isin(new_s, CULTIVATED)
    # 旱改水 and planting changes keep the parcel's 田坎 coefficient, grade and slope.
    for column in ("KCXS", "GDDB", "GDPDJB", "ZZSXDM"):
        attrs[column] = np.where(stays_cultivated, parent[column], attrs[column])
    attrs["ZZSXDM"] = np.where(same, "LYFL", attrs["ZZSXDM"]).astype(object)
    kcmj, tbdlmj = terrace_split(tbmj_c, attrs["KCXS"].astype(float))
    attrs["KCMJ_C"], attrs["TBDLMJ_C"] = kcmj, tbdlmj
    # Restored farmland is sown to grain; 耕地 that became 园地/林地/坑塘 is restorable at once (JKHF);
    # other agricultural land keeps its restoration mark when it stays restorable.
    gained = kind == "in"
    attrs["ZZSXDM"] = np.where(gained, "LS", attrs["ZZSXDM"]).astype(object)
    attrs["GDPDJB"] = np.where(gained, "1", attrs["GDPDJB"]).astype(object)
    restorable_new = np.array([is_restorable_class(code) for code in new_s], dtype=bool)
    attrs["ZZSXDM"] = np.where((kind == "out") & restorable_new, "JKHF", attrs["ZZSXDM"]).astype(object)
    keeps_mark = (kind == "misc") & restorable_new & np.isin(parent["ZZSXDM"].astype(str), ["JKHF", "GCHF"])
    attrs["ZZSXDM"] = np.where(keeps_mark, parent["ZZSXDM"], attrs["ZZSXDM"]).astype(object)
    # The 耕地质量等别 update (kind "grade", PR22): the class stays, the grade worsens.
    attrs["GDDB"] = np.where(kind == "grade", parent["GDDB"] + GRADE_UPDATE_STEP, attrs["GDDB"]).astype(
        np.int64
    )
    attrs["DLBM"] = new
    return attrs


def _new_parcels(parent: Table, geometry: Table, attrs: Table, tbmj_c: np.ndarray, year: int) -> Table:
    table = {column: parent[column].copy() for column in ("COUNTY", "VILLAGE")}
    table.update(geometry)
    table.update({column: values for column, values in attrs.items()})
    table["TBMJ_C"] = tbmj_c
    table["ROW"] = np.full(len(tbmj_c), -1, dtype=np.int64)
    table["WKB"] = np.full(len(tbmj_c), None, dtype=object)
    table["SJNF"] = np.full(len(tbmj_c), year, dtype=np.int64)
    set_location(table)
    return table


def _records(parent: Table, piece_bgq: Table, new: Table, bgxw, gxsj: np.ndarray) -> Table:
    """Change-process rows: BGQ copies from `piece_bgq` (parent attributes with the piece's areas)."""
    count = len(new["BSM"])
    rec: Table = {
        "BGXW": np.broadcast_to(np.asarray(bgxw, dtype=object), (count,)).copy(),
        "BGQTBBSM": parent["BSM"],
        "BGHTBBSM": new["BSM"],
        "BGQTBBH": parent["TBBH"],
        "BGHTBBH": new["TBBH"],
    }
    for attribute in CHANGE_ATTRIBUTES:
        rec[f"BGQ{attribute}"] = piece_bgq[attribute]
    for attribute in CHANGE_ATTRIBUTES:
        rec[f"BGH{attribute}"] = new[attribute]
    rec["TBBGMJ_C"] = new["TBMJ_C"]
    rec["XZQTZLX"] = np.full(count, "0", dtype=object)  # within the county
    rec["GXSJ"] = gxsj
    rec.update({column: new[column] for column in ("x0", "y0", "x1", "y1", "COUNTY")})
    return rec


def build_year(
    base: Table, plan: YearPlan, bsm: BsmAllocator, tbbh: TbbhAllocator, rng: np.random.Generator
) -> tuple[Table, Table]:
    """(DLTBGX, DLTBGXGC) tables of one change year. Record BSMs are drawn after the parcels'."""
    parent = take(base, plan.parent)
    split = plan.split
    count = len(plan.parent)
    days = rng.integers(0, 365, count)
    gxsj = np.datetime64(f"{plan.year}-01-01") + days.astype("timedelta64[D]")

    changed_geom = {column: parent[column].copy() for column in ("x0", "y0", "x1", "y1")}
    piece, kept_geom = _cut(take(parent, split), plan.fraction[split], rng)
    for column in changed_geom:
        changed_geom[column][split] = piece[column]

    # Kept pieces: the parent's attributes on the smaller polygon, areas recomputed from it.
    kept_parent = take(parent, split)
    kept_tbmj = rectangle_area_cents(kept_geom["x0"], kept_geom["y0"], kept_geom["x1"], kept_geom["y1"])
    kept_attrs = {attribute: kept_parent[attribute].copy() for attribute in CHANGE_ATTRIBUTES}
    kept_attrs["KCMJ_C"], kept_attrs["TBDLMJ_C"] = terrace_split(kept_tbmj, kept_parent["KCXS"].astype(float))
    kept = _new_parcels(kept_parent, kept_geom, kept_attrs, kept_tbmj, plan.year)

    # Changed pieces: the remainder of the parent's area (so the pieces sum exactly), new class.
    changed_tbmj = parent["TBMJ_C"].copy()
    changed_tbmj[split] -= kept_tbmj
    attrs = _changed_attributes(parent, plan.new_dlbm, plan.kind, changed_tbmj, rng)
    changed = _new_parcels(parent, changed_geom, attrs, changed_tbmj, plan.year)

    for table in (kept, changed):
        table["BSM"] = bsm.take_for(table["COUNTY"])
        table["TBBH"] = tbbh.take_for(table["VILLAGE"])

    # BGQ side of each piece: the parent's attributes, with the piece's share of KCMJ and TBDLMJ.
    kept_bgq = {attribute: kept_parent[attribute] for attribute in CHANGE_ATTRIBUTES}
    kept_bgq["KCMJ_C"], kept_bgq["TBDLMJ_C"] = kept["KCMJ_C"], kept["TBDLMJ_C"]
    changed_bgq = {attribute: parent[attribute].copy() for attribute in CHANGE_ATTRIBUTES}
    changed_bgq["KCMJ_C"][split] -= kept["KCMJ_C"]
    changed_bgq["TBDLMJ_C"][split] -= kept["TBDLMJ_C"]

    records = concat(
        [
            _records(kept_parent, kept_bgq, kept, "2", gxsj[split]),
            _records(parent, changed_bgq, changed, np.where(split, "2", "1"), gxsj),
        ]
    )
    records = take(records, np.lexsort((records["BGHTBBSM"], records["BGQTBBSM"])))
    records["BSM"] = bsm.take_for(records["COUNTY"])
    gx = concat([kept, changed])
    gx = take(gx, np.argsort(gx["BSM"], kind="stable"))
    gx = {column: gx[column] for column in (*PARCEL_COLUMNS, *GEOMETRY_COLUMNS, *INTERNAL_COLUMNS)}
    return gx, records
