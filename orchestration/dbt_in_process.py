"""dbt run inside the step's own process: one parse per profile target for every dbt step and county
build a process runs, and no dbt process per step.

A dbt process costs 2–3 s of CPU before and after its own work (importing dbt, reading the saved parse,
writing the manifest back): more than most steps' models and tests (the finding marts: 3.6 s of CPU
as a dbt process, 1.2 s here). The region's steps hand dbt's result events to dagster-dbt, which turns
them into the asset materializations and checks the UI shows, as its CLI resource does with a dbt
process's log lines (orchestration/assets/dbt_models.py); a county build is an op of the county
fan-out, whose outcome is the county's file, so it needs only dbt's result.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from orchestration.dbt_project import FARMLAND_DBT, project_files_version
from warehouse.config import WAREHOUSE_ENV

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunner
    from dbt_common.events.base_types import EventMsg


@dataclass(frozen=True)
class DbtOutcome:
    """What a dbt invocation did: success, and for a failure the nodes that failed and why."""

    success: bool
    failures: tuple[str, ...]

    def message(self) -> str:
        return "; ".join(self.failures[:10]) or "dbt stopped before building anything"


def _project_arguments(target: str, variables: str, target_path: Path) -> list[str]:
    return [
        "--project-dir", str(FARMLAND_DBT.project_dir), "--profiles-dir", str(FARMLAND_DBT.profiles_dir),
        "--target", target, "--vars", variables, "--no-use-colors",
        # dbt.log beside the invocation's artefacts (run_results.json, compiled SQL)
        "--target-path", str(target_path), "--log-path", str(target_path),
    ]  # fmt: skip


PARTIAL_PARSE = "partial_parse.msgpack"


def _seed_parse(parse_path: Path, target: str) -> None:
    """Start the parse in `parse_path` from the latest saved parse with this profile target among the
    invocation folders beside it (<step>-<run>-<profile target>-<random>: orchestration/assets/
    dbt_models.py). dbt reuses a saved parse only when the vars and the profile (target, warehouse
    path, limits) are those it was made with, and re-reads every file that changed since; otherwise it
    parses the whole project. The prepared target/partial_parse.msgpack never matches (it is parsed
    without the rule parameters and for the default warehouse); the last run's on the same warehouse
    does, and spares a full parse (seconds)."""
    saved = sorted(
        parse_path.parent.glob(f"*-*-{target}-*/{PARTIAL_PARSE}"), key=lambda path: path.stat().st_mtime
    )
    if saved:
        parse_path.mkdir(parents=True, exist_ok=True)
        shutil.copy(saved[-1], parse_path / PARTIAL_PARSE)


# per profile target: the parse's key (vars, warehouse, project files version) and a runner holding it
_RUNNERS: dict[str, tuple[tuple[str, ...], dbtRunner]] = {}


def _runner(target: str, variables: str, parse_path: Path) -> dbtRunner:
    """A dbt runner holding the project parsed for this profile target, these vars and this warehouse:
    every invocation of the process with the same three, while the project's files are unchanged,
    reuses the parse. dbt renders vars into the models' configs when it parses, and names each relation
    after the warehouse's catalog (its file's stem): a parse made for another warehouse would write
    into a catalog that is not attached. The parse starts from the latest saved one beside `parse_path`
    (`_seed_parse`)."""
    from dbt.cli.main import dbtRunner

    key = (variables, os.environ.get(WAREHOUSE_ENV, ""), project_files_version())
    held = _RUNNERS.get(target)
    if held is None or held[0] != key:
        # one parse held per profile target (the region's steps and the county builds alternate in a
        # run): a process building for other warehouses or parameters (a test session) parses again
        # rather than keeping a manifest for each
        _RUNNERS.pop(target, None)
        _seed_parse(parse_path, target)
        parsed = dbtRunner().invoke(["parse", "--quiet", *_project_arguments(target, variables, parse_path)])
        if not parsed.success:
            raise RuntimeError(f"dbt could not parse the project: {parsed.exception}")
        _RUNNERS[target] = (key, dbtRunner(manifest=parsed.result))
    return _RUNNERS[target][1]


class StepLog(Protocol):
    """Where a step's lines go: Dagster's log of the step (context.log), or a logging.Logger."""

    def info(self, msg: str) -> object: ...
    def warning(self, msg: str) -> object: ...
    def error(self, msg: str) -> object: ...


# dbt's progress, node by node (START, PASS, OK created …): a Python logger, not the step's Dagster log.
# Each line in Dagster's log is an event the instance stores (two thousand per build, seconds of SQLite
# writes), and the materializations and check results already say what each node did. The CLI writes
# this logger to its log file; dbt's own dbt.log has every line too.
DBT_PROGRESS = logging.getLogger("farmland.dbt")
# the line that counts a command's nodes by outcome (PASS=… WARN=… ERROR=…)
SUMMARY_EVENTS = frozenset({"StatsLine"})


def log_event(log: StepLog, event: EventMsg) -> None:
    """One of dbt's lines: its warnings, errors and summary in the step's log, its progress in
    DBT_PROGRESS. dbt's debug events (its SQL and timings) are left to dbt.log."""
    level = event.info.level
    if level == "error":
        log.error(event.info.msg)
    elif level == "warn":
        log.warning(event.info.msg)
    elif event.info.name in SUMMARY_EVENTS:
        log.info(event.info.msg)
    elif level == "info":
        DBT_PROGRESS.info(event.info.msg)


def invoke(
    command: list[str],
    *,
    target: str,
    variables: dict[str, Any],
    target_path: Path,
    on_event: Callable[[EventMsg], None],
) -> DbtOutcome:
    """A dbt command (`["build", "--select", …]`) in this process, each of dbt's events handed to
    `on_event` as it happens.

    The profile is read from the environment as it is when this is called. The DuckDB database dbt
    opened is closed before this returns, so the files it attached are released to the caller."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    rendered = json.dumps(variables, sort_keys=True)
    runner = _runner(target, rendered, target_path)
    runner.callbacks = [on_event]
    try:
        result = runner.invoke([*command, "--quiet", *_project_arguments(target, rendered, target_path)])
    finally:
        runner.callbacks = []
        # dbt-duckdb keeps its database open for the life of the process and reuses it for the next
        # invocation with the same profile: the next county's file would not be attached, and this
        # county's file would stay open while the caller moves it into place.
        try:
            DuckDBConnectionManager.env().close()
        except Exception:  # noqa: BLE001 — no database was opened (dbt stopped before connecting)
            pass
        DuckDBConnectionManager.close_all_connections()
    if result.success:
        return DbtOutcome(True, ())
    failures = tuple(
        f"{node.node.name}: {node.message}"
        for node in getattr(result.result, "results", None) or []
        if str(node.status) in {"error", "fail"}
    )
    if result.exception is not None:
        failures += (str(result.exception),)
    return DbtOutcome(False, failures)


def run(
    command: list[str],
    *,
    target: str,
    variables: dict[str, Any],
    target_path: Path,
    log: StepLog,
) -> DbtOutcome:
    """A dbt command in this process, dbt's lines in `log`."""
    return invoke(
        command,
        target=target,
        variables=variables,
        target_path=target_path,
        on_event=lambda event: log_event(log, event),
    )
