"""违法用地案件 (enforcement cases) and the 田长名册 (field-chief roster).

Cases: a few per county and year in villages that hold 耕地, of the six 非农化 and four 非粮化 problem
types of 002 §三(四)3 (plus 其他违法占地). Most are rectified and closed (销号) within the year or the
next; some are still open. A case is open at the end of year Y when it was found by then and not yet
销号 — the compensation ledger withholds 20% from such a village that year (funds.py), so PR18 holds
everywhere except at the planted village, whose case found in October 2025 is open at year end while the
village is paid in full. Planted DQ10: a case whose 销号日期 precedes its 发现日期.

Roster: one 市 田长, one per county (but the planted PR21 county), one per township, one per village
holding 永农 (but the planted PR21 village).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from sources.demo.records.model import days, random_day
from sources.demo.records.people import mobile, person_name
from sources.demo.records.survey import Survey
from sources.demo.region import REGION_CODE, counties, township_code

PROBLEM_TYPES = (
    # 耕地"非农化" (six)
    "违规占用耕地绿化造林",
    "占用耕地超标准建设绿色通道",
    "违规占用耕地挖湖造景",
    "乱占永久基本农田扩大自然保护地",
    "违规占用耕地从事非农建设",
    "违法违规批地用地",
    # 耕地"非粮化" (four)
    "占用永久基本农田种植苗木花卉草皮",
    "占用永久基本农田种植水果茶叶等多年生经济作物",
    "占用永久基本农田挖塘养殖",
    "闲置荒芜永久基本农田",
    "其他违法占地",
)
DISCOVERY_SOURCES = ("卫片执法", "巡查", "举报", "铁塔探头")
OPEN = ("立案", "整改中")
YEARS = (2023, 2024, 2025)
HORIZON = date(2025, 12, 31)
MIN_VILLAGE_C = 10 / 0.0015 * 100  # 10 亩 of 耕地, in hundredths of m²


@dataclass
class Case:
    number: str
    source: str
    found: date
    county: str
    village: str
    problem: str
    area: float  # 亩
    cultivated: float
    pbf: float
    status: str
    rectified: date | None
    closed: date | None

    def open_at(self, year: int) -> bool:
        end = date(year, 12, 31)
        return self.found <= end and (self.closed is None or self.closed > end)


@dataclass
class Chief:
    level: str  # 市 / 县 / 镇 / 村
    code: str
    name: str
    phone: str
    since: date


def _case(rng, county: str, village: str, found: date) -> Case:
    area = round(float(rng.uniform(0.3, 12.0)), 2)
    cultivated = round(area * float(rng.uniform(0.3, 1.0)), 2)
    pbf = round(cultivated * float(rng.uniform(0.2, 1.0)), 2) if rng.random() < 0.25 else 0.0
    draw = rng.random()
    year_end = date(found.year, 12, 31)
    rectified = closed = None
    if draw < 0.5:  # closed within the year
        rectified = min(found + days(rng.integers(15, 60)), year_end - days(12))
        closed = min(rectified + days(rng.integers(5, 30)), year_end)
        if rectified < found:
            rectified, closed = None, None
    if rectified is None and draw < 0.8 and found.year < 2025:  # open over New Year, closed next year
        rectified = date(found.year + 1, 1, 1) + days(rng.integers(10, 120))
        closed = rectified + days(rng.integers(10, 40))
    if rectified is None and draw < 0.9:  # rectified, not yet 销号
        rectified = max(found, date(found.year, 12, 31) + days(rng.integers(1, 60)))
        if rectified > HORIZON:
            rectified = None
    status = "已销号" if closed else ("已整改" if rectified else str(rng.choice(OPEN)))
    return Case(
        "",
        str(rng.choice(DISCOVERY_SOURCES)),
        found,
        county,
        village,
        str(rng.choice(PROBLEM_TYPES)),
        area,
        cultivated,
        pbf,
        status,
        rectified,
        closed,
    )


def build_cases(survey: Survey, rng: np.random.Generator) -> tuple[list[Case], dict[str, object]]:
    """(cases in file order, planted: PR18 village/case, DQ10 case)."""
    farmland = survey.village_farmland
    reserved: set[str] = set()
    everywhere = sorted(
        v for v in farmland[2025] if all(farmland[y].get(v, (0, 0))[0] >= MIN_VILLAGE_C for y in YEARS)
    )
    # The planted villages hold 耕地 every year and get no other case.
    pr18_village = everywhere[int(rng.integers(len(everywhere)))]
    dq10_village = next(v for v in everywhere[len(everywhere) // 2 :] if v[:6] != pr18_village[:6])
    reserved |= {pr18_village, dq10_village}
    cases: list[Case] = []
    for year in YEARS:
        for county in counties():
            pool = [
                v
                for v, (c, _) in farmland[year].items()
                if c > 0 and v[:6] == county.code and v not in reserved
            ]
            for _ in range(int(rng.integers(3, 7))):
                village = pool[int(rng.integers(len(pool)))]
                found = random_day(rng, date(year, 1, 5), date(year, 12, 20))
                cases.append(_case(rng, county.code, village, found))
    pr18 = Case(
        "",
        "卫片执法",
        date(2025, 10, 1) + days(rng.integers(0, 40)),
        pr18_village[:6],
        pr18_village,
        "违规占用耕地从事非农建设",
        1.85,
        1.62,
        0.0,
        "立案",
        None,
        None,
    )
    dq10 = Case(
        "",
        "巡查",
        date(2024, 6, 10),
        dq10_village[:6],
        dq10_village,
        "违规占用耕地挖湖造景",
        0.86,
        0.86,
        0.0,
        "已销号",
        date(2024, 7, 2),
        date(2024, 3, 15),
    )
    cases += [pr18, dq10]
    cases.sort(key=lambda c: (c.county, c.found.year, c.found, c.village))
    per_key: dict[tuple[str, int], int] = {}
    for c in cases:
        key = (c.county, c.found.year)
        per_key[key] = per_key.get(key, 0) + 1
        c.number = f"WF{c.county}-{c.found.year}-{per_key[key]:03d}"
    return cases, {"PR18": pr18, "DQ10": dq10}


def withheld(cases: list[Case], planted_pr18: Case) -> set[tuple[str, int]]:
    """(village, year) whose compensation is cut: a case (other than the planted one) open at year end."""
    out = set()
    for c in cases:
        if c is planted_pr18:
            continue
        for year in YEARS:
            if c.open_at(year):
                out.add((c.village, year))
    return out


def build_roster(survey: Survey, rng: np.random.Generator) -> tuple[list[Chief], dict[str, str]]:
    """(the roster, planted: PR21 county code and village code)."""
    codes = [c.code for c in counties()]
    pr21_county = codes[int(rng.integers(len(codes)))]
    holding = sorted(survey.villages_holding_pbf)
    big = [
        v
        for v, (_, pbf) in survey.village_farmland[2025].items()
        if pbf * 15 / 1_000_000 >= 50 and v in survey.villages_holding_pbf and v[:6] != pr21_county
    ]
    pr21_village = sorted(big)[int(rng.integers(len(big)))]

    def chief(level: str, code: str) -> Chief:
        return Chief(
            level, code, person_name(rng), mobile(rng), random_day(rng, date(2021, 3, 1), date(2023, 6, 30))
        )

    roster = [chief("市", REGION_CODE)]
    for county in counties():
        if county.code != pr21_county:
            roster.append(chief("县", county.code))
        roster += [chief("镇", township_code(county, t)) for t in range(county.n_townships)]
    roster += [chief("村", v) for v in holding if v != pr21_village]
    return roster, {"county": pr21_county, "village": pr21_village}
