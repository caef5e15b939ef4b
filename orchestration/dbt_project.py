"""The dbt project (transforms/) as Dagster sees it: asset keys by schema, sources mapped to our assets."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject

from orchestration.catalogue import dbt_group, owners
from warehouse.config import (
    EXTENSIONS_ENV,
    TRANSFORMS_DIR,
    WAREHOUSE_ENV,
    DuckDBLimits,
    extension_dir,
    scoped_environment,
    warehouse_path,
)

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


# dbt runs in the same environment as Dagster; PATH may not include it (e.g. `.venv/bin/farmland`), and
# dagster-dbt's preparer calls `dbt` by name.
_BIN = str(Path(sys.executable).parent)
if _BIN not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _BIN + os.pathsep + os.environ.get("PATH", "")
# Parsing reads the profile, which needs these; a run sets them from WarehouseResource.
for _name, _value in {WAREHOUSE_ENV: str(warehouse_path()), EXTENSIONS_ENV: str(extension_dir())}.items():
    os.environ.setdefault(_name, _value)


def _parse_environment() -> AbstractContextManager[None]:
    """The DuckDB limits the profile names, for the length of a parse only: left in the process's
    environment, the default warehouse's spill folder would become every warehouse's (the limits read
    the environment first), and a county build that spilled failed on a folder that did not exist."""
    limits = DuckDBLimits.for_warehouse(warehouse_path()).environment()
    return scoped_environment({name: value for name, value in limits.items() if name not in os.environ})


FARMLAND_DBT = DbtProject(project_dir=TRANSFORMS_DIR, profiles_dir=TRANSFORMS_DIR)
# Under `dagster dev` (make ui) the manifest is re-parsed on every load; elsewhere prepare_dbt_project()
# makes it before the definitions load.
with _parse_environment():
    FARMLAND_DBT.prepare_if_dev()


@functools.cache
def prepare_dbt_project() -> Path:
    """Parse the dbt project into target/manifest.json, from which Dagster builds the asset graph (the
    CLI and the test session call this before loading the definitions), unless the manifest there was
    parsed from the project's files as they are now.

    A parse costs seconds of every build, and between two builds the project rarely changes: the
    manifest's stamp (manifest.json.sources) keeps the hash of the files it was parsed from, with the
    dbt version and the manifest's own modification time, so that a manifest written since by anything
    else (a hand-run `dbt compile`) is parsed again too. The asset graph reads models, tests and their
    lineage from the manifest, not the warehouse it names: the warehouse a parse was run for does not
    make it stale. Once per process: the definitions read the manifest when they are first imported."""
    manifest = FARMLAND_DBT.manifest_path
    stamp = manifest.with_name(manifest.name + ".sources")

    def parsed_from() -> str:
        return f"{project_files_version()}\n{manifest.stat().st_mtime_ns}"

    if manifest.is_file() and stamp.is_file() and stamp.read_text() == parsed_from():
        return manifest
    with _parse_environment():
        FARMLAND_DBT.preparer.prepare(FARMLAND_DBT)
    stamp.write_text(parsed_from())
    return manifest


def project_files_version() -> str:
    """The dbt version and a hash of the dbt project's files (models, macros, seeds, YAML)."""
    from importlib.metadata import version

    from warehouse.build_state import CODE_SUFFIXES, files_digest

    return f"dbt-core {version('dbt-core')} " + files_digest(
        TRANSFORMS_DIR.parent, (TRANSFORMS_DIR.name,), CODE_SUFFIXES
    )


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
        if dbt_resource_props["resource_type"] == "source":
            return super().get_group_name(dbt_resource_props)
        return dbt_group(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> Sequence[str] | None:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_owners(dbt_resource_props)
        return owners(dbt_group(dbt_resource_props))
