"""Runs the instance still shows in progress after the process running them died (killed, a crash, a
power cut): Dagster marks a run finished only from the process that runs it, so a build killed midway
stays STARTED for ever, and the instance's run queue, which starts one run at a time, would hold every
run launched after it.

A build that holds its warehouse (warehouse/run_lock.py) knows no other build of that warehouse is alive:
any other run of it still in progress that held the warehouse while it ran is abandoned, and is marked
failed, saying so. A run whose steps each ran in a process of their own (the launchpad's `multiprocess`
executor) never held it, so holding it says nothing of that run: it is left for the UI's "Terminate".
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES

from warehouse.config import warehouse_path
from warehouse.run_lock import LOCK_HELD_ENV

# on a run started by a process that held the warehouse for it (`farmland build --parallel N`)
HELD_BY_LAUNCHER_TAG = "farmland/warehouse_held_by_launcher"

ABANDONED = (
    "Abandoned: the process running this build ended without finishing it (killed or crashed). The "
    "warehouse was left at its last good state; build {warehouse} again to bring it up to date."
)


def _warehouse_of(run: dg.DagsterRun) -> Path:
    configured = run.run_config.get("resources", {}).get("farmland", {}).get("config", {}).get("warehouse")
    return Path(configured).resolve() if configured else warehouse_path()


def runs_in_one_process(run_config: dict) -> bool:
    """Whether a run with this config runs all its steps in the process that runs it (the build job's
    default), and can so hold its warehouse from its first step to its end."""
    return "multiprocess" not in (run_config.get("execution", {}).get("config") or {})


def launcher_tags() -> dict[str, str]:
    """Tags for a run about to be started by this process: whether it holds the warehouse for the run."""
    return {HELD_BY_LAUNCHER_TAG: "true"} if os.environ.get(LOCK_HELD_ENV) else {}


def _held_its_warehouse(run: dg.DagsterRun) -> bool:
    return runs_in_one_process(run.run_config) or run.tags.get(HELD_BY_LAUNCHER_TAG) == "true"


def fail_abandoned_runs(
    instance: dg.DagsterInstance, warehouse: Path, current_run_id: str | None = None
) -> list[str]:
    """Mark failed every run of `warehouse` (other than `current_run_id`) that the instance still shows
    in progress and that held the warehouse while it ran; call only while holding the warehouse. The ids
    of the runs marked."""
    warehouse = Path(warehouse).resolve()
    marked = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE_RUN_STATUSES)):
        run = record.dagster_run
        if run.run_id == current_run_id or _warehouse_of(run) != warehouse or not _held_its_warehouse(run):
            continue
        instance.report_run_failed(run, message=ABANDONED.format(warehouse=warehouse))
        marked.append(run.run_id)
    return marked


def fail_abandoned_runs_of(warehouse: Path) -> list[str]:
    """fail_abandoned_runs in the project's instance, for a command holding `warehouse` before it runs
    anything: a build that finds nothing to do frees the run queue too."""
    from orchestration.instance import project_instance

    with project_instance() as instance:
        return fail_abandoned_runs(instance, warehouse)
