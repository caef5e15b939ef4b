"""One synthetic county (南湖区 330402, EPSG:4528) sized for the overlay benchmark, written as deliveries.

Not the demo: the demo draws seven counties tuned to plant rule failures; this draws a single county
at a chosen parcel count with the shapes that make the overlays work hard:

- DLTB 2024: N parcels tiling the county (columns of staggered rectangles; a quarter of the cells cut
  by a slanted line into two quadrilaterals), 耕地 dense inside the farmland regions, sparse outside;
  耕地 carries a 田坎 deduction, so TBDLMJ < TBMJ;
- YJJBNT: rows of boxes (≈ 8 000 at 150 000 parcels) filling the farmland regions, 2–8 m apart, so the
  5 m patch connection merges some neighbours and not others; box edges ignore parcel edges;
- GBZNT: blocks inside a third of the boxes, a fifth of them stretching over the gap into the next box;
- LSGNQ: 3 large zones with 256-vertex wavy boundaries (functional zones follow parcel edges, so
  their boundaries are long);
- change year 2025: DLTBGXGC pieces on 1% of the parcels, 耕地 → construction or other agricultural
  (half whole parcels, half a part), with their DLTBGX parcels; a few gains into 耕地 for the
  supplement projects;
- red lines (用地红线) of 建设用地 approvals over most construction pieces, some only partly, some
  approved after the change, some pieces under two; a few 临时用地 / 设施农业用地 approvals.

Deterministic from the seed. Geometry is built with vectorised shapely constructors; generation is not
benchmarked.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely

from sources.demo.region import CRS_EPSG, county_by_code, locate_villages, villages
from sources.formats import write_layer
from sources.layers import DATE, INT, LAYERS_BY_CODE, REAL, TEXT
from sources.records import RECORD_KINDS_BY_TABLE
from warehouse.config import SEEDS_DIR

COUNTY_CODE = "330402"
BASE_YEAR = 2024
CHANGE_YEAR = 2025
CONTROL_YEAR = 2025
# Planar area in zone 40 is up to 0.05% larger than the ellipsoidal TBMJ (SOURCES.md); one factor is
# close enough here: nothing in the benchmark checks TBMJ against the polygon.
ELLIPSOIDAL = 0.9997

SPLIT_SHARE = 0.25  # of the grid cells, cut in two by a slanted line
REGION_SHARE = 0.36  # of the county inside farmland regions (≈ 8 000 永农 boxes at 150 000 parcels)
CHANGE_SHARE = 0.01  # of the parcels, changed in the change year
BOX_GAP = (2.0, 8.0)
CONNECT_M = 5.0
# Gaps this close to the 5 m threshold are redrawn: a tie would be decided by how each implementation
# rounds a distance, which is not what the benchmark compares.
TIE_MARGIN = 0.1

CULTIVATED = ("0101", "0102", "0103")
_OTHER_CLASSES = ("0702", "1004", "0601", "1104", "1107", "0301", "0201", "1006", "1101", "05H1", "08H2")
_OTHER_WEIGHTS = (0.20, 0.08, 0.10, 0.10, 0.08, 0.12, 0.08, 0.08, 0.06, 0.05, 0.05)
_CONSTRUCTION_AFTER = ("0601", "0702", "1004", "05H1")
_AGRICULTURAL_AFTER = ("0201", "0301", "1104", "1202")


@dataclass
class Layer:
    """A delivered layer: attribute columns under their delivered names and one geometry per row."""

    code: str
    path: str  # relative to the landing folder
    columns: dict[str, np.ndarray]
    geoms: np.ndarray

    def __len__(self) -> int:
        return len(self.geoms)


@dataclass
class SyntheticCounty:
    parcels: int
    seed: int
    layers: list[Layer] = field(default_factory=list)
    records: dict[str, list[dict[str, object]]] = field(default_factory=dict)  # raw table → CSV rows
    stats: dict[str, int] = field(default_factory=dict)


def _land_class_names() -> dict[str, str]:
    with (SEEDS_DIR / "ref_land_classes.csv").open(encoding="utf-8") as handle:
        return {row["land_class"]: row["land_class_name"] for row in csv.DictReader(handle)}


def _r2(values: np.ndarray) -> np.ndarray:
    return np.round(values, 2)


def _gaps(rng: np.random.Generator, n: int) -> np.ndarray:
    gaps = rng.uniform(*BOX_GAP, n)
    near = np.abs(gaps - CONNECT_M) < TIE_MARGIN
    while near.any():
        gaps[near] = rng.uniform(*BOX_GAP, int(near.sum()))
        near = np.abs(gaps - CONNECT_M) < TIE_MARGIN
    return gaps


def _breakpoints(rng: np.random.Generator, start: float, stop: float, n: int, spread: float) -> np.ndarray:
    """n + 1 cut positions from start to stop, widths drawn in (1 ± spread) × mean, rounded to cm.

    Neighbours share the rounded value itself, so the cells still tile without gap or overlap.
    """
    widths = rng.uniform(1 - spread, 1 + spread, n)
    cuts = start + np.concatenate([[0.0], np.cumsum(widths)]) / widths.sum() * (stop - start)
    cuts = _r2(cuts)
    cuts[0], cuts[-1] = start, stop
    return cuts


def _grid_cells(rng: np.random.Generator, bounds: tuple[float, ...], n_cells: int) -> np.ndarray:
    """(n_cells, 4) rectangles tiling `bounds`: columns of varying width, each cut into rows of its own."""
    xmin, ymin, xmax, ymax = bounds
    ncols = max(1, round(math.sqrt(n_cells * (xmax - xmin) / (ymax - ymin))))
    xs = _breakpoints(rng, xmin, xmax, ncols, 0.4)
    per_col = np.full(ncols, n_cells // ncols)
    per_col[: n_cells % ncols] += 1
    cells = []
    for c in range(ncols):
        ys = _breakpoints(rng, ymin, ymax, int(per_col[c]), 0.5)
        cells.append(
            np.column_stack([np.full(len(ys) - 1, xs[c]), ys[:-1], np.full(len(ys) - 1, xs[c + 1]), ys[1:]])
        )
    return np.concatenate(cells)


def _split_cells(rng: np.random.Generator, cells: np.ndarray, n_split: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut `n_split` cells along a slanted line: (polygons, is_rectangle) for the whole tiling."""
    split = np.zeros(len(cells), dtype=bool)
    split[rng.choice(len(cells), n_split, replace=False)] = True
    whole = cells[~split]
    rects = shapely.box(whole[:, 0], whole[:, 1], whole[:, 2], whole[:, 3])
    cut = cells[split]
    x0, y0, x1, y1 = cut.T
    xb = _r2(x0 + rng.uniform(0.25, 0.75, len(cut)) * (x1 - x0))
    xt = _r2(x0 + rng.uniform(0.25, 0.75, len(cut)) * (x1 - x0))
    left = np.stack([np.column_stack(p) for p in ((x0, y0), (xb, y0), (xt, y1), (x0, y1), (x0, y0))], axis=1)
    right = np.stack([np.column_stack(p) for p in ((xb, y0), (x1, y0), (x1, y1), (xt, y1), (xb, y0))], axis=1)
    quads = shapely.polygons(np.concatenate([left, right]))
    geoms = np.concatenate([rects, quads])
    is_rect = np.concatenate([np.ones(len(rects), dtype=bool), np.zeros(len(quads), dtype=bool)])
    return geoms, is_rect


def _farmland_regions(rng: np.random.Generator, bounds: tuple[float, ...]) -> np.ndarray:
    """(n, 4) non-overlapping rectangles, one per chosen cell of a coarse grid, REGION_SHARE of the county."""
    xmin, ymin, xmax, ymax = bounds
    gx, gy = 6, 10
    cw, ch = (xmax - xmin) / gx, (ymax - ymin) / gy
    regions, covered = [], 0.0
    for cell in rng.permutation(gx * gy):
        cx, cy = xmin + (cell % gx) * cw, ymin + (cell // gx) * ch
        fx, fy = rng.uniform(0.55, 0.9, 2)
        ox, oy = rng.uniform(0, 1 - fx) * cw, rng.uniform(0, 1 - fy) * ch
        regions.append((cx + ox, cy + oy, cx + ox + fx * cw, cy + oy + fy * ch))
        covered += fx * cw * fy * ch
        if covered >= REGION_SHARE * (xmax - xmin) * (ymax - ymin):
            break
    return _r2(np.array(regions))


def _boxes(rng: np.random.Generator, regions: np.ndarray, side: float) -> np.ndarray:
    """(n, 4) 永农 boxes: rows filling each region, boxes and rows BOX_GAP apart (staggered rows)."""
    boxes = []
    for rx0, ry0, rx1, ry1 in regions:
        y = ry0
        while True:
            h = side * rng.uniform(1.5, 2.6)
            if y + h > ry1:
                break
            x = rx0 + rng.uniform(0, side)  # stagger: box edges of neighbouring rows do not line up
            widths = side * rng.uniform(2.0, 3.6, 64)
            gaps = _gaps(rng, 64)
            for w, g in zip(widths, gaps, strict=True):
                if x + w > rx1:
                    break
                boxes.append((x, y, x + w, y + h))
                x += w + g
            y += h + _gaps(rng, 1)[0]
    return _r2(np.array(boxes))


def _wavy_zone(rng: np.random.Generator, cx: float, cy: float, radius: float, vertices: int = 256):
    theta = np.linspace(0, 2 * np.pi, vertices, endpoint=False)
    phase = rng.uniform(0, 2 * np.pi, 3)
    r = radius * (
        1
        + 0.15 * np.sin(3 * theta + phase[0])
        + 0.08 * np.sin(7 * theta + phase[1])
        + 0.03 * np.sin(19 * theta + phase[2])
    )
    ring = np.column_stack([_r2(cx + r * np.cos(theta)), _r2(cy + r * np.sin(theta))])
    return shapely.Polygon(np.vstack([ring, ring[:1]]))


def _dates(rng: np.random.Generator, start: date, days: int, n: int) -> np.ndarray:
    offsets = rng.integers(0, days, n)
    return np.array([start + timedelta(days=int(d)) for d in offsets], dtype=object)


class _Parcels:
    """Parcel attribute columns, built up row block by row block (base layer, then DLTBGX)."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names

    def columns(
        self,
        bsm: np.ndarray,
        land_class: np.ndarray,
        geoms: np.ndarray,
        kcxs: np.ndarray,
        gddb: np.ndarray,
        year: int,
    ) -> dict[str, np.ndarray]:
        county = county_by_code(COUNTY_CODE)
        centroids = shapely.centroid(geoms)
        village = locate_villages(county, shapely.get_x(centroids), shapely.get_y(centroids))
        village_codes = villages().code[village]
        zldwdm = np.array([code + "0000000" for code in village_codes], dtype=object)
        zldwmc = villages().name[village]
        tbmj = _r2(shapely.area(geoms) * ELLIPSOIDAL)
        cultivated = np.isin(land_class, CULTIVATED)
        kcmj = _r2(tbmj * kcxs)
        construction = np.isin(land_class, ("0702", "0601", "05H1", "08H2", "1004"))
        empty = np.full(len(bsm), None, dtype=object)
        return {
            "BSM": bsm,
            "TBBH": np.array([str(b % 10_000_000) for b in bsm], dtype=object),
            "DLBM": land_class,
            "DLMC": np.array([self.names[c] for c in land_class], dtype=object),
            "QSXZ": np.full(len(bsm), "30", dtype=object),
            "QSDWDM": zldwdm,
            "QSDWMC": zldwmc,
            "ZLDWDM": zldwdm,
            "ZLDWMC": zldwmc,
            "TBMJ": tbmj,
            "KCDLBM": np.where(cultivated, "1203", None).astype(object),
            "KCXS": kcxs,
            "KCMJ": kcmj,
            "TBDLMJ": _r2(tbmj - kcmj),
            "GDLX": empty,
            "GDPDJB": np.where(cultivated, "1", None).astype(object),
            "TBXHDM": empty,
            "ZZSXDM": np.where(cultivated, "LS", None).astype(object),
            "GDDB": gddb,
            "CZCSXM": np.where(construction, "203", None).astype(object),
            "SJNF": np.full(len(bsm), year, dtype=np.int64),
        }


def _classes(rng: np.random.Generator, in_region: np.ndarray) -> np.ndarray:
    n = len(in_region)
    cultivated = rng.random(n) < np.where(in_region, 0.85, 0.35)
    kind = rng.choice(CULTIVATED, n, p=(0.7, 0.1, 0.2))
    other = rng.choice(_OTHER_CLASSES, n, p=_OTHER_WEIGHTS)
    classes = np.where(cultivated, kind, other).astype(object)
    facility = ~cultivated & (rng.random(n) < 0.04)  # ≈ 2% of all parcels are 设施农用地 1202
    classes[facility] = "1202"
    return classes


def generate(parcels: int = 150_000, seed: int = 20250) -> SyntheticCounty:
    """The synthetic county of `parcels` parcels with its control layers, change survey and approvals."""
    rng = np.random.default_rng(seed)
    names = _land_class_names()
    county = county_by_code(COUNTY_CODE)
    bounds = county.bounds
    side = math.sqrt(county.planar_area / parcels)  # mean parcel side: the other layers scale with it
    result = SyntheticCounty(parcels, seed)

    # -- DLTB 2024
    n_cells = round(parcels / (1 + SPLIT_SHARE))
    cells = _grid_cells(rng, bounds, n_cells)
    geoms, is_rect = _split_cells(rng, cells, parcels - n_cells)
    regions = _farmland_regions(rng, bounds)
    region_geoms = shapely.box(*regions.T)
    in_region = shapely.STRtree(region_geoms).query(shapely.centroid(geoms), predicate="within")[0]
    in_region = np.isin(np.arange(len(geoms)), in_region)
    land_class = _classes(rng, in_region)
    cultivated = np.isin(land_class, CULTIVATED)
    kcxs = np.where(cultivated, rng.choice([0.02, 0.035, 0.05, 0.08], len(geoms)), 0.0)
    gddb = np.where(cultivated, rng.integers(1, 16, len(geoms)), -1)
    bsm = 3_304_020_000_000 + np.arange(len(geoms), dtype=np.int64)
    builder = _Parcels(names)
    base = builder.columns(bsm, land_class, geoms, kcxs, gddb, BASE_YEAR)
    result.layers.append(Layer("DLTB", f"survey/{BASE_YEAR}/DLTB.parquet", base, geoms))

    # -- control layers
    boxes = _boxes(rng, regions, side)
    box_geoms = shapely.box(*boxes.T)
    n_boxes = len(boxes)
    result.layers.append(
        Layer(
            "YJJBNT",
            f"control/{CONTROL_YEAR}/YJJBNT.parquet",
            {
                "BSM": 3_304_025_000_000 + np.arange(n_boxes, dtype=np.int64),
                "JBNTTBBH": np.array([str(i + 1) for i in range(n_boxes)], dtype=object),
                "XZQDM": np.full(n_boxes, COUNTY_CODE, dtype=object),
                "DLBM": np.full(n_boxes, "0101", dtype=object),
                "JBNTMJ": _r2(shapely.area(box_geoms) * ELLIPSOIDAL),
                "GDDB": rng.integers(1, 16, n_boxes),
                "SFSFQ": np.where(rng.random(n_boxes) < 0.1, "Y", "N").astype(object),
                "HDNF": rng.choice([2020, 2023], n_boxes, p=(0.9, 0.1)),
            },
            box_geoms,
        )
    )

    chosen = np.flatnonzero(rng.random(n_boxes) < 0.33)
    inset = rng.uniform(0.0, 0.2, (len(chosen), 4))
    b = boxes[chosen]
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    blocks = np.column_stack(
        [
            b[:, 0] + inset[:, 0] * w,
            b[:, 1] + inset[:, 1] * h,
            b[:, 2] - inset[:, 2] * w,
            b[:, 3] - inset[:, 3] * h,
        ]
    )
    # A fifth stretch over the gap into the next box of the row (drawn right after it, same row).
    stretch = (rng.random(len(chosen)) < 0.2) & (chosen + 1 < n_boxes)
    nxt = np.minimum(chosen + 1, n_boxes - 1)
    same_row = boxes[nxt, 1] == b[:, 1]
    stretch &= same_row
    blocks[stretch, 2] = boxes[nxt[stretch], 0] + 0.5 * (boxes[nxt[stretch], 2] - boxes[nxt[stretch], 0])
    blocks = _r2(blocks)
    block_geoms = shapely.box(*blocks.T)
    n_blocks = len(blocks)
    result.layers.append(
        Layer(
            "GBZNT",
            f"control/{CONTROL_YEAR}/GBZNT.parquet",
            {
                "XMBH": np.array([f"GB{COUNTY_CODE}{i + 1:06d}" for i in range(n_blocks)], dtype=object),
                "XZQDM": np.full(n_blocks, COUNTY_CODE, dtype=object),
                "JSNF": rng.integers(2015, 2025, n_blocks),
                "JSLX": rng.choice(["新建", "改造提升"], n_blocks).astype(object),
                "JSMJ": _r2(shapely.area(block_geoms) * ELLIPSOIDAL),
            },
            block_geoms,
        )
    )

    xmin, ymin, xmax, ymax = bounds
    third = (ymax - ymin) / 3
    radius = 0.38 * min(xmax - xmin, third)
    county_box = shapely.box(*bounds)
    zones = np.array(
        [
            shapely.intersection(
                _wavy_zone(
                    rng, xmin + (xmax - xmin) * rng.uniform(0.4, 0.6), ymin + third * (k + 0.5), radius
                ),
                county_box,
            )
            for k in range(3)
        ],
        dtype=object,
    )
    result.layers.append(
        Layer(
            "LSGNQ",
            f"control/{CONTROL_YEAR}/LSGNQ.parquet",
            {
                "GNQBH": np.array([f"GNQ{COUNTY_CODE}{k + 1:02d}" for k in range(3)], dtype=object),
                "XZQDM": np.full(3, COUNTY_CODE, dtype=object),
                "GNQMJ": _r2(shapely.area(zones) * ELLIPSOIDAL),
                "RDNF": np.full(3, 2018),
            },
            zones,
        )
    )

    # -- change survey 2025: losses of 耕地 on rectangular parcels, a few gains
    rect_cultivated = np.flatnonzero(is_rect & cultivated)
    n_change = round(CHANGE_SHARE * parcels)
    changed = np.sort(rng.choice(rect_cultivated, n_change, replace=False))
    construction = rng.random(n_change) < 0.6
    after_class = np.where(
        construction, rng.choice(_CONSTRUCTION_AFTER, n_change), rng.choice(_AGRICULTURAL_AFTER, n_change)
    ).astype(object)
    partial = rng.random(n_change) < 0.5
    cx0, cy0, cx1, cy1 = shapely.bounds(geoms[changed]).T
    cut = _r2(cx0 + rng.uniform(0.3, 0.7, n_change) * (cx1 - cx0))
    piece_x1 = np.where(partial, cut, cx1)
    lost = shapely.box(cx0, cy0, piece_x1, cy1)  # the part that changes class
    kept = shapely.box(cut[partial], cy0[partial], cx1[partial], cy1[partial])  # the rest stays 耕地
    kept_from = changed[partial]

    non_cult_rect = np.flatnonzero(is_rect & np.isin(land_class, ("0201", "0301", "1104")))
    n_gain = max(3, round(0.0005 * parcels))
    gained_from = np.sort(rng.choice(non_cult_rect, n_gain, replace=False))
    gained = geoms[gained_from]

    next_bsm = 3_304_021_000_000
    # DLTBGX: the lost pieces (new class), the kept remainders (old class, new BSM), the gains (0101)
    gx_from = np.concatenate([changed, kept_from, gained_from])
    gx_geoms = np.concatenate([lost, kept, gained])
    gx_class = np.concatenate([after_class, land_class[kept_from], np.full(n_gain, "0101", dtype=object)])
    gx_cult = np.isin(gx_class, CULTIVATED)
    gx_bsm = next_bsm + np.arange(len(gx_geoms), dtype=np.int64)
    gx_kcxs = np.concatenate([np.zeros(n_change), kcxs[kept_from], np.full(n_gain, 0.05)])
    gx_gddb = np.where(gx_cult, np.where(gddb[gx_from] > 0, gddb[gx_from], 8), -1)
    gx = builder.columns(gx_bsm, gx_class, gx_geoms, gx_kcxs, gx_gddb, CHANGE_YEAR)
    result.layers.append(Layer("DLTBGX", f"survey/{CHANGE_YEAR}/DLTBGX.parquet", gx, gx_geoms))

    # DLTBGXGC: one piece per DLTBGX parcel, before = the DLTB parcel it was cut from
    before = builder.columns(
        bsm[gx_from], land_class[gx_from], gx_geoms, kcxs[gx_from], gddb[gx_from], BASE_YEAR
    )
    n_pieces = len(gx_geoms)
    updated_on = _dates(rng, date(CHANGE_YEAR, 1, 15), 320, n_pieces)
    gc: dict[str, np.ndarray] = {
        "BSM": 3_304_022_000_000 + np.arange(n_pieces, dtype=np.int64),
        "BGXW": np.full(n_pieces, "2", dtype=object),
        "BGQTBBSM": bsm[gx_from],
        "BGHTBBSM": gx_bsm,
        "BGQTBBH": before["TBBH"],
        "BGHTBBH": gx["TBBH"],
    }
    for side_prefix, attrs in (("BGQ", before), ("BGH", gx)):
        for name in (
            "DLBM",
            "DLMC",
            "QSXZ",
            "QSDWDM",
            "ZLDWDM",
            "ZLDWMC",
            "KCDLBM",
            "KCXS",
            "KCMJ",
            "TBDLMJ",
            "GDLX",
            "GDPDJB",
            "TBXHDM",
            "ZZSXDM",
            "GDDB",
            "CZCSXM",
        ):
            gc[side_prefix + name] = attrs[name]
    gc["TBBGMJ"] = gx["TBMJ"]
    gc["XZQTZLX"] = np.full(n_pieces, "0", dtype=object)
    gc["GXSJ"] = updated_on
    result.layers.append(Layer("DLTBGXGC", f"survey/{CHANGE_YEAR}/DLTBGXGC.parquet", gc, gx_geoms))

    # -- approvals and red lines
    approvals: list[dict[str, object]] = []
    red_lines: list[tuple[str, shapely.Geometry]] = []

    def approve(kind: str, approved_on: date, geom: shapely.Geometry) -> None:
        number = f"浙土字〔{approved_on.year}〕{len(approvals) + 1:05d}号"
        mu = round(float(shapely.area(geom)) * 0.0015, 2)
        approvals.append(
            {
                "批准文号": number,
                "项目名称": f"基准项目{len(approvals) + 1}",
                "用地类型": kind,
                "县级行政区代码": COUNTY_CODE,
                "批准日期": approved_on.isoformat(),
                "批准机关级别": "省",
                "占用耕地面积(亩)": mu,
                "其中水田(亩)": 0,
                "其中永久基本农田(亩)": 0,
                "其中示范区(亩)": 0,
                "占用耕地平均等别": 6.5,
                "承诺制": "否",
                "承诺兑现期限": "",
                "复垦期限": (approved_on + timedelta(days=730)).isoformat() if kind == "临时用地" else "",
                "备案面积(亩)": round(mu * 0.8, 2) if kind == "设施农业用地" else "",
            }
        )
        red_lines.append((number, geom))

    construction_pieces = np.flatnonzero(construction)
    px0, py0, px1, py1 = shapely.bounds(lost[construction_pieces]).T
    for k, piece in enumerate(construction_pieces):
        if rng.random() >= 0.8:
            continue  # no approval at all: the whole piece is a suspected occupation
        changed_on = updated_on[piece]
        margin = rng.uniform(0, 5, 4)
        x0, y0, x1, y1 = px0[k] - margin[0], py0[k] - margin[1], px1[k] + margin[2], py1[k] + margin[3]
        two = rng.random() < 0.15
        partly = rng.random() < 0.4
        split_at = x0 + rng.uniform(0.3, 0.9) * (x1 - x0)
        first = (x0, y0, split_at if (two or partly) else x1, y1)
        for bounds_ in [first] + ([(split_at, y0, x1, y1)] if two else []):
            in_time = rng.random() < 0.85
            days = int(rng.integers(10, 400)) if in_time else -int(rng.integers(5, 120))
            approve("建设用地", changed_on - timedelta(days=days), shapely.box(*_r2(np.array(bounds_))))
    # Red lines away from any piece (most approvals are not on this year's changes).
    n_background = round(0.002 * parcels)
    centres = rng.uniform((xmin, ymin), (xmax, ymax), (n_background, 2))
    sizes = side * rng.uniform(2, 6, (n_background, 2))
    for (x, y), (sw, sh) in zip(centres, sizes, strict=True):
        approve(
            "建设用地",
            date(2023, 1, 1) + timedelta(days=int(rng.integers(0, 900))),
            shapely.box(*_r2(np.array([x, y, x + sw, y + sh]))),
        )
    n_special = max(5, round(parcels / 10_000))
    facility_parcels = np.flatnonzero(land_class == "1202")
    for kind, anchors in (("临时用地", np.flatnonzero(cultivated)), ("设施农业用地", facility_parcels)):
        picks = rng.choice(anchors, n_special, replace=False)
        c = shapely.centroid(geoms[picks])
        sizes = side * rng.uniform(1.5, 4, (n_special, 2))
        for x, y, (sw, sh) in zip(shapely.get_x(c), shapely.get_y(c), sizes, strict=True):
            approve(
                kind,
                date(BASE_YEAR, 1, 1) + timedelta(days=int(rng.integers(0, 700))),
                shapely.box(*_r2(np.array([x - sw / 2, y - sh / 2, x + sw / 2, y + sh / 2]))),
            )
    result.records["land_approvals"] = approvals
    result.layers.append(
        Layer(
            "YDHX",
            "projects/用地红线.parquet",
            {"批准文号": np.array([n for n, _ in red_lines], dtype=object)},
            np.array([g for _, g in red_lines], dtype=object),
        )
    )

    # -- supplement projects over the gains, accepted in the change year
    projects, boundaries = [], []
    for k, geom in enumerate(gained):
        number = f"BC{COUNTY_CODE}{CHANGE_YEAR}{k + 1:04d}"
        mu = round(float(shapely.area(geom)) * 0.0015, 2)
        projects.append(
            {
                "项目编号": number,
                "项目名称": f"垦造耕地项目{k + 1}",
                "项目类型": "垦造耕地",
                "县级行政区代码": COUNTY_CODE,
                "立项日期": f"{CHANGE_YEAR - 1}-03-01",
                "验收日期": f"{CHANGE_YEAR}-06-30",
                "入库日期": f"{CHANGE_YEAR}-08-15",
                "新增耕地面积(亩)": mu,
                "新增水田面积(亩)": mu,
                "新增粮食产能(公斤)": round(mu * 400, 2),
                "耕地等别": 8,
                "上划省统筹数量(亩)": 0,
            }
        )
        boundaries.append((number, shapely.buffer(geom, 1.0, join_style="mitre")))
    result.records["supplement_projects"] = projects
    result.layers.append(
        Layer(
            "BCGDXMFW",
            "projects/补充耕地项目范围.parquet",
            {"项目编号": np.array([n for n, _ in boundaries], dtype=object)},
            np.array([g for _, g in boundaries], dtype=object),
        )
    )

    result.stats = {
        "parcels": len(geoms),
        "cultivated_parcels": int(cultivated.sum()),
        "facility_parcels": int((land_class == "1202").sum()),
        "pbf_boxes": n_boxes,
        "high_standard_blocks": n_blocks,
        "grain_zones": 3,
        "change_pieces": n_pieces,
        "loss_pieces": n_change,
        "construction_pieces": int(construction.sum()),
        "approvals": len(approvals),
        "supplement_projects": len(projects),
    }
    return result


_ARROW = {TEXT: pa.string(), INT: pa.int64(), REAL: pa.float64(), DATE: pa.date32()}


def _arrow_column(values: np.ndarray, type_: str) -> pa.Array:
    if type_ == INT:
        values = np.asarray(values, dtype=np.int64)
        return pa.array(values, mask=values == -1, type=pa.int64())  # -1 = null (GDDB off 耕地)
    if type_ == DATE:
        return pa.array(list(values), type=pa.date32())
    return pa.array(list(values) if type_ == TEXT else values, type=_ARROW[type_])


def write_deliveries(county: SyntheticCounty, landing: Path) -> None:
    """GeoParquet layers and UTF-8 CSV records, laid out as SOURCES.md's landing zone."""
    for layer in county.layers:
        fields = LAYERS_BY_CODE[layer.code].fields
        table = pa.table(
            {name: _arrow_column(values, fields[name]) for name, values in layer.columns.items()}
        )
        write_layer(landing / layer.path, table, list(layer.geoms), CRS_EPSG)
    for table_name, rows in county.records.items():
        kind = RECORD_KINDS_BY_TABLE[table_name]
        path = landing / kind.folder / kind.file_pattern.replace("\\", "")
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(kind.columns))
            writer.writeheader()
            writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    """`python -m benchmarks.county --landing DIR [--parcels N] [--seed S]`: write the county's deliveries."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--parcels", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=20250)
    args = parser.parse_args(argv)
    write_deliveries(generate(args.parcels, args.seed), args.landing)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
