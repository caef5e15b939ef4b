"""Gap-free, non-overlapping tiling of a county rectangle into parcels (the base 地类图斑 geometry).

Rows of random height are cut into cells of random width. Neighbouring cells take their shared edge
from the same array element, so the tiling is exact (no gaps, no slivers, no overlaps) at any size.
"""

from __future__ import annotations

import numpy as np

# Random size factors stay within these bounds so no parcel is a sliver (≥ 0.5× the mean width).
_ROW_HEIGHT_RANGE = (0.6, 1.4)
_CELL_WIDTH_RANGE = (0.5, 1.5)
_DECIMALS = 2  # coordinates on a centimetre grid, as survey databases store them


def _cells_per_row(heights: np.ndarray, count: int) -> np.ndarray:
    """Split n cells over rows in proportion to their heights, at least one per row."""
    share = heights / heights.sum() * count
    counts = np.maximum(1, np.floor(share)).astype(np.int64)
    order = np.argsort(-(share - np.floor(share)), kind="stable")
    turn = 0
    while counts.sum() < count:  # hand out the remainder by largest fractional part
        counts[order[turn % len(order)]] += 1
        turn += 1
    while counts.sum() > count:  # only when the floor-at-one pushed us over: trim the fullest rows
        counts[np.argmax(counts)] -= 1
    return counts


def tile_rectangle(
    bounds: tuple[float, float, float, float], count: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Tile `bounds` (xmin, ymin, xmax, ymax) into exactly `n` rectangles; returns x0, y0, x1, y1 arrays
    (row-major, south to north, west to east)."""
    if count < 1:
        raise ValueError("need at least one parcel per county")
    xmin, ymin, xmax, ymax = bounds
    width, height = xmax - xmin, ymax - ymin
    rows = int(np.clip(round(np.sqrt(count * height / width)), 1, count))

    heights = rng.uniform(*_ROW_HEIGHT_RANGE, rows)
    y_cuts = np.round(ymin + height * np.concatenate([[0.0], np.cumsum(heights)]) / heights.sum(), _DECIMALS)
    y_cuts[0], y_cuts[-1] = ymin, ymax
    counts = _cells_per_row(heights, count)
    row = np.repeat(np.arange(rows), counts)
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    ends = starts + counts - 1

    widths = rng.uniform(*_CELL_WIDTH_RANGE, count)
    cum = np.cumsum(widths)
    offset = (cum - widths)[starts]  # cumulative width before each row's first cell
    total = cum[ends] - offset
    right = xmin + width * (cum - offset[row]) / total[row]
    x1 = np.round(right, _DECIMALS)
    x1[ends] = xmax
    x0 = np.empty_like(x1)
    x0[1:] = x1[:-1]  # the left edge of a cell is, bit for bit, the right edge of its neighbour
    x0[starts] = xmin
    return x0, y_cuts[row], x1, y_cuts[row + 1]
