"""The 2025 control layers (管控图层), drawn independently of parcel edges:

- LSGNQ 粮食生产功能区: a few large boxes per county over its most cultivated ground;
- YJJBNT 永久基本农田: a brick pattern of ~250 m boxes (each ≥ 20 亩, so PR13 never fires) separated by
  4–8 m "roads", chosen by how much 耕地 lies beneath until Σ JBNTMJ hits the county's goal (海盐 330424
  ~1.5% short of its target: the planted PR02 failure);
- YJJBNTCBQ 储备区: further well-cultivated boxes not in YJJBNT;
- GBZNT 高标准农田: YJJBNT boxes shrunk by 1 m, so 新建 blocks lie 100% in 永农 and 改造提升 blocks
  (chosen among boxes inside a 功能区) 100% in a 功能区 — PR12 never fires.

YJJBNT keeps clear (by 5 m) of every change piece leaving 耕地 (PR09 and 永农 occupation stay clean)
and of the planted and 非粮 parcels (PR11 stays clean).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sources.demo.design import PR02_COUNTY, PR02_SHORTFALL
from sources.demo.frame import Table, take
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.ids import BsmAllocator
from sources.demo.landclasses import CULTIVATED
from sources.demo.rects import Bounds, RectSet, near_any, of, overlap_pairs
from sources.demo.region import counties, target_m2
from sources.demo.tiling import tile_rectangle

BOX_SIDE = 250.0  # nominal side of a 永农 box, metres
BOX_GAP = (2.0, 4.0)  # half-width of the strips between boxes
CLEARANCE = 5.0  # metres YJJBNT keeps from forbidden rectangles
RESERVE_SHARE = 0.03  # 储备区 area as a share of the county's 永农 goal
DEMO_ZONE_SHARE = 0.10  # 示范区 (SFSFQ = Y)
GBZNT_SHARE = 0.12  # share of 永农 boxes that are 高标准农田 project blocks
_LSGNQ_GRID = (4, 3)
_LSGNQ_PER_COUNTY = 3


@dataclass
class ControlLayers:
    lsgnq: Table
    yjjbnt: Table
    cbq: Table
    gbznt: Table
    stats: dict


def _cultivated_share(cells: Bounds, parcels: RectSet, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(share of each cell covered by weighted parcels, dominant parcel index or -1)."""
    i, j, area = overlap_pairs(cells, parcels)
    n = len(cells[0])
    covered = np.bincount(i, weights=area * weight[j], minlength=n)
    planar = (cells[2] - cells[0]) * (cells[3] - cells[1])
    dominant = np.full(n, -1, dtype=np.int64)
    order = np.lexsort((-area, i))
    first = np.ones(len(order), dtype=bool)
    first[1:] = i[order][1:] != i[order][:-1]
    dominant[i[order][first]] = j[order][first]
    return covered / planar, dominant


def build_lsgnq(base: Table, rng: np.random.Generator) -> Table:
    """Grain production functional zones: inset boxes over each county's most cultivated grid cells."""
    cultivated = np.isin(base["DLBM"].astype(str), CULTIVATED).astype(float)
    parcels = RectSet(of(base))
    parts = []
    for county in counties():
        xmin, ymin, xmax, ymax = county.bounds
        nx, ny = _LSGNQ_GRID
        gx, gy = np.meshgrid(np.arange(nx), np.arange(ny))
        gx, gy = gx.ravel(), gy.ravel()
        w, h = (xmax - xmin) / nx, (ymax - ymin) / ny
        cells = (xmin + gx * w, ymin + gy * h, xmin + (gx + 1) * w, ymin + (gy + 1) * h)
        share, _ = _cultivated_share(cells, parcels, cultivated)
        best = np.argsort(-share, kind="stable")[:_LSGNQ_PER_COUNTY]
        margins = rng.uniform(150, 500, (4, len(best)))
        box = (
            np.round(cells[0][best] + margins[0], 2), np.round(cells[1][best] + margins[1], 2),
            np.round(cells[2][best] - margins[2], 2), np.round(cells[3][best] - margins[3], 2),
        )  # fmt: skip
        parts.append((county.code, box))
    x0, y0, x1, y1 = (np.concatenate([p[1][k] for p in parts]) for k in range(4))
    xzqdm = np.concatenate([np.full(len(p[1][0]), p[0], dtype=object) for p in parts])
    seq = np.concatenate([np.arange(1, len(p[1][0]) + 1) for p in parts])
    return {
        "GNQBH": np.array([f"GNQ{c}{s:03d}" for c, s in zip(xzqdm, seq, strict=True)], dtype=object),
        "XZQDM": xzqdm,
        "GNQMJ_C": rectangle_area_cents(x0, y0, x1, y1),
        "RDNF": rng.integers(2017, 2021, len(x0)).astype(np.int64),
        "x0": x0, "y0": y0, "x1": x1, "y1": y1,
    }  # fmt: skip


def _county_boxes(county, rng: np.random.Generator) -> Bounds:
    n = max(1, round(county.planar_area / BOX_SIDE**2))
    x0, y0, x1, y1 = tile_rectangle(county.bounds, n, rng)
    gap = rng.uniform(*BOX_GAP, n)
    return np.round(x0 + gap, 2), np.round(y0 + gap, 2), np.round(x1 - gap, 2), np.round(y1 - gap, 2)


def _select(order: np.ndarray, area_c: np.ndarray, goal_c: float) -> np.ndarray:
    """The shortest prefix of `order` whose area reaches `goal_c`."""
    cum = np.cumsum(area_c[order])
    if not len(cum) or cum[-1] < goal_c:
        raise RuntimeError("not enough eligible ground for the 永久基本农田 goal; use a larger scale")
    return order[: int(np.searchsorted(cum, goal_c)) + 1]


def build_yjjbnt(
    base: Table,
    forbidden: Bounds,
    quarantined: np.ndarray,
    rng: np.random.Generator,
    bsm: BsmAllocator,
) -> tuple[Table, Table, dict]:
    """(YJJBNT, YJJBNTCBQ, stats). `quarantined` masks base rows the warehouse will drop."""
    cultivated = (np.isin(base["DLBM"].astype(str), CULTIVATED) & ~quarantined).astype(float)
    parcels, forbidden_set = RectSet(of(base)), RectSet(forbidden)
    yj_parts, cbq_parts, stats = [], [], {}
    for county in counties():
        cells = _county_boxes(county, rng)
        eligible = ~near_any(cells, forbidden_set, CLEARANCE)
        share, dominant = _cultivated_share(cells, parcels, cultivated)
        area_c = rectangle_area_cents(*cells)
        factor = PR02_SHORTFALL if county.code == PR02_COUNTY else rng.uniform(1.015, 1.03)
        goal_c = target_m2(county.code, "permanent_farmland") * factor * 100
        idx = np.flatnonzero(eligible)
        order = idx[np.lexsort((rng.random(len(idx)), -share[idx]))]
        chosen = _select(order, area_c, goal_c)
        rest = order[len(chosen) :]  # the next best-cultivated boxes form the reserve
        reserve = (
            _select(rest, area_c, min(RESERVE_SHARE * goal_c, area_c[rest].sum())) if len(rest) else rest
        )
        stats[county.code] = {
            "cultivated_share": float((share[chosen] * area_c[chosen]).sum() / area_c[chosen].sum()),
            "boxes": len(chosen),
        }
        yj_parts.append(_yjjbnt_rows(county.code, cells, chosen, dominant, area_c, base, rng, bsm))
        cbq_parts.append(_cbq_rows(county.code, cells, reserve, area_c, rng, bsm))
    return _concat(yj_parts), _concat(cbq_parts), stats


def _bounds_rows(cells: Bounds, rows: np.ndarray) -> Table:
    return {k: cells[n][rows] for n, k in enumerate(("x0", "y0", "x1", "y1"))}


def _yjjbnt_rows(code, cells, rows, dominant, area_c, base, rng, bsm) -> Table:
    rows = np.sort(rows)
    n = len(rows)
    under = dominant[rows]
    dlbm = base["DLBM"][under]
    gddb = np.where(np.isin(dlbm.astype(str), CULTIVATED), base["GDDB"][under], -1)
    return {
        "BSM": bsm.take(code, n),
        "JBNTTBBH": np.arange(1, n + 1).astype(str).astype(object),
        "XZQDM": np.full(n, code, dtype=object),
        "DLBM": dlbm,
        "JBNTMJ_C": area_c[rows],
        "GDDB": gddb.astype(np.int64),
        "SFSFQ": np.where(rng.random(n) < DEMO_ZONE_SHARE, "Y", "N").astype(object),
        "HDNF": np.full(n, 2022, dtype=np.int64),
        **_bounds_rows(cells, rows),
    }


def _cbq_rows(code, cells, rows, area_c, rng, bsm) -> Table:
    rows = np.sort(rows)
    n = len(rows)
    return {
        "BSM": bsm.take(code, n),
        "XZQDM": np.full(n, code, dtype=object),
        "CBQMJ_C": area_c[rows],
        "HRNF": rng.integers(2022, 2025, n).astype(np.int64),
        **_bounds_rows(cells, rows),
    }


def _concat(parts: list[Table]) -> Table:
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}


def build_gbznt(yjjbnt: Table, lsgnq: Table, rng: np.random.Generator) -> Table:
    """High-standard farmland blocks: YJJBNT boxes shrunk by 1 m; 改造提升 only where a 功能区 holds the
    whole box."""
    n = len(yjjbnt["BSM"])
    chosen = np.flatnonzero(rng.random(n) < GBZNT_SHARE)
    boxes = of(yjjbnt, chosen)
    i, j, area = overlap_pairs(boxes, of(lsgnq))
    planar = (boxes[2] - boxes[0]) * (boxes[3] - boxes[1])
    inside_zone = np.zeros(len(chosen), dtype=bool)
    inside_zone[i[np.isclose(area, planar[i])]] = True
    upgrade = inside_zone & (rng.random(len(chosen)) < 0.7)
    table = take(yjjbnt, chosen)
    x0, y0, x1, y1 = (
        np.round(v, 2) for v in (table["x0"] + 1, table["y0"] + 1, table["x1"] - 1, table["y1"] - 1)
    )
    year = rng.integers(2021, 2026, len(chosen)).astype(np.int64)
    codes = table["XZQDM"]
    # Project numbers run per county and year: rank within the (county, year) group.
    group = np.array([f"{c}-{y}" for c, y in zip(codes, year, strict=True)], dtype=object)
    order = np.argsort(group, kind="stable")
    first = np.searchsorted(group[order], group[order], side="left")
    seq = np.empty(len(chosen), dtype=np.int64)
    seq[order] = np.arange(len(chosen)) - first + 1
    xmbh = [f"GBZ{g}-{s:03d}" for g, s in zip(group, seq, strict=True)]
    return {
        "XMBH": np.array(xmbh, dtype=object),
        "XZQDM": codes.copy(),
        "JSNF": year,
        "JSLX": np.where(upgrade, "改造提升", "新建").astype(object),
        "JSMJ_C": rectangle_area_cents(x0, y0, x1, y1),
        "x0": x0, "y0": y0, "x1": x1, "y1": y1,
    }  # fmt: skip


def build_control(
    base: Table,
    lsgnq: Table,
    forbidden: Bounds,
    quarantined: np.ndarray,
    rng: np.random.Generator,
    bsm: BsmAllocator,
) -> ControlLayers:
    yjjbnt, cbq, stats = build_yjjbnt(base, forbidden, quarantined, rng, bsm)
    gbznt = build_gbznt(yjjbnt, lsgnq, rng)
    return ControlLayers(lsgnq, yjjbnt, cbq, gbznt, stats)
