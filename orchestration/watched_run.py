"""The build job's run with an operator watching: its progress on the console, every line of its log in
the build's log file (and on the console as well with --verbose).

The run is recorded in the project's Dagster instance (orchestration/instance.py), the one `make ui`
shows; its events are read back from there as they are stored (orchestration/run_events.py), which
sees the steps of every process a multiprocess run starts. Dagster's console logger is turned down to
CRITICAL: it would print the same events again, in between the progress lines.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Sequence
from contextlib import redirect_stderr, redirect_stdout
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg

from orchestration.build_log import (
    PROJECT_LOGGER,
    BuildLog,
    ProjectLogHandler,
    StrayOutput,
    entry_line,
    stderr_to_log,
)
from orchestration.progress import StepTally, clock, display_for
from orchestration.run_events import POLL_SECONDS, RunFollower
from warehouse.config import CountyLake

# this process's lines are written once the run's events up to their time are surely read
HOLD_SECONDS = 2 * POLL_SECONDS


def watched_build(
    landing: Path,
    warehouse: Path,
    log: BuildLog,
    *,
    parallel: int = 1,
    county_lake: CountyLake | None = None,
    verbose: bool = False,
) -> dg.ExecuteInProcessResult | dg.ExecuteJobResult:
    """Run the build job (orchestration.run.run_build_job), showing its progress on stdout and writing
    its log to `log`."""
    from orchestration.instance import project_instance
    from orchestration.jobs import build_warehouse
    from orchestration.run import run_build_job

    started, since = time.monotonic(), datetime.now(UTC)
    tally, display = StepTally(), display_for(sys.stdout, started)
    if verbose:
        log.echo = display.note

    def on_entries(entries: Sequence[dg.EventLogEntry]) -> None:
        for entry in entries:
            log.event(entry.timestamp, entry_line(entry))
            failure = tally.see(entry.dagster_event) if entry.dagster_event is not None else None
            if failure is not None:
                display.note(f"{entry.step_key} failed: {failure}", error=True)
        log.release(time.time() - HOLD_SECONDS)
        display.update(tally)

    warehouse_config = str(warehouse.resolve())

    def ours(run: dg.DagsterRun) -> bool:
        # the warehouse a run builds is in its run config (orchestration.run); a run that the sensor or
        # the UI launched meanwhile into the same instance builds the one they are pointed at
        config = run.run_config.get("resources", {}).get("farmland", {}).get("config", {})
        return config.get("warehouse") == warehouse_config

    log.write(
        f"farmland build of {warehouse.resolve()} from {landing.resolve()} (parallel {parallel}), "
        f"started {datetime.now().astimezone():%Y-%m-%d %H:%M:%S %z}"
    )
    project = logging.getLogger(PROJECT_LOGGER)
    handler, level = ProjectLogHandler(log), project.level
    result, outcome = None, "stopped"
    with project_instance() as instance:
        follower = RunFollower(instance, build_warehouse.name, since, ours, tally.plan, on_entries, log.write)
        display.start()
        follower.start()
        project.addHandler(handler)
        project.setLevel(logging.DEBUG)
        try:
            with stderr_to_log(log), redirect_stdout(StrayOutput(log)), redirect_stderr(StrayOutput(log)):
                result = run_build_job(
                    landing,
                    warehouse,
                    instance=instance,
                    log_level="CRITICAL",
                    parallel=parallel,
                    county_lake=county_lake,
                )
            outcome = "built" if result.success else "failed"
        except KeyboardInterrupt:
            outcome = "interrupted"
            raise
        finally:
            project.removeHandler(handler)
            project.setLevel(level)
            follower.finish(result.run_id if result is not None else None)
            display.finish(tally, outcome)
            took = clock(time.monotonic() - started)
            steps = f", {tally.status()}" if tally.expected else ""
            log.write(f"run {follower.run_id or '(none)'}: {outcome} after {took}{steps}")
            log.echo = None
    return result
