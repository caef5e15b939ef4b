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
    q: float  # 亩
    w: float  # 亩
    c: float  # kg
    what: str


def events(supplements, links, trades, approval_county: dict[str, str], *, proportional: bool) -> list[Event]:
    """Ledger events from record objects (quota.Supplement, quota.Link, quota.Trade)."""
    out: list[Event] = []
    for s in supplements:
        share = s.provincial_mu / s.new_mu if s.new_mu else 0.0
        out.append(Event(s.county, s.stocked, s.new_mu, s.paddy_mu, s.capacity_kg, f"入库 {s.code}"))
        if s.provincial_mu:
            w, c = (s.paddy_mu * share, s.capacity_kg * share) if proportional else (0.0, 0.0)
            out.append(Event(s.county, s.stocked, -s.provincial_mu, -w, -c, f"上划 {s.code}"))
    for link in links:
        county = approval_county.get(link.approval) or link.fallback_county
        out.append(Event(county, link.on, -link.q_mu, -link.w_mu, -link.c_kg, f"挂钩 {link.number}"))
    for t in trades:
        out.append(Event(t.seller, t.on, -t.q_mu, -t.w_mu, -t.c_kg, f"调出 {t.number}"))
        out.append(Event(t.buyer, t.on, t.q_mu, t.w_mu, t.c_kg, f"调入 {t.number}"))
    return out


def balances(evts: list[Event]) -> dict[str, list[tuple[date, float, float, float]]]:
    """county → [(date, 数量, 水田, 产能) after all of that date's events], in date order."""
    by_county: dict[str, dict[date, list[float]]] = defaultdict(lambda: defaultdict(lambda: [0.0, 0.0, 0.0]))
    for e in evts:
        d = by_county[e.county][e.on]
        d[0] += e.q
        d[1] += e.w
        d[2] += e.c
    out: dict[str, list[tuple[date, float, float, float]]] = {}
    for county, per_day in sorted(by_county.items()):
        q = w = c = 0.0
        rows = []
        for on in sorted(per_day):
            dq, dw, dc = per_day[on]
            q, w, c = q + dq, w + dw, c + dc
            rows.append((on, round(q, 4), round(w, 4), round(c, 2)))
        out[county] = rows
    return out


def negative_dates(evts: list[Event]) -> set[tuple[str, date]]:
    """(county, date) where any of the three balances is below zero after the day's events."""
    return {
        (county, on)
        for county, rows in balances(evts).items()
        for on, q, w, c in rows
        if q < 0 or w < 0 or c < 0
    }
