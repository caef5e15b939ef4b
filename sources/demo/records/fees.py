"""耕地开垦费: the county fee standards (funds/reference/耕地开垦费标准.csv) and what each 建设用地 approval
paid (funds/<year>/耕地开垦费缴纳_<year>.csv).

due = (占用耕地 − 永农) × standard at the approval's grade + (永农 − 示范区) × the county's highest
standard × 2 + 示范区 × highest × 3 (001 §二(四); the multipliers are PR07's catalog parameters).
Every approval pays in full, rounded up to the next whole 元 (so paid > due by under 1 元 and never
ties with it), in one or two instalments before it is approved — except the planted PR07 approval, which
occupies 永农 and 示范区 but paid as if every 亩 were ordinary 耕地 at the highest standard.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from sources.demo.records.model import days
from sources.demo.records.params import parameters
from sources.demo.records.people import company
from sources.demo.records.quota_model import Approval, Quota, short_name

GRADES = range(1, 16)
STEP_PER_GRADE = 1_800  # 元/亩 less for each grade worse


@dataclass
class Payment:
    number: str
    approval: str
    payer: str
    amount: float  # 元
    paid_on: date


def fee_standards(counties: list[str], rng: np.random.Generator) -> dict[tuple[str, int], float]:
    """(county, 耕地等别) → 元/亩: a county's grade-1 standard of 42 000–52 000 元, 1 800 less per grade."""
    out = {}
    for county in counties:
        top = 42_000 + 1_000 * int(rng.integers(0, 11))
        for grade in GRADES:
            out[(county, grade)] = float(top - STEP_PER_GRADE * (grade - 1))
    return out


def highest(standards: dict[tuple[str, int], float], county: str) -> float:
    return max(standard for (standard_county, _), standard in standards.items() if standard_county == county)


def fee_due(approval: Approval, standards: dict[tuple[str, int], float]) -> float:
    params = parameters("PR07")
    top = highest(standards, approval.county)
    ordinary = standards[(approval.county, min(15, max(1, int(round(approval.grade)))))]
    return (
        (approval.occupied_mu - approval.pbf_mu) * ordinary
        + (approval.pbf_mu - approval.demo_mu) * top * float(params["pbf_multiplier"])
        + approval.demo_mu * top * float(params["demonstration_multiplier"])
    )


def build_payments(
    quota: Quota, standards: dict[tuple[str, int], float], rng: np.random.Generator
) -> tuple[list[Payment], dict[str, dict]]:
    """Payments of every 建设用地 approval, and approval → {due, paid} (for the manifest truth)."""
    payments: list[Payment] = []
    truth: dict[str, dict] = {}
    underpaid = quota.planted["PR07"]
    for approval in sorted(quota.approvals, key=lambda approval: (approval.approved, approval.number)):
        if approval.use != "建设用地":
            continue
        due = fee_due(approval, standards)
        if approval is underpaid:  # approval_plants.plant_pr07_fee_underpaid
            total = quota.pr07_fee(standards)
        else:
            total = math.floor(due) + 1
        payer = company(rng, short_name(approval.county))
        if rng.random() < 0.3:  # two instalments
            first = math.floor(total * 0.6)
            parts = [
                (first, approval.approved - days(rng.integers(20, 60))),
                (total - first, approval.approved - days(rng.integers(2, 15))),
            ]
        else:
            parts = [(total, approval.approved - days(rng.integers(5, 40)))]
        for value, paid_on in parts:
            payments.append(Payment("", approval.number, payer, float(value), paid_on))
        truth[approval.number] = {"due_yuan": round(due, 2), "paid_yuan": float(total)}
    payments.sort(key=lambda payment: (payment.paid_on, payment.approval))
    per_year: dict[int, int] = {}
    for payment in payments:
        per_year[payment.paid_on.year] = per_year.get(payment.paid_on.year, 0) + 1
        payment.number = f"JK{payment.paid_on.year}{per_year[payment.paid_on.year]:05d}"
    return payments, truth
