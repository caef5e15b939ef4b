"""The county quota ledger (补充耕地指标账) of PR15, computed from the records the way the rule reads it:

    balance(county, date) = Σ 入库 − Σ 上划 + Σ 调入 − Σ 调出 − Σ 挂钩   (events dated ≤ date)

for each of 数量 (亩), 水田 (亩) and 产能 (kg). 上划 is delivered as a quantity only; whether it also takes
its share of the project's 水田 and 产能 is an interpretation, so both are computed (`proportional`).
The generator keeps every balance ≥ 0 under both, except on the planted PR15 date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Event:
    county: str
    on: date
    quantity: float  # 亩
    paddy: float  # 亩
    capacity: float  # kg
    what: str


def events(supplements, links, trades, approval_county: dict[str, str], *, proportional: bool) -> list[Event]:
    """Ledger events from record objects (quota.Supplement, quota.Link, quota.Trade)."""
    out: list[Event] = []
    for supplement in supplements:
        share = supplement.provincial_mu / supplement.new_mu if supplement.new_mu else 0.0
        out.append(
            Event(
                supplement.county,
                supplement.stocked,
                supplement.new_mu,
                supplement.paddy_mu,
                supplement.capacity_kg,
                f"入库 {supplement.code}",
            )
        )
        if supplement.provincial_mu:
            paddy, capacity = (
                (supplement.paddy_mu * share, supplement.capacity_kg * share) if proportional else (0.0, 0.0)
            )
            out.append(
                Event(
                    supplement.county,
                    supplement.stocked,
                    -supplement.provincial_mu,
                    -paddy,
                    -capacity,
                    f"上划 {supplement.code}",
                )
            )
    for link in links:
        county = approval_county.get(link.approval) or link.fallback_county
        out.append(Event(county, link.on, -link.q_mu, -link.w_mu, -link.c_kg, f"挂钩 {link.number}"))
    for trade in trades:
        out.append(
            Event(trade.seller, trade.on, -trade.q_mu, -trade.w_mu, -trade.c_kg, f"调出 {trade.number}")
        )
        out.append(Event(trade.buyer, trade.on, trade.q_mu, trade.w_mu, trade.c_kg, f"调入 {trade.number}"))
    return out


def balances(evts: list[Event]) -> dict[str, list[tuple[date, float, float, float]]]:
    """county → [(date, 数量, 水田, 产能) after all of that date's events], in date order."""
    by_county: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    for event in evts:
        day_totals = by_county[event.county][event.on]
        day_totals[0] += event.quantity
        day_totals[1] += event.paddy
        day_totals[2] += event.capacity
    out: dict[str, list[tuple[date, float, float, float]]] = {}
    for county, per_day in sorted(by_county.items()):
        quantity = paddy = capacity = 0.0
        rows = []
        for on in sorted(per_day):
            dq, dw, dc = per_day[on]
            quantity, paddy, capacity = quantity + dq, paddy + dw, capacity + dc
            rows.append((on, round(quantity, 4), round(paddy, 4), round(capacity, 2)))
        out[county] = rows
    return out


def negative_dates(evts: list[Event]) -> set[tuple[str, date]]:
    """(county, date) where any of the three balances is below zero after the day's events."""
    return {
        (county, on)
        for county, rows in balances(evts).items()
        for on, quantity, paddy, capacity in rows
        if quantity < 0 or paddy < 0 or capacity < 0
    }
