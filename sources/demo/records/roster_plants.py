"""Planted case of the 田长名册 (cases.build_roster), one function, which says what it plants."""

from __future__ import annotations

import numpy as np

from sources.demo.records.survey import Survey
from sources.demo.region import counties


def plant_pr21_field_chief_missing(survey: Survey, rng: np.random.Generator) -> tuple[str, str]:
    """PR21 (田长制全覆盖): a county with no county-level 田长 (the roster stream's first draw) and, in
    another county, a village holding ≥ 50 亩 of 永农 with no village-level 田长 (the second draw); PR21
    finds both, every other county, township and village holding 永农 having its 田长. Returns (county,
    village) for build_roster to leave out."""
    codes = [division.code for division in counties()]
    pr21_county = codes[int(rng.integers(len(codes)))]
    big = [
        village
        for village, (_, pbf) in survey.village_farmland[2025].items()
        if pbf * 15 / 1_000_000 >= 50
        and village in survey.villages_holding_pbf
        and village[:6] != pr21_county
    ]
    return pr21_county, sorted(big)[int(rng.integers(len(big)))]
