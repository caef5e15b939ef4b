"""A build's run as it goes: its events read back from the Dagster instance the run is recorded in, while
it runs.

Reading them from the instance's storage sees every step's events, also those of the steps a
multiprocess run (`--parallel`) executes in processes of their own, which only the storage shares with
this one. The run followed is the first of the job created in the instance after the build began that
the caller recognises as its own (by the warehouse it builds); when the build returns, the caller names
its run, whose events are then read to the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

import dagster as dg

if TYPE_CHECKING:
    from dagster._core.snap import ExecutionPlanSnapshot

# often enough that a step's start shows as it starts, rarely enough to cost nothing beside the run
POLL_SECONDS = 0.5
BATCH = 1000


class RunFollower:
    """Hands on the events of the build's run, in order, from a thread of its own while the run goes on:
    the run's execution plan once to `on_plan`, then its events in batches to `on_entries`, which is
    called at every look, with what was stored since the last (often nothing)."""

    def __init__(
        self,
        instance: dg.DagsterInstance,
        job_name: str,
        since: datetime,
        belongs: Callable[[dg.DagsterRun], bool],
        on_plan: Callable[[ExecutionPlanSnapshot], None],
        on_entries: Callable[[Sequence[dg.EventLogEntry]], None],
        on_error: Callable[[str], None],
    ) -> None:
        # an instance of its own: the run writes through the caller's from another thread
        self._ref = instance.get_ref()
        self._job_name, self._since, self._belongs = job_name, since, belongs
        self._on_plan, self._on_entries, self._on_error = on_plan, on_entries, on_error
        self._instance: dg.DagsterInstance | None = None
        self.run_id: str | None = None
        self._cursor: str | None = None
        self._reported: set[str] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, name="farmland-run-follower", daemon=True)

    def start(self) -> RunFollower:
        self._instance = dg.DagsterInstance.from_ref(self._ref)
        self._thread.start()
        return self

    def finish(self, run_id: str | None) -> None:
        """Stop following and hand on what the run `run_id` (the build's, when it returned one) stored
        since the last batch; the instance is then released."""
        self._stop.set()
        self._thread.join()
        try:
            if run_id is not None and run_id != self.run_id:
                self._follow_run(run_id)
            if self.run_id is not None:
                self._read()
        except Exception as error:  # noqa: BLE001 — the build's outcome stands without its last lines
            self._report(f"the run's last events could not be read: {error!r}")
        finally:
            assert self._instance is not None
            self._instance.dispose()

    def _follow(self) -> None:
        while not self._stop.wait(POLL_SECONDS):
            try:
                if self.run_id is None:
                    self._find_run()
                if self.run_id is not None:
                    self._read()
            except Exception as error:  # noqa: BLE001 — the run goes on; the next look tries again
                self._report(f"the run's events could not be read: {error!r}")

    def _report(self, message: str) -> None:
        if message not in self._reported:  # once, not at every look
            self._reported.add(message)
            self._on_error(message)

    def _find_run(self) -> None:
        assert self._instance is not None
        records = self._instance.get_run_records(
            filters=dg.RunsFilter(job_name=self._job_name, created_after=self._since), ascending=True
        )
        mine = [record.dagster_run for record in records if self._belongs(record.dagster_run)]
        if mine:
            self._follow_run(mine[0].run_id)

    def _follow_run(self, run_id: str) -> None:
        assert self._instance is not None
        run = self._instance.get_run_by_id(run_id)
        self.run_id, self._cursor = run_id, None
        if run is not None and run.execution_plan_snapshot_id:
            self._on_plan(self._instance.get_execution_plan_snapshot(run.execution_plan_snapshot_id))

    def _read(self) -> None:
        assert self._instance is not None and self.run_id is not None
        while True:
            batch = self._instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=BATCH)
            # past them before they are handed on: a batch the caller cannot take is not handed again
            self._cursor = batch.cursor
            self._on_entries([record.event_log_entry for record in batch.records])
            if not batch.has_more:
                return
