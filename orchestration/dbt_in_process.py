"""dbt run inside the step's own process, for the county builds: one parse for all the counties a
process builds, and no dbt process per county.

A dbt process costs 2–3 s of CPU before and after its own work (importing dbt, reading the saved parse,
writing the manifest back): more than building a small county's eleven models and their tests. The
region's dbt steps still run through dagster-dbt's CLI resource, which turns dbt's events into the asset
materializations and checks the UI shows; a county build is an op of the county fan-out, whose outcome
is the county's file, so it needs only dbt's result.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.dbt_project import FARMLAND_DBT, project_files_version

if TYPE_CHECKING:
    from dbt.cli.main import dbtRunner


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
        # dbt.log beside the invocation's artefacts, as dagster-dbt places it for the region's steps
        "--target-path", str(target_path), "--log-path", str(target_path),
    ]  # fmt: skip


_RUNNERS: dict[tuple[str, str, str], dbtRunner] = {}


def _runner(target: str, variables: str, parse_path: Path) -> dbtRunner:
    """A dbt runner holding the project parsed for this profile target and these vars: every invocation
    of the process with the same two, while the project's files are unchanged, reuses the parse (dbt
    renders vars into the models' configs when it parses). The parse starts from the saved one in
    `parse_path`, if any."""
    from dbt.cli.main import dbtRunner

    key = (target, variables, project_files_version())
    if key not in _RUNNERS:
        # one parse held at a time: a process building for another warehouse or other parameters (a
        # test session) would otherwise keep a manifest for each
        _RUNNERS.clear()
        parsed = dbtRunner().invoke(["parse", "--quiet", *_project_arguments(target, variables, parse_path)])
        if not parsed.success:
            raise RuntimeError(f"dbt could not parse the project: {parsed.exception}")
        _RUNNERS[key] = dbtRunner(manifest=parsed.result)
    return _RUNNERS[key]


_SHOWN = {"info", "warn", "error"}  # dbt's debug events are its SQL and timings: the log file has them


def build(
    selection: list[str],
    *,
    target: str,
    variables: dict,
    target_path: Path,
    on_event: Callable[[str], None],
) -> DbtOutcome:
    """`dbt build` of the selection in this process, each of dbt's log lines handed to `on_event`.

    The profile is read from the environment as it is when this is called. The DuckDB database dbt
    opened is closed before this returns, so the files it attached are released to the caller."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager

    rendered = json.dumps(variables, sort_keys=True)
    runner = _runner(target, rendered, target_path)
    runner.callbacks = [lambda event: event.info.level in _SHOWN and on_event(event.info.msg)]
    try:
        arguments = _project_arguments(target, rendered, target_path)
        result = runner.invoke(["build", "--quiet", *selection, *arguments])
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
