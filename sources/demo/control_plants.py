"""Where the control layers (管控图层) break the survey/control rules on purpose (design.py), and how each
planted polygon is kept from breaking anything else.

Polygons fixed by the survey, drawn before the brick pattern of 永农 boxes (control.py), which then keeps
KEEPOUT metres from them:
- PR09: a 永农 polygon wholly covering one change piece 耕地 → 园地/林地/坑塘 (the piece grown by
  PIECE_MARGIN, clear of every other forbidden rectangle), and one covering about half of another piece:
  drawn inside the piece's parent (half the piece and part of the kept piece, INSET from the parent's
  edges), so only the parent's own ground lies under it. Both designated 2022, before any change year.
- PR11: a 永农 polygon over about 40% of the planted FLS parcel, INSET inside it, designated in 2024
  (parcel_plants.plant_pr11_non_grain_on_protected_land draws it; plan_survey_boxes runs its step).

Polygons drawn from the brick pattern itself (control.py calls these per county):
- PR12 新建: a box whose high-standard block reaches east beyond it so that only PR12_NEW_SHARE of the
  block is 永农 (no other 永农 box comes near the part outside); PR12 改造提升: a block straddling the west
  edge of a 功能区 with PR12_UPGRADE_SHARE inside (upgrade_block).
- PR13: one box carved into four ~12 亩 polygons, inset ≥ 12 m from its edges (its neighbours are
  another 4–8 m away): a pair 3 m apart (one patch of ~24 亩) and a pair 8 m apart (two patches).
- DQ05: one extra box beyond the county's goal, delivered as a bow-tie ring; the warehouse quarantines it,
  so nothing (PR02 included) may depend on it, and the villages near it all hold other 永农 too (PR21)
  (parcel_plants.plant_dq05_invalid_geometry, with the parcels it plants; build_yjjbnt runs its step).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from sources.demo.design import PR12_NEW_SHARE, PR12_UPGRADE_SHARE
from sources.demo.frame import Table
from sources.demo.landclasses import CULTIVATED, land_classes
from sources.demo.rects import Bounds, RectSet, near_any, of, overlap_pairs

CLEARANCE = 5.0  # as control.CLEARANCE: 永农 keeps this far from every forbidden rectangle
KEEPOUT = 5.0  # metres between a planted polygon and the brick-pattern boxes
PIECE_MARGIN = 5.0
INSET = 6.0  # a polygon drawn inside a parcel keeps this far from its edges (more than CLEARANCE)
PARTIAL_SHARE = 0.5  # share of the PR09 piece's length under the polygon that covers it in part
PARTIAL_KEPT = 0.3  # share of the kept piece's length under that polygon
DESIGNATED = 2022  # HDNF of the brick pattern and of every planted polygon but the PR11 one
BLOCK_YEAR = 2024  # JSNF of the planted high-standard blocks
UPGRADE_SIDE = 200.0
PR13_SIDE = (90.0, 89.0)  # 8010 m² ≈ 12 亩 each
PR13_GAPS = {"PR13-connected": 3.0, "PR13-separate": 8.0}
PR13_INSET = 12.0
PR13_MIN_CELL = 2 * PR13_INSET + 2 * PR13_SIDE[0] + max(PR13_GAPS.values()) + 3.0
PR12_NEW_COUNTY = "330481"
PR12_UPGRADE_COUNTY = "330483"
PR13_COUNTY = "330402"
_PR09_TARGETS = ("0201", "0202", "0204", "0301", "0302", "0307", "0404", "1104")  # not 1202 (facilities)


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
    the pattern take cells out of `eligible` and add their polygons to `specials`."""

    code: str
    cells: Bounds
    eligible: np.ndarray
    share: np.ndarray  # share of each cell over 耕地
    specials: list[PlantedBox]

    def cell(self, row: int) -> tuple[float, float, float, float]:
        return tuple(float(column[row]) for column in self.cells)


# A plant run on a county's selection: (pattern, chosen cells, cells left over, valid parcels) → the
# cells left for the 储备区.
SelectionStep = Callable[[CountyPattern, np.ndarray, np.ndarray, RectSet], np.ndarray]


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


def _clear(box, forbidden: Bounds, own: set[int]) -> bool:
    """The box keeps CLEARANCE from every forbidden rectangle but its own (indices `own`)."""
    _, hits, _ = overlap_pairs(as_bounds([box]), forbidden, CLEARANCE)
    return not (set(hits.tolist()) - own)


def _apart(box, other: PlantedBox | None) -> bool:
    """The box keeps 2 × KEEPOUT from another planted polygon (so they never form one patch)."""
    if other is None:
        return True
    return not near_any(as_bounds([box]), as_bounds([other.bounds]), 2 * KEEPOUT).any()


def _inside(box, bounds) -> bool:
    return box[0] >= bounds[0] and box[1] >= bounds[1] and box[2] <= bounds[2] and box[3] <= bounds[3]


def _partial_box(parent, piece) -> tuple[float, float, float, float]:
    """Half the piece's length along the parent's cut axis plus part of the kept piece, INSET from the
    parent's other edges: a polygon over the parent's own ground only."""
    px0, py0, px1, py1 = parent
    vertical = (px1 - px0) >= (py1 - py0)  # change_records._cut cuts across the longer side
    lo, hi = (px0, px1) if vertical else (py0, py1)
    piece_low, piece_high = (piece[0], piece[2]) if vertical else (piece[1], piece[3])
    if piece_low <= lo:  # the piece is the low end: [lo, cut]
        cut = piece_high
        start, end = cut - PARTIAL_SHARE * (cut - lo), cut + PARTIAL_KEPT * (hi - cut)
    else:  # the high end: [cut, hi]
        cut = piece_low
        start, end = cut - PARTIAL_KEPT * (cut - lo), cut + PARTIAL_SHARE * (hi - cut)
    if vertical:
        return rounded((start, py0 + INSET, end, py1 - INSET))
    return rounded((px0 + INSET, start, px1 - INSET, end))


def plan_survey_boxes(
    base: Table,
    years: dict[int, tuple[Table, Table]],
    planted_rows: np.ndarray,
    pr11_box: Callable[[Table, Callable[[tuple, int], bool]], PlantedBox],
    county_bounds: dict[str, tuple[float, float, float, float]],
    rng: np.random.Generator,
) -> Plants:
    """The 永农 polygons the survey fixes: PR09 (two change pieces) and PR11 (its step `pr11_box`, given
    the base and a test that a box keeps clear of all forbidden ground but a base row's own)."""
    cultivated = np.array(CULTIVATED, dtype=object)
    other = [code for code, cls in land_classes().items() if cls.is_other_agricultural]
    parts, ids = [], []
    for year, (_, gc) in years.items():
        leaving = np.isin(gc["BGQDLBM"], cultivated) & ~np.isin(gc["BGHDLBM"], cultivated)
        rows = np.flatnonzero(leaving)
        parts.append(of(gc, rows))
        ids += [("gc", year, int(row)) for row in rows]
    parts.append(of(base, planted_rows))
    ids += [("base", 0, int(row)) for row in planted_rows]
    forbidden = tuple(np.concatenate([part[edge] for part in parts]) for edge in range(4))
    index = {key: position for position, key in enumerate(ids)}

    candidates = [
        (year, int(row))
        for year, (_, gc) in years.items()
        for row in np.flatnonzero(
            np.isin(gc["BGQDLBM"], cultivated)
            & np.isin(gc["BGHDLBM"], _PR09_TARGETS)
            & np.isin(gc["BGHDLBM"], other)
            & (gc["BGXW"] == "2")
        )
    ]
    candidates = [candidates[edge] for edge in rng.permutation(len(candidates))]
    plants = Plants()
    whole = partial = None
    for year, row in candidates:
        gc = years[year][1]
        piece = tuple(float(gc[edge][row]) for edge in ("x0", "y0", "x1", "y1"))
        county = str(gc["COUNTY"][row])
        own = {index[("gc", year, row)]}
        if whole is None:
            box = rounded((piece[0] - PIECE_MARGIN, piece[1] - PIECE_MARGIN,
                          piece[2] + PIECE_MARGIN, piece[3] + PIECE_MARGIN))  # fmt: skip
            if _inside(box, county_bounds[county]) and _clear(box, forbidden, own) and _apart(box, partial):
                whole = PlantedBox("PR09-whole", county, box)
                plants.pr09_pieces["PR09-whole"] = (year, int(gc["BGHTBBSM"][row]))
                continue
        if partial is None and (whole is None or county != whole.county):
            parent_row = int(np.flatnonzero(base["BSM"] == gc["BGQTBBSM"][row])[0])
            box = _partial_box(
                tuple(float(base[edge][parent_row]) for edge in ("x0", "y0", "x1", "y1")), piece
            )
            if _clear(box, forbidden, own) and _apart(box, whole):
                partial = PlantedBox("PR09-partial", county, box)
                plants.pr09_pieces["PR09-partial"] = (year, int(gc["BGHTBBSM"][row]))
        if whole is not None and partial is not None:
            break
    if whole is None or partial is None:
        raise RuntimeError("no change piece 耕地 → other agricultural land fit for the PR09 plants")

    pr11 = pr11_box(base, lambda box, row: _clear(box, forbidden, {index[("base", 0, int(row))]}))
    plants.boxes = [whole, partial, pr11]
    return plants


# ------------------------------------------------------------------------- from the brick pattern


def _pick_cell(ok: np.ndarray, share: np.ndarray, rng: np.random.Generator) -> int:
    """A well-cultivated cell among `ok` (random among the best tenth, so it looks like any 永农 box)."""
    rows = np.flatnonzero(ok)
    if not len(rows):
        raise RuntimeError("no room for a planted 永农 polygon; use a larger scale")
    best = rows[np.argsort(-share[rows], kind="stable")][: max(1, len(rows) // 10)]
    return int(rng.choice(best))


def new_block(
    cells: Bounds,
    eligible: np.ndarray,
    share: np.ndarray,
    county_bounds: tuple[float, float, float, float],
    fixed: list[tuple[float, float, float, float]],
    rng: np.random.Generator,
) -> tuple[int, tuple[float, float, float, float]]:
    """PR12 新建: (cell that stays 永农, its high-standard block reaching east beyond it)."""
    x0, y0, x1, y1 = cells
    inside = x1 - x0 - 1.0  # the block starts 1 m inside the cell, as blocks are shrunk boxes
    reach = inside * (1 / PR12_NEW_SHARE - 1)
    blocks = (x0 + 1, y0 + 1, x1 + reach, y1 - 1)
    ok = eligible & (blocks[2] + KEEPOUT < county_bounds[2]) & ~keep_out(blocks, fixed)
    cell = _pick_cell(ok, share, rng)
    return cell, rounded(box[cell] for box in blocks)


def fragment_boxes(
    cells: Bounds, eligible: np.ndarray, share: np.ndarray, rng: np.random.Generator
) -> tuple[int, list[tuple[str, tuple[float, float, float, float]]]]:
    """PR13: (cell carved up, [(role, box)] × 4): a pair 3 m apart along the cell's south edge and a pair
    8 m apart along its north edge."""
    x0, y0, x1, y1 = cells
    ok = eligible & (x1 - x0 >= PR13_MIN_CELL) & (y1 - y0 >= PR13_MIN_CELL)
    cell = _pick_cell(ok, share, rng)
    width, height = PR13_SIDE
    left, south, north = x0[cell] + PR13_INSET, y0[cell] + PR13_INSET, y1[cell] - PR13_INSET
    boxes = []
    for (role, gap), (b0, b1) in zip(
        PR13_GAPS.items(), ((south, south + height), (north - height, north)), strict=True
    ):
        boxes.append((role, rounded((left, b0, left + width, b1))))
        boxes.append((role, rounded((left + width + gap, b0, left + 2 * width + gap, b1))))
    return cell, boxes


def upgrade_block(lsgnq: Table) -> tuple[str, tuple[float, float, float, float]]:
    """PR12 改造提升: (county, block) straddling the west edge of the county's first 功能区."""
    row = int(np.flatnonzero(lsgnq["XZQDM"] == PR12_UPGRADE_COUNTY)[0])
    x0, y0, y1 = float(lsgnq["x0"][row]), float(lsgnq["y0"][row]), float(lsgnq["y1"][row])
    cy = (y0 + y1) / 2
    west = x0 - (1 - PR12_UPGRADE_SHARE) * UPGRADE_SIDE
    return PR12_UPGRADE_COUNTY, rounded(
        (west, cy - UPGRADE_SIDE / 2, west + UPGRADE_SIDE, cy + UPGRADE_SIDE / 2)
    )


def keep_out(cells: Bounds | RectSet, boxes: list[tuple[float, float, float, float]]) -> np.ndarray:
    """Mask of cells within KEEPOUT of any of `boxes`."""
    if not boxes:
        return np.zeros(len(cells if isinstance(cells, RectSet) else cells[0]), dtype=bool)
    return near_any(cells, as_bounds(boxes), KEEPOUT)
