"""Self-checks run on every generation: the demo must break the planted rules and nothing else.

A failed check raises DemoInvariantError rather than writing a demo whose manifest would be wrong.
They cover the rules whose outcome depends on this generator's data (reconciliation DQ09, PR01, PR02,
PR08, PR09, PR11, PR12, PR13, PR22): for the survey/control rules, what findings.py finds in the data
(and the manifest lists) must be exactly what was designed. The planted DQ parcels are correct by
construction and are re-verified from the written files by tests/test_demo_generator.py.
"""

from __future__ import annotations

import numpy as np

from sources.demo import findings
from sources.demo.control_plants import PR12_NEW_SHARE, PR12_UPGRADE_SHARE, Plants
from sources.demo.frame import Table
from sources.demo.grade_update import PR22_COUNTY_YEAR
from sources.demo.landclasses import CULTIVATED
from sources.demo.rects import RectSet, of, overlap_pairs
from sources.demo.region import MU_PER_M2
from sources.demo.target_plants import PR01_COUNTY, PR02_COUNTY, PR08_COUNTY_YEAR
from sources.demo.truth import flows, reconciliation_errors

PR08_CLEAR_RATIO = 1.3  # in ≥ 1.3 × out where 进出平衡 holds; out ≥ 1.3 × in where it is planted to fail
PR13_MIN_M2 = 20 / MU_PER_M2
PR13_APART_M = 10.0  # the planted small polygons keep this far from every other 永农 polygon
PR22_TOLERANCE = 0.01  # the rule's threshold is 0.05; stay well clear of it
PR22_PLANTED = (0.08, 0.12)  # the planted rise
PR09_PARTIAL = (0.3, 0.7)  # share of the partly covered piece inside 永农
SHARE_SLACK = 0.05  # planted PR12 shares may differ this much from the design (1 m block insets)
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
    target = {
        outcome["admin_code"]: outcome["target_mu"] for outcome in outcomes if outcome["rule_id"] == "PR01"
    }
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
    """PR22: the mean 耕地等别 of the designed county-year rises by 0.08–0.12; every other county-year's
    stays put or improves (within PR22_TOLERANCE)."""
    years = (2022, 2023, 2024, 2025)
    for code, series in findings.grade_series(states, quarantined).items():
        for year, (before, after) in zip(years[1:], zip(series, series[1:], strict=False), strict=True):
            if (code, year) == PR22_COUNTY_YEAR:
                low, high = PR22_PLANTED
                _require(
                    low <= after - before <= high,
                    f"PR22 planted rise of {code} in {year} is {after - before:.4f}",
                )
            else:
                _require(
                    after - before <= PR22_TOLERANCE,
                    f"PR22: mean 耕地等别 of {code} worsens in {year}: {series}",
                )


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
    control: dict[str, Table],
    plants: Plants,
    pr11_expected: set[tuple[str, int]],
) -> None:
    """Run every self-check on a generated demo (`records`: DLTBGXGC of 2023–2025 in order;
    `pr11_expected`: the (BSM, year) pairs designed to break PR11)."""
    check_reconciliation(areas, records)
    check_targets(manifest["truth"]["targets"], manifest["truth"]["cultivated_mu"])
    check_in_out(manifest["truth"]["in_out"], PR08_COUNTY_YEAR)
    check_quality_grade(states, quarantined_bsm)
    check_layers(records, control, plants)
    check_planted(manifest["planted"], records, plants, pr11_expected)


def _entries(planted: list[dict], rule: str) -> list[dict]:
    return [entry for entry in planted if entry["rule_id"] == rule]


def check_layers(records: list[Table], control: dict[str, Table], plants: Plants) -> None:
    """Layer integrity, and nothing near 永农 that the rules could flag beyond the plants."""
    yjjbnt, gbznt = control["YJJBNT"], control["GBZNT"]
    yj = RectSet(of(yjjbnt))  # all polygons, the quarantined bow-tie too: it must not matter
    # No piece leaving 耕地 (for any class) touches 永农, but the two PR09 pieces.
    planted_pieces = {bsm for _, bsm in plants.pr09_pieces.values()}
    for gc in records:
        leaving = np.flatnonzero(
            np.isin(gc["BGQDLBM"].astype(str), CULTIVATED) & ~np.isin(gc["BGHDLBM"].astype(str), CULTIVATED)
        )
        left, _, _ = overlap_pairs(of(gc, leaving), yj)
        touching = set(gc["BGHTBBSM"][leaving[np.unique(left)]].tolist())
        _require(touching <= planted_pieces, f"PR09: change pieces leaving 耕地 touch YJJBNT: {touching}")
    # Non-overlapping layers; every 永农 polygon ≥ 20 亩 but the four planted for PR13.
    for name, layer in (("YJJBNT", yj), ("GBZNT", RectSet(of(gbznt)))):
        left, right, area = overlap_pairs(layer, layer)
        _require(not np.any((left != right) & (area > 0)), f"{name} polygons overlap")
    small = set(plants.pbf["PR13-connected"] + plants.pbf["PR13-separate"])
    big = ~np.isin(yjjbnt["BSM"], list(small))
    _require(
        bool(np.all(yjjbnt["JBNTMJ_C"][big] / 100 >= PR13_MIN_M2)), "PR13: a 永农 polygon is under 20 亩"
    )
    # The small ones keep PR13_APART_M from every other polygon (their own pair aside).
    rows = np.flatnonzero(~big)
    left, right, _ = overlap_pairs(of(yjjbnt, rows), yj, PR13_APART_M)
    for small_bsm, neighbour in zip(
        yjjbnt["BSM"][rows[left]].tolist(), yjjbnt["BSM"][right].tolist(), strict=True
    ):
        pair = next(
            pair_members
            for pair_members in (plants.pbf["PR13-connected"], plants.pbf["PR13-separate"])
            if small_bsm in pair_members
        )
        _require(
            neighbour in pair,
            f"PR13: planted polygon {small_bsm} lies within {PR13_APART_M} m of {neighbour}",
        )
    # So the connected pair (3 m apart) is a patch of its own, and one large enough.
    pair = np.isin(yjjbnt["BSM"], plants.pbf["PR13-connected"])
    _require(yjjbnt["JBNTMJ_C"][pair].sum() / 100 >= PR13_MIN_M2, "PR13: the connected pair is under 20 亩")


def check_planted(
    planted: list[dict], records: list[Table], plants: Plants, pr11_expected: set[tuple[str, int]]
) -> None:
    """The findings of PR09, PR11, PR12, PR13 and PR22 (the manifest entries) are exactly the designed."""
    pr09 = {entry["entity_id"]: entry for entry in _entries(planted, "PR09")}
    expected = {str(bsm): (role, year) for role, (year, bsm) in plants.pr09_pieces.items()}
    _require(set(pr09) == set(expected), f"PR09 findings {sorted(pr09)} ≠ planted {sorted(expected)}")
    for bsm, (role, year) in expected.items():
        gc = records[year - 2023]
        row = int(np.flatnonzero(gc["BGHTBBSM"] == int(bsm))[0])
        planar = float((gc["x1"][row] - gc["x0"][row]) * (gc["y1"][row] - gc["y0"][row]))
        share = pr09[bsm]["detail"]["inside_m2"] / planar
        low, high = (0.9999, 1.0001) if role == "PR09-whole" else PR09_PARTIAL
        _require(pr09[bsm]["year"] == year and low <= share <= high, f"{role}: {share:.4f} inside 永农")

    found = {(entry["entity_id"], entry["year"]) for entry in _entries(planted, "PR11")}
    _require(found == pr11_expected, f"PR11 findings {sorted(found ^ pr11_expected)} differ from the plan")

    pr12 = {entry["entity_id"]: entry["detail"] for entry in _entries(planted, "PR12")}
    _require(set(pr12) == set(plants.blocks.values()), f"PR12 findings {sorted(pr12)} ≠ {plants.blocks}")
    for jslx, design in (("新建", PR12_NEW_SHARE), ("改造提升", PR12_UPGRADE_SHARE)):
        share = pr12[plants.blocks[jslx]]["share_inside"]
        _require(abs(share - design) <= SHARE_SLACK, f"PR12 {jslx} block {share} inside, not ~{design}")

    pr13 = {entry["entity_id"]: entry["detail"] for entry in _entries(planted, "PR13")}
    separate = plants.pbf["PR13-separate"]
    _require(
        set(pr13) == {str(separate_bsm) for separate_bsm in separate},
        f"PR13 findings {sorted(pr13)} ≠ {separate}",
    )
    _require(
        all(len(detail["members"]) == 1 for detail in pr13.values()), "PR13: the separate pair is one patch"
    )

    pr22 = {(entry["entity_id"], entry["year"]) for entry in _entries(planted, "PR22")}
    _require(pr22 == {PR22_COUNTY_YEAR}, f"PR22 findings {pr22} ≠ {PR22_COUNTY_YEAR}")
