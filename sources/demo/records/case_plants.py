"""Planted cases of the enforcement register and the compensation ledger tied to it (PR18)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from sources.demo.records.cases import Case
from sources.demo.records.model import days


def plant_pr18_paid_despite_open_case(
    villages: list[str], rng: np.random.Generator
) -> tuple[str, Callable[[np.random.Generator], Case]]:
    """PR18 (补偿与执法挂钩): a village holding 耕地 every year (the first draw of the cases' stream, before
    the records that keep away from it are made) gets one case, found in October 2025 and open at year
    end, and no other; the compensation ledger pays it in full in 2025 all the same (cases.withheld
    passes its case over). PR18 finds that village in 2025, every other village with a case open at
    year end being paid 80%. Returns (the village, the step that files its case after the routine
    cases)."""
    village = villages[int(rng.integers(len(villages)))]

    def open_case(rng: np.random.Generator) -> Case:
        return Case(
            "",
            "卫片执法",
            date(2025, 10, 1) + days(rng.integers(0, 40)),
            village[:6],
            village,
            "违规占用耕地从事非农建设",
            1.85,
            1.62,
            0.0,
            "立案",
            None,
            None,
        )

    return village, open_case
