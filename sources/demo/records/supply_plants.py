"""Planted cases of the 土地供应统计 workbooks (PR20), one function, which says what it plants.

supply.land_supply_workbooks draws each county-year's figures and runs PR20's step on them before the
row is written, so the plant draws from the supply stream where the workbook always has.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sources.demo.records.model import planted
from sources.demo.records.params import parameters
from sources.records import record_kind

PR20_YEARS = {"new_share": 2024, "idle": 2023, "unsupplied": 2024}  # the gdp case: the rule's first year
PR20_NEW_SHARE_OVER = 0.03  # the 新增 share above the line
PR20_IDLE_DONE = 0.8  # 闲置土地处置率 (the rule wants all of it disposed of)
PR20_UNSUPPLIED_RATE = 0.7  # 批而未供处置率 as a share of the minimum
PR20_M2_OVER = 1.5  # m² of construction land per 万元 GDP above the maximum

# (source file, Excel row, the row's values [总面积 … 地区生产总值], construction land m²) → the entry
Entry = Callable[[str, int, list[float], float], dict]


@dataclass
class SupplyFigures:
    """The figures of a county-year PR20 reads, before its row is rounded; disposal_rate None until
    drawn (after PR20's step, which may set it instead)."""

    new_share: float
    idle: float
    idle_done: float
    unsupplied: float
    disposal_rate: float | None
    m2_per_10k_gdp: float


def plant_pr20_land_use_not_intensive(
    counties: list[str], rng: np.random.Generator
) -> Callable[[str, int, dict[str, float], SupplyFigures], Entry | None]:
    """PR20 (土地节约集约利用不达标), four county-years of four counties drawn at random (one permutation
    of the supply stream), each failing one ratio of 000 §三(五)2 while every other county-year meets
    all four by a margin: the 新增 share of supply PR20_NEW_SHARE_OVER above max_new_share (the next
    year falling back below it), idle land PR20_IDLE_DONE disposed of, approved-but-unsupplied land
    disposed of at PR20_UNSUPPLIED_RATE × min_unsupplied_disposal_rate, and construction land
    PR20_M2_OVER m² per 万元 GDP above max_m2_per_10k_yuan_gdp in gdp_rule_from_year. PR20 finds those
    four county-years. Returns the step run on each county-year's figures (and the county's course
    of figures from year to year), which alters a planted one and returns its manifest entry's maker."""
    params = parameters("PR20")
    max_share = float(params["max_new_share"])
    min_unsupplied = float(params["min_unsupplied_disposal_rate"])
    max_m2 = float(params["max_m2_per_10k_yuan_gdp"])
    gdp_from = int(params["gdp_rule_from_year"])
    order = [counties[int(position)] for position in rng.permutation(len(counties))]
    cases = {  # (county, year) → which ratio fails
        (order[0], PR20_YEARS["new_share"]): "new_share",
        (order[1], PR20_YEARS["idle"]): "idle",
        (order[2], PR20_YEARS["unsupplied"]): "unsupplied",
        (order[3], gdp_from): "gdp",
    }

    def plant(county: str, year: int, course: dict[str, float], figures: SupplyFigures) -> Entry | None:
        kind = cases.get((county, year))
        if kind is None:
            return None
        if kind == "new_share":
            figures.new_share = max_share + PR20_NEW_SHARE_OVER
            course["share"] = max(course["share"] - 0.08, 0.2)  # the next year falls back below the line
        elif kind == "idle":
            figures.idle_done = round(figures.idle * PR20_IDLE_DONE, 2)
        elif kind == "unsupplied":
            figures.disposal_rate = min_unsupplied * PR20_UNSUPPLIED_RATE
        else:
            figures.m2_per_10k_gdp = max_m2 + PR20_M2_OVER

        def entry(rel: str, source_row: int, values: list[float], built_m2: float) -> dict:
            total, new, _, idle, idle_done, unsupplied, unsupplied_done, _, gdp = values
            if kind == "new_share":
                fails = f"新增 share {new / total:.3f} ≥ {max_share}"
            elif kind == "idle":
                fails = f"闲置土地处置率 {idle_done / idle:.3f} < 1"
            elif kind == "unsupplied":
                fails = f"批而未供处置率 {unsupplied_done / unsupplied:.3f} < {min_unsupplied}"
            else:
                fails = f"建设用地 {built_m2 / (gdp * 10_000):.2f} m²/万元 GDP > {max_m2:g}"
            return planted(
                "PR20",
                "county",
                county,
                county,
                year,
                record_kind("land_supply").table,
                {"source_file": rel, "sheet": f"{year}年", "source_row": source_row, "fails": fails},
            )

        return entry

    return plant
