"""Suspected violations the survey shows, matched to the enforcement cases (违法用地案件) that deal with them,
and the status colour of each finding at every year end (the warehouse's case_lifecycle holds each finding
once, in the year it was first found, and case_progress its colour at every year end).

Findings: PR09 and PR11 of the survey section of the manifest (read generically: whatever the survey
generator planted) and the PR10 pieces of the records (ground.py). A finding opens on its change date
(PR09, PR10: the piece's GXSJ; PR11: 1 January of the first survey year the parcel breaks the rule).
The warehouse (marts/findings/case_lifecycle.sql) takes the first choice of each finding and gives a case
chosen twice to the earlier finding; here findings choose in turn. The two agree whenever no two
findings compete for a case, which cases.py ensures (one case at most per finding's village).

Matching: a case matches a finding when it lies in the same village (村代码), its 问题类型 fits the rule
(PR10: the six 非农化 types or 其他违法占地; PR09, PR11: the four 非粮化 types or 其他违法占地), and it was
found between the change date and 31 December of the year after. Among candidates the one whose 其中耕地
is closest to the finding's 耕地 wins, then the earliest 发现日期, then the smallest 案件编号; each case
matches one finding at most, findings taken in order of change date, then entity id.

Colour at the end of year Y (from the finding's year to the latest survey year):
yellow — no matched case found by then (suspected); red — found, not 整改完成 by then (confirmed), but
blue in the latest year when the case's current 状态 is 整改中; blue — 整改完成 by then and not 销号
(rectifying); green — 销号 by then (closed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from sources.demo.landclasses import CULTIVATED
from sources.demo.records.cases import NON_AGRICULTURAL, NON_GRAIN, OTHER, Case
from sources.demo.records.survey import Survey, cents_to_mu

LATEST = 2025
IDLE = "WG"  # 撂荒: PR11 flags it wherever it lies
SURVEY_RULES = {"PR09": "change_record", "PR11": "parcel"}
COMPATIBLE = {
    "PR09": (*NON_GRAIN, OTHER),
    "PR10": (*NON_AGRICULTURAL, OTHER),
    "PR11": (*NON_GRAIN, OTHER),
}
YELLOW, RED, BLUE, GREEN = "yellow", "red", "blue", "green"


@dataclass(frozen=True)
class Finding:
    rule_id: str
    entity_id: str
    county: str
    village: str  # 12-digit 村代码
    opened: date  # the change date
    cultivated_mu: float
    pbf_mu: float = 0.0
    what: str = ""  # the land class it turned into (PR09, PR10) or its 种植属性 (PR11)

    @property
    def year(self) -> int:
        return self.opened.year

    @property
    def window(self) -> tuple[date, date]:
        """When a case dealing with it may have been found."""
        return self.opened, date(self.opened.year + 1, 12, 31)

    def order(self) -> tuple[date, str]:
        return self.opened, self.entity_id


def survey_findings(demo, survey: Survey) -> list[Finding]:
    """PR09 change records and PR11 parcels of `demo.manifest["planted"]`, one finding per entity. A
    parcel may be listed once per survey year it breaks the rule (or once, for the latest year): it opens
    in the first year listed, or earlier when the survey shows it idle (WG, a finding wherever it lies)
    before that; its village and 耕地 are those of the latest year listed."""
    entries: dict[tuple[str, str], list[dict]] = {}
    for entry in demo.manifest["planted"]:
        if SURVEY_RULES.get(entry["rule_id"]) == entry["entity_type"]:
            entries.setdefault((entry["rule_id"], str(entry["entity_id"])), []).append(entry)
    pieces = {change_piece.after_bsm: change_piece for change_piece in survey.pieces}
    out = []
    for (rule, entity), listed in sorted(entries.items()):
        latest = max(listed, key=lambda entry: entry["year"])
        detail = latest.get("detail") or {}
        if rule == "PR09":
            piece = pieces[int(entity)]
            opened = date.fromisoformat(detail["changed_on"]) if "changed_on" in detail else piece.changed_on
            cultivated = float(detail.get("cultivated_mu", piece.before_mu))
            village = str(detail.get("village", piece.village))
            out.append(
                Finding(
                    rule, entity, latest["admin_code"], village, opened, cultivated, cultivated, piece.after
                )
            )
            continue
        first = min([entry["year"] for entry in listed] + _idle_years(survey, int(entity)))
        village, cultivated, planting = _parcel_facts(survey, int(entity), latest["year"])
        out.append(
            Finding(
                rule,
                entity,
                latest["admin_code"],
                str(detail.get("village", village)),
                date(first, 1, 1),
                float(detail.get("cultivated_mu", cultivated)),
                _pbf_mu(detail),
                str(detail.get("zzsxdm", planting)),
            )
        )
    return out


def _idle_years(survey: Survey, bsm: int) -> list[int]:
    """Survey years whose state shows the parcel as 耕地 left idle (ZZSXDM WG)."""
    out = []
    for year in range(2022, LATEST + 1):
        state = survey.state(year)
        rows = np.flatnonzero(state["BSM"] == bsm)
        if len(rows) and str(state["DLBM"][rows[0]]) in CULTIVATED and state["ZZSXDM"][rows[0]] == IDLE:
            out.append(year)
    return out


def _parcel_facts(survey: Survey, bsm: int, year: int) -> tuple[str, float, str]:
    """(village, 耕地 in 亩, ZZSXDM) of a parcel in the state of `year`."""
    state = survey.state(year)
    rows = np.flatnonzero(state["BSM"] == bsm)
    if not len(rows):
        raise KeyError(f"PR11 parcel {bsm} is not in the survey state of {year}")
    row = rows[0]
    return str(state["ZLDWDM"][row])[:12], cents_to_mu(state["TBDLMJ_C"][row]), str(state["ZZSXDM"][row])


def _pbf_mu(detail: dict) -> float:
    """耕地 of a PR11 parcel inside 永农 when the survey says so (not for land only in a 功能区)."""
    if "YJJBNT" in detail.get("protected_by", []):
        return float(detail.get("inside_mu", 0.0))
    return 0.0


def match(findings: list[Finding], cases: list[Case]) -> dict[tuple[str, str], Case | None]:
    """(rule, entity id) → the case dealing with the finding, or None."""
    taken: set[str] = set()
    out: dict[tuple[str, str], Case | None] = {}
    for finding in sorted(findings, key=Finding.order):
        start, end = finding.window
        candidates = [
            case
            for case in cases
            if case.number not in taken
            and case.village == finding.village
            and case.problem in COMPATIBLE[finding.rule_id]
            and start <= case.found <= end
        ]
        best = min(
            candidates,
            key=lambda case: (abs(case.cultivated - finding.cultivated_mu), case.found, case.number),
            default=None,
        )
        if best is not None:
            taken.add(best.number)
        out[(finding.rule_id, finding.entity_id)] = best
    return out


def colour(case: Case | None, year: int) -> str:
    end = date(year, 12, 31)
    if case is None or case.found > end:
        return YELLOW
    if case.closed is not None and case.closed <= end:
        return GREEN
    if case.rectified is not None and case.rectified <= end:
        return BLUE
    if year == LATEST and case.status == "整改中":
        return BLUE
    return RED


def lifecycle(findings: list[Finding], cases: list[Case]) -> list[dict]:
    """The manifest truth: per finding, its case (or None) and its colour at every year end."""
    matched = match(findings, cases)
    out = []
    for finding in sorted(findings, key=Finding.order):
        case = matched[(finding.rule_id, finding.entity_id)]
        out.append(
            {
                "rule_id": finding.rule_id,
                "entity_id": finding.entity_id,
                "case_number": None if case is None else case.number,
                "colours": {str(year): colour(case, year) for year in range(finding.year, LATEST + 1)},
            }
        )
    return out
