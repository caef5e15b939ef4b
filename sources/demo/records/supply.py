"""土地供应统计 (stats/<year>/土地供应统计_<year>.xlsx), 2022–2025, one row per county.

建设用地总面积 is the county's construction land (is_construction classes) of the survey state of that
year; 地区生产总值 is set so that construction land per 万元 GDP sits at 11–15 m² and falls every year.
The 新增 share of supply stays below 60% and falls every year, idle land is all disposed of, and a
third or more of approved-but-unsupplied land is disposed of — the 000 §三(五)2 ratios (PR20 catalog
parameters) — except four planted county-years, one per failing ratio.
"""

from __future__ import annotations

import numpy as np

from sources.demo.landclasses import land_classes
from sources.demo.records.model import XlsxFile, planted
from sources.demo.records.params import parameters
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
    max_m2 = float(params["max_m2_per_10k_yuan_gdp"])
    gdp_from = int(params["gdp_rule_from_year"])
    built = construction_m2(manifest)
    order = [counties[int(position)] for position in rng.permutation(len(counties))]
    plant = {  # (county, year) → which ratio fails
        (order[0], 2024): "new_share",
        (order[1], 2023): "idle",
        (order[2], 2024): "unsupplied",
        (order[3], gdp_from): "gdp",
    }
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
            kind = plant.get((county, year))
            share = max_share + 0.03 if kind == "new_share" else course["share"]
            if kind == "new_share":
                course["share"] = max(course["share"] - 0.08, 0.2)  # the next year falls back below the line
            total = round(course["supply"], 2)
            new = round(total * share, 2)
            idle = round(float(rng.uniform(40, 300)), 2)
            idle_done = round(idle * 0.8, 2) if kind == "idle" else idle
            unsupplied = round(float(rng.uniform(800, 3_000)), 2)
            rate = (
                min_unsupplied * 0.7
                if kind == "unsupplied"
                else float(rng.uniform(min_unsupplied + 0.08, 0.5))
            )
            unsupplied_done = round(unsupplied * rate, 2)
            built_m2 = built[(county, year)]
            ratio = max_m2 + 1.5 if kind == "gdp" else course["ratio"]
            gdp = round(built_m2 / (ratio * 10_000), 2)
            values = [
                total,
                new,
                round(total - new, 2),
                idle,
                idle_done,
                unsupplied,
                unsupplied_done,
                round(built_m2 / M2_PER_MU, 2),
                gdp,
            ]
            sums += values
            rows.append([county, *values])
            if kind:
                entries.append(
                    planted(
                        "PR20",
                        "county",
                        county,
                        county,
                        year,
                        SUPPLY.table,
                        {
                            "source_file": rel,
                            "sheet": f"{year}年",
                            "source_row": len(rows),
                            "fails": {
                                "new_share": f"新增 share {new / total:.3f} ≥ {max_share}",
                                "idle": f"闲置土地处置率 {idle_done / idle:.3f} < 1",
                                "unsupplied": f"批而未供处置率 {unsupplied_done / unsupplied:.3f} "
                                f"< {min_unsupplied}",
                                "gdp": f"建设用地 {built_m2 / (gdp * 10_000):.2f} m²/万元 GDP > {max_m2:g}",
                            }[kind],
                        },
                    )
                )
        rows.append(["合计", *[round(value, 2) for value in sums]])
        files.append(
            XlsxFile(SUPPLY.table, rel, {f"{year}年": rows}, {f"{year}年": [f"A1:{chr(64 + width)}1"]})
        )
    return files, entries
