"""Runs the instance still shows in progress after the process running them died (killed, a crash, a
power cut): Dagster marks a run finished only from the process that runs it, so a build killed midway
stays STARTED for ever, and the instance's run queue, which starts one run at a time, would hold every
run launched after it.

A build that holds its warehouse (warehouse/run_lock.py) knows no other build of that warehouse is alive:
any other run of it still in progress is abandoned, and is marked failed, saying so.
"""

from __future__ import annotations

from pathlib import Path

import dagster as dg
from dagster._core.storage.dagster_run import ACTIVE_RUN_STATUSES

from warehouse.config import warehouse_path

ABANDONED = (
    "Abandoned: the process running this build ended without finishing it (killed or crashed). The "
    "warehouse was left at its last good state; build {warehouse} again to bring it up to date."
)


def _warehouse_of(run: dg.DagsterRun) -> Path:
    configured = run.run_config.get("resources", {}).get("farmland", {}).get("config", {}).get("warehouse")
    return Path(configured).resolve() if configured else warehouse_path()


def fail_abandoned_runs(instance: dg.DagsterInstance, warehouse: Path, current_run_id: str) -> list[str]:
    """Mark failed every run of `warehouse` other than `current_run_id` that the instance still shows in
    progress; call only while holding the warehouse. The ids of the runs marked."""
    warehouse = Path(warehouse).resolve()
    marked = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=ACTIVE_RUN_STATUSES)):
        run = record.dagster_run
        if run.run_id == current_run_id or _warehouse_of(run) != warehouse:
            continue
        instance.report_run_failed(run, message=ABANDONED.format(warehouse=warehouse))
        marked.append(run.run_id)
    return marked
