"""Thresholds of the record rules, read from the rule catalog (quality/rules/catalog.yml), and the
grade → grain-capacity table (transforms/seeds/ref_grain_capacity.csv).

The generator plants violations relative to these numbers and keeps clean rows clear of them by a
margin, so a policy officer who changes a threshold changes the demo with it.
"""

from __future__ import annotations

import csv
from functools import cache

from quality.catalog import load_catalog
from sources.demo.region import SEEDS_DIR

GRAIN_CAPACITY_SEED = SEEDS_DIR / "ref_grain_capacity.csv"


def parameters(rule_id: str) -> dict:
    return dict(load_catalog()[rule_id].parameters)


@cache
def grain_capacity() -> dict[int, float]:
    """耕地等别 (1 best … 15) → grain capacity in kg/亩."""
    with GRAIN_CAPACITY_SEED.open(encoding="utf-8") as handle:
        return {
            int(record["quality_grade"]): float(record["capacity_kg_per_mu"])
            for record in csv.DictReader(handle)
        }


def capacity_per_mu(grade: float) -> float:
    """Capacity of a (possibly area-weighted, fractional) grade: the table at the nearest whole grade."""
    return grain_capacity()[min(15, max(1, int(round(grade))))]
