"""Fund ledgers: the 耕地保护补偿资金 workbooks (funds/<year>/耕地保护补偿资金发放明细_<year>.xlsx) and the
新增耕地管护 CSVs (funds/<year>/新增耕地管护_<year>.csv).

Compensation, per village and year, from the survey: 永久基本农田面积 = the village's 耕地 under 永农
boxes, 一般耕地面积 = the rest of its 耕地 (both in 亩, 2 decimals); 应发 = 永农 × 永农标准 + 一般 × 一般标准
exactly; 实发 = 应发, or 80% of it where a case is open at year end (001 §六(二十): payment tied to
enforcement). One sheet per county, title row merged over A:L, units row, header on row 3, a 合计 row
with the sums. Planted: DQ12 in 2024 (fund_plants.py: one village's 应发 off the formula, another paid
more than due) and PR18 in 2025 (the village with the planted open case paid in full).

Maintenance: every supplement project with new farmland in the three years after its acceptance,
≥ 1 000 元/亩 (PR16 parameter) by a margin, one or two grain seasons, photos uploaded. Planted PR16
three ways (money, seasons, photo) on three projects (fund_plants.py), and DQ13 (a row for a project
that does not exist, quota_plants.plant_dq13_reference_missing).
"""

from __future__ import annotations

from datetime import date

import numpy as np

from sources.demo.records.cases import Case
from sources.demo.records.delivery import GBK, UTF8, UTF8_BOM, chinese, mu
from sources.demo.records.fund_plants import plant_dq12_payment_off_formula, plant_pr16_maintenance_not_kept
from sources.demo.records.model import CsvFile, XlsxFile, planted, random_day
from sources.demo.records.params import parameters
from sources.demo.records.quota_model import Quota
from sources.demo.records.survey import Survey
from sources.demo.region import counties, township_name
from sources.demo.region import village_name as village_name_of
from sources.records import record_kind

COMPENSATION = record_kind("compensation_payments")
MAINTENANCE = record_kind("farmland_maintenance")
YEARS = (2023, 2024, 2025)
WITHHELD_SHARE = 0.2
HEADER_ROW = 3  # Excel row of the header; data from row 4


def _cents(mu_value: float) -> int:
    return int(round(mu_value * 100))


def compensation_workbooks(
    survey: Survey,
    withheld: set[tuple[str, int]],
    pr18: Case,
    avoid: set[str],
    rng: np.random.Generator,
) -> tuple[list[XlsxFile], list[dict], dict]:
    """(workbooks, planted entries, truth) of the compensation ledger."""
    rates = {
        division.code: (150 + 10 * int(rng.integers(0, 6)), 60 + 10 * int(rng.integers(0, 5)))
        for division in counties()
    }
    files, entries, truth = [], [], {}
    header = list(COMPENSATION.columns)
    width = len(header)
    dq12 = plant_dq12_payment_off_formula(survey, withheld, avoid, YEARS, rng)
    for year in YEARS:
        sheets: dict[str, list[list]] = {}
        merges: dict[str, list[str]] = {}
        rel = f"funds/{year}/{COMPENSATION.title_zh}_{year}.xlsx"
        farmland = survey.village_farmland[year]
        for county_position, county in enumerate(counties()):
            s_pbf, s_general = rates[county.code]
            pay_day = random_day(rng, date(year, 12, 10), date(year, 12, 28))
            paid_on = (
                pay_day if county_position % 2 == 0 else chinese(pay_day)
            )  # a date cell, or text as typed
            rows: list[list] = [
                [f"{year}年度耕地保护补偿资金发放明细表"] + [None] * (width - 1),
                ["单位：亩、元"] + [None] * (width - 1),
                header,
            ]
            sums = [0, 0, 0, 0]  # cents: 永农, 一般, 应发, 实发
            seq = 0
            for village, (cult_c, pbf_c) in farmland.items():
                if village[:6] != county.code:
                    continue
                pbf_cents = _cents(pbf_c * 15 / 1_000_000)
                general_cents = _cents((cult_c - pbf_c) * 15 / 1_000_000)
                if pbf_cents == 0 and general_cents == 0:
                    continue
                due = pbf_cents * s_pbf + general_cents * s_general  # 亩/100 × 元/亩 = 分
                paid = due
                note = ""
                if (village, year) in withheld:
                    paid = int(round(due * (1 - WITHHELD_SHARE)))
                    note = "存在未销号违法用地案件，暂扣20%"
                written_due, paid, dq12_detail = dq12(village, year, due, paid)
                seq += 1
                excel_row = HEADER_ROW + seq
                township_index, value = int(village[6:9]) - 1, int(village[9:12]) - 201
                township, village_name = (
                    township_name(county, township_index),
                    village_name_of(county, township_index, value),
                )
                rows.append(
                    [
                        seq,
                        township,
                        village_name,
                        village,
                        pbf_cents / 100,
                        general_cents / 100,
                        s_pbf,
                        s_general,
                        written_due / 100,
                        paid / 100,
                        paid_on,
                        note,
                    ]
                )
                for sum_index, value in enumerate((pbf_cents, general_cents, written_due, paid)):
                    sums[sum_index] += value
                where = {"source_file": rel, "sheet": county.name, "source_row": excel_row}
                if dq12_detail:
                    entries.append(
                        planted("DQ12", "village", village, county.code, year, COMPENSATION.table,
                                {**where, **dq12_detail})
                    )  # fmt: skip
                if year == 2025 and village == pr18.village:
                    entries.append(
                        planted(
                            "PR18",
                            "village",
                            village,
                            county.code,
                            year,
                            COMPENSATION.table,
                            {
                                **where,
                                "case": pr18.number,
                                "case_found": pr18.found.isoformat(),
                                "应发金额": due / 100,
                                "实发金额": paid / 100,
                            },
                        )
                    )
                truth[(village, year)] = {"due_yuan": due / 100, "paid_yuan": paid / 100}
            rows.append(
                [
                    "合计",
                    None,
                    None,
                    None,
                    sums[0] / 100,
                    sums[1] / 100,
                    None,
                    None,
                    sums[2] / 100,
                    sums[3] / 100,
                    None,
                    None,
                ]
            )
            sheets[county.name] = rows
            merges[county.name] = [f"A1:{chr(64 + width)}1"]
        files.append(XlsxFile(COMPENSATION.table, rel, sheets, merges))
    return files, entries, truth


def maintenance_files(quota: Quota, rng: np.random.Generator) -> tuple[list[CsvFile], list[dict]]:
    params = parameters("PR16")
    minimum = float(params["min_yuan_per_mu"])
    encodings = {2023: UTF8_BOM, 2024: GBK, 2025: UTF8}
    header = list(MAINTENANCE.columns)
    header[2] = header[2].replace("(", "（").replace(")", "）")  # as typed: 管护面积（亩）
    rows_by_year: dict[int, list[tuple[str, list[str]]]] = {listed_year: [] for listed_year in YEARS}
    for supplement in sorted(quota.supplements, key=lambda supplement: supplement.code):
        if not supplement.linkable or supplement.new_u <= 0:
            continue
        for year in range(supplement.accepted.year + 1, supplement.accepted.year + 4):
            if year not in rows_by_year:
                continue
            money = round(supplement.new_mu * float(rng.uniform(1.1, 1.5)) * minimum, 2)
            seasons = 2 if supplement.paddy_u and rng.random() < 0.6 else 1
            rows_by_year[year].append(
                (
                    supplement.code,
                    [supplement.code, str(year), mu(supplement.new_mu), f"{money:.2f}", str(seasons), "是"],
                )
            )
    county_of = {supplement.code: supplement.county for supplement in quota.supplements}
    entries = plant_pr16_maintenance_not_kept(rows_by_year, county_of, minimum, rng)
    files: list[CsvFile] = []
    ghost, ghost_county = quota.dq13_maintenance_row(rows_by_year, set(county_of), minimum, rng)
    for year in YEARS:
        rel = f"funds/{year}/{MAINTENANCE.title_zh}_{year}.csv"
        csv = CsvFile(
            MAINTENANCE.table,
            rel,
            header,
            [listed_row for _, listed_row in rows_by_year[year]],
            encodings[year],
        )
        files.append(csv)
        for entry in entries:
            if entry["year"] == year and entry["rule_id"] == "PR16":
                entry["detail"] = {
                    "source_file": rel,
                    "source_row": csv.line(entry["detail"].pop("row_index")),
                    **entry["detail"],
                }
    ghost_row = files[1].line(len(files[1].rows) - 1)
    entries.append(
        planted(
            "DQ13",
            "supplement_project",
            ghost,
            ghost_county,
            2024,
            MAINTENANCE.table,
            {
                "source_file": files[1].rel,
                "source_row": ghost_row,
                "problem": "管护 row for a 项目编号 missing from 补充耕地项目.csv",
            },
        )
    )
    return files, entries
