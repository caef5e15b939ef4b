"""The 土地综合整治工程 in memory: a work, its months, the city targets of 003 §一(二) and the city's
progress toward them (works.py lays the works out and writes them, works_plants.py plants DQ11 and PR19).

003 §一(二) sets city targets for 2027: 65 works, 10 跨乡镇, 永农集中连片整治 10万亩, 高标准农田 (新建 and
改造提升) 6万亩, 建设用地复垦 2万亩, 补充耕地 1万亩, 低效用地整治 1万亩. The plan period is 2023–2027, so
the linear pace in month m (2023-01 = 1 … 2025-12 = 36) is target × m / 60.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sources.records import record_kind

WORKS = record_kind("consolidation_works")
PROGRESS = record_kind("consolidation_progress")
TARGET_DOC, TARGET_CLAUSE = "003_bb016864618d6e1f.txt", "§一(二)"
TARGETS: dict[str, float] = {
    "工程数量": 65,
    "跨乡镇工程数量": 10,
    "永农集中连片整治亩": 100_000,
    "高标准农田亩": 60_000,
    "建设用地复垦亩": 20_000,
    "补充耕地亩": 10_000,
    "低效用地整治亩": 10_000,
}
AREA_TARGETS: dict[str, tuple[str, ...]] = {
    "永农集中连片整治亩": ("永农集中连片整治亩",),
    "高标准农田亩": ("高标准农田新建亩", "高标准农田改造提升亩"),
    "建设用地复垦亩": ("建设用地复垦亩",),
    "补充耕地亩": ("补充耕地亩",),
    "低效用地整治亩": ("低效用地整治亩",),
}
PLAN_MONTHS = 60  # 2023-01 … 2027-12
MONTHS = 36  # reported: 2023-01 … 2025-12


def month_of(month: int) -> tuple[int, int]:
    """Month index (2023-01 = 1; 0 = 2022-12, negative further back) → (year, month)."""
    ym = 2022 * 12 + 11 + month
    return ym // 12, ym % 12 + 1


def pace(key: str, month: int) -> float:
    return TARGETS[key] * month / PLAN_MONTHS


@dataclass
class Work:
    code: str
    name: str
    county: str
    townships: list[str]
    status: str
    started: int | None  # month index of 立项
    ends: int | None  # month index of 整体验收 (accepted works) or planned completion
    accepted: bool
    started_on: date | None = None
    accepted_on: date | None = None
    filed_on: date | None = None
    plan: dict[str, float] = field(default_factory=dict)
    completion: float = 1.0
    unit_cost: float = 0.25  # 万元/亩
    progress: dict[int, dict[str, float]] = field(default_factory=dict)  # month → item → cumulative
    investment: dict[int, float] = field(default_factory=dict)

    @property
    def total_investment(self) -> float:
        return round(sum(self.plan.values()) * self.unit_cost, 1)


def city_progress(
    works: list[Work], month: int, skip: set[tuple[str, int]] = frozenset()
) -> dict[str, float]:
    """Progress toward each target in month m (works counted as accepted by then)."""
    out = {
        "工程数量": sum(1 for work in works if work.accepted and work.ends <= month),
        "跨乡镇工程数量": sum(
            1 for work in works if work.accepted and work.ends <= month and len(work.townships) >= 2
        ),
    }
    for key, items in AREA_TARGETS.items():
        out[key] = sum(
            work.progress[month][item]
            for work in works
            if month in work.progress and (work.code, month) not in skip
            for item in items
        )
    return out
