"""土地综合整治工程 (projects/土地综合整治工程.json) and their monthly progress
(projects/整治工程月度进展_YYYYMM.csv, 2023-01 … 2025-12).

The works against the 2027 city targets of 003 §一(二) (works_model.py): 45 accepted, 15 running, 3 in
reserve, their planned items scaled so that in every month the city is clearly ahead of or behind the
linear pace as PR19's plant lays out (works_plants.py), which also names one work 跨乡镇 wrongly. Works
running before 2023 (the national pilots) give the early months their head start. DQ11's plant alters
two works' progress.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np

from sources.demo.records.delivery import GBK, UTF8, UTF8_BOM, iso, mu, slash
from sources.demo.records.model import CsvFile, JsonFile, days, random_day
from sources.demo.records.works_model import (
    AREA_TARGETS,
    MONTHS,
    PROGRESS,
    TARGETS,
    WORKS,
    Work,
    city_progress,
    month_of,
    pace,
)
from sources.demo.records.works_plants import (
    RowEntry,
    plant_dq11_progress_inconsistent,
    plant_pr19_consolidation_behind_pace,
)
from sources.demo.region import counties, township_code, township_name
from sources.records import PLAN_ITEMS

N_ACCEPTED, N_RUNNING, N_RESERVE = 45, 15, 3
_PLAN_DRAWS = {  # item → (probability, low, high) 亩
    "永农集中连片整治亩": (0.9, 800, 3_000),
    "高标准农田新建亩": (0.7, 300, 1_500),
    "高标准农田改造提升亩": (0.6, 200, 1_200),
    "建设用地复垦亩": (0.7, 50, 600),
    "补充耕地亩": (0.7, 30, 400),
    "低效用地整治亩": (0.6, 50, 500),
}


def _layout(rng: np.random.Generator, misnamed_work: Callable[[Callable[..., Work]], Work]) -> list[Work]:
    """The works in the order the stream draws them: accepted, running, PR19's misnamed one (its
    step `misnamed_work`, given new_work), reserve."""
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
    works.append(misnamed_work(new_work))
    for _ in range(N_RESERVE):
        works.append(new_work(False, None, None, False))
    return works


def _plans(works: list[Work], rng: np.random.Generator, item_allowed: Callable[[str, Work], bool]) -> None:
    """Each work's planned items, those `item_allowed` (PR19's step) lets it plan drawn at random."""
    for work in works:
        for item, (probability, low, high) in _PLAN_DRAWS.items():
            allowed = item_allowed(item, work)
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


def _scale_to_pace(works: list[Work], pace_factor: Callable[[str, list[float]], float]) -> None:
    """Scale each target's planned items by `pace_factor` (PR19's step) of its ratios to pace by month."""
    for work in works:
        _fill_progress(work)
    for key, items in AREA_TARGETS.items():
        ratios = [city_progress(works, month)[key] / pace(key, month) for month in range(1, MONTHS + 1)]
        factor = pace_factor(key, ratios)
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
    pr19 = plant_pr19_consolidation_behind_pace()
    works = _layout(rng, pr19.misnamed_work)
    _plans(works, rng, pr19.item_allowed)
    _scale_to_pace(works, pr19.pace_factor)
    _dates(works, rng)
    works.sort(key=lambda work: (work.started_on or date(2100, 1, 1), work.code))
    dq11 = plant_dq11_progress_inconsistent(works, rng)
    files, entries = _monthly_files(works, dq11.entry)
    pr19_entries, table = pr19.entries(works, dq11.quarantined)
    entries += pr19_entries
    document = {
        "导出时间": "2026-01-05 09:30:00",
        "数据来源": "浙江省国土空间生态修复项目监管系统",
        "工程总数": len(works),
        "工程列表": [_work_json(work, position) for position, work in enumerate(works)],
    }
    truth = {
        "targets": {
            key: {"target_2027": target, "behind": key in pr19.behind} for key, target in TARGETS.items()
        },
        "pace": "target × m / 60, m = 1 for 2023-01 (plan period 2023-01 … 2027-12)",
        "counting": "works = accepted (整体验收) by the month; 跨乡镇 = ≥ 2 townships in 涉及乡镇; "
        "areas = Σ 累计完成 reported that month (高标准农田 = 新建 + 改造提升)",
        "monthly": table,
    }
    return JsonFile(WORKS.table, f"projects/{WORKS.title_zh}.json", document), files, entries, truth


def _monthly_files(works: list[Work], planted_row: RowEntry) -> tuple[list[CsvFile], list[dict]]:
    """The monthly progress files, and the entries `planted_row` (DQ11's step) gives their rows."""
    encodings = {2023: GBK, 2024: UTF8_BOM, 2025: UTF8}
    header = list(PROGRESS.columns)
    files: list[CsvFile] = []
    entries: list[dict] = []
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
            entry = planted_row(work, month, rel, 1 + len(rows))
            if entry:
                entries.append(entry)
        files.append(CsvFile(PROGRESS.table, rel, header, rows, encodings[month_year]))
    return files, entries


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
