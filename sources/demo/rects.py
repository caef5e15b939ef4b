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
    rects: Bounds | RectSet, others: Bounds | RectSet, margin: float = 0.0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, overlap area m²) for every pair a[i], b[j] that intersects once one side is grown by
    `margin` (the area is of the ungrown rectangles and may be 0). The index is built on, or reused
    from, the larger set; the smaller one is turned into query boxes."""
    sa, sb = _as_set(rects), _as_set(others)
    if not len(sa) or not len(sb):
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    if len(sa) >= len(sb):
        other_index, rect_index = sa.tree.query(sb.boxes(margin), predicate="intersects")
    else:
        rect_index, other_index = sb.tree.query(sa.boxes(margin), predicate="intersects")
    (ax0, ay0, ax1, ay1), (bx0, by0, bx1, by1) = sa.bounds, sb.bounds
    width = np.minimum(ax1[rect_index], bx1[other_index]) - np.maximum(ax0[rect_index], bx0[other_index])
    height = np.minimum(ay1[rect_index], by1[other_index]) - np.maximum(ay0[rect_index], by0[other_index])
    return rect_index, other_index, np.clip(width, 0, None) * np.clip(height, 0, None)


def near_any(rects: Bounds | RectSet, others: Bounds | RectSet, margin: float) -> np.ndarray:
    """Mask over `a`: the rectangle comes within `margin` of any rectangle of `b`."""
    sa = _as_set(rects)
    out = np.zeros(len(sa), dtype=bool)
    rect_index, _, _ = overlap_pairs(sa, others, margin)
    out[rect_index] = True
    return out


def of(table: dict, rows: np.ndarray | slice = slice(None)) -> Bounds:
    return table["x0"][rows], table["y0"][rows], table["x1"][rows], table["y1"][rows]


def take_bounds(bounds: Bounds, rows: np.ndarray) -> Bounds:
    return tuple(edge[rows] for edge in bounds)


def concat_bounds(parts: list[Bounds]) -> Bounds:
    return tuple(np.concatenate([part[edge] for part in parts]) for edge in range(4))
