"""Assemble every record file of SOURCES.md §2–§4 from a generated survey, check the planted outcomes,
and write the files.

    records = build_records(demo, seed)      # in memory: files, planted entries, truth
    written = write_records(landing, records)

Each generator draws from its own random stream ([seed, 100 + k]), apart from the survey's streams, so
the survey files are byte-for-byte what they were without records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sources.demo.checks import DemoInvariantError
from sources.demo.records import ground, ledger, lifecycle
from sources.demo.records.cases import (
    CASE_CLOSED,
    CASE_OPEN,
    CASE_RECTIFIED,
    build_cases,
    build_roster,
    plan_fates,
    planted_villages,
    withheld,
)
from sources.demo.records.delivery import (
    GBK,
    UTF8_BOM,
    amount,
    chinese,
    full_width,
    iso,
    mu,
    slash,
    write_boundaries,
    write_csv,
    write_json,
)
from sources.demo.records.fees import build_payments, fee_standards, highest
from sources.demo.records.funds import compensation_workbooks, maintenance_files
from sources.demo.records.model import CsvFile, JsonFile, LayerFile, XlsxFile, planted
from sources.demo.records.quota import build_quota
from sources.demo.records.quota_model import Approval, Quota, Supplement
from sources.demo.records.quota_plants import PR15_DAY
from sources.demo.records.supply import land_supply_workbooks
from sources.demo.records.survey import Survey
from sources.demo.records.works import build_works
from sources.demo.records.xlsx import write_xlsx
from sources.extract.records import discover_records
from sources.records import record_kind

SUPPLEMENTS = record_kind("supplement_projects")
APPROVALS = record_kind("land_approvals")
LINKS = record_kind("quota_links")
TRADES = record_kind("quota_trades")
CASES = record_kind("enforcement_cases")
CHIEFS = record_kind("field_chiefs")
FEES = record_kind("reclamation_fees")
STANDARDS = record_kind("reclamation_fee_standards")
SUPPLEMENT_BOUNDARIES = "projects/补充耕地项目范围.gpkg"
REDLINES = "projects/用地红线.gpkg"


@dataclass
class Records:
    files: list = field(default_factory=list)  # CsvFile | XlsxFile | JsonFile | LayerFile
    planted: list[dict] = field(default_factory=list)
    truth: dict = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        return sorted(file.rel for file in self.files)


def _stream(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, 100 + stage])


# ------------------------------------------------------------------------------------- quota files


def _supplement_row(supplement: Supplement) -> list[str]:
    return [
        supplement.code,
        supplement.name,
        supplement.kind,
        supplement.county,
        slash(supplement.started),
        slash(supplement.accepted),
        slash(supplement.stocked),
        mu(supplement.new_mu),
        mu(supplement.paddy_mu),
        str(supplement.capacity_kg),
        str(supplement.grade),
        mu(supplement.provincial_mu),
    ]


def _approval_row(approval: Approval) -> list[str]:
    return [
        approval.number,
        approval.name,
        approval.use,
        approval.county,
        iso(approval.approved),
        approval.level,
        mu(approval.occupied_mu),
        mu(approval.paddy_mu),
        mu(approval.pbf_mu),
        mu(approval.demo_mu),
        str(approval.grade),
        "是" if approval.promise else "否",
        iso(approval.deadline),
        iso(approval.reclaim_by),
        mu(approval.filed_mu) if approval.filed_mu is not None else "",
    ]


def _quota_files(quota: Quota) -> tuple[list, list[dict]]:
    entries: list[dict] = []
    supplements = sorted(quota.supplements, key=lambda supplement: (supplement.started, supplement.code))
    sup_header = [
        full_width(header) if "(" in header and position % 2 else header
        for position, header in enumerate(SUPPLEMENTS.columns)
    ]
    sup = CsvFile(
        SUPPLEMENTS.table,
        f"projects/{SUPPLEMENTS.title_zh}.csv",
        sup_header,
        [_supplement_row(supplement) for supplement in supplements],
        GBK,
    )
    dup = quota.duplicate_supplement
    sup.rows.append(_supplement_row(dup))
    first = sup.line(supplements.index(dup))
    entries.append(
        planted(
            "DQ07",
            "supplement_project",
            dup.code,
            dup.county,
            dup.stocked.year,
            SUPPLEMENTS.table,
            {
                "source_file": sup.rel,
                "source_row": sup.line(len(sup.rows) - 1),
                "first_row": first,
                "problem": "项目编号 delivered twice; the later row is the duplicate",
            },
        )
    )
    dq10 = quota.planted["DQ10"]
    entries.append(
        planted(
            "DQ10",
            "supplement_project",
            dq10.code,
            dq10.county,
            dq10.accepted.year,
            SUPPLEMENTS.table,
            {
                "source_file": sup.rel,
                "source_row": sup.line(supplements.index(dq10)),
                "立项日期": dq10.started.isoformat(),
                "验收日期": dq10.accepted.isoformat(),
                "problem": "验收日期 before 立项日期",
            },
        )
    )
    boundaries = LayerFile(
        SUPPLEMENT_BOUNDARIES,
        "项目编号",
        [supplement.code for supplement in supplements],
        [supplement.bounds for supplement in supplements],
    )

    approvals = sorted(quota.approvals, key=lambda approval: (approval.approved, approval.number))
    app = CsvFile(
        APPROVALS.table,
        f"projects/{APPROVALS.title_zh}.csv",
        list(APPROVALS.columns),
        [_approval_row(approval) for approval in approvals],
        UTF8_BOM,
    )
    dup_a = quota.duplicate_approval
    app.rows.append(_approval_row(dup_a))
    entries.append(
        planted(
            "DQ07",
            "approval",
            dup_a.number,
            dup_a.county,
            dup_a.approved.year,
            APPROVALS.table,
            {
                "source_file": app.rel,
                "source_row": app.line(len(app.rows) - 1),
                "first_row": app.line(approvals.index(dup_a)),
                "problem": "批准文号 delivered twice; the later row is the duplicate",
            },
        )
    )
    redlines = LayerFile(
        REDLINES,
        "批准文号",
        [approval.number for approval in approvals],
        [approval.bounds for approval in approvals],
    )

    link_rows = [
        [
            link.number,
            link.approval,
            link.project,
            chinese(link.on),
            mu(link.q_mu),
            mu(link.w_mu),
            str(link.c_kg),
        ]
        for link in quota.links
    ]
    links = CsvFile(LINKS.table, f"projects/{LINKS.title_zh}.csv", list(LINKS.columns), link_rows, GBK)
    orphan = quota.orphan_link
    entries.append(
        planted(
            "DQ13",
            "quota_link",
            orphan.number,
            orphan.fallback_county,
            orphan.on.year,
            LINKS.table,
            {
                "source_file": links.rel,
                "source_row": links.line(quota.links.index(orphan)),
                "批准文号": orphan.approval,
                "problem": "挂钩 to an approval that does not exist",
            },
        )
    )
    trade_rows = [
        [
            trade.number,
            trade.seller,
            trade.buyer,
            iso(trade.on),
            mu(trade.q_mu),
            mu(trade.w_mu),
            str(trade.c_kg),
            f"{trade.price:.1f}",
        ]
        for trade in quota.trades
    ]
    trades = CsvFile(
        TRADES.table, f"projects/{TRADES.title_zh}.csv", list(TRADES.columns), trade_rows, UTF8_BOM
    )
    return [sup, boundaries, app, redlines, links, trades], entries


def _linked(quota: Quota) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for link in quota.links:
        out.setdefault(link.approval, np.zeros(3))
        out[link.approval] += [link.q_mu, link.w_mu, link.c_kg]
    return out


def _quota_entries(quota: Quota, payments_truth: dict) -> list[dict]:
    linked = _linked(quota)
    by_code = {supplement.code: supplement for supplement in quota.supplements}
    entries = []

    def approval_entry(rule: str, approval: Approval, detail: dict) -> None:
        entries.append(
            planted(
                rule,
                "approval",
                approval.number,
                approval.county,
                approval.approved.year,
                APPROVALS.table,
                detail,
            )
        )

    for rule, dim, label in (("PR03", 0, "数量"), ("PR04", 1, "水田"), ("PR05", 2, "产能")):
        approval = quota.planted[rule]
        need = (approval.occupied_mu, approval.paddy_mu, approval.capacity_need_kg)[dim]
        approval_entry(
            rule,
            approval,
            {
                f"linked_{label}": round(float(linked[approval.number][dim]), 4),
                f"required_{label}": round(need, 4),
            },
        )
    approval = quota.planted["PR06"]
    late = quota.planted["late"]
    approval_entry(
        "PR06",
        approval,
        {
            "承诺制": "否",
            "批准日期": approval.approved.isoformat(),
            "补充项目编号": late.code,
            "入库日期": late.stocked.isoformat(),
            "挂钩日期": approval.link_on.isoformat(),
        },
    )
    approval = quota.planted["PR06-promise"]
    approval_entry(
        "PR06",
        approval,
        {
            "承诺制": "是",
            "承诺兑现期限": approval.deadline.isoformat(),
            "挂钩日期": approval.link_on.isoformat(),
        },
    )
    approval = quota.planted["PR07"]
    approval_entry(
        "PR07",
        approval,
        {
            **payments_truth[approval.number],
            "其中永久基本农田(亩)": approval.pbf_mu,
            "其中示范区(亩)": approval.demo_mu,
        },
    )
    approval = quota.planted["PR23"]
    approval_entry(
        "PR23", approval, {"批准机关级别": approval.level, "其中永久基本农田(亩)": approval.pbf_mu}
    )
    supplement = quota.planted["PR14"]
    entries.append(
        planted(
            "PR14",
            "supplement_project",
            supplement.code,
            supplement.county,
            supplement.stocked.year,
            SUPPLEMENTS.table,
            {"新增耕地面积(亩)": supplement.new_mu, "上划省统筹数量(亩)": supplement.provincial_mu},
        )
    )
    trade = quota.pr15_trade
    final = quota.planted["final"]
    approval_county = {approval.number: approval.county for approval in quota.approvals}
    evts = ledger.events(quota.supplements, quota.links, quota.trades, approval_county, proportional=False)
    balance = next(row for row in ledger.balances(evts)[trade.seller] if row[0] == PR15_DAY)
    entries.append(
        planted(
            "PR15",
            "county_date",
            f"{trade.seller}:{PR15_DAY.isoformat()}",
            trade.seller,
            PR15_DAY.year,
            TRADES.table,
            {
                "交易编号": trade.number,
                "调出数量指标(亩)": trade.q_mu,
                "balance_after_mu": balance[1],
                "restored_on": final.stocked.isoformat(),
                "by_project": final.code,
            },
        )
    )
    assert all(link.project in by_code for link in quota.links)
    return entries


def _ground_entries(quota: Quota, survey: Survey) -> tuple[list[dict], list[lifecycle.Finding]]:
    """Manifest entries of PR10, PR17, PR24, PR25 as the ground says (ground.py re-measures it), and the
    PR10 findings for the case lifecycle."""
    entries, findings = [], []
    occupying = {
        approval.piece.bsm: approval
        for approval in quota.approvals
        if approval.use == "建设用地" and approval.piece is not None
    }
    for occupation in ground.pr10_findings(survey, quota.approvals):
        piece, approval = occupation.piece, occupying.get(occupation.piece.bsm)
        entries.append(
            planted(
                "PR10",
                "change_record",
                str(piece.after_bsm),
                piece.county,
                piece.year,
                "DLTBGXGC",
                {
                    "piece_bsm": piece.bsm,
                    "uncovered_m2": round(occupation.uncovered_m2, 2),
                    "cultivated_mu": occupation.cultivated_mu,
                    "village": piece.village,
                    "changed_on": piece.changed_on.isoformat(),
                    "approval": approval.number if approval else None,
                    "approved_on": approval.approved.isoformat() if approval else None,
                },
            )
        )
        findings.append(
            lifecycle.Finding(
                "PR10",
                str(piece.after_bsm),
                piece.county,
                piece.village,
                piece.changed_on,
                occupation.cultivated_mu,
                0.0,
                piece.after,
            )
        )
    supplement = quota.planted["PR17"]
    gained = ground.supplement_gains(survey, [supplement])[supplement.code]
    entries.append(
        planted(
            "PR17",
            "supplement_project",
            supplement.code,
            supplement.county,
            supplement.accepted.year,
            SUPPLEMENTS.table,
            {
                "declared_mu": supplement.new_mu,
                "gained_mu": gained,
                "relative_difference": round(ground.relative_difference(supplement.new_mu, gained), 4),
            },
        )
    )
    approval = quota.planted["PR24"]
    entries.append(
        planted(
            "PR24",
            "approval",
            approval.number,
            approval.county,
            ground.LATEST,
            APPROVALS.table,
            {
                "occupied_mu": approval.occupied_mu,
                "cultivated_inside_mu": ground.cultivated_inside_mu(survey, approval.bounds),
                "reclaim_by": approval.reclaim_by.isoformat(),
            },
        )
    )
    approval = quota.planted["PR25"]
    entries.append(
        planted(
            "PR25",
            "approval",
            approval.number,
            approval.county,
            approval.approved.year,
            APPROVALS.table,
            {
                "filed_mu": approval.filed_mu,
                "facility_inside_mu": ground.facility_inside_mu(survey, approval.bounds),
            },
        )
    )
    return entries, findings


# ------------------------------------------------------------------------------------------- checks


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise DemoInvariantError(message)


def check_quota(quota: Quota, payments_truth: dict) -> None:
    """Only the planted approvals, projects and county-date break PR03–PR07, PR14, PR15, PR23."""
    linked = _linked(quota)
    by_code = {supplement.code: supplement for supplement in quota.supplements}
    planted_roles = {id(planted_object): link for link, planted_object in quota.planted.items()}
    links_of: dict[str, list] = {}
    for link in quota.links:
        links_of.setdefault(link.approval, []).append(link)
    for approval in quota.approvals:
        if approval.use != "建设用地":
            continue
        role = planted_roles.get(id(approval), "clean")
        got = linked.get(approval.number, np.zeros(3))
        need = (approval.occupied_mu, approval.paddy_mu, approval.capacity_need_kg)
        fails = [
            rule
            for rule, got_dim, need_dim in zip(("PR03", "PR04", "PR05"), got, need, strict=True)
            if got_dim < need_dim
        ]
        _require(
            fails == ([role] if role in ("PR03", "PR04", "PR05") else []),
            f"{approval.number}: {fails} ({role})",
        )
        late = [
            link for link in links_of[approval.number] if by_code[link.project].stocked > approval.approved
        ]
        after_deadline = [
            link for link in links_of[approval.number] if approval.deadline and link.on > approval.deadline
        ]
        pr06 = bool(after_deadline) if approval.promise else bool(late)
        _require(pr06 == (role in ("PR06", "PR06-promise")), f"{approval.number}: PR06 {pr06} ({role})")
        if role == "PR06-exception":
            _require(
                bool(late) and not after_deadline, f"{approval.number}: the 承诺制 exception is not exercised"
            )
        fee = payments_truth[approval.number]
        _require(
            (fee["paid_yuan"] < fee["due_yuan"]) == (role == "PR07"), f"{approval.number}: PR07 ({role})"
        )
        _require(
            (approval.pbf_u > 0 and approval.level != "国务院") == (role == "PR23"),
            f"{approval.number}: PR23 ({role})",
        )
    for supplement in quota.supplements:
        if supplement.kind == "垦造耕地" and supplement.linkable:
            short = supplement.provincial_u < supplement.new_u * 0.2
            _require(short == (supplement is quota.planted["PR14"]), f"{supplement.code}: PR14")
    approval_county = {approval.number: approval.county for approval in quota.approvals}
    expected = {(quota.pr15_county, PR15_DAY)}
    clean = [supplement for supplement in quota.supplements if supplement.linkable]
    clean_links = [link for link in quota.links if link is not quota.orphan_link]
    dq = [quota.duplicate_supplement, quota.planted["DQ10"]]
    for proportional in (False, True):
        for sups, links in ((clean, clean_links), (clean + dq, quota.links)):  # without / with the DQ rows
            evts = ledger.events(sups, links, quota.trades, approval_county, proportional=proportional)
            found = ledger.negative_dates(evts)
            _require(found == expected, f"PR15: negative balances at {sorted(found)}, expected {expected}")
    for approval in quota.approvals:
        if (
            approval.use == "建设用地"
            and approval.piece is not None
            and approval is not quota.planted["PR10-late"]
        ):
            _require(
                approval.approved <= approval.piece.changed_on,
                f"{approval.number} approved after its change piece",
            )


# ------------------------------------------------------------------------------------------ assembly


def check_lifecycle(truth: list[dict], pr10: dict[str, str]) -> None:
    """The findings cover every colour in the latest year, and each PR10 finding ends as designed."""
    latest = str(ground.LATEST)
    seen = {row["colours"][latest] for row in truth}
    _require(seen == {"yellow", "red", "blue", "green"}, f"case lifecycle: only {sorted(seen)} in {latest}")
    for row in truth:
        if row["rule_id"] == "PR10":
            _require(row["colours"][latest] == pr10[row["entity_id"]], f"case lifecycle: PR10 {row}")


# PR10 findings and what becomes of their cases: the late approval's case is closed (the land was
# approved after all), the half-approved one rectified, the unapproved one left open.
PR10_FATES = {
    "PR10-late": (CASE_CLOSED, "green"),
    "PR10-partial": (CASE_RECTIFIED, "blue"),
    "PR10-none": (CASE_OPEN, "red"),
}


def build_records(demo, seed: int) -> Records:
    survey = Survey(demo)
    counties = survey.county_codes()
    records = Records()

    # The cases' stream first names the PR18 and DQ10 villages, which the PR10 pieces keep away from,
    # as they do from the survey's findings.
    case_rng = _stream(seed, 4)
    pr18_village, dq10_village = planted_villages(survey, case_rng)
    survey_findings = lifecycle.survey_findings(demo, survey)
    avoid = {pr18_village, dq10_village} | {finding.village for finding in survey_findings}

    quota = build_quota(survey, _stream(seed, 1), avoid)
    quota_files, entries = _quota_files(quota)
    records.files += quota_files
    records.planted += entries
    ground.check_ground(survey, quota)
    entries, pr10_findings = _ground_entries(quota, survey)
    records.planted += entries

    standards = fee_standards(counties, _stream(seed, 2))
    payments, payments_truth = build_payments(quota, standards, _stream(seed, 3))
    records.planted += _quota_entries(quota, payments_truth)
    check_quota(quota, payments_truth)
    for year in sorted({payment.paid_on.year for payment in payments}):
        rows = [
            [
                payment.number,
                payment.approval,
                payment.payer,
                amount(payment.amount, grouped=position % 2 == 0),
                slash(payment.paid_on),
            ]
            for position, payment in enumerate(
                payment for payment in payments if payment.paid_on.year == year
            )
        ]
        records.files.append(
            CsvFile(FEES.table, f"funds/{year}/{FEES.title_zh}_{year}.csv", list(FEES.columns), rows, GBK)
        )
    std_rows = [
        [case, str(grade), f"{standard:.0f}"] for (case, grade), standard in sorted(standards.items())
    ]
    records.files.append(
        CsvFile(
            STANDARDS.table,
            f"funds/reference/{STANDARDS.title_zh}.csv",
            list(STANDARDS.columns),
            std_rows,
            GBK,
        )
    )

    findings = pr10_findings + survey_findings
    by_piece = {str(quota.planted[role].piece.after_bsm): role for role in PR10_FATES}
    fates = plan_fates(
        findings,
        {
            ("PR10", finding.entity_id): PR10_FATES[by_piece[finding.entity_id]][0]
            for finding in pr10_findings
        },
        pr18_village,
    )
    cases, case_plants, _ = build_cases(survey, case_rng, (pr18_village, dq10_village), findings, fates)
    case_file = CsvFile(
        CASES.table,
        f"projects/{CASES.title_zh}.csv",
        list(CASES.columns),
        [
            [
                case.number,
                case.source,
                slash(case.found),
                case.county,
                case.village,
                case.problem,
                mu(case.area, 2),
                mu(case.cultivated, 2),
                mu(case.pbf, 2),
                case.status,
                slash(case.rectified),
                slash(case.closed),
            ]
            for case in cases
        ],
        GBK,
        title="违法用地案件台账（导出时间：2026年1月5日）",
    )
    records.files.append(case_file)
    dq10 = case_plants["DQ10"]
    records.planted.append(
        planted(
            "DQ10",
            "enforcement_case",
            dq10.number,
            dq10.county,
            dq10.found.year,
            CASES.table,
            {
                "source_file": case_file.rel,
                "source_row": case_file.line(cases.index(dq10)),
                "发现日期": dq10.found.isoformat(),
                "销号日期": dq10.closed.isoformat(),
                "problem": "销号日期 before 发现日期",
            },
        )
    )

    roster, pr21 = build_roster(survey, _stream(seed, 5))
    records.files.append(
        CsvFile(
            CHIEFS.table,
            f"projects/{CHIEFS.title_zh}.csv",
            list(CHIEFS.columns),
            [
                [
                    case.level,
                    case.code,
                    case.name,
                    case.phone,
                    chinese(case.since) if position % 2 else iso(case.since),
                ]
                for position, case in enumerate(roster)
            ],
            UTF8_BOM,
        )
    )
    records.planted.append(
        planted(
            "PR21",
            "county",
            pr21["county"],
            pr21["county"],
            2025,
            CHIEFS.table,
            {"problem": "no county-level 田长"},
        )
    )
    records.planted.append(
        planted(
            "PR21",
            "village",
            pr21["village"],
            pr21["village"][:6],
            2025,
            CHIEFS.table,
            {
                "problem": "village holding 永农 without a village-level 田长",
                "pbf_cultivated_mu": round(
                    survey.village_farmland[2025][pr21["village"]][1] * 15 / 1_000_000, 2
                ),
            },
        )
    )

    avoid = {case_plants["PR18"].village, dq10.village}
    held = withheld(cases, case_plants["PR18"])
    books, entries, _ = compensation_workbooks(survey, held, case_plants["PR18"], avoid, _stream(seed, 6))
    records.files += books
    records.planted += entries
    upkeep, entries = maintenance_files(quota, _stream(seed, 7))
    records.files += upkeep
    records.planted += entries

    stats, entries = land_supply_workbooks(demo.manifest, counties, _stream(seed, 8))
    records.files += stats
    records.planted += entries

    works_json, progress, entries, works_truth = build_works(_stream(seed, 9))
    records.files += [works_json, *progress]
    records.planted += entries

    records.planted.sort(
        key=lambda entity: (entity["rule_id"], entity["year"], entity["entity_type"], entity["entity_id"])
    )
    records.truth = _truth(quota, payments_truth, standards, survey, works_truth)
    # The warehouse never sees the DQ10 case (quarantined): it matches nothing.
    valid = [case for case in cases if case is not dq10]
    records.truth["case_lifecycle"] = lifecycle.lifecycle(findings, valid)
    check_lifecycle(
        records.truth["case_lifecycle"], {entity: PR10_FATES[role][1] for entity, role in by_piece.items()}
    )
    return records


def _truth(quota: Quota, payments_truth: dict, standards: dict, survey: Survey, works_truth: dict) -> dict:
    linked = _linked(quota)
    approvals = []
    for approval in sorted(quota.approvals, key=lambda approval: (approval.approved, approval.number)):
        row = {
            "批准文号": approval.number,
            "用地类型": approval.use,
            "county": approval.county,
            "批准日期": approval.approved.isoformat(),
            "批准机关级别": approval.level,
            "occupied_mu": approval.occupied_mu,
            "paddy_mu": approval.paddy_mu,
            "pbf_mu": approval.pbf_mu,
            "demo_mu": approval.demo_mu,
            "grade": approval.grade,
            "承诺制": approval.promise,
            "piece_bsm": approval.piece.bsm if approval.piece else None,
            "piece_gxsj": approval.piece.changed_on.isoformat() if approval.piece else None,
        }
        if approval.use == "建设用地":
            got = linked.get(approval.number, np.zeros(3))
            row.update(
                {
                    "capacity_need_kg": round(approval.capacity_need_kg, 2),
                    "linked_mu": round(float(got[0]), 4),
                    "linked_paddy_mu": round(float(got[1]), 4),
                    "linked_kg": float(got[2]),
                    **payments_truth[approval.number],
                }
            )
        approvals.append(row)
    supplements = [
        {
            "项目编号": supplement.code,
            "项目类型": supplement.kind,
            "county": supplement.county,
            "acceptance_year": supplement.accepted.year,
            "new_mu": supplement.new_mu,
            "piece_bsm": supplement.piece.bsm if supplement.piece else None,
            "gained_mu_in_boundary": supplement.piece.after_mu
            if supplement.piece and supplement.new_u
            else (0.0 if supplement.piece else None),
        }
        for supplement in sorted(quota.supplements, key=lambda supplement: supplement.code)
    ]
    approval_county = {approval.number: approval.county for approval in quota.approvals}
    clean_links = [link for link in quota.links if link is not quota.orphan_link]
    evts = ledger.events(
        [supplement for supplement in quota.supplements if supplement.linkable],
        clean_links,
        quota.trades,
        approval_county,
        proportional=False,
    )
    ex = quota.planted["PR06-exception"]
    near = quota.planted["PR17-near"]
    near_gained = ground.supplement_gains(survey, [near])[near.code]
    return {
        "definitions": {
            "scope_pr03_to_pr07": "用地类型 = 建设用地 (临时用地 and 设施农业用地 need no 占补平衡 "
            "or 开垦费)",
            "quota_units": "数量/水田 in 亩 (4 decimals), 产能 in kg; linked quota is a hair above each need",
            "ledger": "入库 − 上划 + 调入 − 调出 − 挂钩 by date; 上划 is a quantity (the generator "
            "keeps balances ≥ 0 whether or not it also takes its share of 水田/产能)",
            "open_case": "found on or before 31 Dec and not 销号 by then",
            "village_holding_pbf": "a village some of whose parcels lie within 5 m of a YJJBNT polygon",
            "supplement_before_2023": "projects accepted 2019–2021 lie on base 耕地; no change survey "
            "to check them",
            "pr10": "a 耕地 → construction piece is a finding when ≥ "
            f"{ground.pr10_threshold():g} m² of it (planar) lies outside the union of the red lines of its "
            "county's 建设用地 approvals approved on or before its GXSJ",
            "pr17_near_miss": {
                "项目编号": near.code,
                "declared_mu": near.new_mu,
                "gained_mu": near_gained,
                "relative_difference": round(ground.relative_difference(near.new_mu, near_gained), 4),
            },
            "case_lifecycle": "findings PR09/PR10/PR11 matched to 违法用地案件 (records/lifecycle.py); "
            "colour at each year end: yellow no case found yet, red found and not rectified (blue in "
            "2025 if 整改中), blue rectified and not closed, green closed",
            "pr06_exception": {
                "批准文号": ex.number,
                "承诺兑现期限": ex.deadline.isoformat(),
                "挂钩日期": ex.link_on.isoformat(),
                "补充项目编号": quota.planted["late"].code,
            },
        },
        "approvals": approvals,
        "supplements": supplements,
        "quota_ledger": {
            county: [
                {"date": day.isoformat(), "q_mu": qq, "w_mu": paddy, "c_kg": county_code}
                for day, qq, paddy, county_code in rows
            ]
            for county, rows in ledger.balances(evts).items()
        },
        "fee_highest_standard": {
            county_code: highest(standards, county_code) for county_code in survey.county_codes()
        },
        "consolidation": works_truth,
    }


# --------------------------------------------------------------------------------------------- writing


def _clear_previous(landing: Path) -> None:
    """Remove record files an earlier generation left (another seed may have paid fees in other years)."""
    for found in discover_records(landing):
        found.path.unlink()
    for rel in (SUPPLEMENT_BOUNDARIES, REDLINES):
        (landing / rel).unlink(missing_ok=True)


def write_records(landing: Path, records: Records) -> list[str]:
    """Write every record file under `landing` (replacing earlier demo records); their paths."""
    landing = Path(landing)
    _clear_previous(landing)
    for file in records.files:
        path = landing / file.rel
        if isinstance(file, CsvFile):
            write_csv(path, file.header, file.rows, encoding=file.encoding, title=file.title)
        elif isinstance(file, XlsxFile):
            write_xlsx(path, file.sheets, file.merges)
        elif isinstance(file, JsonFile):
            write_json(path, file.document)
        elif isinstance(file, LayerFile):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_boundaries(path, file.key, file.ids, file.bounds)
        else:  # pragma: no cover
            raise TypeError(type(file))
    return records.paths
