"""Vectorised geometry on axis-aligned rectangles (parcels, pieces and control boxes are all rectangles),
so overlaps are exact bounds arithmetic after one spatial-index query."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import shapely

Bounds = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # x0, y0, x1, y1


class RectSet:
    """Rectangles with a lazily built spatial index; build one per large set and reuse it."""

    def __init__(self, bounds: Bounds) -> None:
        self.bounds = bounds

    def __len__(self) -> int:
        return len(self.bounds[0])

    def boxes(self, margin: float = 0.0) -> np.ndarray:
        x0, y0, x1, y1 = self.bounds
        return shapely.box(x0 - margin, y0 - margin, x1 + margin, y1 + margin)

    @cached_property
    def tree(self) -> shapely.STRtree:
        return shapely.STRtree(self.boxes())


def _as_set(rects: Bounds | RectSet) -> RectSet:
    return rects if isinstance(rects, RectSet) else RectSet(rects)


def overlap_pairs(
    a: Bounds | RectSet, b: Bounds | RectSet, margin: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, overlap area m²) for every pair a[i], b[j] that intersects once one side is grown by
    `margin` (the area is of the ungrown rectangles and may be 0). The index is built on, or reused
    from, the larger set; the smaller one is turned into query boxes."""
    sa, sb = _as_set(a), _as_set(b)
    if not len(sa) or not len(sb):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    if len(sa) >= len(sb):
        j, i = sa.tree.query(sb.boxes(margin), predicate="intersects")
    else:
        i, j = sb.tree.query(sa.boxes(margin), predicate="intersects")
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = sa.bounds, sb.bounds
    w = np.minimum(ax1[i], bx1[j]) - np.maximum(ax0[i], bx0[j])
    h = np.minimum(ay1[i], by1[j]) - np.maximum(ay0[i], by0[j])
    return i, j, np.clip(w, 0, None) * np.clip(h, 0, None)


def near_any(a: Bounds | RectSet, b: Bounds | RectSet, margin: float) -> np.ndarray:
    """Mask over `a`: the rectangle comes within `margin` of any rectangle of `b`."""
    sa = _as_set(a)
    out = np.zeros(len(sa), dtype=bool)
    i, _, _ = overlap_pairs(sa, b, margin)
    out[i] = True
    return out


def of(table: dict, rows: np.ndarray | slice = slice(None)) -> Bounds:
    return table["x0"][rows], table["y0"][rows], table["x1"][rows], table["y1"][rows]
