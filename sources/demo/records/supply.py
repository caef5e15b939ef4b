"""土地供应统计 (stats/<year>/土地供应统计_<year>.xlsx), 2022–2025, one row per county.

建设用地总面积 is the county's construction land (is_construction classes) of the survey state of that
year; 地区生产总值 is set so that construction land per 万元 GDP sits at 11–15 m² and falls every year.
The 新增 share of supply stays below 60% and falls every year, idle land is all disposed of, and a
third or more of approved-but-unsupplied land is disposed of — the 000 §三(五)2 ratios (PR20 catalog
parameters) — except four county-years, one per failing ratio, which PR20's plant alters
(supply_plants.py).
"""

from __future__ import annotations

import numpy as np

from sources.demo.landclasses import land_classes
from sources.demo.records.model import XlsxFile
from sources.demo.records.params import parameters
from sources.demo.records.supply_plants import SupplyFigures, plant_pr20_land_use_not_intensive
from sources.records import record_kind

SUPPLY = record_kind("land_supply")
YEARS = (2022, 2023, 2024, 2025)
M2_PER_MU = 1 / 0.0015


def construction_m2(manifest: dict) -> dict[tuple[str, int], float]:
    classes = land_classes()
    out: dict[tuple[str, int], float] = {}
    for row in manifest["truth"]["land_use_area"]:
        cls = classes.get(row["land_class"])
        if cls is not None and cls.is_construction:
            key = (row["admin_code"], row["year"])
            out[key] = out.get(key, 0.0) + row["area_m2"]
    return out


def land_supply_workbooks(
    manifest: dict, counties: list[str], rng: np.random.Generator
) -> tuple[list[XlsxFile], list[dict]]:
    params = parameters("PR20")
    max_share = float(params["max_new_share"])
    min_unsupplied = float(params["min_unsupplied_disposal_rate"])
    built = construction_m2(manifest)
    pr20 = plant_pr20_land_use_not_intensive(counties, rng)
    state = {
        county_code: {
            "ratio": float(rng.uniform(13.0, 15.0)),
            "share": float(rng.uniform(max_share - 0.1, max_share - 0.04)),
            "supply": float(rng.uniform(2_500, 6_000)),
        }
        for county_code in counties
    }
    header = list(SUPPLY.columns)
    width = len(header)
    files, entries = [], []
    for year in YEARS:
        rel = f"stats/{year}/{SUPPLY.title_zh}_{year}.xlsx"
        rows: list[list] = [
            [f"{year}年度各县（市、区）土地供应统计表"] + [None] * (width - 1),
            ["单位：亩、亿元"] + [None] * (width - 1),
            header,
        ]
        sums = np.zeros(width - 1)
        for county in counties:
            course = state[county]
            if year > YEARS[0]:  # every year: less new land in the mix, less land per unit of GDP
                course["share"] -= float(rng.uniform(0.03, 0.06))
                course["ratio"] *= float(rng.uniform(0.93, 0.97))
                course["supply"] *= float(rng.uniform(0.9, 1.1))
            share, ratio = course["share"], course["ratio"]
            idle = round(float(rng.uniform(40, 300)), 2)
            unsupplied = round(float(rng.uniform(800, 3_000)), 2)
            figures = SupplyFigures(share, idle, idle, unsupplied, None, ratio)
            planted_entry = pr20(county, year, course, figures)
            if figures.disposal_rate is None:
                figures.disposal_rate = float(rng.uniform(min_unsupplied + 0.08, 0.5))
            total = round(course["supply"], 2)
            new = round(total * figures.new_share, 2)
            built_m2 = built[(county, year)]
            gdp = round(built_m2 / (figures.m2_per_10k_gdp * 10_000), 2)
            values = [
                total,
                new,
                round(total - new, 2),
                idle,
                figures.idle_done,
                unsupplied,
                round(unsupplied * figures.disposal_rate, 2),
                round(built_m2 / M2_PER_MU, 2),
                gdp,
            ]
            sums += values
            rows.append([county, *values])
            if planted_entry:
                entries.append(planted_entry(rel, len(rows), values, built_m2))
        rows.append(["合计", *[round(value, 2) for value in sums]])
        files.append(
            XlsxFile(SUPPLY.table, rel, {f"{year}年": rows}, {f"{year}年": [f"A1:{chr(64 + width)}1"]})
        )
    return files, entries
