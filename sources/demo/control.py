"""The 2025 control layers (管控图层), drawn independently of parcel edges:

- LSGNQ 粮食生产功能区: a few large boxes per county over its most cultivated ground;
- YJJBNT 永久基本农田: a brick pattern of ~250 m boxes (each ≥ 20 亩) separated by 4–8 m "roads", chosen
  by how much 耕地 lies beneath until Σ JBNTMJ hits the county's goal (short of its target in the county
  where target_plants.py plants PR02), plus the planted polygons of control_plants.py, which count towards
  the goal (all but the DQ05 bow-tie, an extra box the warehouse quarantines);
- YJJBNTCBQ 储备区: further well-cultivated boxes not in YJJBNT;
- GBZNT 高标准农田: YJJBNT boxes shrunk by 1 m, so 新建 blocks lie 100% in 永农 and 改造提升 blocks
  (chosen among boxes inside a 功能区) 100% in a 功能区, built 2022–2025 (after the 永农 they lie in was
  designated), plus the two planted PR12 blocks.

The brick pattern keeps clear (by 5 m) of every change piece leaving 耕地 (PR09 and 永农 occupation) and
of the planted and 非粮 parcels (PR11), and by KEEPOUT of the planted polygons, so only those break a rule.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sources.demo import control_plants as cp
from sources.demo.frame import Table, take
from sources.demo.geodesy import rectangle_area_cents
from sources.demo.ids import BsmAllocator
from sources.demo.landclasses import CULTIVATED
from sources.demo.rects import Bounds, RectSet, concat_bounds, near_any, of, overlap_pairs, take_bounds
from sources.demo.region import counties, target_m2
from sources.demo.target_plants import plant_pr02_pbf_below_target
from sources.demo.tiling import tile_rectangle

BOX_SIDE = 250.0  # nominal side of a 永农 box, metres
BOX_GAP = (2.0, 4.0)  # half-width of the strips between boxes
CLEARANCE = 5.0  # metres YJJBNT keeps from forbidden rectangles
RESERVE_SHARE = 0.03  # 储备区 area as a share of the county's 永农 goal
DEMO_ZONE_SHARE = 0.10  # 示范区 (SFSFQ = Y)
GBZNT_SHARE = 0.12  # share of 永农 boxes that are 高标准农田 project blocks
# JSNF range [from, to) of the blocks: none built before the 永农 under it was designated (HDNF 2022),
# or PR12, which looks at the 永农 in force in the JSNF year, would find it outside.
BLOCK_YEARS = (2022, 2026)
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
    cell_index, parcel_index, area = overlap_pairs(cells, parcels)
    count = len(cells[0])
    covered = np.bincount(cell_index, weights=area * weight[parcel_index], minlength=count)
    planar = (cells[2] - cells[0]) * (cells[3] - cells[1])
    dominant = np.full(count, -1, dtype=np.int64)
    order = np.lexsort((-area, cell_index))
    first = np.ones(len(order), dtype=bool)
    first[1:] = cell_index[order][1:] != cell_index[order][:-1]
    dominant[cell_index[order][first]] = parcel_index[order][first]
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
        cell_width, cell_height = (xmax - xmin) / nx, (ymax - ymin) / ny
        cells = (
            xmin + gx * cell_width,
            ymin + gy * cell_height,
            xmin + (gx + 1) * cell_width,
            ymin + (gy + 1) * cell_height,
        )
        share, _ = _cultivated_share(cells, parcels, cultivated)
        best = np.argsort(-share, kind="stable")[:_LSGNQ_PER_COUNTY]
        margins = rng.uniform(150, 500, (4, len(best)))
        box = (
            np.round(cells[0][best] + margins[0], 2), np.round(cells[1][best] + margins[1], 2),
            np.round(cells[2][best] - margins[2], 2), np.round(cells[3][best] - margins[3], 2),
        )  # fmt: skip
        parts.append((county.code, box))
    x0, y0, x1, y1 = (np.concatenate([part[1][edge] for part in parts]) for edge in range(4))
    xzqdm = np.concatenate([np.full(len(part[1][0]), part[0], dtype=object) for part in parts])
    seq = np.concatenate([np.arange(1, len(part[1][0]) + 1) for part in parts])
    return {
        "GNQBH": np.array(
            [f"GNQ{code}{number:03d}" for code, number in zip(xzqdm, seq, strict=True)], dtype=object
        ),
        "XZQDM": xzqdm,
        "GNQMJ_C": rectangle_area_cents(x0, y0, x1, y1),
        "RDNF": rng.integers(2017, 2021, len(x0)).astype(np.int64),
        "x0": x0, "y0": y0, "x1": x1, "y1": y1,
    }  # fmt: skip


def _county_boxes(county, rng: np.random.Generator) -> Bounds:
    count = max(1, round(county.planar_area / BOX_SIDE**2))
    x0, y0, x1, y1 = tile_rectangle(county.bounds, count, rng)
    gap = rng.uniform(*BOX_GAP, count)
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
    plants: cp.Plants,
    before_goal: tuple[cp.PatternStep, ...],
    goal_share: Callable[[str], float | None],
    after_selection: cp.SelectionStep,
) -> tuple[Table, Table, dict, list[tuple[str, str, tuple]]]:
    """(YJJBNT, YJJBNTCBQ, stats, planted blocks [(JSLX, county, bounds)]). `quarantined` masks base rows
    the warehouse will drop; `plants` brings the polygons fixed by the survey and receives the BSMs of
    every planted polygon by role. The plants drawn from the brick pattern run on each county's:
    `before_goal` in turn before its boxes are chosen (the control stream draws in that order),
    `after_selection` on what was chosen; `goal_share` (PR02's step) sets the planted county's goal."""
    cultivated = (np.isin(base["DLBM"].astype(str), CULTIVATED) & ~quarantined).astype(float)
    parcels, forbidden_set = RectSet(of(base)), RectSet(forbidden)
    valid_parcels = cp.ValidParcels(RectSet(of(base, ~quarantined)), base["VILLAGE"][~quarantined])
    fixed = [planted_box.bounds for planted_box in plants.boxes]
    yj_parts, cbq_parts, stats, blocks = [], [], {}, []
    for county in counties():
        cells = _county_boxes(county, rng)
        cell_set = RectSet(cells)  # one spatial index for every query on this county's cells
        eligible = ~near_any(cell_set, forbidden_set, CLEARANCE) & ~cp.keep_out(cell_set, fixed)
        share, dominant = _cultivated_share(cells, parcels, cultivated)
        area_c = rectangle_area_cents(*cells)
        specials = [planted_box for planted_box in plants.boxes if planted_box.county == county.code]
        pattern = cp.CountyPattern(
            county.code, county.bounds, cells, cell_set, eligible, share, fixed, specials, blocks
        )
        for plant in before_goal:
            plant(pattern, rng)
        eligible = pattern.eligible
        special_c = rectangle_area_cents(*_bounds_of(specials)) if specials else np.zeros(0, np.int64)
        factor = goal_share(county.code)
        if factor is None:
            factor = rng.uniform(1.015, 1.03)
        goal_c = target_m2(county.code, "permanent_farmland") * factor * 100 - special_c.sum()
        idx = np.flatnonzero(eligible)
        order = idx[np.lexsort((rng.random(len(idx)), -share[idx]))]
        chosen = _select(order, area_c, goal_c)
        rest = order[len(chosen) :]  # the next best-cultivated boxes form the reserve
        rest = after_selection(pattern, chosen, rest, valid_parcels)
        reserve = (
            _select(rest, area_c, min(RESERVE_SHARE * goal_c, area_c[rest].sum())) if len(rest) else rest
        )
        stats[county.code] = {
            "cultivated_share": float((share[chosen] * area_c[chosen]).sum() / area_c[chosen].sum()),
            "boxes": len(chosen),
        }
        bricks = np.sort(chosen)
        rows = _yjjbnt_rows(county.code, take_bounds(cells, bricks), dominant[bricks], area_c[bricks],
                            base, rng, bsm, specials, parcels, cultivated)  # fmt: skip
        for box, number in zip(specials, rows["BSM"][len(chosen) :], strict=True):
            plants.pbf.setdefault(box.role, []).append(int(number))
        yj_parts.append(rows)
        cbq_parts.append(_cbq_rows(county.code, cells, reserve, area_c, rng, bsm))
    return _concat(yj_parts), _concat(cbq_parts), stats, blocks


def _bounds_of(boxes: list[cp.PlantedBox]) -> Bounds:
    return cp.as_bounds([box.bounds for box in boxes])


def _bounds_rows(cells: Bounds, rows: np.ndarray) -> Table:
    return {key: cells[edge][rows] for edge, key in enumerate(("x0", "y0", "x1", "y1"))}


def _yjjbnt_rows(code, bricks, under, area_c, base, rng, bsm, specials, parcels, cultivated) -> Table:
    """The county's YJJBNT rows: the brick boxes (`under`: the parcel mostly beneath each), then the
    planted polygons in order (their DLBM and GDDB read off the parcel mostly beneath them too)."""
    bounds = bricks
    if specials:
        _, special_under = _cultivated_share(_bounds_of(specials), parcels, cultivated)
        bounds = concat_bounds([bricks, _bounds_of(specials)])
        under = np.concatenate([under, special_under])
        area_c = np.concatenate([area_c, rectangle_area_cents(*_bounds_of(specials))])
    count = len(bounds[0])
    dlbm = base["DLBM"][under]
    gddb = np.where(np.isin(dlbm.astype(str), CULTIVATED), base["GDDB"][under], -1)
    hdnf = np.full(count, cp.DESIGNATED, dtype=np.int64)
    wkb = np.full(count, None, dtype=object)
    for row, box in enumerate(specials, start=len(bricks[0])):
        hdnf[row] = box.hdnf
        wkb[row] = box.wkb
    return {
        "BSM": bsm.take(code, count),
        "JBNTTBBH": np.arange(1, count + 1).astype(str).astype(object),
        "XZQDM": np.full(count, code, dtype=object),
        "DLBM": dlbm,
        "JBNTMJ_C": area_c,
        "GDDB": gddb.astype(np.int64),
        "SFSFQ": np.where(rng.random(count) < DEMO_ZONE_SHARE, "Y", "N").astype(object),
        "HDNF": hdnf,
        "x0": bounds[0], "y0": bounds[1], "x1": bounds[2], "y1": bounds[3],
        "WKB": wkb,
    }  # fmt: skip


def _cbq_rows(code, cells, rows, area_c, rng, bsm) -> Table:
    rows = np.sort(rows)
    count = len(rows)
    return {
        "BSM": bsm.take(code, count),
        "XZQDM": np.full(count, code, dtype=object),
        "CBQMJ_C": area_c[rows],
        "HRNF": rng.integers(2022, 2025, count).astype(np.int64),
        **_bounds_rows(cells, rows),
    }


def _concat(parts: list[Table]) -> Table:
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def build_gbznt(
    yjjbnt: Table, lsgnq: Table, rng: np.random.Generator, plants: cp.Plants, planted: list[tuple]
) -> Table:
    """High-standard farmland blocks: brick-pattern YJJBNT boxes shrunk by 1 m (改造提升 only where a
    功能区 holds the whole box), none near the planted 改造提升 block; then the planted blocks
    [(JSLX, county, bounds)], whose XMBH `plants.blocks` receives."""
    count = len(yjjbnt["BSM"])
    special = np.isin(yjjbnt["BSM"], [bsm for bsms in plants.pbf.values() for bsm in bsms])
    chosen = np.flatnonzero((rng.random(count) < GBZNT_SHARE) & ~special)
    planted_bounds = tuple(np.array([block[2][edge] for block in planted]) for edge in range(4))
    chosen = chosen[~near_any(of(yjjbnt, chosen), planted_bounds, 1.0)]
    boxes = of(yjjbnt, chosen)
    block_index, zone_index, area = overlap_pairs(boxes, of(lsgnq))
    planar = (boxes[2] - boxes[0]) * (boxes[3] - boxes[1])
    inside_zone = np.zeros(len(chosen), dtype=bool)
    inside_zone[block_index[np.isclose(area, planar[block_index])]] = True
    upgrade = inside_zone & (rng.random(len(chosen)) < 0.7)
    table = take(yjjbnt, chosen)
    x0, y0, x1, y1 = (
        np.round(values, 2) for values in (table["x0"] + 1, table["y0"] + 1, table["x1"] - 1, table["y1"] - 1)
    )
    x0, y0, x1, y1 = (
        np.concatenate([values, planted_bounds[edge]]) for edge, values in enumerate((x0, y0, x1, y1))
    )
    year = np.concatenate([rng.integers(*BLOCK_YEARS, len(chosen)), np.full(len(planted), cp.BLOCK_YEAR)])
    codes = np.concatenate([table["XZQDM"], np.array([block[1] for block in planted], dtype=object)])
    jslx = np.concatenate([np.where(upgrade, "改造提升", "新建"), [block[0] for block in planted]]).astype(
        object
    )
    # Project numbers run per county and year: rank within the (county, year) group.
    group = np.array(
        [f"{code}-{block_year}" for code, block_year in zip(codes, year, strict=True)], dtype=object
    )
    order = np.argsort(group, kind="stable")
    first = np.searchsorted(group[order], group[order], side="left")
    seq = np.empty(len(group), dtype=np.int64)
    seq[order] = np.arange(len(group)) - first + 1
    xmbh = np.array(
        [f"GBZ{county_year}-{seq_number:03d}" for county_year, seq_number in zip(group, seq, strict=True)],
        dtype=object,
    )
    for (kind, _, _), number in zip(planted, xmbh[len(chosen) :], strict=True):
        plants.blocks[kind] = str(number)
    return {
        "XMBH": xmbh,
        "XZQDM": codes,
        "JSNF": year.astype(np.int64),
        "JSLX": jslx,
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
    plants: cp.Plants,
    after_selection: cp.SelectionStep,
) -> ControlLayers:
    """The control layers; `plants` as for build_yjjbnt, `after_selection` DQ05's step
    (parcel_plants.py). The plants of PR02, PR12 and PR13 are made here."""
    new_block, upgrade_block = cp.plant_pr12_blocks_off_overlay()
    before_goal = (new_block, cp.plant_pr13_fragmented_pbf)
    goal_share = plant_pr02_pbf_below_target()
    yjjbnt, cbq, stats, blocks = build_yjjbnt(
        base, forbidden, quarantined, rng, bsm, plants, before_goal, goal_share, after_selection
    )
    gbznt = build_gbznt(yjjbnt, lsgnq, rng, plants, [*blocks, upgrade_block(lsgnq)])
    return ControlLayers(lsgnq, yjjbnt, cbq, gbznt, stats)
