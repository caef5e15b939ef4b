"""Faults an operator meets, on an independently written delivery (conformance delivery A) built by
`farmland build`: a second build started during the first, the first killed midway (SIGKILL during its
dbt models), a reader holding the snapshot open through the next build. Each ends with the published
snapshot at its last good state, and the next build converging to the clean result, compared table by
table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import copy_build, farmland_build
from warehouse.config import published_path
from warehouse.connection import connect
from warehouse.run_lock import holder

# the stage the first build is killed in: the survey models, the longest dbt step before the marts
KILLED_IN = 'Started execution of step "survey_models"'
# tables whose rows name the run that wrote them; compared without those columns
RUN_COLUMNS = {"run_id", "evaluated_at", "audited_at", "published_at", "checked_at"}


def _comparable(name: str, kind: str) -> str:
    # sums and unions taken in another order may differ in their last bits: numbers to 1e-4, a shape by
    # its area and centroid
    column = f'"{name}"'
    if kind.startswith("GEOMETRY"):
        return (
            f"[round(ST_Area({column}), 2), round(ST_X(ST_Centroid({column})), 2), "
            f"round(ST_Y(ST_Centroid({column})), 2)]"
        )
    if kind in ("DOUBLE", "FLOAT"):
        return f"round({column}, 4)"
    return column


def _contents(snapshot: Path) -> dict[str, list[tuple]]:
    """Every table of the snapshot's marts, reference and quality findings, as sorted rows (the columns
    naming the run left out), for a table-by-table comparison."""
    con = connect(snapshot, read_only=True)
    try:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in ('marts', 'reference') "
            "or (schema_name = 'quality' and table_name in ('violations', 'rule_catalog')) order by all"
        ).fetchall()
        contents = {}
        for schema, table in tables:
            columns = [
                _comparable(name, kind)
                for name, kind in con.execute(
                    "select column_name, data_type from duckdb_columns() where schema_name = ? and "
                    "table_name = ? order by column_index",
                    [schema, table],
                ).fetchall()
                if name not in RUN_COLUMNS
            ]
            rows = con.execute(f'select {", ".join(columns)} from {schema}."{table}"').fetchall()
            contents[f"{schema}.{table}"] = sorted(rows, key=repr)
        return contents
    finally:
        con.close()


def test_a_build_killed_midway_leaves_the_snapshot_and_the_next_build_converges(
    delivery_a_cli_build, tmp_path
) -> None:
    landing, warehouse = copy_build(delivery_a_cli_build.warehouse, delivery_a_cli_build.landing, tmp_path)
    home = tmp_path / "dagster"
    snapshot = published_path(warehouse)
    clean = _contents(snapshot)
    published = snapshot.stat().st_mtime_ns

    first = subprocess.Popen(
        [sys.executable, "-m", "orchestration.cli", "build", "--force", "--verbose",
         "--landing", str(landing), "--warehouse", str(warehouse)],
        env={**os.environ, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        said: list[str] = []
        for line in first.stdout:  # the build's whole log, line by line as it is written
            said = [*said[-40:], line]
            if KILLED_IN in line:
                break
        else:
            pytest.fail("the build ended before it reached the stage it is killed in:\n" + "".join(said))
        # held where it is, its lock held, while a second build is tried
        os.kill(first.pid, signal.SIGSTOP)
        running = holder(warehouse)
        assert running and running["pid"] == first.pid

        # a second build meanwhile is refused at once, naming the first, and touches nothing
        second = farmland_build(landing, warehouse, home)
        assert second.returncode == 3, second.stdout + second.stderr
        assert f"process {first.pid}" in second.stderr and "was not started" in second.stderr

        os.kill(first.pid, signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()

    # the killed build published nothing: the snapshot is the last good one
    assert snapshot.stat().st_mtime_ns == published
    assert _contents(snapshot) == clean

    # a reader holds the snapshot open through the next build, which converges to the clean result
    reader = duckdb.connect(str(snapshot), read_only=True)
    try:
        held = reader.execute("select count(*) from marts.cultivated_land").fetchone()[0]
        rerun = farmland_build(landing, warehouse, home, "--force")
        assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
        assert reader.execute("select count(*) from marts.cultivated_land").fetchone()[0] == held
    finally:
        reader.close()
    assert snapshot.stat().st_mtime_ns != published
    rebuilt = _contents(snapshot)
    assert rebuilt.keys() == clean.keys()
    differing = [table for table in clean if rebuilt[table] != clean[table]]
    assert differing == []

    # the killed run no longer shows as running (it would hold the run queue): the rerun marked it
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
    statuses = sorted(run.status.value for run in runs)
    assert statuses == ["FAILURE", "SUCCESS"], statuses
    (killed,) = [run for run in runs if run.status == dg.DagsterRunStatus.FAILURE]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        failure = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    assert failure and "Abandoned" in failure[-1].message
