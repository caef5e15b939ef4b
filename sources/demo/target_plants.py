"""Planted cases of the rules that hold a county against a target or a balance (PR01, PR02, PR08): each
function decides its county's planted shortfall, its design as its parameters, and returns the step (or
steps) the generic builders call where they set that figure; every other county clears by a margin.

The city rows follow from the county figures and are recorded in the manifest either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from sources.demo.attributes import MEAN_KEEP
from sources.demo.change_plan import fill_by_area
from sources.demo.region import target_m2

PR01_COUNTY = "330411"  # 秀洲
PR01_SHORTFALL = 0.985  # 2025 耕地 / target
PR01_EXTRA_LOSS = 0.06  # 2025 耕地 → construction, as a share of the target
PR01_BASE_MARGIN = 1.06  # 2022 耕地 / 2025 target, so that 2022–2024 stay above the target
PR01_LOSS_YEAR = 2025
PR02_COUNTY = "330424"  # 海盐
PR02_SHORTFALL = 0.985  # Σ JBNTMJ / target
PR08_COUNTY_YEAR = ("330421", 2024)  # 嘉善
PR08_RATIO = 0.35  # 耕地 restored / 耕地 lost to other agricultural land
PR08_CEILING = 0.6  # a restoration above this share of the loss is dropped (a coarse demo)


@dataclass(frozen=True)
class CultivatedShortfall:
    """PR01's steps. base_margin (base.build_base): the county's base-year 耕地 goal as a multiple of its
    target, None where PR01 is not planted; extra_loss (change_plan): m² of 耕地 → construction added in a
    county-year; calibration_goal (calibrate): (county, target in cents, Σ 耕地 cents per state before
    calibration) → the cents to add, None where PR01 is not planted."""

    base_margin: Callable[[str], float | None]
    extra_loss: Callable[[str, int], float]
    calibration_goal: Callable[[str, float, np.ndarray], int | None]


def plant_pr01_cultivated_land_below_target(
    county: str = PR01_COUNTY,
    shortfall: float = PR01_SHORTFALL,
    extra_loss: float = PR01_EXTRA_LOSS,
    base_margin: float = PR01_BASE_MARGIN,
    loss_year: int = PR01_LOSS_YEAR,
) -> CultivatedShortfall:
    """PR01 (耕地保有量不低于目标): `county` starts 2022 with `base_margin` × its 耕地 target, loses
    `extra_loss` × the target to construction in `loss_year` on top of its usual losses, and calibration
    lands its 2025 耕地 on `shortfall` × the target, 2022–2024 staying above it. PR01 finds that county in
    2025 and no other county (calibration lifts every other one 2–3.5% above its target in every year)."""

    def margin(code: str) -> float | None:
        return base_margin if code == county else None

    def loss(code: str, year: int) -> float:
        return extra_loss * target_m2(code, "cultivated_land") if (code, year) == (county, loss_year) else 0.0

    def calibration_goal(code: str, target_c: float, series: np.ndarray) -> int | None:
        return round(target_c * shortfall) - int(series[-1]) if code == county else None

    return CultivatedShortfall(margin, loss, calibration_goal)


def plant_pr02_pbf_below_target(
    county: str = PR02_COUNTY, shortfall: float = PR02_SHORTFALL
) -> Callable[[str], float | None]:
    """PR02 (永久基本农田保护面积不低于目标): `county`'s 永农 boxes are chosen until Σ JBNTMJ reaches
    `shortfall` × its target (the planted polygons counting towards it, all but DQ05's bow-tie, which
    the warehouse quarantines). PR02 finds that county, every other one being given 1.5–3% more than its
    target. Returns the step build_yjjbnt runs on each county: its goal as a multiple of its target,
    None where PR02 is not planted."""

    def goal_share(code: str) -> float | None:
        return shortfall if code == county else None

    return goal_share


def plant_pr08_restoration_short(
    county_year: tuple[str, int] = PR08_COUNTY_YEAR, ratio: float = PR08_RATIO, ceiling: float = PR08_CEILING
) -> Callable[[str, int, np.ndarray, np.ndarray, float], tuple[np.ndarray, np.ndarray] | None]:
    """PR08 (耕地进出平衡): in `county_year` the 耕地 restored from other agricultural land is about
    `ratio` × the 耕地 that went the other way, the smallest parcels taken first so that even the minimum
    split stays well below it, and none at all where even that would exceed `ceiling` × the loss. PR08
    finds that county-year, every other one restoring 1.6–2.4 × its loss. Returns the step change_plan
    runs on each county-year's restoration: (county, year, candidate rows in order, TBMJ in m² by row,
    m² lost) → (rows, fractions), None where PR08 is not planted."""

    def restore(
        code: str, year: int, pool: np.ndarray, tbmj: np.ndarray, out_area: float
    ) -> tuple[np.ndarray, np.ndarray] | None:
        if (code, year) != county_year:
            return None
        pool = pool[np.argsort(tbmj[pool], kind="stable")]
        rows, fractions = fill_by_area(pool, tbmj * MEAN_KEEP, ratio * out_area)
        if (tbmj[rows] * fractions).sum() * MEAN_KEEP > ceiling * out_area:
            return rows[:0], fractions[:0]
        return rows, fractions

    return restore
