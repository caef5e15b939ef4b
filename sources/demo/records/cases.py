"""违法用地案件 (enforcement cases) and the 田长名册 (field-chief roster).

Cases: a few per county and year in villages that hold 耕地, of the six 非农化 and four 非粮化 problem
types of 002 §三(四)3 (plus 其他违法占地). Most are rectified and closed (销号) within the year or the
next; some are still open. A case is open at the end of year Y when it was found by then and not yet
销号 — the compensation ledger withholds 20% from such a village that year (funds.py), so PR18 holds
everywhere except at the planted village, whose case found in October 2025 is open at year end while the
village is paid in full (case_plants.py). Planted DQ10: a case whose 销号日期 precedes its 发现日期
(quota_plants.py, with its project).

Cases of the survey's findings (lifecycle.py): the PR10 pieces of the records and the PR09/PR11 findings
of the survey each get their own case — or none — so that, in the latest year, the findings show every
colour of the lifecycle (yellow no case, red 立案, blue 整改, green 销号). No other case lies in a
finding's village, so none can be matched to a finding by accident.

Roster: one 市 田长, one per county (but the planted PR21 county), one per township, one per village
holding 永农 (but the planted PR21 village): roster_plants.py.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np

from sources.demo.records.model import days, random_day
from sources.demo.records.people import mobile, person_name
from sources.demo.records.roster_plants import plant_pr21_field_chief_missing
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
NON_AGRICULTURAL, NON_GRAIN, OTHER = PROBLEM_TYPES[:6], PROBLEM_TYPES[6:10], PROBLEM_TYPES[10]
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


def villages_every_year(survey: Survey) -> list[str]:
    """Villages holding at least MIN_VILLAGE_C of 耕地 in every year of the register (where the planted
    cases go), sorted."""
    farmland = survey.village_farmland
    return sorted(
        village
        for village in farmland[2025]
        if all(farmland[year].get(village, (0, 0))[0] >= MIN_VILLAGE_C for year in YEARS)
    )


def build_cases(
    survey: Survey,
    rng: np.random.Generator,
    planted_at: dict[str, tuple[str, Callable[[np.random.Generator], Case]]],
    findings: Sequence = (),
    fates: dict | None = None,
) -> tuple[list[Case], dict[str, Case], dict[tuple[str, str], Case]]:
    """(cases in file order, planted: rule → its case, (rule, entity id) → the case made for a finding).
    `planted_at`: rule → (village, the step that files its case, drawing from `rng` after the routine
    cases); `findings` (lifecycle.Finding) with their `fates` (plan_fates) get their own cases, and no
    other case goes to their villages or the planted ones."""
    farmland = survey.village_farmland
    reserved = {village for village, _ in planted_at.values()} | {finding.village for finding in findings}
    cases: list[Case] = []
    for year in YEARS:
        for county in counties():
            pool = [
                village_code
                for village_code, (case, _) in farmland[year].items()
                if case > 0 and village_code[:6] == county.code and village_code not in reserved
            ]
            for _ in range(int(rng.integers(3, 7))):
                village = pool[int(rng.integers(len(pool)))]
                found = random_day(rng, date(year, 1, 5), date(year, 12, 20))
                cases.append(_case(rng, county.code, village, found))
    planted = {rule: file_case(rng) for rule, (_, file_case) in planted_at.items()}
    cases += planted.values()
    cases.sort(key=lambda case: (case.county, case.found.year, case.found, case.village))
    per_key: dict[tuple[str, int], int] = {}
    for case in cases:
        key = (case.county, case.found.year)
        per_key[key] = per_key.get(key, 0) + 1
        case.number = f"WF{case.county}-{case.found.year}-{per_key[key]:03d}"
    # Cases taken up from the survey's findings are filed after the register's routine cases: they take
    # the next numbers of their county and year, so no routine case changes its number.
    tied = {key: case for key, case in _finding_cases(findings, fates or {}, rng).items() if case is not None}
    for case in sorted(tied.values(), key=lambda case: (case.county, case.found, case.village)):
        key = (case.county, case.found.year)
        per_key[key] = per_key.get(key, 0) + 1
        case.number = f"WF{case.county}-{case.found.year}-{per_key[key]:03d}"
    cases += tied.values()
    cases.sort(key=lambda case: (case.county, case.found.year, case.found, case.village))
    return cases, planted, tied


# ------------------------------------------------------------------------------- cases of findings

# What becomes of a finding: no case (yellow); a case 立案 and nothing done (red); 整改中 (red, blue in
# the latest year by its status); 已整改 (blue once rectified); 已销号 (green once closed).
NO_CASE, CASE_OPEN, CASE_RECTIFYING, CASE_RECTIFIED, CASE_CLOSED = (
    "no case", "open", "rectifying", "rectified", "closed"
)  # fmt: skip
SURVEY_FATES = (
    NO_CASE,
    CASE_CLOSED,
    CASE_RECTIFYING,
    CASE_OPEN,
)  # in turn, findings of the survey in their order
MIN_RUNWAY = 20  # days a case needs between 发现 and the horizon to be rectified (and closed)


def plan_fates(findings: Sequence, given: dict, avoid_village: str) -> dict:
    """(rule, entity id) → fate: `given` for the record's own findings (PR10), the survey's in turn
    through SURVEY_FATES. One case per village at most, none in `avoid_village` (the PR18 village, whose
    only open case must stay the planted one), so that no case can match a finding it was not made for."""
    fates, used, turn = {}, {avoid_village}, 0
    for finding in sorted(findings, key=lambda finding: finding.order()):
        key = (finding.rule_id, finding.entity_id)
        if key in given:
            fate = given[key]
        else:
            fate = SURVEY_FATES[turn % len(SURVEY_FATES)]
            turn += 1
        if finding.village in used:
            fate = NO_CASE
        if fate != NO_CASE:
            used.add(finding.village)
        fates[key] = fate
    return fates


def _problem(finding) -> str:
    if finding.rule_id == "PR10":
        return "违规占用耕地从事非农建设"
    if finding.rule_id == "PR11":
        return "闲置荒芜永久基本农田" if finding.what == "WG" else "占用永久基本农田种植苗木花卉草皮"
    if finding.what.startswith("02"):
        return "占用永久基本农田种植水果茶叶等多年生经济作物"
    if finding.what == "1104":
        return "占用永久基本农田挖塘养殖"
    if finding.what[:2] in ("03", "04"):
        return "占用永久基本农田种植苗木花卉草皮"
    return OTHER


def _finding_cases(findings: Sequence, fates: dict, rng: np.random.Generator) -> dict:
    """(rule, entity id) → the case made for the finding (None when it stays unfiled)."""
    out: dict = {}
    for finding in sorted(findings, key=lambda finding: finding.order()):
        key = (finding.rule_id, finding.entity_id)
        fate = fates.get(key, NO_CASE)
        start, end = finding.window
        found = min(start + days(rng.integers(15, 45)), end, HORIZON)
        runway = (HORIZON - found).days
        if fate in (CASE_RECTIFIED, CASE_CLOSED) and runway < MIN_RUNWAY:
            fate = CASE_OPEN
        if fate == NO_CASE or found < start:
            out[key] = None
            continue
        rectified = closed = None
        if fate == CASE_CLOSED:
            rectified = found + days(min(runway // 2, 420))
            closed = rectified + days(min((HORIZON - rectified).days * 2 // 3, 240))
        elif fate == CASE_RECTIFIED:
            rectified = found + days(min(runway * 3 // 4, 420))
        status = {
            CASE_OPEN: "立案",
            CASE_RECTIFYING: "整改中",
            CASE_RECTIFIED: "已整改",
            CASE_CLOSED: "已销号",
        }[fate]
        cultivated = round(finding.cultivated_mu, 2)
        out[key] = Case(
            "",
            "巡查" if finding.rule_id == "PR11" else "卫片执法",
            found,
            finding.village[:6],
            finding.village,
            _problem(finding),
            round(max(cultivated * float(rng.uniform(1.0, 1.2)), cultivated), 2),
            cultivated,
            round(min(finding.pbf_mu, cultivated), 2),
            status,
            rectified,
            closed,
        )
    return out


def withheld(cases: list[Case], planted_pr18: Case) -> set[tuple[str, int]]:
    """(village, year) whose compensation is cut: a case (other than the planted one) open at year end."""
    out = set()
    for case in cases:
        if case is planted_pr18:
            continue
        for year in YEARS:
            if case.open_at(year):
                out.add((case.village, year))
    return out


def build_roster(survey: Survey, rng: np.random.Generator) -> tuple[list[Chief], dict[str, str]]:
    """(the roster, planted: PR21 county code and village code): every level but where PR21 is planted."""
    pr21_county, pr21_village = plant_pr21_field_chief_missing(survey, rng)
    holding = sorted(survey.villages_holding_pbf)

    def chief(level: str, code: str) -> Chief:
        return Chief(
            level, code, person_name(rng), mobile(rng), random_day(rng, date(2021, 3, 1), date(2023, 6, 30))
        )

    roster = [chief("市", REGION_CODE)]
    for county in counties():
        if county.code != pr21_county:
            roster.append(chief("县", county.code))
        roster += [chief("镇", township_code(county, township)) for township in range(county.n_townships)]
    roster += [chief("村", village) for village in holding if village != pr21_village]
    return roster, {"county": pr21_county, "village": pr21_village}
