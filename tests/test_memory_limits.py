"""Every process that opens DuckDB is held to the run's memory limit and spills to its temp directory:
the pipeline's own connections and the dbt process alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.resources import WarehouseResource
from warehouse.config import MEMORY_LIMIT_ENV, TEMP_DIRECTORY_ENV, TRANSFORMS_DIR, DuckDBLimits
from warehouse.connection import connect


def _as_duckdb_shows(limit: str) -> str:
    """How DuckDB prints a memory limit it was given (e.g. '512MB' → '488.2 MiB')."""
    con = duckdb.connect()
    try:
        con.execute(f"SET memory_limit = '{limit}'")
        return con.sql("select current_setting('memory_limit')").fetchone()[0]
    finally:
        con.close()


def _settings(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    return con.sql("select current_setting('memory_limit'), current_setting('temp_directory')").fetchone()


def test_a_connection_takes_the_environment_limits_or_the_defaults(tmp_path, monkeypatch):
    monkeypatch.delenv(MEMORY_LIMIT_ENV, raising=False)
    monkeypatch.delenv(TEMP_DIRECTORY_ENV, raising=False)
    con = connect(tmp_path / "w.duckdb")
    try:
        default = DuckDBLimits.for_warehouse(tmp_path / "w.duckdb")
        assert _settings(con) == (_as_duckdb_shows(default.memory_limit), str(tmp_path / "w.duckdb.tmp"))
    finally:
        con.close()
    monkeypatch.setenv(MEMORY_LIMIT_ENV, "700MB")
    monkeypatch.setenv(TEMP_DIRECTORY_ENV, str(tmp_path / "spill"))
    con = connect(tmp_path / "w.duckdb", read_only=True)
    try:
        assert _settings(con) == (_as_duckdb_shows("700MB"), str(tmp_path / "spill"))
    finally:
        con.close()


def test_a_run_configured_with_limits_holds_its_steps_to_them(tmp_path):
    farmland = WarehouseResource(
        warehouse=str(tmp_path / "w.duckdb"), memory_limit="512MB", temp_directory=str(tmp_path / "spill")
    )
    with farmland.open() as con:
        assert _settings(con) == (_as_duckdb_shows("512MB"), str(tmp_path / "spill"))


@pytest.mark.builds_warehouse  # starts dbt: the slow tier
def test_the_dbt_process_is_held_to_the_same_limits(tmp_path):
    farmland = WarehouseResource(
        warehouse=str(tmp_path / "w.duckdb"), memory_limit="384MB", temp_directory=str(tmp_path / "spill")
    )
    env = {**os.environ, **farmland.dbt_profile_env(), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    command = [
        str(Path(sys.executable).with_name("dbt")), "show", "--quiet", "--output", "json",
        "--profiles-dir", str(TRANSFORMS_DIR), "--target-path", str(tmp_path / "target"),
        "--inline", "select current_setting('memory_limit') as m, current_setting('temp_directory') as t",
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    [row] = json.loads(completed.stdout[completed.stdout.index("{") :])["show"]
    assert (row["m"], row["t"]) == (_as_duckdb_shows("384MB"), str(tmp_path / "spill"))


def test_a_run_spills_beside_its_own_warehouse_once_the_pipeline_is_loaded(tmp_path):
    """Loading the definitions parses the dbt project for the default warehouse; its spill folder must
    not become every other warehouse's (a county build that spilled there failed on a missing folder)."""
    script = (
        "import json, sys\n"
        "import orchestration.definitions\n"
        "from orchestration.resources import WarehouseResource\n"
        "farmland = WarehouseResource(warehouse=sys.argv[1])\n"
        "county = farmland.county_profile_env('330402', farmland.warehouse_file.with_name('c.duckdb'))\n"
        "print(json.dumps([str(farmland.limits.temp_directory), county['FARMLAND_TEMP_DIRECTORY']]))\n"
    )
    operator_set = (MEMORY_LIMIT_ENV, TEMP_DIRECTORY_ENV)
    env = {name: value for name, value in os.environ.items() if name not in operator_set}
    completed = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "w.duckdb")],
        cwd=TRANSFORMS_DIR.parent, env=env, capture_output=True, text=True,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr[-3000:]
    spill = str(tmp_path / "w.duckdb.tmp")
    assert json.loads(completed.stdout.strip().splitlines()[-1]) == [spill, spill]
