"""Planted cases of the fund ledgers (funds.py): each function plants one rule's case, and says which."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from sources.demo.records.model import planted
from sources.demo.records.params import parameters
from sources.demo.records.survey import Survey
from sources.records import record_kind

DQ12_YEAR = 2024
DQ12_OVERSTATED, DQ12_OVERPAID = 150, 200  # × the DQ12 tolerance (1 元): far outside it


def plant_dq12_payment_off_formula(
    survey: Survey,
    withheld: set[tuple[str, int]],
    avoid: set[str],
    years: tuple[int, ...],
    rng: np.random.Generator,
) -> Callable[[str, int, int, int], tuple[int, int, dict | None]]:
    """DQ12 (补偿资金金额计算正确), two villages of DQ12_YEAR's ledger with 永农 and 一般耕地, no case open
    at the end of any of the ledger's `years` (`withheld`) and no other plant (`avoid`): one whose 应发
    is DQ12_OVERSTATED × the tolerance off the formula (and paid as written), one paid DQ12_OVERPAID ×
    the tolerance more than due; DQ12 finds both rows, which it quarantines. Chooses them now (two
    draws after the rates); returns the step the ledger applies to every row: (village, year, due,
    paid) → (应发 as written, 实发, what the manifest says of a planted row or None), in 分."""
    tolerance = float(parameters("DQ12")["tolerance_yuan"])
    overstated_cents = int(round(DQ12_OVERSTATED * max(tolerance, 1.0) * 100))
    overpaid_cents = int(round(DQ12_OVERPAID * max(tolerance, 1.0) * 100))
    eligible = sorted(
        value
        for value, (cult, pbf) in survey.village_farmland[DQ12_YEAR].items()
        if pbf > 0
        and cult - pbf > 0
        and value not in avoid
        and all((value, other_year) not in withheld for other_year in years)
    )
    picks = rng.choice(len(eligible), 2, replace=False)
    overstated, overpaid = eligible[int(picks[0])], eligible[int(picks[1])]

    def alter(village: str, year: int, due: int, paid: int) -> tuple[int, int, dict | None]:
        if year != DQ12_YEAR or village not in (overstated, overpaid):
            return due, paid, None
        if village == overstated:
            written = due + overstated_cents
            return (
                written,
                written,
                {
                    "problem": "应发金额 ≠ 永农面积 × 永农标准 + 一般耕地面积 × 一般标准",
                    "应发金额": written / 100,
                    "formula_yuan": due / 100,
                },
            )
        paid = due + overpaid_cents
        return due, paid, {"problem": "实发金额 > 应发金额", "应发金额": due / 100, "实发金额": paid / 100}

    return alter


def plant_pr16_maintenance_not_kept(
    rows_by_year: dict[int, list[tuple[str, list[str]]]],
    county_of: dict[str, str],
    minimum: float,
    rng: np.random.Generator,
) -> list[dict]:
    """PR16 (新增耕地管护), three ways on three projects, in different years: 管护资金 of 80% of the
    minimum per 亩 (2024), no grain season (2025), no photos uploaded (2023); PR16 finds those three
    rows, every other one paying 1.1–1.5 × the minimum with one or two seasons and photos. Edits the
    rows in place (a draw each); returns their manifest entries (row_index: position in the year)."""
    entries: list[dict] = []
    plans = (("money", 2024), ("seasons", 2025), ("photo", 2023))
    used: set[str] = set()
    for problem, year in plans:
        candidates = [position for position, (code, _) in enumerate(rows_by_year[year]) if code not in used]
        position = candidates[int(rng.integers(len(candidates)))]
        code, row = rows_by_year[year][position]
        used.add(code)
        if problem == "money":
            row[3] = f"{float(row[2]) * minimum * 0.8:.2f}"
            detail = {
                "problem": f"管护资金 < {minimum:g} 元/亩",
                "管护资金(元)": float(row[3]),
                "管护面积(亩)": float(row[2]),
            }
        elif problem == "seasons":
            row[4] = "0"
            detail = {"problem": "种植粮食季数 0"}
        else:
            row[5] = "否"
            detail = {"problem": "种植影像未上传"}
        entries.append(
            planted(
                "PR16",
                "supplement_project",
                code,
                county_of[code],
                year,
                record_kind("farmland_maintenance").table,
                {**detail, "row_index": position},
            )
        )
    return entries
