"""The record truth of the manifest: per approval and project the figures the quota rules compare, the
county quota ledger, the fee standards and the consolidation pace table."""

from __future__ import annotations

import numpy as np

from sources.demo.records import ground, ledger
from sources.demo.records.fees import highest
from sources.demo.records.planted_entries import linked_quota
from sources.demo.records.quota_model import Quota
from sources.demo.records.survey import Survey


def record_truth(
    quota: Quota, payments_truth: dict, standards: dict, survey: Survey, works_truth: dict
) -> dict:
    linked = linked_quota(quota)
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
            "case_lifecycle": "findings PR09/PR10/PR11 matched to 违法用地案件 (records/lifecycle.py), "
            "each one finding in the year it was first found (marts.case_lifecycle); colour at each year "
            "end from then (marts.case_progress): yellow no case found yet, red found and not rectified "
            "(blue in 2025 if 整改中), blue rectified and not closed, green closed",
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
