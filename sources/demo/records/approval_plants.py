"""Planted cases of the 建设用地 approvals' quota and fees: each function plants one rule's case, and says
which (PR03–PR07, PR23, DQ07).

build_quota calls them in a fixed order, as the quota stream's draws must come: PR06 (its dates), then
the approvals occupying 永农 one county each (PR07, PR23, two clean ones, a clean 承诺制 one, DQ07's),
then their 永农 figures. Where a plant acts later than its choice (a link made short, a fee underpaid,
a figure drawn after every choice) it returns that step as a nested function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np

from sources.demo.records.approvals_and_projects import FIRST_APPROVAL
from sources.demo.records.fees import highest
from sources.demo.records.model import clamp, days
from sources.demo.records.quota_model import PROVINCE, Approval, Quota, Supplement, to_units
from sources.demo.records.quota_plants import first_of
from sources.demo.region import county_by_code

PROMISE_NAMES = (
    "杭嘉湖高速公路{county}段工程",
    "沪嘉城际铁路{county}段工程",
    "嘉兴机场改扩建工程（{county}部分）",
)
PR03_LINKED_SHARE = 0.9  # of the 耕地 occupied
PR04_LINKED_SHARE = 0.85  # of the 水田 occupied
PR05_LINKED_SHARE = 0.9  # of the 产能 needed

Shortfall = Callable[[np.ndarray], np.ndarray]


def _by_date(approvals: list[Approval]) -> list[Approval]:
    return sorted(approvals, key=lambda approval: (approval.approved, approval.number))


def _left(approvals: list[Approval], taken: list[Approval]) -> list[Approval]:
    return [approval for approval in approvals if all(approval is not other for other in taken)]


def plant_pr06_supplement_after_approval(
    hosts: list[str],
    by_county: dict[str, list[Approval]],
    supplements: list[Supplement],
    final: Supplement,
    rng: np.random.Generator,
) -> tuple[str, Supplement, dict[str, Approval]]:
    """PR06 (先补后占), three ways in one county of `hosts` that then never sells quota: a non-承诺制
    approval linked in part to a project 入库 after it was approved (violation); a 承诺制 approval linked
    after its 承诺兑现期限 (violation); a 承诺制 approval linked to that late project before its deadline
    (clean, the 001 §三(十) exception). PR06 finds the first two. Returns (the county, the late project,
    role → approval); the quota book keeps a third of the late project for each of the two approvals
    that link to it late (quota._simulate)."""

    def late_project(county: str) -> Supplement | None:
        mine = [
            supplement
            for supplement in supplements
            if supplement.county == county and supplement.stock()[0] > 0 and supplement is not final
        ]
        return min(mine, key=lambda supplement: (supplement.stocked, supplement.code)) if mine else None

    county = first_of(
        (county_code for county_code in hosts if late_project(county_code) is not None),
        "a county to host the PR06 cases",
    )
    late = late_project(county)
    listed = sorted(by_county[county], key=lambda approval: (approval.approved, approval.piece.bsm))
    exception, late_nc, promise_late = listed[0], listed[1], listed[2]
    for approval, role in ((exception, "PR06-exception"), (late_nc, "PR06"), (promise_late, "PR06-promise")):
        approval.role = role
    for approval in (exception, late_nc):  # approved before the late project is 入库, linked just after it
        approval.approved = clamp(
            min(approval.piece.changed_on, late.stocked) - days(rng.integers(20, 60)),
            FIRST_APPROVAL,
            approval.piece.changed_on,
        )
        approval.link_on = min(late.stocked + days(rng.integers(5, 20)), date(2025, 12, 28))
    name = county_by_code(county).name
    exception.promise = True
    exception.deadline = max(exception.approved + days(730), exception.link_on + days(30))
    exception.name = PROMISE_NAMES[0].format(county=name)
    exception.level = PROVINCE  # it occupies no 永农
    promise_late.promise = True
    promise_late.approved = min(promise_late.approved, date(2025, 1, 31))
    promise_late.deadline = promise_late.approved + days(rng.integers(180, 240))
    promise_late.link_on = promise_late.deadline + days(rng.integers(30, 60))
    promise_late.name = PROMISE_NAMES[1].format(county=name)
    return county, late, {"PR06": late_nc, "PR06-promise": promise_late, "PR06-exception": exception}


def plant_pr04_paddy_short(
    hosts: list[str], by_county: dict[str, list[Approval]], pr06_county: str
) -> tuple[str, Approval, Shortfall]:
    """PR04 (占水田补水田): in the first county of `hosts` after the PR06 county with an approval occupying
    水田 (the county of the PR03–PR05 cases, which then never sells quota), that approval is linked to
    only PR04_LINKED_SHARE of the 水田 it occupies; PR04 finds it. Returns (the county, the approval, the
    shortfall the quota book applies to what the approval needs when it links)."""
    county = first_of(
        (
            county_code
            for county_code in hosts
            if county_code != pr06_county and any(approval.paddy_u for approval in by_county[county_code])
        ),
        "a county to host the PR03–PR05 cases",
    )
    paddy_first = sorted(
        _by_date(by_county[county]), key=lambda approval: (approval.paddy_u == 0, approval.approved)
    )
    pr04 = paddy_first[0]
    pr04.role = "PR04"

    def short(need: np.ndarray) -> np.ndarray:
        need[1] = math.floor(pr04.paddy_u * PR04_LINKED_SHARE)
        return need

    return county, pr04, short


def plant_pr03_quantity_short(host: list[Approval], taken: list[Approval]) -> tuple[Approval, Shortfall]:
    """PR03 (占补平衡数量): the earliest approval of the PR03–PR05 county not planted yet is linked to only
    PR03_LINKED_SHARE of the 耕地 it occupies; PR03 finds it. Returns (the approval, its shortfall)."""
    pr03 = _left(_by_date(host), taken)[0]
    pr03.role = "PR03"

    def short(need: np.ndarray) -> np.ndarray:
        need[0] = math.floor(pr03.occupied_u * PR03_LINKED_SHARE)
        return need

    return pr03, short


def plant_pr05_capacity_short(host: list[Approval], taken: list[Approval]) -> tuple[Approval, Shortfall]:
    """PR05 (占补平衡产能): the earliest approval of the PR03–PR05 county not planted yet is linked to only
    PR05_LINKED_SHARE of the 产能 it needs; PR05 finds it. Returns (the approval, its shortfall)."""
    pr05 = _left(_by_date(host), taken)[0]
    pr05.role = "PR05"

    def short(need: np.ndarray) -> np.ndarray:
        need[2] = math.floor(pr05.capacity_need_kg * PR05_LINKED_SHARE)
        return need

    return pr05, short


def pick_elsewhere(others: list[Approval], picked: list[Approval], role: str, rng) -> Approval:
    """A clean approval of `others` (one draw), in a county none of `picked` is in while there is one."""
    pool = [
        approval
        for approval in others
        if approval.role == "clean" and approval.county not in {pick.county for pick in picked}
    ]
    if not pool:
        pool = [approval for approval in others if approval.role == "clean"]
    chosen = pool[int(rng.integers(len(pool)))]
    chosen.role = role
    picked.append(chosen)
    return chosen


def occupy_pbf(approval: Approval, level: str, demonstration: bool, rng) -> None:
    """The approval occupies 永农 (20–50% of its 耕地), and 示范区 (20–50% of that) if `demonstration`."""
    approval.pbf_u = to_units(round(approval.occupied_mu * float(rng.uniform(0.2, 0.5)), 4))
    if demonstration:
        approval.demo_u = to_units(round(approval.pbf_mu * float(rng.uniform(0.2, 0.5)), 4))
    approval.level = level


def plant_pr07_fee_underpaid(
    others: list[Approval], picked: list[Approval], national: str, rng
) -> tuple[Approval, Callable[[], None], Callable[[dict[tuple[str, int], float]], int]]:
    """PR07 (耕地开垦费): an approval (approved by the 国务院) occupying 永农 and 示范区 paid as if every 亩
    were ordinary 耕地 at its county's highest standard — no ×2 / ×3; PR07 finds it, every other approval
    paying a hair over what is due. Returns (the approval, the step that draws its 永农 and 示范区 once
    every such approval is chosen, the fee it pays given the fee standards: fees.build_payments)."""
    pr07 = pick_elsewhere(others, picked, "PR07", rng)

    def occupy() -> None:
        occupy_pbf(pr07, national, True, rng)

    def underpaid(standards: dict[tuple[str, int], float]) -> int:
        top = highest(standards, pr07.county)
        ordinary = standards[(pr07.county, int(round(pr07.grade)))]
        return math.floor((pr07.occupied_mu - pr07.pbf_mu) * ordinary + pr07.pbf_mu * top)

    return pr07, occupy, underpaid


def plant_pr23_pbf_approved_by_province(
    others: list[Approval], picked: list[Approval], rng
) -> tuple[Approval, Callable[[], None]]:
    """PR23 (占用永农须国务院批准): an approval occupying 永农, approved at 省 level; PR23 finds it, every
    other approval occupying 永农 being approved by the 国务院. Returns (the approval, the step that draws
    its 永农 once every such approval is chosen)."""
    pr23 = pick_elsewhere(others, picked, "PR23", rng)

    def occupy() -> None:
        occupy_pbf(pr23, PROVINCE, False, rng)

    return pr23, occupy


def plant_dq07_delivered_twice(
    others: list[Approval], picked: list[Approval], rng
) -> Callable[[Quota], None]:
    """DQ07 (主键唯一): one 建设用地 approval and one older (pool) project, not of the PR15 county, are
    each delivered twice (quota_files.py writes the later row again); DQ07 quarantines the later rows.
    Chooses the approval now; returns the step that names both once the pool projects exist."""
    approval = pick_elsewhere(others, picked, "DQ07", rng)

    def deliver_twice(quota: Quota) -> None:
        quota.duplicate_supplement = next(
            supplement
            for supplement in quota.supplements
            if supplement.origin == "pool" and supplement.county != quota.pr15_county and supplement.linkable
        )
        quota.duplicate_approval = approval

    return deliver_twice
