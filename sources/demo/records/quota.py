"""占补平衡: supplement projects, land-use approvals with their red lines, quota links and trades.

Consistent with the survey:
- every 耕地 → construction piece of DLTBGXGC gets a 建设用地 approval, approved on or before the piece's
  GXSJ, whose red line (用地红线) is the piece grown by 1 m (clipped to its county); 占用耕地面积 is the
  piece's BGQTBDLMJ in 亩, 其中水田 the same when it was 0101, 占用耕地平均等别 its BGQGDDB — but for
  the three PR10 pieces (ground_plants.py: approved too late, half covered, no approval at all);
- every other-land → 耕地 piece is a supplement project accepted (验收) in that survey year whose boundary
  is the piece, 新增耕地面积 = BGHTBDLMJ × 0.0015 (but for the PR17 plant and its near miss,
  ground_plants.py);
  every 旱地 → 水田 piece a 旱地改水田 project (新增水田, no 新增耕地);
- older projects (accepted 2019–2021, before the change surveys) lie on base 耕地 parcels nothing touches:
  the quota pool counties drew on from the start;
- 耕地 → 1202 pieces are 设施农业用地 filings (备案面积 = the piece; PR25 plants one under-filed), and up
  to two 临时用地 approvals sit on untouched 耕地 away from 永农 (one restored past its deadline, one
  still running) beside the PR24 plant, whose red line lies on land that is not 耕地.

Clean by default: approvals are linked before they are approved (先补后占) to supplements already 入库
with at least the occupied 数量 / 水田 / 产能 (capacity of the occupied grade from ref_grain_capacity), a
county short of quota buys it (指标调剂) from a county with a surplus, no county's running balance goes
below zero, 垦造耕地 projects hand 20% (catalog parameter) to the province. Figures compared by a rule
are kept clear of equality by a hair (0.0001 亩, 1 kg) so that floating-point sums cannot flip them.

Planted (each breaks one rule), by the plant functions build_quota calls in turn: PR03–PR07, PR23 and
DQ07 (approval_plants.py: short links, late links, an underpaid fee, 永农 at 省 level, a duplicate);
PR14, PR15, DQ10 and DQ13 (quota_plants.py); PR10, PR17, PR24 and PR25 (ground_plants.py: one approval
never delivered, a 新增耕地面积 overstated with its 入库 and 上划 following it, a temporary approval, a
备案面积).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np

from sources.demo.records.approval_plants import (
    PROMISE_NAMES,
    occupy_pbf,
    pick_elsewhere,
    plant_dq07_delivered_twice,
    plant_pr03_quantity_short,
    plant_pr04_paddy_short,
    plant_pr05_capacity_short,
    plant_pr06_supplement_after_approval,
    plant_pr07_fee_underpaid,
    plant_pr23_pbf_approved_by_province,
)
from sources.demo.records.approvals_and_projects import (
    QuotaBuilder,
    construction_name,
    fresh_number,
)
from sources.demo.records.ground_plants import (
    plant_pr10_unapproved_occupation,
    plant_pr17_declared_gain_overstated,
    plant_pr24_temporary_land_not_restored,
    plant_pr25_facility_beyond_filing,
)
from sources.demo.records.model import days
from sources.demo.records.params import capacity_per_mu
from sources.demo.records.quota_model import (
    UNIT,
    Approval,
    Book,
    Link,
    Quota,
    Supplement,
    Trade,
)
from sources.demo.records.quota_plants import (
    plant_dq13_reference_missing,
    plant_pr14_provincial_share_halved,
    plant_pr15_quota_overdraft,
)
from sources.demo.records.survey import Survey
from sources.demo.region import county_by_code

MARGIN_U, MARGIN_KG = 100, 10  # what every county keeps back: 0.01 亩 and 10 kg
POOL_FACTOR_SELLER, POOL_FACTOR_BUYER = 1.5, 0.6  # own pool as a share of a county's own occupation
VOLUNTARY_TRADES = (
    date(2022, 11, 15),
    date(2023, 6, 20),
    date(2024, 3, 12),
    date(2024, 11, 6),
    date(2025, 5, 19),
)


# ------------------------------------------------------------------------------------------- builder


# ------------------------------------------------------------------------------------------- assembly


def build_quota(
    survey: Survey,
    rng: np.random.Generator,
    avoid_villages: set[str],
    plant_dq10_project: Callable[[list[Supplement], tuple[str, ...], Supplement], Supplement],
) -> Quota:
    """The quota records; `avoid_villages` (planted cases and survey findings) host no PR10 piece;
    `plant_dq10_project` is DQ10's project step (quota_plants.plant_dq10_dates_reversed)."""
    builder = QuotaBuilder(survey, rng)
    supplements = builder.survey_supplements()
    approvals = builder.construction_approvals()
    by_county: dict[str, list[Approval]] = {}
    for approval in approvals:
        by_county.setdefault(approval.county, []).append(approval)
    counties = survey.county_codes()

    final, sell_short = plant_pr15_quota_overdraft(supplements)
    pr15 = final.county

    hosts = [
        county_code
        for county_code in counties
        if county_code != pr15 and len(by_county.get(county_code, [])) >= 3
    ]
    host_b, late, pr06 = plant_pr06_supplement_after_approval(hosts, by_county, supplements, final, rng)
    host_a, pr04, pr04_short = plant_pr04_paddy_short(hosts, by_county, host_b)
    pr03, pr03_short = plant_pr03_quantity_short(by_county[host_a], [pr04])
    pr05, pr05_short = plant_pr05_capacity_short(by_county[host_a], [pr04, pr03])
    shortfalls = {"PR03": pr03_short, "PR04": pr04_short, "PR05": pr05_short}
    no_sell = {host_a, host_b}

    dq10 = plant_dq10_project(supplements, (pr15, host_b), final)
    pr14 = plant_pr14_provincial_share_halved(supplements, [dq10, final, late], builder.provincial_share)
    # PR17: two more projects re-declare their 新增耕地 — one beyond the tolerance, one a near miss.
    pr17, pr17_near = plant_pr17_declared_gain_overstated(
        supplements, [dq10, final, late, pr14], {pr15, host_a, host_b}, builder.provincial
    )

    # 永农 occupied, one approval per county where there are enough: 国务院 approvals (clean), one at 省
    # level (PR23), one underpaid (PR07); a clean 承诺制 approval; DQ07's duplicate.
    others = sorted(
        (approval for approval in approvals if approval.county not in no_sell and approval.role == "clean"),
        key=lambda approval: (approval.county, approval.approved),
    )
    picked: list[Approval] = []
    pr07, pr07_occupy, pr07_fee = plant_pr07_fee_underpaid(others, picked, builder.national, rng)
    pr23, pr23_occupy = plant_pr23_pbf_approved_by_province(others, picked, rng)
    pbf_demo = pick_elsewhere(others, picked, "pbf-demo", rng)
    pbf = pick_elsewhere(others, picked, "pbf", rng)
    promise = pick_elsewhere(others, picked, "promise", rng)
    deliver_twice = plant_dq07_delivered_twice(others, picked, rng)
    pr07_occupy()
    pr23_occupy()
    occupy_pbf(pbf_demo, builder.national, True, rng)
    occupy_pbf(pbf, builder.national, False, rng)
    promise.promise = True
    promise.deadline = promise.approved + days(730)
    promise.name = PROMISE_NAMES[2].format(county=county_by_code(promise.county).name)

    # The pool of older projects is sized from each county's own occupation of 耕地, approved or not.
    needs: dict[str, float] = {county_code: 0.0 for county_code in counties}
    for approval in approvals:
        needs[approval.county] += approval.occupied_mu

    # PR10: three of the clean approvals left, away from the counties of the quota plants.
    pr10 = plant_pr10_unapproved_occupation(approvals, no_sell | {pr15}, set(avoid_villages), builder.redline)

    facilities = builder.facility_approvals()
    pr25 = plant_pr25_facility_beyond_filing(survey, facilities)
    temporary = builder.temporary_approvals()
    pr24 = plant_pr24_temporary_land_not_restored(builder)
    temporary.append(pr24)
    for approval in approvals + facilities + temporary:
        approval.number = fresh_number(builder, approval)
        if not approval.name:
            approval.name = construction_name(approval.piece, approval.approved.year, rng)
    # Numbered with the rest so that no other 批准文号 moves; then never delivered.
    approvals = [approval for approval in approvals if approval is not pr10["PR10-none"]]
    for county in counties:
        factor = POOL_FACTOR_BUYER if county in no_sell else POOL_FACTOR_SELLER
        want = factor * needs[county]
        # a county out of land buys the rest later
        while want > 1.0 and builder.next_free_parcel(county) is not None:
            supplement = builder.pool_supplement(county, want)
            supplements.append(supplement)
            want -= supplement.new_mu

    quota = Quota(supplements=supplements, approvals=approvals + facilities + temporary, links=[], trades=[])
    quota.no_sell = no_sell
    quota.pr15_county = pr15
    quota.pr07_fee = pr07_fee
    _simulate(builder, quota, approvals, late, shortfalls, rng)
    sell_short(quota, rng)
    plant_dq13_reference_missing(quota, rng)

    deliver_twice(quota)
    quota.planted = {
        "PR03": pr03,
        "PR04": pr04,
        "PR05": pr05,
        **pr06,
        "PR07": pr07,
        "PR23": pr23,
        "PR14": pr14,
        "DQ10": dq10,
        "late": late,
        "final": final,
        **pr10,
        "PR17": pr17,
        "PR17-near": pr17_near,
        "PR24": pr24,
        "PR25": pr25,
    }
    _number_links(quota)
    return quota


def _simulate(
    builder: QuotaBuilder,
    quota: Quota,
    approvals: list[Approval],
    late: Supplement,
    shortfalls: dict[str, Callable[[np.ndarray], np.ndarray]],
    rng,
) -> None:
    """Link every 建设用地 approval in date order, buying quota where a county runs short; an approval
    whose role has a shortfall (PR03–PR05) links only what that leaves of its need."""
    book = Book()
    for supplement in quota.supplements:
        if not supplement.linkable:
            continue
        stock = supplement.stock()
        if supplement is late:  # a third each is kept for the two approvals that must link to it late
            part = stock // 3
            for role in ("PR06", "PR06-exception"):
                book.add(f"{supplement.county}#{role}", supplement.code, supplement.stocked, part)
            stock = stock - 2 * part
        book.add(supplement.county, supplement.code, supplement.stocked, stock)
    counties = sorted(
        {supplement.county for supplement in quota.supplements} | {approval.county for approval in approvals}
    )
    sellers = [county for county in counties if county not in quota.no_sell]
    margin = np.array([MARGIN_U, MARGIN_U, MARGIN_KG], dtype=np.int64)
    for approval in approvals:
        if approval.link_on is None:
            approval.link_on = approval.approved - days(rng.integers(3, 30))

    agenda: list[tuple[date, int, object]] = [(approval.link_on, 1, approval) for approval in approvals]
    agenda += [(day, 0, None) for day in VOLUNTARY_TRADES]
    agenda.sort(key=lambda entry: (entry[0], entry[1], getattr(entry[2], "number", "")))

    def trade(seller: str, buyer: str, on: date, amount: np.ndarray) -> None:
        book.transfer(seller, buyer, on, amount)
        quota.trades.append(
            Trade(
                "",
                seller,
                buyer,
                on,
                int(amount[0]),
                int(amount[1]),
                int(amount[2]),
                round(float(rng.uniform(35, 80)), 1),
            )
        )

    for on, _, item in agenda:
        if item is None:  # a voluntary trade: the richest seller sells a tenth of its surplus
            surplus = {county: book.available(county, on) - margin for county in sellers}
            seller = max(sellers, key=lambda county: (surplus[county][0], county))
            amount = np.maximum(surplus[seller] // 10, 0)
            amount[0] = amount[0] // UNIT * UNIT  # whole 亩
            amount[1] = min(amount[1] // UNIT * UNIT, amount[0])
            if amount[0] >= 100 * UNIT:
                buyers = [county for county in counties if county != seller]
                trade(seller, buyers[int(rng.integers(len(buyers)))], on, amount)
            continue
        approval: Approval = item
        need = approval.need()
        if approval.role in shortfalls:
            need = shortfalls[approval.role](need)
        taken: dict[str, np.ndarray] = {}
        if approval.role in ("PR06", "PR06-exception"):  # part of it from the project 入库 after the approval
            taken = book.take(f"{approval.county}#{approval.role}", approval.link_on, need, only=late.code)
            for part in taken.values():
                need = need - part
        short = np.maximum(need + margin - book.available(approval.county, approval.link_on), 0)
        if short.any():
            # Events are handled in date order; a purchase a few days back only looks at what the seller
            # holds now, which is never more than it held then, so no balance can go below the margin.
            t_on = approval.link_on - days(rng.integers(2, 10))
            amount = _round_up(short + margin)
            candidates = [
                county
                for county in sellers
                if county != approval.county and (book.available(county, t_on) - margin >= amount).all()
            ]
            if candidates:
                seller = max(candidates, key=lambda county: (book.available(county, t_on)[0], county))
                trade(seller, approval.county, t_on, amount)
            else:  # nobody can sell: the county had banked older projects after all
                while (book.available(approval.county, approval.link_on) - margin < need).any():
                    if builder.next_free_parcel(approval.county) is None:
                        raise RuntimeError(
                            f"cannot balance {approval.number}: no quota to buy, no land for a project"
                        )
                    lacking = np.maximum(need + margin - book.available(approval.county, approval.link_on), 0)
                    want = max(lacking[0] / UNIT, lacking[1] / UNIT, lacking[2] / capacity_per_mu(7)) + 200.0
                    supplement = builder.pool_supplement(approval.county, want)
                    quota.supplements.append(supplement)
                    book.add(supplement.county, supplement.code, supplement.stocked, supplement.stock())
        for project, part in book.take(approval.county, approval.link_on, need).items():
            taken[project] = taken.get(project, np.zeros(3, dtype=np.int64)) + part
        for project, part in sorted(taken.items()):
            quota.links.append(
                Link("", approval.number, project, approval.link_on, int(part[0]), int(part[1]), int(part[2]))
            )


def _round_up(amount: np.ndarray) -> np.ndarray:
    """Trade in round lots: whole 亩 of 数量 and 水田, thousands of kg of 产能."""
    out = amount.copy()
    out[0] = -(-amount[0] // UNIT) * UNIT
    out[1] = -(-amount[1] // UNIT) * UNIT
    out[2] = -(-amount[2] // 1000) * 1000
    out[0] = max(out[0], out[1])  # paddy quota is quota of 耕地 too: never more 水田 than 数量
    return out


def _number_links(quota: Quota) -> None:
    quota.links.sort(key=lambda link: (link.on, link.approval, link.project))
    per_year: dict[int, int] = {}
    for link in quota.links:
        per_year[link.on.year] = per_year.get(link.on.year, 0) + 1
        link.number = f"GG{link.on.year}{per_year[link.on.year]:04d}"
    quota.trades.sort(key=lambda trade: (trade.on, trade.seller, trade.buyer))
    per_year = {}
    for trade in quota.trades:
        per_year[trade.on.year] = per_year.get(trade.on.year, 0) + 1
        trade.number = f"TJ{trade.on.year}-{per_year[trade.on.year]:03d}"
