"""The dbt project (transforms/) as Dagster sees it: asset keys by schema, sources mapped to our assets."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from warehouse.config import TRANSFORMS_DIR, extension_dir, warehouse_path

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def dbt_environment() -> None:
    """Point dbt's profile at the same warehouse file and extension directory as the Python side."""
    os.environ["FARMLAND_WAREHOUSE"] = str(warehouse_path())
    os.environ["FARMLAND_EXTENSION_DIR"] = str(extension_dir())
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def _newest_source_mtime() -> float:
    newest = 0.0
    for folder in ("models", "seeds", "macros", "tests"):
        for path in (TRANSFORMS_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (TRANSFORMS_DIR / name).stat().st_mtime)
    return newest


def ensure_manifest() -> Path:
    """`dbt parse` when target/manifest.json is missing or older than the project files.

    Dagster builds the asset graph from the manifest, so it must exist before the definitions load.
    """
    manifest = TRANSFORMS_DIR / "target" / "manifest.json"
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime():
        return manifest
    dbt_environment()
    dbt = Path(sys.executable).with_name("dbt")
    command = [str(dbt) if dbt.exists() else "dbt", "parse", "--quiet", "--profiles-dir", str(TRANSFORMS_DIR)]
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt parse failed:\n{completed.stdout}\n{completed.stderr}")
    return manifest


FARMLAND_DBT = DbtProject(project_dir=TRANSFORMS_DIR, profiles_dir=TRANSFORMS_DIR)


class FarmlandTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed `[schema, name]` (marts/cultivated_land); sources use their meta keys."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        schema = dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props["schema"]
        return dg.AssetKey([schema, dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "seed":
            return "reference"
        return dbt_resource_props.get("config", {}).get("schema") or dbt_resource_props["schema"]
