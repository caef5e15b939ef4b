"""The survey/control rules the demo plants (PR09, PR11, PR12, PR13, PR22), evaluated on the generated
tables with the rule semantics of POLICY_RULES.md, as manifest entries.

The manifest lists what these functions find, and checks.py compares it with what was planted
(control_plants.Plants and the plant functions' designs): so the manifest is what the data says, and a
demo whose data says anything else is never written. Geometry here is exact rectangle arithmetic (every
parcel, piece and control polygon is an axis-aligned rectangle; the DQ05 bow-tie is quarantined and left
out, as the warehouse does). Control polygons count in year Y when they are in force: YJJBNT HDNF ≤ Y,
LSGNQ RDNF ≤ Y, the 2025 delivery standing for every year.
"""

from __future__ import annotations

import numpy as np
import shapely

from sources.demo.base import BASE_YEAR
from sources.demo.change_plan import CHANGE_YEARS
from sources.demo.frame import Table
from sources.demo.grade_update import mean_grades
from sources.demo.landclasses import CULTIVATED, land_classes
from sources.demo.rects import Bounds, RectSet, of, overlap_pairs
from sources.demo.region import MU_PER_M2

GRAIN_CODES = ("LS", "LYFL", "XG")  # PR11: 耕地 sown to grain (or fallow) is fine on protected land
IDLE = "WG"  # 撂荒: a finding wherever it lies
MIN_TOUCH_M2 = 1.0  # PR11: overlaps below this are edge noise, not land inside
PR12_MIN_SHARE = 0.95
PR13_CONNECT_M = 5.0
PR13_MIN_MU = 20.0
PR22_MAX_RISE = 0.05
CONTROL_YEAR = 2025


def _planar(bounds: Bounds) -> np.ndarray:
    return (bounds[2] - bounds[0]) * (bounds[3] - bounds[1])


def pbf_valid(yjjbnt: Table) -> np.ndarray:
    """YJJBNT rows the warehouse keeps (the DQ05 bow-tie is quarantined)."""
    return np.array([wkb is None for wkb in yjjbnt["WKB"]], dtype=bool)


def pbf_in_force(yjjbnt: Table, year: int) -> np.ndarray:
    return pbf_valid(yjjbnt) & (yjjbnt["HDNF"] <= year)


def _inside(items: Bounds, year: np.ndarray, cover: RectSet, in_force_from: np.ndarray) -> np.ndarray:
    """Planar area of each item inside the `cover` rectangles in force in the item's `year` (those whose
    `in_force_from` ≤ year; a cover whose polygons do not overlap each other)."""
    item_index, cover_index, area = overlap_pairs(items, cover)
    keep = in_force_from[cover_index] <= year[item_index]
    return np.bincount(item_index[keep], weights=area[keep], minlength=len(items[0]))


def _pbf_from(yjjbnt: Table) -> np.ndarray:
    """The year each YJJBNT polygon is in force from (HDNF; never for the quarantined bow-tie)."""
    return np.where(pbf_valid(yjjbnt), yjjbnt["HDNF"], np.iinfo(np.int64).max)


def _mu(m2: float, digits: int = 4) -> float:
    return round(float(m2) * MU_PER_M2, digits)


# ------------------------------------------------------------------------------------------- PR09


def pr09_entries(years: dict[int, tuple[Table, Table]], yjjbnt: Table) -> list[dict]:
    """Change pieces 耕地 → other agricultural land on ground inside 永农 in force in the change year."""
    other = [code for code, cls in land_classes().items() if cls.is_other_agricultural]
    pbf, pbf_from = RectSet(of(yjjbnt)), _pbf_from(yjjbnt)
    out = []
    for year, (_, gc) in years.items():
        rows = np.flatnonzero(
            np.isin(gc["BGQDLBM"].astype(str), CULTIVATED) & np.isin(gc["BGHDLBM"].astype(str), other)
        )
        pieces = of(gc, rows)
        inside = _inside(pieces, np.full(len(rows), year), pbf, pbf_from)
        for position in np.flatnonzero(inside > 0):
            row = rows[position]
            share = inside[position] / _planar(pieces)[position]
            out.append(
                {
                    "rule_id": "PR09",
                    "entity_type": "change_record",
                    "entity_id": str(gc["BGHTBBSM"][row]),
                    "admin_code": str(gc["BGQZLDWDM"][row])[:6],
                    "year": year,
                    "layer": "DLTBGXGC",
                    "detail": {
                        "piece_bsm": int(gc["BSM"][row]),
                        "to_class": str(gc["BGHDLBM"][row]),
                        "inside_m2": round(float(inside[position]), 2),
                        "cultivated_mu": _mu(gc["BGQTBDLMJ_C"][row] / 100 * share),
                        "village": str(gc["BGHZLDWDM"][row])[:12],
                        "changed_on": str(gc["GXSJ"][row].astype("datetime64[D]")),
                    },
                }
            )
    return out


# ------------------------------------------------------------------------------------------- PR11


def _protected(yjjbnt: Table, lsgnq: Table) -> tuple[RectSet, np.ndarray, np.ndarray]:
    """YJJBNT and LSGNQ rectangles together: (rectangles, year in force from, layer name)."""
    bounds = tuple(np.concatenate([of(yjjbnt)[edge], of(lsgnq)[edge]]) for edge in range(4))
    since = np.concatenate([_pbf_from(yjjbnt), lsgnq["RDNF"]])
    layer = np.array(["YJJBNT"] * len(yjjbnt["BSM"]) + ["LSGNQ"] * len(lsgnq["GNQBH"]), dtype=object)
    return RectSet(bounds), since, layer


def pr11_entries(
    states: list[Table], base: Table, quarantined_bsm: np.ndarray, yjjbnt: Table, lsgnq: Table
) -> list[dict]:
    """Per survey year: 耕地 left idle (WG) anywhere, and 耕地 not sown to grain touching 永农 or a 功能区
    in force that year by at least MIN_TOUCH_M2 (the union of both: they may overlap each other)."""
    base_bsm = set(base["BSM"].tolist())
    protected, since, layer = _protected(yjjbnt, lsgnq)
    out = []
    for year, state in zip((BASE_YEAR, *CHANGE_YEARS), states, strict=True):
        zz = state["ZZSXDM"].astype(str)
        rows = np.flatnonzero(
            np.isin(state["DLBM"].astype(str), CULTIVATED)
            & ~np.isin(zz, GRAIN_CODES)
            & ~np.isin(state["BSM"], quarantined_bsm)
        )
        item_index, cover_index, area = overlap_pairs(of(state, rows), protected)
        for position, row in enumerate(rows):
            touching = cover_index[(item_index == position) & (area > 0) & (since[cover_index] <= year)]
            parcel = shapely.box(*(float(state[column][row]) for column in ("x0", "y0", "x1", "y1")))
            inside = 0.0
            if len(touching):
                cover = shapely.union_all(shapely.box(*(edges[touching] for edges in protected.bounds)))
                inside = float(shapely.area(shapely.intersection(parcel, cover)))
            if zz[row] != IDLE and inside < MIN_TOUCH_M2:
                continue
            tbdlmj = state["TBDLMJ_C"][row] / 100
            bsm = int(state["BSM"][row])
            out.append(
                {
                    "rule_id": "PR11",
                    "entity_type": "parcel",
                    "entity_id": str(bsm),
                    "admin_code": str(state["ZLDWDM"][row])[:6],
                    "year": year,
                    "layer": "DLTB" if bsm in base_bsm else "DLTBGX",
                    "detail": {
                        "zzsxdm": zz[row],
                        "cultivated_mu": _mu(tbdlmj),
                        "inside_mu": _mu(tbdlmj * inside / parcel.area),
                        "village": str(state["ZLDWDM"][row])[:12],
                        "protected_by": sorted(set(layer[touching].tolist())) if inside else [],
                    },
                }
            )
    return out


# ------------------------------------------------------------------------------------------- PR12


def pr12_shares(gbznt: Table, yjjbnt: Table, lsgnq: Table) -> np.ndarray:
    """Planar share of each block inside 永农 (新建) or a 功能区 (改造提升) in force in its JSNF year."""
    blocks = of(gbznt)
    year = gbznt["JSNF"]
    planar = _planar(blocks)
    pbf = _inside(blocks, year, RectSet(of(yjjbnt)), _pbf_from(yjjbnt)) / planar
    zone = _inside(blocks, year, RectSet(of(lsgnq)), lsgnq["RDNF"]) / planar
    return np.where(gbznt["JSLX"] == "新建", pbf, zone)


def pr12_entries(gbznt: Table, yjjbnt: Table, lsgnq: Table) -> list[dict]:
    share = pr12_shares(gbznt, yjjbnt, lsgnq)
    return [
        {
            "rule_id": "PR12",
            "entity_type": "high_standard_project",
            "entity_id": str(gbznt["XMBH"][row]),
            "admin_code": str(gbznt["XZQDM"][row]),
            "year": int(gbznt["JSNF"][row]),
            "layer": "GBZNT",
            "detail": {"jslx": str(gbznt["JSLX"][row]), "share_inside": round(float(share[row]), 4)},
        }
        for row in np.flatnonzero(share < PR12_MIN_SHARE)
    ]


# ------------------------------------------------------------------------------------------- PR13


def _components(count: int, left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Connected-component label (the smallest member index) of n nodes joined by edges i–j."""
    label = np.arange(count)
    while True:
        low = np.minimum(label[left], label[right])
        before = label.copy()
        np.minimum.at(label, left, low)
        np.minimum.at(label, right, low)
        label = label[label]  # pointer jumping: labels point at ever smaller members
        if np.array_equal(label, before):
            return label


def pbf_patches(yjjbnt: Table, year: int = CONTROL_YEAR) -> tuple[np.ndarray, np.ndarray]:
    """Connected 永农 patches in force in `year` (polygons closer than PR13_CONNECT_M are one patch):
    (patch label per YJJBNT row, -1 where not in force; Σ JBNTMJ in 亩 per label)."""
    rows = np.flatnonzero(pbf_in_force(yjjbnt, year))
    boxes = RectSet(of(yjjbnt, rows))
    left, right, _ = overlap_pairs(boxes, boxes, PR13_CONNECT_M)
    x0, y0, x1, y1 = boxes.bounds
    dx = np.clip(np.maximum(x0[left], x0[right]) - np.minimum(x1[left], x1[right]), 0, None)
    dy = np.clip(np.maximum(y0[left], y0[right]) - np.minimum(y1[left], y1[right]), 0, None)
    near = (left != right) & (np.hypot(dx, dy) < PR13_CONNECT_M)
    label = np.full(len(yjjbnt["BSM"]), -1, dtype=np.int64)
    label[rows] = rows[_components(len(rows), left[near], right[near])]
    mu = np.bincount(label[rows], weights=yjjbnt["JBNTMJ_C"][rows] / 100 * MU_PER_M2, minlength=len(label))
    return label, mu


def patch_of(yjjbnt: Table, bsm: int) -> dict:
    """The patch holding a YJJBNT polygon: {"members": [BSM…] ascending, "patch_mu"}."""
    label, mu = pbf_patches(yjjbnt)
    lab = label[np.flatnonzero(yjjbnt["BSM"] == bsm)[0]]
    return {
        "members": sorted(int(member) for member in yjjbnt["BSM"][label == lab]),
        "patch_mu": round(mu[lab], 4),
    }


def pr13_entries(yjjbnt: Table) -> list[dict]:
    label, mu = pbf_patches(yjjbnt)
    out = []
    for lab in np.flatnonzero((mu > 0) & (mu < PR13_MIN_MU)):
        members = np.flatnonzero(label == lab)
        first = int(yjjbnt["BSM"][members].min())
        out.append(
            {
                "rule_id": "PR13",
                "entity_type": "pbf_patch",
                "entity_id": str(first),
                "admin_code": str(yjjbnt["XZQDM"][members[0]]),
                "year": CONTROL_YEAR,
                "layer": "YJJBNT",
                "detail": {
                    "members": sorted(int(bsm) for bsm in yjjbnt["BSM"][members]),
                    "patch_mu": round(float(mu[lab]), 4),
                },
            }
        )
    return out


# ------------------------------------------------------------------------------------------- PR22


def grade_series(states: list[Table], quarantined_bsm: np.ndarray) -> dict[str, list[float]]:
    """County → mean 耕地等别 of each survey year (2022…2025)."""
    out: dict[str, list[float]] = {}
    for state in states:
        for code, (mean, _) in sorted(mean_grades(state, quarantined_bsm).items()):
            out.setdefault(code, []).append(mean)
    return out


def pr22_entries(states: list[Table], quarantined_bsm: np.ndarray) -> list[dict]:
    out = []
    years = (BASE_YEAR, *CHANGE_YEARS)
    for code, series in grade_series(states, quarantined_bsm).items():
        for position in range(1, len(series)):
            if series[position] - series[position - 1] > PR22_MAX_RISE:
                out.append(
                    {
                        "rule_id": "PR22",
                        "entity_type": "county",
                        "entity_id": code,
                        "admin_code": code,
                        "year": years[position],
                        "layer": "DLTB",
                        "detail": {
                            "mean_grade_before": round(series[position - 1], 4),
                            "mean_grade_after": round(series[position], 4),
                        },
                    }
                )
    return out


def survey_entries(
    states: list[Table],
    years: dict[int, tuple[Table, Table]],
    base: Table,
    quarantined_bsm: np.ndarray,
    control: dict[str, Table],
) -> list[dict]:
    """Every PR09, PR11, PR12, PR13 and PR22 finding of the generated demo."""
    yjjbnt, lsgnq, gbznt = control["YJJBNT"], control["LSGNQ"], control["GBZNT"]
    return (
        pr09_entries(years, yjjbnt)
        + pr11_entries(states, base, quarantined_bsm, yjjbnt, lsgnq)
        + pr12_entries(gbznt, yjjbnt, lsgnq)
        + pr13_entries(yjjbnt)
        + pr22_entries(states, quarantined_bsm)
    )
