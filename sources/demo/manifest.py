"""The demo manifest (`<landing>/demo_manifest.json`): what was generated, every planted violation the
warehouse must report, and the true figures it must reproduce."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl

from sources.demo.base import BASE_YEAR
from sources.demo.change_plan import CHANGE_YEARS
from sources.demo.findings import pbf_valid
from sources.demo.frame import Table
from sources.demo.region import REGION_CODE, counties, targets
from sources.demo.truth import cents_to_mu, cultivated_cents

MANIFEST_NAME = "demo_manifest.json"
TARGET_YEAR = 2025


def parcel_entries(base: Table, notes: list[dict]) -> list[dict]:
    """Planted parcel violations of the DQ rules (from planting.apply) as manifest entries."""
    return [
        {
            "rule_id": note["rule_id"],
            "entity_type": "parcel",
            "entity_id": str(base["BSM"][note["row"]]),
            "admin_code": str(base["ZLDWDM"][note["row"]])[:6],
            "year": BASE_YEAR if note["rule_id"].startswith("DQ") else TARGET_YEAR,
            "layer": "DLTB",
            "detail": note["detail"],
        }
        for note in notes
    ]


def pbf_entries(yjjbnt: Table) -> list[dict]:
    """DQ05 on the control layer: the 永农 polygon delivered as a bow-tie ring."""
    return [
        {
            "rule_id": "DQ05",
            "entity_type": "pbf_polygon",
            "entity_id": str(yjjbnt["BSM"][row]),
            "admin_code": str(yjjbnt["XZQDM"][row]),
            "year": TARGET_YEAR,
            "layer": "YJJBNT",
            "detail": {"geometry": "self-intersecting (bow-tie) ring"},
        }
        for row in np.flatnonzero(~pbf_valid(yjjbnt))
    ]


def target_outcomes(rule_id: str, indicator: str, actual_cents: dict[str, int]) -> list[dict]:
    """County and city rows of a 2025 target rule (PR01 耕地保有量, PR02 永久基本农田)."""
    rows = []
    for code in [county.code for county in counties()] + [REGION_CODE]:
        level = "city" if code == REGION_CODE else "county"
        cents = sum(actual_cents.values()) if level == "city" else actual_cents.get(code, 0)
        actual, target = cents_to_mu(cents), targets()[(code, indicator)]
        rows.append(
            {
                "rule_id": rule_id, "admin_code": code, "admin_level": level, "year": TARGET_YEAR,
                "actual_mu": actual, "target_mu": target, "gap_mu": round(actual - target, 6),
                "meets_target": actual >= target,
            }
        )  # fmt: skip
    return rows


def target_entries(outcomes: list[dict], layer: str) -> list[dict]:
    return [
        {
            "rule_id": outcome["rule_id"],
            "entity_type": outcome["admin_level"],
            "entity_id": outcome["admin_code"],
            "admin_code": outcome["admin_code"],
            "year": outcome["year"],
            "layer": layer,
            "detail": {
                "actual_mu": outcome["actual_mu"],
                "target_mu": outcome["target_mu"],
                "gap_mu": outcome["gap_mu"],
            },
        }
        for outcome in outcomes
        if not outcome["meets_target"]
    ]


def in_out_rows(frames: dict[int, pl.DataFrame]) -> list[dict]:
    rows = []
    for year, frame in frames.items():
        by_code = {row["admin_code"]: row for row in frame.iter_rows(named=True)}
        for county in counties():
            row = by_code.get(county.code, {"in_c": 0, "out_c": 0})
            rows.append(
                {
                    "admin_code": county.code,
                    "year": year,
                    "in_mu": cents_to_mu(row["in_c"]),
                    "out_mu": cents_to_mu(row["out_c"]),
                }
            )
    return rows


def in_out_entries(rows: list[dict]) -> list[dict]:
    return [
        {
            "rule_id": "PR08",
            "entity_type": "county",
            "entity_id": row["admin_code"],
            "admin_code": row["admin_code"],
            "year": row["year"],
            "layer": "DLTBGXGC",
            "detail": {"in_mu": row["in_mu"], "out_mu": row["out_mu"]},
        }  # fmt: skip
        for row in rows
        if row["out_mu"] > row["in_mu"]
    ]


def land_use_rows(areas: dict[int, pl.DataFrame]) -> list[dict]:
    return [
        {
            "admin_code": row["admin_code"],
            "year": year,
            "land_class": row["land_class"],
            "area_m2": row["area_c"] / 100,
        }
        for year, frame in areas.items()
        for row in frame.iter_rows(named=True)
    ]


def cultivated_rows(areas: dict[int, pl.DataFrame]) -> list[dict]:
    rows = []
    for year, frame in areas.items():
        cents = cultivated_cents(frame)
        rows.extend(
            {"admin_code": county.code, "year": year, "cultivated_mu": cents_to_mu(cents.get(county.code, 0))}
            for county in counties()
        )
    return rows


def pbf_cents(yjjbnt: Table) -> dict[str, int]:
    """County → Σ JBNTMJ (cents) of the polygons the warehouse keeps (the DQ05 bow-tie is quarantined)."""
    valid = pbf_valid(yjjbnt)
    return {
        county.code: int(yjjbnt["JBNTMJ_C"][valid & (yjjbnt["XZQDM"] == county.code)].sum())
        for county in counties()
    }


def build_manifest(
    *,
    scale: int,
    seed: int,
    files: list[str],
    planted: list[dict],
    areas: dict[int, pl.DataFrame],
    in_out: dict[int, pl.DataFrame],
    yjjbnt: Table,
    pbf_patches: dict[str, list[int]],
) -> dict:
    """The manifest: `planted` holds the entries of the DQ plants and of the survey/control rules
    (findings.py); the target and 进出平衡 rules' entries are derived here from the true figures.
    `pbf_patches` names the planted PR13 pairs: {"connected_pair": [BSM, BSM], "separate_pair": […]}."""
    cultivated_2025 = cultivated_cents(areas[TARGET_YEAR])
    pr01 = target_outcomes("PR01", "cultivated_land", cultivated_2025)
    pr02 = target_outcomes("PR02", "permanent_farmland", pbf_cents(yjjbnt))
    io_rows = in_out_rows(in_out)
    planted = (
        planted + target_entries(pr01, "DLTB") + target_entries(pr02, "YJJBNT") + in_out_entries(io_rows)
    )
    planted.sort(
        key=lambda entry: (entry["rule_id"], entry["year"], entry["entity_type"], entry["entity_id"])
    )
    return {
        "region_code": REGION_CODE,
        "base_year": BASE_YEAR,
        "years": [BASE_YEAR, *CHANGE_YEARS],
        "scale": scale,
        "seed": seed,
        "files": sorted(files),
        "planted": planted,
        "pbf_patches": pbf_patches,
        "truth": {
            "land_use_area": land_use_rows(areas),
            "cultivated_mu": cultivated_rows(areas),
            "pbf_mu": [
                {"admin_code": code, "year": TARGET_YEAR, "pbf_mu": cents_to_mu(county)}
                for code, county in pbf_cents(yjjbnt).items()
            ],
            "in_out": io_rows,
            "targets": pr01 + pr02,
        },
    }


def write_manifest(landing: Path, manifest: dict) -> Path:
    path = Path(landing) / MANIFEST_NAME
    path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=1, default=_json_default), encoding="utf-8"
    )
    return path


def _json_default(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    raise TypeError(f"not JSON serialisable: {type(value)}")
