"""Manifest entries of the planted quota and ground cases (PR03–PR07, PR10, PR14, PR15, PR17, PR23–PR25),
measured on the records as the rules read them."""

from __future__ import annotations

import numpy as np

from sources.demo.records import ground, ledger, lifecycle
from sources.demo.records.model import planted
from sources.demo.records.quota_files import APPROVALS, SUPPLEMENTS, TRADES
from sources.demo.records.quota_model import Approval, Quota
from sources.demo.records.quota_plants import PR15_DAY
from sources.demo.records.survey import Survey


def linked_quota(quota: Quota) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    for link in quota.links:
        out.setdefault(link.approval, np.zeros(3))
        out[link.approval] += [link.q_mu, link.w_mu, link.c_kg]
    return out


def quota_entries(quota: Quota, payments_truth: dict) -> list[dict]:
    linked = linked_quota(quota)
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


def ground_entries(quota: Quota, survey: Survey) -> tuple[list[dict], list[lifecycle.Finding]]:
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
