"""Planted cases of the quota records: each function plants one rule's case, and says which.

The quota stream's draws come in a fixed order (build_quota calls these in turn), so a plant that needs
quota-book state late (PR15's sale) is made of a choice now and a step run later, both in its function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import numpy as np

from sources.demo.records import ledger
from sources.demo.records.cases import Case
from sources.demo.records.model import days
from sources.demo.records.quota_model import UNIT, Link, Quota, Supplement, Trade
from sources.demo.region import counties

PR15_DAY = date(2025, 12, 29)  # the planted overdraft; the county's last project is 入库 the next day
PR15_RESTOCK = date(2025, 12, 30)


def first_of(candidates, what: str):
    found = next(candidates, None)
    if found is None:
        raise RuntimeError(f"the survey offers no {what}; generate at a larger scale")
    return found


def plant_pr15_quota_overdraft(
    supplements: list[Supplement],
) -> tuple[Supplement, Callable[[Quota, np.random.Generator], None]]:
    """PR15 (补充耕地指标透支): a county whose last project, accepted in 2025, is 入库 on 30 December sells
    on 29 December more 数量 quota than it holds; PR15 finds that county on that day, and no other
    county-date. Returns (that last project, the sale), the sale to be made once every link and trade
    of the book is known (it reads the county's balance)."""
    finals = [
        supplement
        for supplement in supplements
        if supplement.accepted.year == 2025 and supplement.kind != "旱地改水田" and supplement.new_u > 0
    ]
    finals.sort(key=lambda supplement: (-supplement.new_u, supplement.code))
    final = first_of(iter(finals), "a project accepted in 2025 for PR15")
    final.accepted = min(final.accepted, date(2025, 12, 10))
    final.stocked = PR15_RESTOCK

    def sell_short(quota: Quota, rng: np.random.Generator) -> None:

        county = quota.pr15_county
        approval_county = {approval.number: approval.county for approval in quota.approvals}
        evts = ledger.events(
            quota.supplements, quota.links, quota.trades, approval_county, proportional=False
        )
        later = [
            event
            for event in evts
            if event.county == county and event.on >= PR15_DAY and event.on != PR15_RESTOCK
        ]
        if later:
            raise RuntimeError(f"PR15 county {county} has quota events after {PR15_DAY}")
        balance = sum(event.quantity for event in evts if event.county == county and event.on <= PR15_DAY)
        restock = final.stock()[0] / UNIT
        q_mu = math.ceil(balance + 0.5 * restock)
        buyers = [
            county_code
            for county_code in sorted({supplement.county for supplement in quota.supplements})
            if county_code != county
        ]
        trade = Trade(
            "",
            county,
            buyers[int(rng.integers(len(buyers)))],
            PR15_DAY,
            q_mu * UNIT,
            0,
            0,
            round(float(rng.uniform(35, 80)), 1),
        )
        quota.trades.append(trade)
        quota.pr15_trade = trade

    return final, sell_short


def plant_dq10_dates_reversed(
    villages: list[str], pr18_village: str
) -> tuple[str, Callable[[list[Supplement], tuple[str, ...], Supplement], Supplement], Callable]:
    """DQ10 (日期先后顺序), two cases DQ10 quarantines: a 垦造耕地 project whose 验收日期 precedes its
    立项日期 (the year typed one too high), which nothing links to and which stays out of the PR15 and
    PR06 counties; and an enforcement case whose 销号日期 precedes its 发现日期, in a village holding 耕地
    every year, in the second half of `villages` and another county than the PR18 village, which gets no
    other case. Chooses the village now (the cases' stream names it before the quota records are made);
    returns (the village, the step that plants the project: build_quota, the step that files the case:
    cases.build_cases)."""
    village = next(village for village in villages[len(villages) // 2 :] if village[:6] != pr18_village[:6])

    def plant_project(
        supplements: list[Supplement], keep_out_counties: tuple[str, ...], final: Supplement
    ) -> Supplement:
        dq10 = first_of(
            (
                supplement
                for supplement in supplements
                if supplement.county not in keep_out_counties
                and supplement is not final
                and supplement.kind == "垦造耕地"
            ),
            "a 垦造耕地 project for DQ10",
        )
        dq10.started = date(dq10.accepted.year + 1, dq10.started.month, min(dq10.started.day, 28))
        dq10.linkable = False
        return dq10

    def file_case(rng: np.random.Generator) -> Case:
        return Case(
            "",
            "巡查",
            date(2024, 6, 10),
            village[:6],
            village,
            "违规占用耕地挖湖造景",
            0.86,
            0.86,
            0.0,
            "已销号",
            date(2024, 7, 2),
            date(2024, 3, 15),
        )

    return village, plant_project, file_case


def plant_pr14_provincial_share_halved(
    supplements: list[Supplement], exclude: list[Supplement], provincial_share: float
) -> Supplement:
    """PR14 (垦造耕地指标20%上划省统筹): a 垦造耕地 project hands only half of the provincial share to
    the province; PR14 finds that project, every other 垦造耕地 project handing over a hair more."""
    pr14 = first_of(
        (
            supplement
            for supplement in supplements
            if supplement.kind == "垦造耕地"
            and all(supplement is not other for other in exclude)
            and supplement.new_u > 0
        ),
        "a 垦造耕地 project for PR14",
    )
    pr14.provincial_u = math.floor(pr14.new_u * provincial_share / 2)
    return pr14


def plant_dq13_reference_missing(quota: Quota, rng) -> None:
    """DQ13 (引用关系完整), two rows DQ13 quarantines: a link whose 批准文号 no approval carries (a mistyped
    number), drawing a little quota from a big pool project of a county that sells quota and is not the
    PR15 county; and a 2024 管护 row for a 项目编号 missing from 补充耕地项目 (KZ<county>-2022-099, the
    county drawn from the maintenance stream). Makes the link now (quota.orphan_link) and leaves the row's
    step in quota.dq13_maintenance_row for funds.maintenance_files: (rows by year, existing codes, the
    PR16 minimum 元/亩, its stream) → (the code, its county)."""
    pool = [
        supplement
        for supplement in quota.supplements
        if supplement.origin == "pool"
        and supplement.county not in quota.no_sell
        and supplement.county != quota.pr15_county
        and supplement.linkable
    ]
    supplement = max(pool, key=lambda supplement: (supplement.new_u, supplement.code))
    existing = {approval.number for approval in quota.approvals}
    number = "浙政土字〔2024〕999号"
    while number in existing:
        number = number.replace("999", "998")
    on = date(2024, 7, 8) + days(rng.integers(0, 20))
    link = Link("", number, supplement.code, on, 5 * UNIT, 5 * UNIT, 4000, fallback_county=supplement.county)
    quota.links.append(link)
    quota.orphan_link = link

    def maintenance_row(
        rows_by_year: dict[int, list[tuple[str, list[str]]]], codes: set[str], minimum: float, rng
    ) -> tuple[str, str]:
        ghost_county = counties()[int(rng.integers(len(counties())))].code
        ghost = f"KZ{ghost_county}-2022-099"
        while ghost in codes:
            ghost = ghost.replace("-099", "-098")
        rows_by_year[2024].append(
            (ghost, [ghost, "2024", "312.4", f"{312.4 * minimum * 1.2:.2f}", "1", "是"])
        )
        return ghost, ghost_county

    quota.dq13_maintenance_row = maintenance_row
