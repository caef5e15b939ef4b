"""Planted cases of the 土地综合整治工程 records: each function plants one rule's case, and says which.

build_works calls them in a fixed order (the works stream draws in it): PR19's steps shape the layout
before any work is dated, DQ11 alters the progress of works already laid out, and both list their
manifest entries once the monthly files are written.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sources.demo.records.model import planted
from sources.demo.records.params import parameters
from sources.demo.records.works_model import (
    AREA_TARGETS,
    MONTHS,
    PROGRESS,
    TARGET_CLAUSE,
    TARGET_DOC,
    TARGETS,
    WORKS,
    Work,
    city_progress,
    month_of,
    pace,
)
from sources.demo.region import REGION_CODE
from sources.records import PLAN_ITEMS

DQ11_DIP_ITEM = "永农集中连片整治亩"
DQ11_DIP = 0.9  # the month's cumulative figure falls to this share of the month before's
DQ11_OVER_ITEM = "高标准农田新建亩"
DQ11_OVER = 1.12  # the final cumulative figure as a share of the plan
PR19_BEHIND = ("建设用地复垦亩", "低效用地整治亩")  # the targets laid out behind pace
PR19_AHEAD_MIN, PR19_BEHIND_MAX = 1.15, 0.85  # ratios to pace the layout guarantees in every month
PR19_LATE_START = 7  # works with items of the lagging targets start in 2023-07 or later
ITEM_COLUMNS = {item: item.removesuffix("亩") + "累计完成(亩)" for item in PLAN_ITEMS}

# (work, month, file, source row) → the manifest entry of a planted row, or None
RowEntry = Callable[[Work, int, str, int], dict | None]


@dataclass(frozen=True)
class Dq11Steps:
    """DQ11's later steps: the entry of each row the monthly files write; the (work, month) rows the
    warehouse quarantines."""

    entry: RowEntry
    quarantined: set[tuple[str, int]]


def plant_dq11_progress_inconsistent(works: list[Work], rng: np.random.Generator) -> Dq11Steps:
    """DQ11 (月度进展累计值不减且不超计划), two rows DQ11 quarantines: in a month of 2024, a work still
    ramping up reports its 永农集中连片整治 cumulative figure at DQ11_DIP of the month before's (and comes
    back the month after); and an accepted work reports DQ11_OVER × its planned 高标准农田新建 in the
    last month, beyond the catalog's max_plan_ratio. Alters the two works' progress now (two draws);
    returns the step listing their rows as the monthly files write them."""
    max_ratio = float(parameters("DQ11")["max_plan_ratio"])
    # (work, month of 2024) where the work is still ramping up from the month before to the one after
    ramping = [
        (work, month)
        for work in works
        if work.started is not None and work.plan[DQ11_DIP_ITEM] > 0
        for month in range(13, 25)
        if work.started <= month - 2 and month + 1 <= work.ends
    ]
    dip_work, dip_month = ramping[int(rng.integers(len(ramping)))]
    before = dip_work.progress[dip_month - 1][DQ11_DIP_ITEM]
    dip_work.progress[dip_month][DQ11_DIP_ITEM] = math.floor(before * DQ11_DIP * 100) / 100
    over_candidates = [
        work
        for work in works
        if work.accepted and work.ends <= 30 and work.plan[DQ11_OVER_ITEM] > 0 and work is not dip_work
    ]
    over_work = over_candidates[int(rng.integers(len(over_candidates)))]
    over_work.progress[MONTHS][DQ11_OVER_ITEM] = round(over_work.plan[DQ11_OVER_ITEM] * DQ11_OVER, 2)

    def entry(work: Work, month: int, rel: str, source_row: int) -> dict | None:
        dip = work is dip_work and month == dip_month
        if not dip and not (work is over_work and month == MONTHS):
            return None
        month_year, mo = month_of(month)
        values = work.progress[month]
        detail = (
            {"previous": before, "value": values[DQ11_DIP_ITEM]}
            if dip
            else {
                "plan": work.plan[DQ11_OVER_ITEM],
                "value": values[DQ11_OVER_ITEM],
                "max_plan_ratio": max_ratio,
            }
        )
        return planted(
            "DQ11",
            "consolidation_work",
            work.code,
            work.county,
            month_year,
            PROGRESS.table,
            {
                "source_file": rel,
                "source_row": source_row,
                "month": f"{month_year}-{mo:02d}",
                "item": ITEM_COLUMNS[DQ11_DIP_ITEM if dip else DQ11_OVER_ITEM],
                **detail,
            },
        )

    return Dq11Steps(entry, {(dip_work.code, dip_month), (over_work.code, MONTHS)})


@dataclass(frozen=True)
class Pr19Steps:
    """PR19's steps: the misnamed work (_layout, given its new_work); whether a work may plan an item
    (_plans); the factor scaling a target's items (_scale_to_pace, given the target and its ratios to
    pace by month); the manifest entries and the monthly pace table (given the works and the DQ rows
    the warehouse quarantines); the targets laid out behind pace."""

    misnamed_work: Callable[[Callable[..., Work]], Work]
    item_allowed: Callable[[str, Work], bool]
    pace_factor: Callable[[str, list[float]], float]
    entries: Callable[[list[Work], set[tuple[str, int]]], tuple[list[dict], list[dict]]]
    behind: tuple[str, ...]


def plant_pr19_consolidation_behind_pace(behind: tuple[str, ...] = PR19_BEHIND) -> Pr19Steps:
    """PR19 (土地综合整治进度滞后): the works are laid out so that, in every month, the city is clearly
    behind the linear pace (≤ PR19_BEHIND_MAX) on the targets `behind` (their items planned only by
    works starting in PR19_LATE_START or later) and clearly ahead (≥ PR19_AHEAD_MIN) on every other
    target; and one running work is named 跨乡镇 while its 涉及乡镇 lists one township. PR19 finds that
    work and each `behind` target in 2023, 2024 and 2025, and nothing else."""
    late_items = {item for key in behind for item in AREA_TARGETS[key]}
    created: list[Work] = []

    def misnamed_work(new_work: Callable[..., Work]) -> Work:
        work = new_work(False, 20, 20 + 22, False, single_named_cross=True)
        created.append(work)
        return work

    def item_allowed(item: str, work: Work) -> bool:
        return item not in late_items or (work.started is not None and work.started >= PR19_LATE_START)

    def pace_factor(key: str, ratios: list[float]) -> float:
        if key in behind:
            return min(1.0, 0.75 / max(ratios)) if max(ratios) > 0 else 1.0
        return max(1.0, 1.25 / min(ratios))

    def entries(works: list[Work], quarantined: set[tuple[str, int]]) -> tuple[list[dict], list[dict]]:
        (single,) = created
        out = [
            planted(
                "PR19",
                "consolidation_work",
                single.code,
                single.county,
                2025,
                WORKS.table,
                {
                    "problem": "named 跨乡镇 but 涉及乡镇 lists one township",
                    "涉及乡镇": single.townships,
                    "min_cross_township": int(parameters("PR19")["min_cross_township"]),
                },
            )
        ]
        table = []
        for month in range(1, MONTHS + 1):
            got, got_clean = city_progress(works, month), city_progress(works, month, quarantined)
            month_year, mo = month_of(month)
            for key in TARGETS:
                table.append(
                    {
                        "month": f"{month_year}-{mo:02d}",
                        "target": key,
                        "progress": round(got[key], 2),
                        "progress_without_dq_rows": round(got_clean[key], 2),
                        "pace": round(pace(key, month), 2),
                        "target_2027": TARGETS[key],
                    }
                )
                for value in (got[key], got_clean[key]):
                    ratio = value / pace(key, month)
                    ok = ratio <= PR19_BEHIND_MAX if key in behind else ratio >= PR19_AHEAD_MIN
                    if not ok:
                        raise RuntimeError(
                            f"PR19 layout: {key} in {month_year}-{mo:02d} at {ratio:.2f} of pace"
                        )
        for key in behind:
            for year in (2023, 2024, 2025):
                rows = [row for row in table if row["target"] == key and row["month"].startswith(str(year))]
                out.append(
                    planted(
                        "PR19",
                        "target",
                        key,
                        REGION_CODE,
                        year,
                        PROGRESS.table,
                        {
                            "target_2027": TARGETS[key],
                            "source_doc": TARGET_DOC,
                            "source_clause": TARGET_CLAUSE,
                            "months_behind": [row["month"] for row in rows],
                            "december": {"progress": rows[-1]["progress"], "pace": rows[-1]["pace"]},
                        },
                    )
                )
        return out, table

    return Pr19Steps(misnamed_work, item_allowed, pace_factor, entries, behind)
