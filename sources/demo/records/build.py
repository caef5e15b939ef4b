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
from sources.demo.records.quota import PR15_DAY, Approval, Quota, Supplement, build_quota
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
        return sorted(f.rel for f in self.files)


def _stream(seed: int, k: int) -> np.random.Generator:
    return np.random.default_rng([seed, 100 + k])


# ------------------------------------------------------------------------------------- quota files


def _supplement_row(s: Supplement) -> list[str]:
    return [
        s.code,
        s.name,
        s.kind,
        s.county,
        slash(s.started),
        slash(s.accepted),
        slash(s.stocked),
        mu(s.new_mu),
        mu(s.paddy_mu),
        str(s.capacity_kg),
        str(s.grade),
        mu(s.provincial_mu),
    ]


def _approval_row(a: Approval) -> list[str]:
    return [
        a.number,
        a.name,
        a.use,
        a.county,
        iso(a.approved),
        a.level,
        mu(a.occupied_mu),
        mu(a.paddy_mu),
        mu(a.pbf_mu),
        mu(a.demo_mu),
        str(a.grade),
        "是" if a.promise else "否",
        iso(a.deadline),
        iso(a.reclaim_by),
        mu(a.filed_mu) if a.filed_mu is not None else "",
    ]


def _quota_files(q: Quota) -> tuple[list, list[dict]]:
    entries: list[dict] = []
    supplements = sorted(q.supplements, key=lambda s: (s.started, s.code))
    sup_header = [full_width(h) if "(" in h and i % 2 else h for i, h in enumerate(SUPPLEMENTS.columns)]
    sup = CsvFile(
        SUPPLEMENTS.table,
        f"projects/{SUPPLEMENTS.title_zh}.csv",
        sup_header,
        [_supplement_row(s) for s in supplements],
        GBK,
    )
    dup = q.duplicate_supplement
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
    dq10 = q.planted["DQ10"]
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
        SUPPLEMENT_BOUNDARIES, "项目编号", [s.code for s in supplements], [s.bounds for s in supplements]
    )

    approvals = sorted(q.approvals, key=lambda a: (a.approved, a.number))
    app = CsvFile(
        APPROVALS.table,
        f"projects/{APPROVALS.title_zh}.csv",
        list(APPROVALS.columns),
        [_approval_row(a) for a in approvals],
        UTF8_BOM,
    )
    dup_a = q.duplicate_approval
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
    redlines = LayerFile(REDLINES, "批准文号", [a.number for a in approvals], [a.bounds for a in approvals])

    link_rows = [
        [k.number, k.approval, k.project, chinese(k.on), mu(k.q_mu), mu(k.w_mu), str(k.c_kg)] for k in q.links
    ]
    links = CsvFile(LINKS.table, f"projects/{LINKS.title_zh}.csv", list(LINKS.columns), link_rows, GBK)
    orphan = q.orphan_link
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
                "source_row": links.line(q.links.index(orphan)),
                "批准文号": orphan.approval,
                "problem": "挂钩 to an approval that does not exist",
            },
        )
    )
    trade_rows = [
        [t.number, t.seller, t.buyer, iso(t.on), mu(t.q_mu), mu(t.w_mu), str(t.c_kg), f"{t.price:.1f}"]
        for t in q.trades
    ]
    trades = CsvFile(
        TRADES.table, f"projects/{TRADES.title_zh}.csv", list(TRADES.columns), trade_rows, UTF8_BOM
    )
    return [sup, boundaries, app, redlines, links, trades], entries


def _linked(q: Quota) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for k in q.links:
        out.setdefault(k.approval, np.zeros(3))
        out[k.approval] += [k.q_mu, k.w_mu, k.c_kg]
    return out


def _quota_entries(q: Quota, payments_truth: dict) -> list[dict]:
    linked = _linked(q)
    by_code = {s.code: s for s in q.supplements}
    entries = []

    def approval_entry(rule: str, a: Approval, detail: dict) -> None:
        entries.append(
            planted(rule, "approval", a.number, a.county, a.approved.year, APPROVALS.table, detail)
        )

    for rule, dim, label in (("PR03", 0, "数量"), ("PR04", 1, "水田"), ("PR05", 2, "产能")):
        a = q.planted[rule]
        need = (a.occupied_mu, a.paddy_mu, a.capacity_need_kg)[dim]
        approval_entry(
            rule,
            a,
            {f"linked_{label}": round(float(linked[a.number][dim]), 4), f"required_{label}": round(need, 4)},
        )
    a = q.planted["PR06"]
    late = q.planted["late"]
    approval_entry(
        "PR06",
        a,
        {
            "承诺制": "否",
            "批准日期": a.approved.isoformat(),
            "补充项目编号": late.code,
            "入库日期": late.stocked.isoformat(),
            "挂钩日期": a.link_on.isoformat(),
        },
    )
    a = q.planted["PR06-promise"]
    approval_entry(
        "PR06", a, {"承诺制": "是", "承诺兑现期限": a.deadline.isoformat(), "挂钩日期": a.link_on.isoformat()}
    )
    a = q.planted["PR07"]
    approval_entry(
        "PR07", a, {**payments_truth[a.number], "其中永久基本农田(亩)": a.pbf_mu, "其中示范区(亩)": a.demo_mu}
    )
    a = q.planted["PR23"]
    approval_entry("PR23", a, {"批准机关级别": a.level, "其中永久基本农田(亩)": a.pbf_mu})
    s = q.planted["PR14"]
    entries.append(
        planted(
            "PR14",
            "supplement_project",
            s.code,
            s.county,
            s.stocked.year,
            SUPPLEMENTS.table,
            {"新增耕地面积(亩)": s.new_mu, "上划省统筹数量(亩)": s.provincial_mu},
        )
    )
    t = q.pr15_trade
    final = q.planted["final"]
    approval_county = {a.number: a.county for a in q.approvals}
    evts = ledger.events(q.supplements, q.links, q.trades, approval_county, proportional=False)
    balance = next(r for r in ledger.balances(evts)[t.seller] if r[0] == PR15_DAY)
    entries.append(
        planted(
            "PR15",
            "county_date",
            f"{t.seller}:{PR15_DAY.isoformat()}",
            t.seller,
            PR15_DAY.year,
            TRADES.table,
            {
                "交易编号": t.number,
                "调出数量指标(亩)": t.q_mu,
                "balance_after_mu": balance[1],
                "restored_on": final.stocked.isoformat(),
                "by_project": final.code,
            },
        )
    )
    assert all(k.project in by_code for k in q.links)
    return entries


def _ground_entries(q: Quota, survey: Survey) -> tuple[list[dict], list[lifecycle.Finding]]:
    """Manifest entries of PR10, PR17, PR24, PR25 as the ground says (ground.py re-measures it), and the
    PR10 findings for the case lifecycle."""
    entries, findings = [], []
    occupying = {a.piece.bsm: a for a in q.approvals if a.use == "建设用地" and a.piece is not None}
    for o in ground.pr10_findings(survey, q.approvals):
        p, a = o.piece, occupying.get(o.piece.bsm)
        entries.append(
            planted(
                "PR10",
                "change_record",
                str(p.after_bsm),
                p.county,
                p.year,
                "DLTBGXGC",
                {
                    "piece_bsm": p.bsm,
                    "uncovered_m2": round(o.uncovered_m2, 2),
                    "cultivated_mu": o.cultivated_mu,
                    "village": p.village,
                    "changed_on": p.changed_on.isoformat(),
                    "approval": a.number if a else None,
                    "approved_on": a.approved.isoformat() if a else None,
                },
            )
        )
        findings.append(
            lifecycle.Finding(
                "PR10", str(p.after_bsm), p.county, p.village, p.changed_on, o.cultivated_mu, 0.0, p.after
            )
        )
    s = q.planted["PR17"]
    gained = ground.supplement_gains(survey, [s])[s.code]
    entries.append(
        planted(
            "PR17",
            "supplement_project",
            s.code,
            s.county,
            s.accepted.year,
            SUPPLEMENTS.table,
            {
                "declared_mu": s.new_mu,
                "gained_mu": gained,
                "relative_difference": round(ground.relative_difference(s.new_mu, gained), 4),
            },
        )
    )
    a = q.planted["PR24"]
    entries.append(
        planted(
            "PR24",
            "approval",
            a.number,
            a.county,
            ground.LATEST,
            APPROVALS.table,
            {
                "occupied_mu": a.occupied_mu,
                "cultivated_inside_mu": ground.cultivated_inside_mu(survey, a.bounds),
                "reclaim_by": a.reclaim_by.isoformat(),
            },
        )
    )
    a = q.planted["PR25"]
    entries.append(
        planted(
            "PR25",
            "approval",
            a.number,
            a.county,
            a.approved.year,
            APPROVALS.table,
            {"filed_mu": a.filed_mu, "facility_inside_mu": ground.facility_inside_mu(survey, a.bounds)},
        )
    )
    return entries, findings


# ------------------------------------------------------------------------------------------- checks


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise DemoInvariantError(message)


def check_quota(q: Quota, payments_truth: dict) -> None:
    """Only the planted approvals, projects and county-date break PR03–PR07, PR14, PR15, PR23."""
    linked = _linked(q)
    by_code = {s.code: s for s in q.supplements}
    planted_roles = {id(v): k for k, v in q.planted.items()}
    links_of: dict[str, list] = {}
    for k in q.links:
        links_of.setdefault(k.approval, []).append(k)
    for a in q.approvals:
        if a.use != "建设用地":
            continue
        role = planted_roles.get(id(a), "clean")
        got = linked.get(a.number, np.zeros(3))
        need = (a.occupied_mu, a.paddy_mu, a.capacity_need_kg)
        fails = [rule for rule, g, n in zip(("PR03", "PR04", "PR05"), got, need, strict=True) if g < n]
        _require(
            fails == ([role] if role in ("PR03", "PR04", "PR05") else []), f"{a.number}: {fails} ({role})"
        )
        late = [k for k in links_of[a.number] if by_code[k.project].stocked > a.approved]
        after_deadline = [k for k in links_of[a.number] if a.deadline and k.on > a.deadline]
        pr06 = bool(after_deadline) if a.promise else bool(late)
        _require(pr06 == (role in ("PR06", "PR06-promise")), f"{a.number}: PR06 {pr06} ({role})")
        if role == "PR06-exception":
            _require(bool(late) and not after_deadline, f"{a.number}: the 承诺制 exception is not exercised")
        fee = payments_truth[a.number]
        _require((fee["paid_yuan"] < fee["due_yuan"]) == (role == "PR07"), f"{a.number}: PR07 ({role})")
        _require((a.pbf_u > 0 and a.level != "国务院") == (role == "PR23"), f"{a.number}: PR23 ({role})")
    for s in q.supplements:
        if s.kind == "垦造耕地" and s.linkable:
            short = s.provincial_u < s.new_u * 0.2
            _require(short == (s is q.planted["PR14"]), f"{s.code}: PR14")
    approval_county = {a.number: a.county for a in q.approvals}
    expected = {(q.pr15_county, PR15_DAY)}
    clean = [s for s in q.supplements if s.linkable]
    clean_links = [k for k in q.links if k is not q.orphan_link]
    dq = [q.duplicate_supplement, q.planted["DQ10"]]
    for proportional in (False, True):
        for sups, links in ((clean, clean_links), (clean + dq, q.links)):  # without / with the DQ rows
            evts = ledger.events(sups, links, q.trades, approval_county, proportional=proportional)
            found = ledger.negative_dates(evts)
            _require(found == expected, f"PR15: negative balances at {sorted(found)}, expected {expected}")
    for a in q.approvals:
        if a.use == "建设用地" and a.piece is not None and a is not q.planted["PR10-late"]:
            _require(a.approved <= a.piece.changed_on, f"{a.number} approved after its change piece")


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
    avoid = {pr18_village, dq10_village} | {f.village for f in survey_findings}

    q = build_quota(survey, _stream(seed, 1), avoid)
    quota_files, entries = _quota_files(q)
    records.files += quota_files
    records.planted += entries
    ground.check_ground(survey, q)
    entries, pr10_findings = _ground_entries(q, survey)
    records.planted += entries

    standards = fee_standards(counties, _stream(seed, 2))
    payments, payments_truth = build_payments(q, standards, _stream(seed, 3))
    records.planted += _quota_entries(q, payments_truth)
    check_quota(q, payments_truth)
    for year in sorted({p.paid_on.year for p in payments}):
        rows = [
            [p.number, p.approval, p.payer, amount(p.amount, grouped=i % 2 == 0), slash(p.paid_on)]
            for i, p in enumerate(p for p in payments if p.paid_on.year == year)
        ]
        records.files.append(
            CsvFile(FEES.table, f"funds/{year}/{FEES.title_zh}_{year}.csv", list(FEES.columns), rows, GBK)
        )
    std_rows = [[c, str(g), f"{v:.0f}"] for (c, g), v in sorted(standards.items())]
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
    by_piece = {str(q.planted[r].piece.after_bsm): r for r in PR10_FATES}
    fates = plan_fates(
        findings,
        {("PR10", f.entity_id): PR10_FATES[by_piece[f.entity_id]][0] for f in pr10_findings},
        pr18_village,
    )
    cases, case_plants, _ = build_cases(survey, case_rng, (pr18_village, dq10_village), findings, fates)
    case_file = CsvFile(
        CASES.table,
        f"projects/{CASES.title_zh}.csv",
        list(CASES.columns),
        [
            [
                c.number,
                c.source,
                slash(c.found),
                c.county,
                c.village,
                c.problem,
                mu(c.area, 2),
                mu(c.cultivated, 2),
                mu(c.pbf, 2),
                c.status,
                slash(c.rectified),
                slash(c.closed),
            ]
            for c in cases
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
                [c.level, c.code, c.name, c.phone, chinese(c.since) if i % 2 else iso(c.since)]
                for i, c in enumerate(roster)
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
    upkeep, entries = maintenance_files(q, _stream(seed, 7))
    records.files += upkeep
    records.planted += entries

    stats, entries = land_supply_workbooks(demo.manifest, counties, _stream(seed, 8))
    records.files += stats
    records.planted += entries

    works_json, progress, entries, works_truth = build_works(_stream(seed, 9))
    records.files += [works_json, *progress]
    records.planted += entries

    records.planted.sort(key=lambda e: (e["rule_id"], e["year"], e["entity_type"], e["entity_id"]))
    records.truth = _truth(q, payments_truth, standards, survey, works_truth)
    # The warehouse never sees the DQ10 case (quarantined): it matches nothing.
    valid = [c for c in cases if c is not dq10]
    records.truth["case_lifecycle"] = lifecycle.lifecycle(findings, valid)
    check_lifecycle(records.truth["case_lifecycle"], {e: PR10_FATES[r][1] for e, r in by_piece.items()})
    return records


def _truth(q: Quota, payments_truth: dict, standards: dict, survey: Survey, works_truth: dict) -> dict:
    linked = _linked(q)
    approvals = []
    for a in sorted(q.approvals, key=lambda a: (a.approved, a.number)):
        row = {
            "批准文号": a.number,
            "用地类型": a.use,
            "county": a.county,
            "批准日期": a.approved.isoformat(),
            "批准机关级别": a.level,
            "occupied_mu": a.occupied_mu,
            "paddy_mu": a.paddy_mu,
            "pbf_mu": a.pbf_mu,
            "demo_mu": a.demo_mu,
            "grade": a.grade,
            "承诺制": a.promise,
            "piece_bsm": a.piece.bsm if a.piece else None,
            "piece_gxsj": a.piece.changed_on.isoformat() if a.piece else None,
        }
        if a.use == "建设用地":
            got = linked.get(a.number, np.zeros(3))
            row.update(
                {
                    "capacity_need_kg": round(a.capacity_need_kg, 2),
                    "linked_mu": round(float(got[0]), 4),
                    "linked_paddy_mu": round(float(got[1]), 4),
                    "linked_kg": float(got[2]),
                    **payments_truth[a.number],
                }
            )
        approvals.append(row)
    supplements = [
        {
            "项目编号": s.code,
            "项目类型": s.kind,
            "county": s.county,
            "acceptance_year": s.accepted.year,
            "new_mu": s.new_mu,
            "piece_bsm": s.piece.bsm if s.piece else None,
            "gained_mu_in_boundary": s.piece.after_mu if s.piece and s.new_u else (0.0 if s.piece else None),
        }
        for s in sorted(q.supplements, key=lambda s: s.code)
    ]
    approval_county = {a.number: a.county for a in q.approvals}
    clean_links = [k for k in q.links if k is not q.orphan_link]
    evts = ledger.events(
        [s for s in q.supplements if s.linkable], clean_links, q.trades, approval_county, proportional=False
    )
    ex = q.planted["PR06-exception"]
    near = q.planted["PR17-near"]
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
                "补充项目编号": q.planted["late"].code,
            },
        },
        "approvals": approvals,
        "supplements": supplements,
        "quota_ledger": {
            county: [{"date": d.isoformat(), "q_mu": qq, "w_mu": w, "c_kg": c} for d, qq, w, c in rows]
            for county, rows in ledger.balances(evts).items()
        },
        "fee_highest_standard": {c: highest(standards, c) for c in survey.county_codes()},
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
    for f in records.files:
        path = landing / f.rel
        if isinstance(f, CsvFile):
            write_csv(path, f.header, f.rows, encoding=f.encoding, title=f.title)
        elif isinstance(f, XlsxFile):
            write_xlsx(path, f.sheets, f.merges)
        elif isinstance(f, JsonFile):
            write_json(path, f.document)
        elif isinstance(f, LayerFile):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_boundaries(path, f.key, f.ids, f.bounds)
        else:  # pragma: no cover
            raise TypeError(type(f))
    return records.paths
