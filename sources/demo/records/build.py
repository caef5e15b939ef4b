"""Assemble every record file of SOURCES.md §2–§4 from a generated survey, check the planted outcomes,
and write the files.

    records = build_records(demo, seed)      # in memory: files, planted entries, truth
    written = write_records(landing, records)

Each generator draws from its own random stream ([seed, 100 + k]), apart from the survey's streams, so
the survey files are byte-for-byte what they were without records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sources.demo.records import ground, lifecycle
from sources.demo.records.case_plants import plant_pr18_paid_despite_open_case
from sources.demo.records.cases import (
    build_cases,
    build_roster,
    plan_fates,
    villages_every_year,
    withheld,
)
from sources.demo.records.delivery import (
    GBK,
    UTF8_BOM,
    amount,
    chinese,
    iso,
    mu,
    slash,
    write_boundaries,
    write_csv,
    write_json,
)
from sources.demo.records.fees import build_payments, fee_standards
from sources.demo.records.funds import compensation_workbooks, maintenance_files
from sources.demo.records.ground_plants import PR10_FATES
from sources.demo.records.model import CsvFile, JsonFile, LayerFile, XlsxFile, planted
from sources.demo.records.planted_entries import ground_entries, quota_entries
from sources.demo.records.quota import build_quota
from sources.demo.records.quota_files import REDLINES, SUPPLEMENT_BOUNDARIES, quota_record_files
from sources.demo.records.quota_plants import plant_dq10_dates_reversed
from sources.demo.records.record_truth import record_truth
from sources.demo.records.self_checks import check_lifecycle, check_quota
from sources.demo.records.supply import land_supply_workbooks
from sources.demo.records.survey import Survey
from sources.demo.records.works import build_works
from sources.demo.records.xlsx import write_xlsx
from sources.extract.records import discover_records
from sources.records import record_kind

CASES = record_kind("enforcement_cases")
CHIEFS = record_kind("field_chiefs")
FEES = record_kind("reclamation_fees")
STANDARDS = record_kind("reclamation_fee_standards")


@dataclass
class Records:
    files: list = field(default_factory=list)  # CsvFile | XlsxFile | JsonFile | LayerFile
    planted: list[dict] = field(default_factory=list)
    truth: dict = field(default_factory=dict)

    @property
    def paths(self) -> list[str]:
        return sorted(file.rel for file in self.files)


def _stream(seed: int, stage: int) -> np.random.Generator:
    return np.random.default_rng([seed, 100 + stage])


def build_records(demo, seed: int) -> Records:
    survey = Survey(demo)
    counties = survey.county_codes()
    records = Records()

    # The cases' stream first names the PR18 and DQ10 villages, which the PR10 pieces keep away from,
    # as they do from the survey's findings.
    case_rng = _stream(seed, 4)
    villages = villages_every_year(survey)
    pr18_village, pr18_case = plant_pr18_paid_despite_open_case(villages, case_rng)
    dq10_village, dq10_project, dq10_case = plant_dq10_dates_reversed(villages, pr18_village)
    survey_findings = lifecycle.survey_findings(demo, survey)
    avoid = {pr18_village, dq10_village} | {finding.village for finding in survey_findings}

    quota = build_quota(survey, _stream(seed, 1), avoid, dq10_project)
    quota_files, entries = quota_record_files(quota)
    records.files += quota_files
    records.planted += entries
    ground.check_ground(survey, quota)
    entries, pr10_findings = ground_entries(quota, survey)
    records.planted += entries

    standards = fee_standards(counties, _stream(seed, 2))
    payments, payments_truth = build_payments(quota, standards, _stream(seed, 3))
    records.planted += quota_entries(quota, payments_truth)
    check_quota(quota, payments_truth)
    for year in sorted({payment.paid_on.year for payment in payments}):
        rows = [
            [
                payment.number,
                payment.approval,
                payment.payer,
                amount(payment.amount, grouped=position % 2 == 0),
                slash(payment.paid_on),
            ]
            for position, payment in enumerate(
                payment for payment in payments if payment.paid_on.year == year
            )
        ]
        records.files.append(
            CsvFile(FEES.table, f"funds/{year}/{FEES.title_zh}_{year}.csv", list(FEES.columns), rows, GBK)
        )
    std_rows = [
        [case, str(grade), f"{standard:.0f}"] for (case, grade), standard in sorted(standards.items())
    ]
    records.files.append(
        CsvFile(
            STANDARDS.table,
            f"funds/reference/{STANDARDS.title_zh}.csv",
            list(STANDARDS.columns),
            std_rows,
            GBK,
        )
    )

    findings = pr10_findings + survey_findings
    by_piece = {str(quota.planted[role].piece.after_bsm): role for role in PR10_FATES}
    fates = plan_fates(
        findings,
        {
            ("PR10", finding.entity_id): PR10_FATES[by_piece[finding.entity_id]][0]
            for finding in pr10_findings
        },
        pr18_village,
    )
    planted_at = {"PR18": (pr18_village, pr18_case), "DQ10": (dq10_village, dq10_case)}
    cases, case_plants, _ = build_cases(survey, case_rng, planted_at, findings, fates)
    case_file = CsvFile(
        CASES.table,
        f"projects/{CASES.title_zh}.csv",
        list(CASES.columns),
        [
            [
                case.number,
                case.source,
                slash(case.found),
                case.county,
                case.village,
                case.problem,
                mu(case.area, 2),
                mu(case.cultivated, 2),
                mu(case.pbf, 2),
                case.status,
                slash(case.rectified),
                slash(case.closed),
            ]
            for case in cases
        ],
        GBK,
        title="违法用地案件台账（导出时间：2026年1月5日）",
    )
    records.files.append(case_file)
    dq10 = case_plants["DQ10"]
    records.planted.append(
        planted(
            "DQ10",
            "enforcement_case",
            dq10.number,
            dq10.county,
            dq10.found.year,
            CASES.table,
            {
                "source_file": case_file.rel,
                "source_row": case_file.line(cases.index(dq10)),
                "发现日期": dq10.found.isoformat(),
                "销号日期": dq10.closed.isoformat(),
                "problem": "销号日期 before 发现日期",
            },
        )
    )

    roster, pr21 = build_roster(survey, _stream(seed, 5))
    records.files.append(
        CsvFile(
            CHIEFS.table,
            f"projects/{CHIEFS.title_zh}.csv",
            list(CHIEFS.columns),
            [
                [
                    case.level,
                    case.code,
                    case.name,
                    case.phone,
                    chinese(case.since) if position % 2 else iso(case.since),
                ]
                for position, case in enumerate(roster)
            ],
            UTF8_BOM,
        )
    )
    records.planted.append(
        planted(
            "PR21",
            "county",
            pr21["county"],
            pr21["county"],
            2025,
            CHIEFS.table,
            {"problem": "no county-level 田长"},
        )
    )
    records.planted.append(
        planted(
            "PR21",
            "village",
            pr21["village"],
            pr21["village"][:6],
            2025,
            CHIEFS.table,
            {
                "problem": "village holding 永农 without a village-level 田长",
                "pbf_cultivated_mu": round(
                    survey.village_farmland[2025][pr21["village"]][1] * 15 / 1_000_000, 2
                ),
            },
        )
    )

    avoid = {case_plants["PR18"].village, dq10.village}
    held = withheld(cases, case_plants["PR18"])
    books, entries, _ = compensation_workbooks(survey, held, case_plants["PR18"], avoid, _stream(seed, 6))
    records.files += books
    records.planted += entries
    upkeep, entries = maintenance_files(quota, _stream(seed, 7))
    records.files += upkeep
    records.planted += entries

    stats, entries = land_supply_workbooks(demo.manifest, counties, _stream(seed, 8))
    records.files += stats
    records.planted += entries

    works_json, progress, entries, works_truth = build_works(_stream(seed, 9))
    records.files += [works_json, *progress]
    records.planted += entries

    records.planted.sort(
        key=lambda entity: (entity["rule_id"], entity["year"], entity["entity_type"], entity["entity_id"])
    )
    records.truth = record_truth(quota, payments_truth, standards, survey, works_truth)
    # The warehouse never sees the DQ10 case (quarantined): it matches nothing.
    valid = [case for case in cases if case is not dq10]
    records.truth["case_lifecycle"] = lifecycle.lifecycle(findings, valid)
    check_lifecycle(
        records.truth["case_lifecycle"], {entity: PR10_FATES[role][1] for entity, role in by_piece.items()}
    )
    return records


def _clear_previous(landing: Path) -> None:
    """Remove record files an earlier generation left (another seed may have paid fees in other years)."""
    for found in discover_records(landing):
        # Only files an earlier generation wrote: named as their kind, directly in its folder. Discovery
        # also names what the landing folder's rules refuse there (archives, links to folders, files in
        # folders below), which is not the generator's to remove.
        depth = len(Path(found.kind.folder).parts) + 1
        if (
            found.kind.match(found.path.name)
            and found.path.is_file()
            and found.source_file.count("/") + 1 == depth
        ):
            found.path.unlink()
    for rel in (SUPPLEMENT_BOUNDARIES, REDLINES):
        (landing / rel).unlink(missing_ok=True)


def write_records(landing: Path, records: Records) -> list[str]:
    """Write every record file under `landing` (replacing earlier demo records); their paths."""
    landing = Path(landing)
    _clear_previous(landing)
    for file in records.files:
        path = landing / file.rel
        if isinstance(file, CsvFile):
            write_csv(path, file.header, file.rows, encoding=file.encoding, title=file.title)
        elif isinstance(file, XlsxFile):
            write_xlsx(path, file.sheets, file.merges)
        elif isinstance(file, JsonFile):
            write_json(path, file.document)
        elif isinstance(file, LayerFile):
            path.parent.mkdir(parents=True, exist_ok=True)
            write_boundaries(path, file.key, file.ids, file.bounds)
        else:  # pragma: no cover
            raise TypeError(type(file))
    return records.paths
