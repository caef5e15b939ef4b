"""Faults an operator meets, on an independently written delivery (conformance delivery A) built by
`farmland build`: builds killed (SIGKILL) at each stage — loading a re-delivered file, the dbt models, the
rule runner, writing the snapshot — a second build started during one of them, a reader holding the
snapshot open through the next build, and the same delivery handed in again from another folder. Each
ends with the published snapshot at its last good state, and the next build converging to the clean
result, compared table by table, every row of it accounted for in the load audit.

The faults are one scenario on one copy of the shared build (each build costs a minute); the tests below
read what it left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from tests.conftest import LOG_LINE, copy_build, farmland_build
from warehouse.config import published_path
from warehouse.connection import connect
from warehouse.run_lock import holder

# The stages a build is killed in, each by the line its log starts the stage with; "writing the
# snapshot" is killed once the snapshot's next version is being written beside it.
STEP_STARTED = 'Started execution of step "{}"'
RE_DELIVERED = "projects/违法用地案件.csv"
KILLED_IN = {
    "loading the re-delivered file": STEP_STARTED.format("raw__enforcement_cases"),
    # the rule runner's first step: the row rules' quarantine
    "the rule runner": STEP_STARTED.format("raw__rejects"),
    "the dbt models": STEP_STARTED.format("survey_models"),
    "writing the snapshot": STEP_STARTED.format("warehouse__published_snapshot"),
}
# a second build is tried while this one is held (SIGSTOP), before it is killed
HELD_IN = "the dbt models"
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


@dataclass
class Faults:
    """What the scenario saw: the snapshot before, after each killed build and after the rerun."""

    warehouse: Path
    home: Path
    clean: dict[str, list[tuple]]
    published: int  # the snapshot's mtime before the faults
    after_kill: dict[str, int] = field(default_factory=dict)  # stage → the snapshot's mtime after it
    held_pid: int = 0
    second: subprocess.CompletedProcess | None = None
    holder_while_held: dict | None = None
    after_kills: dict[str, list[tuple]] = field(default_factory=dict)
    rerun: subprocess.CompletedProcess | None = None
    read_through_rerun: tuple[int, int] = (0, 0)  # the reader's row count before and after the rerun
    rebuilt: dict[str, list[tuple]] = field(default_factory=dict)

    @property
    def snapshot(self) -> Path:
        return published_path(self.warehouse)


@pytest.fixture(scope="module")
def faults(delivery_a_cli_build, tmp_path_factory: pytest.TempPathFactory) -> Faults:
    root = tmp_path_factory.mktemp("faults")
    landing, warehouse = copy_build(delivery_a_cli_build.warehouse, delivery_a_cli_build.landing, root)
    snapshot = published_path(warehouse)
    seen = Faults(warehouse, root / "dagster", _contents(snapshot), snapshot.stat().st_mtime_ns)
    # one file handed in again with other bytes and the same rows (other line ends): the first killed
    # build has a file to load
    re_delivered = landing / RE_DELIVERED
    re_delivered.write_bytes(re_delivered.read_bytes().replace(b"\r\n", b"\n"))

    for stage, line in KILLED_IN.items():
        build = Build(landing, warehouse, seen.home)
        try:
            build.reach(line)
            if stage == "writing the snapshot":
                _while_being_written(snapshot.with_name(snapshot.name + ".next"), build)
            if stage == HELD_IN:
                os.kill(build.process.pid, signal.SIGSTOP)
                seen.held_pid, seen.holder_while_held = build.process.pid, holder(warehouse)
                seen.second = farmland_build(landing, warehouse, seen.home)
        finally:
            build.kill()
        seen.after_kill[stage] = snapshot.stat().st_mtime_ns
    seen.after_kills = _contents(snapshot)

    # the same delivery handed in again from another folder, watched with --verbose, while a reader
    # holds the snapshot open
    again = landing.rename(root / "delivered again")
    reader = duckdb.connect(str(snapshot), read_only=True)
    try:
        before = reader.execute("select count(*) from marts.cultivated_land").fetchone()[0]
        seen.rerun = farmland_build(again, warehouse, seen.home, "--verbose")
        seen.read_through_rerun = (
            before,
            reader.execute("select count(*) from marts.cultivated_land").fetchone()[0],
        )
    finally:
        reader.close()
    seen.rebuilt = _contents(snapshot)
    return seen


def test_a_second_build_started_during_one_is_refused_at_once_naming_it(faults: Faults) -> None:
    assert faults.holder_while_held and faults.holder_while_held["pid"] == faults.held_pid
    second = faults.second
    assert second.returncode == 3, second.stdout + second.stderr
    assert f"process {faults.held_pid}" in second.stderr and "was not started" in second.stderr


def test_a_build_killed_at_any_stage_leaves_the_snapshot_as_it_was(faults: Faults) -> None:
    changed = [stage for stage, mtime in faults.after_kill.items() if mtime != faults.published]
    assert list(faults.after_kill) == list(KILLED_IN) and changed == []
    assert faults.after_kills == faults.clean


def test_the_next_build_converges_to_the_clean_snapshot_while_a_reader_holds_the_old_one(
    faults: Faults,
) -> None:
    rerun = faults.rerun
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    # the reader kept reading the snapshot it had open; the new one was swapped in beside it
    before, after = faults.read_through_rerun
    assert before == after > 0
    assert faults.snapshot.stat().st_mtime_ns != faults.published
    assert faults.rebuilt.keys() == faults.clean.keys()
    differing = [table for table in faults.clean if faults.rebuilt[table] != faults.clean[table]]
    assert differing == []


def test_the_killed_runs_are_marked_abandoned_and_what_they_did_stays_out_of_the_snapshot(
    faults: Faults,
) -> None:
    # they would otherwise show as running for ever and hold the run queue
    with dg.DagsterInstance.from_config(str(faults.home)) as instance:
        runs = instance.get_runs()
        statuses = sorted(run.status.value for run in runs)
        assert statuses == ["FAILURE"] * len(KILLED_IN) + ["SUCCESS"], statuses
        killed = {run.run_id for run in runs if run.status == dg.DagsterRunStatus.FAILURE}
        for run_id in killed:
            failure = instance.all_logs(run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
            assert failure and "Abandoned" in failure[-1].message
        (succeeded,) = {run.run_id for run in runs} - killed

    # what the killed runs loaded and judged stays out; every file the published run took in is
    # accounted for, the re-delivered one among them
    for table in ("load_audit", "rule_results"):
        assert _run_ids_in(faults.snapshot, table) & killed == set()
        assert succeeded in _run_ids_in(faults.snapshot, table)
    con = connect(faults.snapshot, read_only=True)
    try:
        audit = con.execute(
            "select source_file, outcome, accounted from quality.load_audit where run_id = ?", [succeeded]
        ).fetchall()
    finally:
        con.close()
    assert audit and all(accounted for _, _, accounted in audit)
    assert RE_DELIVERED in {source_file for source_file, _, _ in audit}


def test_a_build_watched_with_verbose_streams_its_whole_log_to_the_console(faults: Faults) -> None:
    out = faults.rerun.stdout
    assert "\x1b" not in out  # not a terminal: no colours, no cursor moves
    log = Path(LOG_LINE.findall(out)[-1])
    assert log.parent == faults.warehouse.parent / "logs"
    logged = log.read_text(encoding="utf-8").splitlines()
    assert " - STEP_SUCCESS - " in out and "Running with dbt=" in out
    shown = set(out.splitlines())
    assert [line for line in logged if line not in shown] == []
