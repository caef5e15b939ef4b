"""One build at a time per warehouse: a build started while another holds the warehouse is refused at
once, told which build holds it, and touches nothing; a build that was killed frees the warehouse for
the next one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import main
from orchestration.resources import WarehouseResource
from warehouse.run_lock import LOCK_HELD_ENV, BuildRunning, exclusive_run, holder, lock_path

HOLDER = "farmland build --landing /srv/landing (the first build)"


@contextmanager
def build_holding(warehouse: Path) -> Iterator[subprocess.Popen]:
    """Another process holding the warehouse as a build does, until it is stopped or killed."""
    code = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from warehouse.run_lock import exclusive_run
        with exclusive_run(Path({str(warehouse)!r}), {HOLDER!r}):
            print("holding", flush=True)
            time.sleep(600)
        """
    )
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout.readline().strip() == "holding"
        yield process
    finally:
        process.kill()
        process.wait()


def test_a_second_build_is_refused_at_once_naming_the_build_that_holds_the_warehouse(tmp_path, capsys):
    landing = tmp_path / "landing"
    landing.mkdir()
    warehouse = tmp_path / "farmland.duckdb"
    with dg.DagsterInstance.get() as instance:
        runs_before = instance.get_runs_count()
    with build_holding(warehouse) as first:
        code = main(["build", "--landing", str(landing), "--warehouse", str(warehouse)])
    said = capsys.readouterr()
    assert code == 3
    assert HOLDER in said.err and f"process {first.pid}" in said.err, said.err
    assert "was not started" in said.err
    # refused before anything: no warehouse file, no log, no Dagster run
    assert not warehouse.exists() and not (tmp_path / "logs").exists()
    with dg.DagsterInstance.get() as instance:
        assert instance.get_runs_count() == runs_before


def test_a_killed_build_frees_the_warehouse_for_the_next_one(tmp_path):
    warehouse = tmp_path / "farmland.duckdb"
    with build_holding(warehouse) as first:
        with pytest.raises(BuildRunning):
            with exclusive_run(warehouse, "second"):
                pass
        os.kill(first.pid, signal.SIGKILL)
        first.wait()
        with exclusive_run(warehouse, "after the crash"):
            assert holder(warehouse)["what"] == "after the crash"
            assert holder(warehouse)["pid"] == os.getpid()
    assert lock_path(warehouse).exists()  # the file stays; only the kernel's lock on it went


def test_a_dagster_run_started_while_a_build_holds_the_warehouse_waits_for_it_before_its_first_step(tmp_path):
    """A run the UI, the schedule or the sensor starts while `farmland build` holds the warehouse (in the
    moments the run queue cannot see that build) queues behind it, saying which build it waits for."""
    warehouse = tmp_path / "farmland.duckdb"
    started: list[float] = []

    @dg.op
    def step(farmland: WarehouseResource) -> None:
        started.append(time.time())

    @dg.job
    def one_step() -> None:
        step()

    outcome: dict = {}
    resources = {"farmland": WarehouseResource(warehouse=str(warehouse))}
    with dg.DagsterInstance.ephemeral() as instance:
        with build_holding(warehouse) as first:
            run = threading.Thread(
                target=lambda: outcome.update(
                    result=one_step.execute_in_process(resources=resources, instance=instance)
                )
            )
            run.start()
            time.sleep(3)
            assert run.is_alive() and started == []
            released = time.time()
            first.kill()
            first.wait()
        run.join(120)
        result = outcome["result"]
        assert result.success and started[0] >= released
        said = [entry.user_message for entry in instance.all_logs(result.run_id)]
    waiting = [message for message in said if "waiting for" in message]
    assert waiting and HOLDER in waiting[0] and f"process {first.pid}" in waiting[0], said


def test_a_run_holds_the_warehouse_from_its_first_step_to_its_end_and_then_lets_go(tmp_path):
    warehouse = tmp_path / "farmland.duckdb"
    seen: list[str | None] = []

    @dg.op
    def step(farmland: WarehouseResource) -> None:
        # while the run goes on, a build in another process (not one the run started) is refused
        outsider = {name: value for name, value in os.environ.items() if name != LOCK_HELD_ENV}
        probe = subprocess.run(
            [sys.executable, "-c", f"from warehouse.run_lock import exclusive_run\n"
             f"from pathlib import Path\nwith exclusive_run(Path({str(warehouse)!r}), 'x'): pass"],
            capture_output=True, text=True, env=outsider,
        )  # fmt: skip
        seen.append("refused" if "BuildRunning" in probe.stderr else probe.stderr[-300:])

    @dg.job
    def one_step() -> None:
        step()

    result = one_step.execute_in_process(resources={"farmland": WarehouseResource(warehouse=str(warehouse))})
    assert result.success
    assert seen == ["refused"]
    with exclusive_run(warehouse, "next build"):
        pass


@dg.op(name="step")
def _step(farmland: WarehouseResource) -> None:
    pass


@dg.job(resource_defs={"farmland": WarehouseResource()})
def warehouse_step() -> None:
    """A run with nothing to do but set up its warehouse."""
    _step()


def test_a_run_left_in_progress_by_a_killed_build_is_marked_failed_by_the_next_build(tmp_path):
    """A killed build's run would show STARTED for ever and hold the instance's run queue."""
    warehouse = tmp_path / "farmland.duckdb"
    other = tmp_path / "other.duckdb"

    with dg.DagsterInstance.get() as instance:
        killed = _started_run(instance, warehouse_step, warehouse)
        elsewhere = _started_run(instance, warehouse_step, other)
        # a run whose steps each had a process of their own never held the warehouse: it may be running
        multiprocess = _started_run(instance, warehouse_step, warehouse, multiprocess=True)
        # unless the process that started it held the warehouse for it (farmland build --parallel N)
        parallel_build = _started_run(instance, warehouse_step, warehouse, multiprocess=True, held=True)
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.STARTED

        result = warehouse_step.execute_in_process(
            run_config={"resources": {"farmland": {"config": {"warehouse": str(warehouse)}}}},
            instance=instance,
        )
        assert result.success
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
        failure = instance.all_logs(killed.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
        assert "Abandoned" in failure[-1].message and str(warehouse) in failure[-1].message
        # a run of another warehouse is none of this build's business
        assert instance.get_run_by_id(elsewhere.run_id).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(multiprocess.run_id).status == dg.DagsterRunStatus.STARTED
        assert instance.get_run_by_id(parallel_build.run_id).status == dg.DagsterRunStatus.FAILURE


def test_a_build_that_stops_before_running_anything_still_frees_the_queue_of_abandoned_runs(tmp_path):
    """`farmland build` marks them as soon as it holds the warehouse: a build with nothing to do, or one
    refused for its landing folder, frees the instance's run queue too."""
    warehouse = tmp_path / "farmland.duckdb"

    with dg.DagsterInstance.get() as instance:
        killed = _started_run(instance, warehouse_step, warehouse)
        with pytest.raises(SystemExit, match="does not exist"):
            main(["build", "--landing", str(tmp_path / "no such folder"), "--warehouse", str(warehouse)])
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE


def _started_run(
    instance: dg.DagsterInstance, job: dg.JobDefinition, warehouse: Path, multiprocess=False, held=False
) -> dg.DagsterRun:
    """A run of `job` on `warehouse` the instance shows STARTED, as a build killed midway leaves it."""
    from orchestration.abandoned_runs import HELD_BY_LAUNCHER_TAG

    config: dict = {"resources": {"farmland": {"config": {"warehouse": str(warehouse)}}}}
    if multiprocess:
        config["execution"] = {"config": {"multiprocess": {"max_concurrent": 2}}}
    run = instance.create_run_for_job(
        job, run_config=config, tags={HELD_BY_LAUNCHER_TAG: "true"} if held else None
    )
    instance.handle_run_event(
        run.run_id, dg.DagsterEvent(dg.DagsterEventType.RUN_START.value, job_name=job.name)
    )
    return run
