"""Identifier allocation: BSM (标识码) unique across every layer and year of the demo, and TBBH
(图斑编号) unique within a village.

BSM = county code × 10⁸ + a per-county counter, so an id tells its county at a glance and stays unique
whatever layer or year draws it.
"""

from __future__ import annotations

import numpy as np

from sources.demo.region import counties, villages

_BSM_STRIDE = 10**8


class BsmAllocator:
    """Hands out fresh BSMs per county, in order."""

    def __init__(self) -> None:
        self._next = {county.code: 1 for county in counties()}

    def take(self, county_code: str, count: int) -> np.ndarray:
        start = self._next[county_code]
        self._next[county_code] = start + count
        return int(county_code) * _BSM_STRIDE + np.arange(start, start + count, dtype=np.int64)

    def take_for(self, county_codes: np.ndarray) -> np.ndarray:
        """One fresh BSM per element of `county_codes` (any mix of counties), in element order."""
        out = np.empty(len(county_codes), dtype=np.int64)
        for code in np.unique(county_codes):
            mask = county_codes == code
            out[mask] = self.take(str(code), int(mask.sum()))
        return out


class TbbhAllocator:
    """Hands out the next free 图斑编号 of each village (a running number, as text)."""

    def __init__(self) -> None:
        self._used = np.zeros(len(villages().code), dtype=np.int64)

    def take_for(self, village: np.ndarray) -> np.ndarray:
        """One fresh TBBH per element of `village` (global village numbers), in element order."""
        village = np.asarray(village, dtype=np.int64)
        order = np.argsort(village, kind="stable")
        sorted_v = village[order]
        first = np.searchsorted(sorted_v, sorted_v, side="left")
        rank = np.arange(len(sorted_v)) - first  # 0-based position within its village
        numbers = np.empty(len(village), dtype=np.int64)
        numbers[order] = self._used[sorted_v] + rank + 1
        np.maximum.at(self._used, village, numbers)
        return numbers.astype(str).astype(object)
