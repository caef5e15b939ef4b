"""The build job launched by hand (the UI's launchpad: no tags, no survey year chosen) builds when there
is something new and otherwise does nothing, as `farmland build` does; on conformance delivery A, written
from the input contract (tests/conformance/delivery.py), as `farmland build` built it.

A hand launch on a fresh instance with no warehouse yet, which builds everything, is the operator UI's
first run (tests/test_operator_ui.py)."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from orchestration.hand_launch import DECISION_TAG
from orchestration.run import build_warehouse_job
from tests.conftest import copy_build
from warehouse.build_state import build_fingerprint, published_fingerprint
from warehouse.config import published_path

pytestmark = pytest.mark.builds_warehouse


def _launch_by_hand(
    instance: dg.DagsterInstance, landing: Path, warehouse: Path
) -> dg.ExecuteInProcessResult:
    """The job as the launchpad launches it: only the resource's paths, nothing else."""
    config = {"resources": {"farmland": {"config": {"warehouse": str(warehouse), "landing": str(landing)}}}}
    return build_warehouse_job().execute_in_process(
        instance=instance, run_config=config, raise_on_error=False
    )


def _steps(result: dg.ExecuteInProcessResult, kind: str) -> set[str]:
    return {event.step_key for event in result.all_events if event.event_type_value == kind}


def test_a_build_launched_by_hand_with_nothing_new_does_nothing_and_one_with_a_new_delivery_builds(
    delivery_a_cli_build, tmp_path
):
    built = delivery_a_cli_build
    assert built.completed.returncode == 0, (built.completed.stdout + built.completed.stderr)[-3000:]
    # the warehouse as `farmland build` left it, and the deliveries it was built from
    landing, warehouse = copy_build(built.warehouse, built.landing, tmp_path)
    snapshot = published_path(warehouse)
    assert published_fingerprint(snapshot) == build_fingerprint(landing)
    with dg.instance_for_test() as instance:
        built_at = snapshot.stat().st_mtime_ns
        again = _launch_by_hand(instance, landing, warehouse)
        assert again.success
        assert instance.get_run_by_id(again.run_id).tags[DECISION_TAG].startswith("nothing_new:")
        assert not again.get_asset_materialization_events()
        raw_steps = {key for key in _steps(again, "STEP_SUCCESS")}
        assert raw_steps and all(step.startswith("raw__") for step in raw_steps), sorted(raw_steps)
        assert "warehouse__published_snapshot" in _steps(again, "STEP_SKIPPED")
        assert snapshot.stat().st_mtime_ns == built_at
        # the file rules still report on the delivered files
        assert any(e.event_type_value == "ASSET_CHECK_EVALUATION" for e in again.all_events)

        # a file redelivered (same name, new modification time) is something new
        redelivered = next(path for path in sorted(landing.rglob("*")) if path.is_file())
        os.utime(redelivered, ns=(redelivered.stat().st_atime_ns, redelivered.stat().st_mtime_ns + 10**9))
        rebuilt = _launch_by_hand(instance, landing, warehouse)
        assert rebuilt.success
        assert len(rebuilt.get_asset_materialization_events()) > 100
        assert "warehouse__published_snapshot" in _steps(rebuilt, "STEP_SUCCESS")
        # the run recorded what it built, so the next one can tell
        assert published_fingerprint(snapshot) == build_fingerprint(landing)
        assert instance.get_run_by_id(rebuilt.run_id).tags[DECISION_TAG].startswith("build:")
