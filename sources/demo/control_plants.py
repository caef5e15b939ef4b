"""Planted cases of the control layers (管控图层): each function plants one rule's case, and says which,
together with how each planted polygon is kept from breaking anything else.

Polygons fixed by the survey, drawn before the brick pattern of 永农 boxes (control.py), which then keeps
KEEPOUT metres from them: PR09's two (plan_survey_boxes calls its plant) and PR11's (planted with its
parcels, parcel_plants.py; plan_survey_boxes runs its step).

Polygons drawn from the brick pattern itself: build_yjjbnt runs the PR12 新建 step and PR13 on each
county's CountyPattern before choosing the boxes that make its goal, and DQ05's step (parcel_plants.py)
on what it chose; build_control places the PR12 改造提升 block once the 永农 is drawn.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED, land_classes
from sources.demo.rects import Bounds, RectSet, concat_bounds, near_any, of, overlap_pairs
from sources.demo.region import MU_PER_M2

CLEARANCE = 5.0  # as control.CLEARANCE: 永农 keeps this far from every forbidden rectangle
KEEPOUT = 5.0  # metres between a planted polygon and the brick-pattern boxes
INSET = 6.0  # a polygon drawn inside a parcel keeps this far from its edges (more than CLEARANCE)
DESIGNATED = 2022  # HDNF of the brick pattern and of every planted polygon but the PR11 one
# A 永农 polygon drawn over survey ground is a real field: at least PR13's 20 亩 (min_patch_mu), with 5% to
# spare for the ellipsoidal area and the centimetre grid, however small the parcels and pieces under it.
# Only PR13's own polygons are smaller.
PLANTED_MIN_M2 = 1.05 * 20 / MU_PER_M2
BLOCK_YEAR = 2024  # JSNF of the planted high-standard blocks
PR09_TARGETS = ("0201", "0202", "0204", "0301", "0302", "0307", "0404", "1104")  # not 1202 (facilities)
PR09_PIECE_MARGIN = 5.0  # the polygon wholly over a piece grows it by this much
PR09_PARTIAL_SHARE = 0.5  # share of the other piece's length under the polygon that covers it in part
PR09_PARTIAL_KEPT = 0.3  # share of the kept piece's length under that polygon
PR12_NEW_COUNTY = "330481"
PR12_NEW_SHARE = 0.80  # share of the planted 新建 block inside 永农
PR12_UPGRADE_COUNTY = "330483"
PR12_UPGRADE_SHARE = 0.70  # share of the planted 改造提升 block inside a 功能区
PR12_UPGRADE_SIDE = 200.0
PR13_COUNTY = "330402"
PR13_SIDE = (90.0, 89.0)  # 8010 m² ≈ 12 亩 each
PR13_GAPS = {"PR13-connected": 3.0, "PR13-separate": 8.0}
PR13_INSET = 12.0
PR13_MIN_CELL = 2 * PR13_INSET + 2 * PR13_SIDE[0] + max(PR13_GAPS.values()) + 3.0


@dataclass(frozen=True)
class PlantedBox:
    """A 永农 polygon placed on purpose (role: PR09-whole, PR09-partial, PR11, PR12-new, PR13-…, DQ05)."""

    role: str
    county: str
    bounds: tuple[float, float, float, float]
    hdnf: int = DESIGNATED
    wkb: bytes | None = None  # delivered instead of the rectangle (DQ05's bow-tie)


@dataclass
class CountyPattern:
    """One county's brick-pattern cells while build_yjjbnt chooses among them: the plants drawn from
    the pattern take cells out of `eligible`, add their polygons to `specials` and their high-standard
    blocks to `blocks` [(JSLX, county, bounds)], which every county shares."""

    code: str
    bounds: tuple[float, float, float, float]  # the county's
    cells: Bounds
    cell_set: RectSet
    eligible: np.ndarray
    share: np.ndarray  # share of each cell over 耕地
    fixed: list[tuple[float, float, float, float]]  # the polygons the survey fixes, every county's
    specials: list[PlantedBox]
    blocks: list[tuple[str, str, tuple[float, float, float, float]]]

    def cell(self, row: int) -> tuple[float, float, float, float]:
        return tuple(float(column[row]) for column in self.cells)


# A plant run on a county's pattern before its boxes are chosen (draws from the control stream).
PatternStep = Callable[[CountyPattern, np.random.Generator], None]


@dataclass(frozen=True)
class ValidParcels:
    """The base parcels the warehouse keeps (the quarantined ones left out): rectangles and villages."""

    rects: RectSet
    village: np.ndarray  # global village number of each


# A plant run on a county's selection: (pattern, chosen cells, cells left over, valid parcels) → the
# cells left for the 储备区.
SelectionStep = Callable[[CountyPattern, np.ndarray, np.ndarray, ValidParcels], np.ndarray]
# The test that a box keeps CLEARANCE from every forbidden rectangle but its own (keyed ("gc", year,
# row) for a change piece, ("base", 0, row) for a planted parcel).
ClearTest = Callable[[tuple, tuple[str, int, int]], bool]


@dataclass
class Plants:
    """The designed cases, for the manifest and the self-checks."""

    boxes: list[PlantedBox] = field(default_factory=list)  # fixed by the survey (PR09, PR11)
    pr09_pieces: dict[str, tuple[int, int]] = field(default_factory=dict)  # role → (year, BGHTBBSM)
    pbf: dict[str, list[int]] = field(default_factory=dict)  # role → YJJBNT BSMs (filled by control.py)
    blocks: dict[str, str] = field(default_factory=dict)  # 新建 / 改造提升 → XMBH (filled by control.py)


def rounded(bounds) -> tuple[float, float, float, float]:
    """Bounds to the centimetre, as every planted polygon is drawn."""
    return tuple(round(float(value), 2) for value in bounds)


def as_bounds(boxes: list[tuple[float, float, float, float]]) -> Bounds:
    return tuple(np.array([box[edge] for box in boxes], dtype=float) for edge in range(4))


def grown_to_field(box, sides: tuple[bool, bool, bool, bool]) -> tuple[float, float, float, float]:
    """`box` (x0, y0, x1, y1) moved outwards by one distance on each of `sides` (west, south, east,
    north: the edges a plant lets move) until its planar area reaches PLANTED_MIN_M2, to the centimetre;
    `box` itself when it is that large already (as it is over the large parcels of small demos)."""
    x0, y0, x1, y1 = box
    width, height = x1 - x0, y1 - y0
    if width * height >= PLANTED_MIN_M2:
        return box
    west, south, east, north = sides
    across, along = west + east, south + north  # how fast width and height grow with the distance
    # (width + across·d)(height + along·d) = PLANTED_MIN_M2, solved for the distance d ≥ 0
    quadratic, linear, constant = across * along, across * height + along * width, width * height
    constant -= PLANTED_MIN_M2
    if quadratic:
        distance = (-linear + math.sqrt(linear**2 - 4 * quadratic * constant)) / (2 * quadratic)
    else:
        distance = -constant / linear
    distance = math.ceil(distance * 100) / 100
    return rounded((x0 - west * distance, y0 - south * distance, x1 + east * distance, y1 + north * distance))


def _clear(box, forbidden: RectSet, own: set[int]) -> bool:
    """The box keeps CLEARANCE from every forbidden rectangle but its own (indices `own`)."""
    _, hits, _ = overlap_pairs(as_bounds([box]), forbidden, CLEARANCE)
    return not (set(hits.tolist()) - own)


def _apart(box, others: list[PlantedBox | None]) -> bool:
    """The box keeps 2 × KEEPOUT from other planted polygons (so they never form one patch)."""
    placed = [other.bounds for other in others if other is not None]
    return not placed or not near_any(as_bounds([box]), as_bounds(placed), 2 * KEEPOUT).any()


def inside(box, bounds) -> bool:
    """The box lies within `bounds` (its county's, say)."""
    return box[0] >= bounds[0] and box[1] >= bounds[1] and box[2] <= bounds[2] and box[3] <= bounds[3]


def _partial_box(parent, piece) -> tuple[float, float, float, float]:
    """Half the piece's length along the parent's cut axis plus part of the kept piece, INSET from the
    parent's other edges: a polygon over the parent's own ground only, where the parent is large
    enough; over a small parent it grows to a field's size across the parent and beyond the kept piece,
    never over the piece's far end (so it still covers the piece in part)."""
    px0, py0, px1, py1 = parent
    vertical = (px1 - px0) >= (py1 - py0)  # change_records._cut cuts across the longer side
    lo, hi = (px0, px1) if vertical else (py0, py1)
    piece_low, piece_high = (piece[0], piece[2]) if vertical else (piece[1], piece[3])
    low_end = piece_low <= lo
    if low_end:  # the piece is the low end: [lo, cut]
        cut = piece_high
        start, end = cut - PR09_PARTIAL_SHARE * (cut - lo), cut + PR09_PARTIAL_KEPT * (hi - cut)
    else:  # the high end: [cut, hi]
        cut = piece_low
        start, end = cut - PR09_PARTIAL_KEPT * (cut - lo), cut + PR09_PARTIAL_SHARE * (hi - cut)
    if vertical:
        box, sides = (start, py0 + INSET, end, py1 - INSET), (not low_end, True, low_end, True)
    else:
        box, sides = (px0 + INSET, start, px1 - INSET, end), (True, not low_end, True, low_end)
    return grown_to_field(rounded(box), sides)


def plant_pr09_pbf_turned_agricultural(
    base: Table,
    years: dict[int, tuple[Table, Table]],
    clear: ClearTest,
    county_bounds: dict[str, tuple[float, float, float, float]],
    rng: np.random.Generator,
    placed: tuple[PlantedBox, ...] = (),
) -> tuple[list[PlantedBox], dict[str, tuple[int, int]]]:
    """PR09 (永久基本农田转为其他农用地): two change pieces 耕地 → 园地/林地/坑塘 (PR09_TARGETS), drawn at
    random among the split pieces, in two counties, get a 永农 polygon designated before any change year:
    one wholly over its piece (the piece grown by PR09_PIECE_MARGIN, and further to a field's size where
    the piece is small), one over about half of its piece, drawn inside the piece's parent (half the
    piece and part of the kept piece, INSET from the parent's other edges, grown past them to a field's
    size where the parent is small: _partial_box). Each lies inside its county and keeps CLEARANCE from
    every other forbidden rectangle and 2 × KEEPOUT from the other and from the polygons `placed`
    already. PR09 finds those two pieces, in full and in part. Returns ([whole, partial], role → (year,
    BGHTBBSM))."""
    cultivated = np.array(CULTIVATED, dtype=object)
    other = [code for code, cls in land_classes().items() if cls.is_other_agricultural]
    candidates = [
        (year, int(row))
        for year, (_, gc) in years.items()
        for row in np.flatnonzero(
            np.isin(gc["BGQDLBM"], cultivated)
            & np.isin(gc["BGHDLBM"], PR09_TARGETS)
            & np.isin(gc["BGHDLBM"], other)
            & (gc["BGXW"] == "2")
        )
    ]
    candidates = [candidates[position] for position in rng.permutation(len(candidates))]
    pieces: dict[str, tuple[int, int]] = {}
    whole = partial = None
    for year, row in candidates:
        gc = years[year][1]
        piece = tuple(float(gc[edge][row]) for edge in ("x0", "y0", "x1", "y1"))
        county = str(gc["COUNTY"][row])
        own = ("gc", year, row)
        if whole is None:
            box = rounded((piece[0] - PR09_PIECE_MARGIN, piece[1] - PR09_PIECE_MARGIN,
                           piece[2] + PR09_PIECE_MARGIN, piece[3] + PR09_PIECE_MARGIN))  # fmt: skip
            box = grown_to_field(box, (True, True, True, True))
            if inside(box, county_bounds[county]) and clear(box, own) and _apart(box, [partial, *placed]):
                whole = PlantedBox("PR09-whole", county, box)
                pieces["PR09-whole"] = (year, int(gc["BGHTBBSM"][row]))
                continue
        if partial is None and (whole is None or county != whole.county):
            parent_row = int(np.flatnonzero(base["BSM"] == gc["BGQTBBSM"][row])[0])
            box = _partial_box(
                tuple(float(base[edge][parent_row]) for edge in ("x0", "y0", "x1", "y1")), piece
            )
            if inside(box, county_bounds[county]) and clear(box, own) and _apart(box, [whole, *placed]):
                partial = PlantedBox("PR09-partial", county, box)
                pieces["PR09-partial"] = (year, int(gc["BGHTBBSM"][row]))
        if whole is not None and partial is not None:
            break
    if whole is None or partial is None:
        raise RuntimeError("no change piece 耕地 → other agricultural land fit for the PR09 plants")
    return [whole, partial], pieces


def plan_survey_boxes(
    base: Table,
    years: dict[int, tuple[Table, Table]],
    planted_rows: np.ndarray,
    pr11_box: Callable[[Table, Callable[[tuple, int], bool]], PlantedBox],
    county_bounds: dict[str, tuple[float, float, float, float]],
    rng: np.random.Generator,
) -> Plants:
    """The 永农 polygons the survey fixes: PR09's and PR11's (its step `pr11_box`, given the base and a
    test that a box keeps clear of all forbidden ground but a base row's own). Forbidden ground: every
    change piece leaving 耕地 and every planted parcel (`planted_rows`)."""
    cultivated = np.array(CULTIVATED, dtype=object)
    parts, ids = [], []
    for year, (_, gc) in years.items():
        leaving = np.isin(gc["BGQDLBM"], cultivated) & ~np.isin(gc["BGHDLBM"], cultivated)
        rows = np.flatnonzero(leaving)
        parts.append(of(gc, rows))
        ids += [("gc", year, int(row)) for row in rows]
    parts.append(of(base, planted_rows))
    ids += [("base", 0, int(row)) for row in planted_rows]
    forbidden = RectSet(concat_bounds(parts))  # one spatial index for every box tried
    index = {key: position for position, key in enumerate(ids)}

    def clear(box: tuple, own: tuple[str, int, int]) -> bool:
        return _clear(box, forbidden, {index[own]})

    plants = Plants()
    # PR11's polygon is fixed by its parcel (no draw), so PR09's, which may grow over small parcels, are
    # placed clear of it.
    pr11 = pr11_box(base, lambda box, row: clear(box, ("base", 0, int(row))))
    boxes, plants.pr09_pieces = plant_pr09_pbf_turned_agricultural(
        base, years, clear, county_bounds, rng, (pr11,)
    )
    plants.boxes = [*boxes, pr11]
    return plants


# ------------------------------------------------------------------------- from the brick pattern


def _pick_cell(ok: np.ndarray, share: np.ndarray, rng: np.random.Generator) -> int:
    """A well-cultivated cell among `ok` (random among the best tenth, so it looks like any 永农 box)."""
    rows = np.flatnonzero(ok)
    if not len(rows):
        raise RuntimeError("no room for a planted 永农 polygon; use a larger scale")
    best = rows[np.argsort(-share[rows], kind="stable")][: max(1, len(rows) // 10)]
    return int(rng.choice(best))


def plant_pr12_blocks_off_overlay(
    new_county: str = PR12_NEW_COUNTY,
    new_share: float = PR12_NEW_SHARE,
    upgrade_county: str = PR12_UPGRADE_COUNTY,
    upgrade_share: float = PR12_UPGRADE_SHARE,
) -> tuple[PatternStep, Callable[[Table], tuple[str, str, tuple[float, float, float, float]]]]:
    """PR12 (多田套合), two high-standard blocks built in BLOCK_YEAR: in `new_county` a well-cultivated
    永农 box whose 新建 block reaches east beyond it, so only `new_share` of the block lies in 永农 (no
    other 永农 box comes near the part outside); in `upgrade_county` an 改造提升 block of
    PR12_UPGRADE_SIDE straddling the west edge of the county's first 功能区 with `upgrade_share` inside
    (no brick-pattern block comes near it, build_gbznt). PR12 finds those two blocks, every other block
    lying wholly in 永农 or in a 功能区. Returns the step build_yjjbnt runs on each county's pattern (the
    新建 box and block) and the step build_control runs on the 功能区 (the 改造提升 block)."""

    def new_block(pattern: CountyPattern, rng: np.random.Generator) -> None:
        if pattern.code != new_county:
            return
        x0, y0, x1, y1 = pattern.cells
        inside = x1 - x0 - 1.0  # the block starts 1 m inside the cell, as blocks are shrunk boxes
        reach = inside * (1 / new_share - 1)
        blocks = (x0 + 1, y0 + 1, x1 + reach, y1 - 1)
        ok = pattern.eligible & (blocks[2] + KEEPOUT < pattern.bounds[2]) & ~keep_out(blocks, pattern.fixed)
        cell = _pick_cell(ok, pattern.share, rng)
        block = rounded(box[cell] for box in blocks)
        pattern.eligible &= ~keep_out(pattern.cell_set, [block])
        pattern.eligible[cell] = False
        pattern.specials.append(PlantedBox("PR12-new", pattern.code, pattern.cell(cell)))
        pattern.blocks.append(("新建", pattern.code, block))

    def upgrade_block(lsgnq: Table) -> tuple[str, str, tuple[float, float, float, float]]:
        row = int(np.flatnonzero(lsgnq["XZQDM"] == upgrade_county)[0])
        x0, y0, y1 = float(lsgnq["x0"][row]), float(lsgnq["y0"][row]), float(lsgnq["y1"][row])
        middle = (y0 + y1) / 2
        west = x0 - (1 - upgrade_share) * PR12_UPGRADE_SIDE
        half = PR12_UPGRADE_SIDE / 2
        return (
            "改造提升",
            upgrade_county,
            rounded((west, middle - half, west + PR12_UPGRADE_SIDE, middle + half)),
        )

    return new_block, upgrade_block


def plant_pr13_fragmented_pbf(pattern: CountyPattern, rng: np.random.Generator) -> None:
    """PR13 (永农图斑破碎): in PR13_COUNTY one well-cultivated box carved into four ~12 亩 polygons, inset
    PR13_INSET from its edges (its neighbours are another 4–8 m away): a pair 3 m apart along its south
    edge (one patch of ~24 亩: no finding) and a pair 8 m apart along its north edge (two patches of ~12
    亩); PR13 finds the two polygons of the second pair, every other 永农 polygon being ≥ 20 亩.
    build_yjjbnt runs it on each county's pattern."""
    if pattern.code != PR13_COUNTY:
        return
    x0, y0, x1, y1 = pattern.cells
    ok = pattern.eligible & (x1 - x0 >= PR13_MIN_CELL) & (y1 - y0 >= PR13_MIN_CELL)
    cell = _pick_cell(ok, pattern.share, rng)
    width, height = PR13_SIDE
    left, south, north = x0[cell] + PR13_INSET, y0[cell] + PR13_INSET, y1[cell] - PR13_INSET
    for (role, gap), (low, high) in zip(
        PR13_GAPS.items(), ((south, south + height), (north - height, north)), strict=True
    ):
        pattern.specials.append(PlantedBox(role, pattern.code, rounded((left, low, left + width, high))))
        pattern.specials.append(
            PlantedBox(role, pattern.code, rounded((left + width + gap, low, left + 2 * width + gap, high)))
        )
    pattern.eligible[cell] = False


def keep_out(cells: Bounds | RectSet, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """Mask of cells within KEEPOUT of any of `boxes`."""
    if not boxes:
        return np.zeros(len(cells if isinstance(cells, RectSet) else cells[0]), dtype=bool)
    return near_any(cells, as_bounds(boxes), KEEPOUT)
