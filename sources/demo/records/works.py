"""土地综合整治工程 (projects/土地综合整治工程.json) and their monthly progress
(projects/整治工程月度进展_YYYYMM.csv, 2023-01 … 2025-12).

003 §一(二) sets city targets for 2027: 65 works, 10 跨乡镇, 永农集中连片整治 10万亩, 高标准农田 (新建 and
改造提升) 6万亩, 建设用地复垦 2万亩, 补充耕地 1万亩, 低效用地整治 1万亩. The plan period is 2023–2027, so
the linear pace in month m (2023-01 = 1 … 2025-12 = 36) is target × m / 60. The works are laid out so
that, in every month, the city is clearly ahead of that pace (≥ 1.15 ×) on works (counted as accepted —
and so also as started), 跨乡镇 works, 永农连片, 高标准农田 and 补充耕地, and clearly behind (≤ 0.85 ×) on
建设用地复垦 and 低效用地整治: the planted PR19 pace findings. Works running before 2023 (the national
pilots) give the early months their head start; they did no 复垦 or 低效用地 work.

Also planted: PR19 — a work named 跨乡镇 whose 涉及乡镇 lists one township; DQ11 — a cumulative figure
that falls one month and comes back the next, and a work reporting 112% of a planned item at the end.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from sources.demo.records.delivery import GBK, UTF8, UTF8_BOM, iso, mu, slash
from sources.demo.records.model import CsvFile, JsonFile, days, planted, random_day
from sources.demo.records.params import parameters
from sources.demo.region import REGION_CODE, counties, township_code, township_name
from sources.records import PLAN_ITEMS, record_kind

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
BEHIND = ("建设用地复垦亩", "低效用地整治亩")
PLAN_MONTHS = 60  # 2023-01 … 2027-12
MONTHS = 36  # reported: 2023-01 … 2025-12
AHEAD_MIN, BEHIND_MAX = 1.15, 0.85  # ratios to pace the layout guarantees in every month
N_ACCEPTED, N_RUNNING, N_RESERVE = 45, 15, 3
LATE_START = 7  # works with 复垦 / 低效用地 items start in 2023-07 or later
_PLAN_DRAWS = {  # item → (probability, low, high) 亩
    "永农集中连片整治亩": (0.9, 800, 3_000),
    "高标准农田新建亩": (0.7, 300, 1_500),
    "高标准农田改造提升亩": (0.6, 200, 1_200),
    "建设用地复垦亩": (0.7, 50, 600),
    "补充耕地亩": (0.7, 30, 400),
    "低效用地整治亩": (0.6, 50, 500),
}
_ITEM_COLUMNS = {item: item.removesuffix("亩") + "累计完成(亩)" for item in PLAN_ITEMS}


def month_of(month: int) -> tuple[int, int]:
    """Month index (2023-01 = 1; 0 = 2022-12, negative further back) → (year, month)."""
    ym = 2022 * 12 + 11 + month
    return ym // 12, ym % 12 + 1


def month_index(day: date) -> int:
    return (day.year * 12 + day.month - 1) - (2022 * 12 + 11)


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


def _layout(rng: np.random.Generator) -> list[Work]:
    county_cycle = [division for division in counties()]
    works: list[Work] = []

    def new_work(
        cross: bool, started: int | None, ends: int | None, accepted: bool, single_named_cross=False
    ) -> Work:
        county = county_cycle[len(works) % len(county_cycle)]
        township = int(rng.integers(county.n_townships))
        if cross:
            n_townships = int(rng.integers(2, 4))
            township = min(township, county.n_townships - n_townships)
            towns = [township_code(county, township + position) for position in range(n_townships)]
        else:
            towns = [township_code(county, township)]
        label = "跨乡镇" if (cross or single_named_cross) else ""
        name = f"{county.name}{township_name(county, township)}{label}全域土地综合整治与生态修复工程"
        return Work("", name, county.code, towns, "", started, ends, accepted)

    for rank in range(1, N_ACCEPTED + 1):
        ends = max(0, math.floor((rank - 1.5) / 1.2))
        started = ends - int(rng.integers(10, 23))
        works.append(new_work((rank - 1) % 5 == 0, started, ends, True))
    for position in range(N_RUNNING):
        started = 15 + round(position * 19 / (N_RUNNING - 1))
        works.append(new_work(position in (3, 9), started, started + int(rng.integers(18, 25)), False))
    works.append(new_work(False, 20, 20 + 22, False, single_named_cross=True))  # planted PR19
    for _ in range(N_RESERVE):
        works.append(new_work(False, None, None, False))
    return works


def _plans(works: list[Work], rng: np.random.Generator) -> None:
    for work in works:
        for item, (probability, low, high) in _PLAN_DRAWS.items():
            late_item = item in ("建设用地复垦亩", "低效用地整治亩")
            allowed = not late_item or (work.started is not None and work.started >= LATE_START)
            work.plan[item] = (
                round(float(rng.uniform(low, high)), 1) if allowed and rng.random() < probability else 0.0
            )
        work.completion = float(rng.uniform(0.97, 1.0)) if work.accepted else 1.0
        work.unit_cost = float(rng.uniform(0.15, 0.35))


def _fill_progress(work: Work) -> None:
    work.progress, work.investment = {}, {}
    if work.started is None:
        return
    total_plan = sum(work.plan.values()) or 1.0
    for month in range(max(1, work.started), MONTHS + 1):
        share = min(1.0, (month - work.started + 1) / (work.ends - work.started + 1)) * work.completion
        values = {item: math.floor(work.plan[item] * share * 100) / 100 for item in PLAN_ITEMS}
        work.progress[month] = values
        work.investment[month] = (
            math.floor(work.total_investment * sum(values.values()) / total_plan * 100) / 100
        )


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


def _scale_to_pace(works: list[Work]) -> None:
    """Scale each target's planned items so the city is ahead of (or, for BEHIND, behind) pace every month."""
    for work in works:
        _fill_progress(work)
    for key, items in AREA_TARGETS.items():
        ratios = [city_progress(works, month)[key] / pace(key, month) for month in range(1, MONTHS + 1)]
        if key in BEHIND:
            factor = min(1.0, 0.75 / max(ratios)) if max(ratios) > 0 else 1.0
        else:
            factor = max(1.0, 1.25 / min(ratios))
        for work in works:
            for item in items:
                work.plan[item] = round(work.plan[item] * factor, 1)
    for work in works:
        _fill_progress(work)


def _dates(works: list[Work], rng: np.random.Generator) -> None:
    per_county: dict[tuple[str, str], int] = {}
    for work in works:
        if work.started is not None:
            year, mo = month_of(work.started)
            work.started_on = random_day(rng, date(year, mo, 1), date(year, mo, 28))
        if work.accepted:
            year, mo = month_of(work.ends)
            work.accepted_on = random_day(rng, date(year, mo, 1), date(year, mo, 28))
            filed = work.accepted_on + days(rng.integers(20, 60))
            work.filed_on = filed if filed <= date(2025, 12, 31) else None
        if work.started is None:
            work.status = "储备"
        elif work.accepted:
            work.status = "备案" if work.filed_on else "验收"
        else:
            work.status = "立项" if work.started >= MONTHS - 1 else "实施"
        label = str(work.started_on.year) if work.started_on else "CB"  # CB: 储备, not yet started
        key = (work.county, label)
        per_county[key] = per_county.get(key, 0) + 1
        work.code = f"TZ{work.county}-{label}-{per_county[key]:02d}"


def build_works(rng: np.random.Generator) -> tuple[JsonFile, list[CsvFile], list[dict], dict]:
    works = _layout(rng)
    _plans(works, rng)
    _scale_to_pace(works)
    _dates(works, rng)
    works.sort(key=lambda work: (work.started_on or date(2100, 1, 1), work.code))
    entries: list[dict] = []

    # DQ11: a dip in one month on a work still ramping up; 112% of a planned item at the end.
    max_ratio = float(parameters("DQ11")["max_plan_ratio"])
    item = "永农集中连片整治亩"
    # (work, month of 2024) where the work is still ramping up from the month before to the one after
    ramping = [
        (work, month)
        for work in works
        if work.started is not None and work.plan[item] > 0
        for month in range(13, 25)
        if work.started <= month - 2 and month + 1 <= work.ends
    ]
    dip_work, dip_month = ramping[int(rng.integers(len(ramping)))]
    before = dip_work.progress[dip_month - 1][item]
    dip_work.progress[dip_month][item] = math.floor(before * 0.9 * 100) / 100
    over_candidates = [
        work
        for work in works
        if work.accepted and work.ends <= 30 and work.plan["高标准农田新建亩"] > 0 and work is not dip_work
    ]
    over_work = over_candidates[int(rng.integers(len(over_candidates)))]
    over_item = "高标准农田新建亩"
    over_work.progress[MONTHS][over_item] = round(over_work.plan[over_item] * 1.12, 2)

    # The monthly files.
    encodings = {2023: GBK, 2024: UTF8_BOM, 2025: UTF8}
    header = list(PROGRESS.columns)
    files: list[CsvFile] = []
    for month in range(1, MONTHS + 1):
        month_year, mo = month_of(month)
        rel = f"projects/{PROGRESS.title_zh}_{month_year}{mo:02d}.csv"
        month_text = f"{month_year}年{mo}月" if month_year == 2023 else f"{month_year}-{mo:02d}"
        rows = []
        for work in works:
            if month not in work.progress:
                continue
            values = work.progress[month]
            rows.append(
                [
                    work.code,
                    month_text,
                    *[mu(values[item], 2) for item in PLAN_ITEMS],
                    f"{work.investment[month]:.2f}",
                ]
            )
            if (work is dip_work and month == dip_month) or (work is over_work and month == MONTHS):
                dip = work is dip_work
                entries.append(
                    planted(
                        "DQ11",
                        "consolidation_work",
                        work.code,
                        work.county,
                        month_year,
                        PROGRESS.table,
                        {
                            "source_file": rel,
                            "source_row": 1 + len(rows),
                            "month": f"{month_year}-{mo:02d}",
                            "item": _ITEM_COLUMNS[item if dip else over_item],
                            **(
                                {"previous": before, "value": values[item]}
                                if dip
                                else {
                                    "plan": work.plan[over_item],
                                    "value": values[over_item],
                                    "max_plan_ratio": max_ratio,
                                }
                            ),
                        },
                    )
                )
        files.append(CsvFile(PROGRESS.table, rel, header, rows, encodings[month_year]))

    # PR19: the 跨乡镇 work with one township.
    single = next(work for work in works if "跨乡镇" in work.name and len(work.townships) < 2)
    entries.append(
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
    )

    # PR19: the targets behind pace, per year (every month of it), and the monthly table for the truth.
    skip = {(dip_work.code, dip_month), (over_work.code, MONTHS)}  # the DQ11 rows, quarantined
    table = []
    for month in range(1, MONTHS + 1):
        got, got_clean = city_progress(works, month), city_progress(works, month, skip)
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
                ok = ratio <= BEHIND_MAX if key in BEHIND else ratio >= AHEAD_MIN
                if not ok:
                    raise RuntimeError(f"PR19 layout: {key} in {month_year}-{mo:02d} at {ratio:.2f} of pace")
    for key in BEHIND:
        for year in (2023, 2024, 2025):
            rows = [row for row in table if row["target"] == key and row["month"].startswith(str(year))]
            entries.append(
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

    document = {
        "导出时间": "2026-01-05 09:30:00",
        "数据来源": "浙江省国土空间生态修复项目监管系统",
        "工程总数": len(works),
        "工程列表": [_work_json(work, position) for position, work in enumerate(works)],
    }
    truth = {
        "targets": {key: {"target_2027": target, "behind": key in BEHIND} for key, target in TARGETS.items()},
        "pace": "target × m / 60, m = 1 for 2023-01 (plan period 2023-01 … 2027-12)",
        "counting": "works = accepted (整体验收) by the month; 跨乡镇 = ≥ 2 townships in 涉及乡镇; "
        "areas = Σ 累计完成 reported that month (高标准农田 = 新建 + 改造提升)",
        "monthly": table,
    }
    return JsonFile(WORKS.table, f"projects/{WORKS.title_zh}.json", document), files, entries, truth


def _work_json(work: Work, position: int) -> dict:
    date_text = iso if position % 3 else slash  # one system writes 2024/3/5
    return {
        "工程编号": work.code,
        "工程名称": work.name,
        "县级行政区代码": work.county,
        "涉及乡镇": work.townships,
        "状态": work.status,
        "立项日期": date_text(work.started_on) or None,
        "整体验收日期": date_text(work.accepted_on) or None,
        "备案日期": date_text(work.filed_on) or None,
        "计划": {item: work.plan[item] for item in PLAN_ITEMS},
        "总投资万元": work.total_investment,
    }
