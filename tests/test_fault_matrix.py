"""Faults an operator meets, on an independently written delivery (conformance delivery A) built by
`farmland build`: builds killed (SIGKILL) at each stage — loading a re-delivered file, the dbt models, the
rule run, writing the snapshot — a second build started during one of them, a reader holding the
snapshot open through the next build, and the same delivery handed in again from another folder. Each
ends with the published snapshot at its last good state, and the next build converging to the clean
result, compared table by table, every row of it accounted for in the load audit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import copy_build, farmland_build
from warehouse.config import published_path
from warehouse.connection import connect
from warehouse.run_lock import holder

# The stages a build is killed in, each by the line its log starts the stage with; "publishing" is
# killed once the snapshot's next version is being written beside it.
STEP_STARTED = 'Started execution of step "{}"'
RE_DELIVERED = "projects/违法用地案件.csv"
KILLED_IN = {
    "loading the re-delivered file": STEP_STARTED.format("raw__enforcement_cases"),
    "the dbt models": STEP_STARTED.format("survey_models"),
    "the rule run": STEP_STARTED.format("quality__violations"),
    "writing the snapshot": STEP_STARTED.format("warehouse__published_snapshot"),
}
# columns naming the run that wrote a row, or when a file was loaded (a file handed in again is loaded
# anew): compared without them
RUN_COLUMNS = {"run_id", "evaluated_at", "audited_at", "published_at", "checked_at", "loaded_at"}


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


class Build:
    """`farmland build --force` of the warehouse in a process of its own, its log read as written."""

    def __init__(self, landing: Path, warehouse: Path, home: Path) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "orchestration.cli", "build", "--force", "--verbose",
             "--landing", str(landing), "--warehouse", str(warehouse)],
            env={**os.environ, "DAGSTER_HOME": str(home), "PYTHONUNBUFFERED": "1"},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        self.said: list[str] = []

    def reach(self, line: str) -> None:
        """Read the build's log until it says `line`."""
        for said in self.process.stdout:
            self.said = [*self.said[-40:], said]
            if line in said:
                return
        pytest.fail(f"the build ended before it said {line!r}:\n" + "".join(self.said))

    def kill(self) -> None:
        self.process.kill()  # SIGKILL: nothing of the build's own runs after it
        self.process.wait()


def _while_being_written(path: Path, build: Build, seconds: float = 120) -> None:
    """Wait until `path` exists with something in it, the build still running."""
    deadline = time.monotonic() + seconds
    while not (path.exists() and path.stat().st_size > 0):
        if build.process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{path.name} was never seen being written:\n" + "".join(build.said))
        time.sleep(0.002)


def _run_ids_in(snapshot: Path, table: str) -> set[str]:
    con = connect(snapshot, read_only=True)
    try:
        rows = con.execute(f"select distinct run_id from quality.{table}").fetchall()
        return {run_id for (run_id,) in rows}
    finally:
        con.close()


def test_builds_killed_at_each_stage_leave_the_snapshot_and_the_next_build_converges(
    delivery_a_cli_build, tmp_path
) -> None:
    landing, warehouse = copy_build(delivery_a_cli_build.warehouse, delivery_a_cli_build.landing, tmp_path)
    home = tmp_path / "dagster"
    snapshot = published_path(warehouse)
    clean = _contents(snapshot)
    published = snapshot.stat().st_mtime_ns
    # one file handed in again with other bytes and the same rows (other line ends): the first killed
    # build has a file to load
    re_delivered = landing / RE_DELIVERED
    re_delivered.write_bytes(re_delivered.read_bytes().replace(b"\r\n", b"\n"))

    for stage, line in KILLED_IN.items():
        build = Build(landing, warehouse, home)
        try:
            build.reach(line)
            if stage == "writing the snapshot":
                _while_being_written(snapshot.with_name(snapshot.name + ".next"), build)
            if stage == "the dbt models":
                # held where it is, its lock held, while a second build is tried: refused at once,
                # naming the first, touching nothing
                os.kill(build.process.pid, signal.SIGSTOP)
                running = holder(warehouse)
                assert running and running["pid"] == build.process.pid
                second = farmland_build(landing, warehouse, home)
                assert second.returncode == 3, second.stdout + second.stderr
                assert f"process {build.process.pid}" in second.stderr and "was not started" in second.stderr
        finally:
            build.kill()
        # a killed build publishes nothing: the snapshot is the last good one
        assert snapshot.stat().st_mtime_ns == published, f"killed in {stage}, the snapshot changed"
    assert _contents(snapshot) == clean

    # The same delivery handed in again from another folder, while a reader holds the snapshot open: the
    # next build converges to the clean result
    again = landing.rename(tmp_path / "delivered again")
    reader = duckdb.connect(str(snapshot), read_only=True)
    try:
        held = reader.execute("select count(*) from marts.cultivated_land").fetchone()[0]
        rerun = farmland_build(again, warehouse, home)
        assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
        assert reader.execute("select count(*) from marts.cultivated_land").fetchone()[0] == held
    finally:
        reader.close()
    assert snapshot.stat().st_mtime_ns != published
    rebuilt = _contents(snapshot)
    assert rebuilt.keys() == clean.keys()
    differing = [table for table in clean if rebuilt[table] != clean[table]]
    assert differing == []

    # the killed runs no longer show as running (they would hold the run queue): the rerun marked them
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        statuses = sorted(run.status.value for run in runs)
        assert statuses == ["FAILURE"] * len(KILLED_IN) + ["SUCCESS"], statuses
        killed = {run.run_id for run in runs if run.status == dg.DagsterRunStatus.FAILURE}
        for run_id in killed:
            failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert failure and "Abandoned" in failure[-1].message
        (succeeded,) = {run.run_id for run in runs} - killed

    # what the killed runs loaded and judged stays out of the snapshot; every file the published run
    # took in is accounted for, the re-delivered one among them
    for table in ("load_audit", "rule_results"):
        assert _run_ids_in(snapshot, table) & killed == set()
        assert succeeded in _run_ids_in(snapshot, table)
    con = connect(snapshot, read_only=True)
    try:
        audit = con.execute(
            "select source_file, outcome, accounted from quality.load_audit where run_id = ?", [succeeded]
        ).fetchall()
    finally:
        con.close()
    assert audit and all(accounted for _, _, accounted in audit)
    assert RE_DELIVERED in {source_file for source_file, _, _ in audit}
