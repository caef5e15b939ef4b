"""Self-checks of the records: only the planted approvals, projects and county-date break the quota rules,
and the findings' cases end as designed; a failed check raises DemoInvariantError."""

from __future__ import annotations

import numpy as np

from sources.demo.checks import DemoInvariantError
from sources.demo.records import ground, ledger
from sources.demo.records.planted_entries import linked_quota
from sources.demo.records.quota_model import Quota
from sources.demo.records.quota_plants import PR15_DAY


def _require(ok: bool, message: str) -> None:
    if not ok:
        raise DemoInvariantError(message)


def check_quota(quota: Quota, payments_truth: dict) -> None:
    """Only the planted approvals, projects and county-date break PR03–PR07, PR14, PR15, PR23."""
    linked = linked_quota(quota)
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


def check_lifecycle(truth: list[dict], pr10: dict[str, str]) -> None:
    """The findings cover every colour in the latest year, and each PR10 finding ends as designed."""
    latest = str(ground.LATEST)
    seen = {row["colours"][latest] for row in truth}
    _require(seen == {"yellow", "red", "blue", "green"}, f"case lifecycle: only {sorted(seen)} in {latest}")
    for row in truth:
        if row["rule_id"] == "PR10":
            _require(row["colours"][latest] == pr10[row["entity_id"]], f"case lifecycle: PR10 {row}")
