"""Self-checks run on every generation: the demo must break the planted rules and nothing else.

A failed check raises DemoInvariantError rather than writing a demo whose manifest would be wrong.
They cover the rules whose outcome depends on this generator's data (reconciliation DQ09, PR01, PR02,
PR08, PR09, PR11, PR12, PR13, PR22); the planted DQ parcels are correct by construction and are
re-verified from the written files by tests/test_demo_generator.py.
"""

from __future__ import annotations

import numpy as np

from sources.demo.design import PR01_COUNTY, PR02_COUNTY, PR08_COUNTY_YEAR
from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED
from sources.demo.rects import RectSet, near_any, of, overlap_pairs
from sources.demo.region import MU_PER_M2
from sources.demo.truth import flows, reconciliation_errors

PR08_CLEAR_RATIO = 1.3  # in ≥ 1.3 × out where 进出平衡 holds; out ≥ 1.3 × in where it is planted to fail
PR13_MIN_M2 = 20 / MU_PER_M2
PR22_TOLERANCE = 0.01  # the rule's threshold is 0.05; stay well clear of it
GRAIN_CODES = ("LS", "LYFL", "XG")
TARGET_YEAR = 2025


class DemoInvariantError(AssertionError):
    """The generated demo would not break exactly the planted rules."""


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise DemoInvariantError(message)


def check_targets(outcomes: list[dict], cultivated: list[dict]) -> None:
    """PR01/PR02: exactly the designed counties miss their 2025 targets, by 1–2%; every other county
    clears its target by ≥ 1%, and 耕地 clears the 2025 target in every earlier year too (so PR01 fails
    only in 2025 whichever year the warehouse checks)."""
    designed = {("PR01", PR01_COUNTY), ("PR02", PR02_COUNTY)}
    for row in outcomes:
        key = (row["rule_id"], row["admin_code"])
        ratio = row["actual_mu"] / row["target_mu"]
        if key in designed:
            _require(0.98 <= ratio <= 0.99, f"{key} should miss its target by 1–2%: {row}")
        elif row["admin_level"] == "county":
            _require(ratio >= 1.01, f"{key} should clear its target by ≥ 1%: {row}")
    target = {r["admin_code"]: r["target_mu"] for r in outcomes if r["rule_id"] == "PR01"}
    for row in cultivated:
        if row["year"] < TARGET_YEAR:
            _require(row["cultivated_mu"] >= 1.01 * target[row["admin_code"]], f"耕地 below target: {row}")


def check_in_out(rows: list[dict], planted: tuple[str, int]) -> None:
    for row in rows:
        if (row["admin_code"], row["year"]) == planted:
            _require(row["out_mu"] >= PR08_CLEAR_RATIO * row["in_mu"], f"PR08 planted row not clear: {row}")
        else:
            _require(row["in_mu"] >= PR08_CLEAR_RATIO * row["out_mu"], f"进出平衡 not clearly met: {row}")


def check_quality_grade(states: list[Table], quarantined: np.ndarray) -> None:
    """PR22: the area-weighted mean 耕地等别 of a county never worsens year on year."""
    means: dict[str, list[float]] = {}
    for state in states:
        keep = np.isin(state["DLBM"].astype(str), CULTIVATED) & ~np.isin(state["BSM"], quarantined)
        for code in np.unique(state["COUNTY"]):
            m = keep & (state["COUNTY"] == code)
            w = state["TBDLMJ_C"][m].astype(float)
            means.setdefault(code, []).append(float((state["GDDB"][m] * w).sum() / w.sum()))
    for code, series in means.items():
        worst = max(b - a for a, b in zip(series, series[1:], strict=False))
        _require(worst <= PR22_TOLERANCE, f"PR22: mean 耕地等别 of {code} worsens: {series}")


def check_reconciliation(areas: dict, records: list[Table]) -> None:
    """DQ09: every change year replays exactly (to the cent) onto the next state."""
    years = sorted(areas)
    for (prev, year), gc in zip(zip(years, years[1:], strict=False), records, strict=True):
        errors = reconciliation_errors(areas[prev], areas[year], flows(gc))
        _require(errors.height == 0, f"{year}: change survey does not replay exactly:\n{errors}")


def check_all(
    manifest: dict,
    states: list[Table],
    records: list[Table],
    areas: dict,
    quarantined_bsm: np.ndarray,
    yjjbnt: Table,
    lsgnq: Table,
    gbznt: Table,
) -> None:
    """Run every self-check on a generated demo (`records`: DLTBGXGC of 2023–2025 in order)."""
    check_reconciliation(areas, records)
    check_targets(manifest["truth"]["targets"], manifest["truth"]["cultivated_mu"])
    check_in_out(manifest["truth"]["in_out"], PR08_COUNTY_YEAR)
    check_quality_grade(states, quarantined_bsm)
    check_control(states, records, yjjbnt, lsgnq, gbznt)


def check_control(
    states: list[Table], records: list[Table], yjjbnt: Table, lsgnq: Table, gbznt: Table
) -> None:
    yj, zones = RectSet(of(yjjbnt)), RectSet(of(lsgnq))
    # PR09: no piece leaving 耕地 for other agricultural land lies in 永农 (nor any piece leaving 耕地).
    for gc in records:
        leaving = np.isin(gc["BGQDLBM"].astype(str), CULTIVATED) & ~np.isin(
            gc["BGHDLBM"].astype(str), CULTIVATED
        )
        hits = near_any(of(gc, leaving), yj, 0.0)
        _require(not hits.any(), "PR09: a change piece leaving 耕地 touches YJJBNT")
    # PR11: 耕地 touching 永农 or a 功能区 is grain land (LS/LYFL/XG) unless it is a planted WG parcel.
    for state in states:
        cultivated = np.isin(state["DLBM"].astype(str), CULTIVATED)
        non_grain = cultivated & ~np.isin(state["ZZSXDM"].astype(str), GRAIN_CODES)
        rows = np.flatnonzero(non_grain)
        touching = near_any(of(state, rows), yj, 0.0) | near_any(of(state, rows), zones, 0.0)
        _require(not touching.any(), "PR11: a non-grain 耕地 parcel touches YJJBNT or LSGNQ")
    # PR12: GBZNT blocks wholly inside 永农 (新建) / a 功能区 (改造提升).
    for jslx, layer in (("新建", yj), ("改造提升", zones)):
        rows = np.flatnonzero(gbznt["JSLX"] == jslx)
        i, _, area = overlap_pairs(of(gbznt, rows), layer)
        inside = np.bincount(i, weights=area, minlength=len(rows))
        planar = (gbznt["x1"][rows] - gbznt["x0"][rows]) * (gbznt["y1"][rows] - gbznt["y0"][rows])
        _require(bool(np.all(inside >= 0.999 * planar)), f"PR12: a {jslx} block is not inside its zone")
    # PR13 and layer integrity: boxes ≥ 20 亩 and non-overlapping.
    _require(bool(np.all(yjjbnt["JBNTMJ_C"] / 100 >= PR13_MIN_M2)), "PR13: a 永农 box is under 20 亩")
    i, j, area = overlap_pairs(yj, yj)
    _require(not np.any((i != j) & (area > 0)), "YJJBNT boxes overlap")
