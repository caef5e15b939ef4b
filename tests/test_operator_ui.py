"""An operator's first run from the Dagster UI: the real webserver and daemon (`dagster dev`, as `make ui`
starts them) on a fresh instance, driven through the GraphQL API the UI itself speaks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from orchestration.definitions import defs
from orchestration.instance import INSTANCE_CONFIG
from tests.conformance import reference
from tests.conformance.test_legal_variants import M2_TOLERANCE, delivery_a
from tests.ports import free_port
from warehouse.config import LANDING_ENV, WAREHOUSE_ENV
from warehouse.connection import connect

pytestmark = pytest.mark.builds_warehouse

LOCATION = "orchestration.definitions"  # the code location `make ui` loads
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}


@contextmanager
def dagster_dev(home: Path, landing: Path, warehouse: Path) -> Iterator[DagsterGraphQLClient]:
    """`dagster dev` on loopback with a fresh DAGSTER_HOME, pointed at a landing folder and a warehouse."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        LANDING_ENV: str(landing),
        WAREHOUSE_ENV: str(warehouse),
    }
    dagster = Path(sys.executable).with_name("dagster")
    with open(home / "dagster_dev.log", "w") as log:
        server = subprocess.Popen(
            [str(dagster), "dev", "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                    break
                except OSError:
                    assert server.poll() is None, (home / "dagster_dev.log").read_text()[-3000:]
                    assert time.monotonic() < deadline, "dagster dev did not answer within 3 minutes"
                    time.sleep(1)
            yield DagsterGraphQLClient("127.0.0.1", port_number=port)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def _wait(client: DagsterGraphQLClient, run_id: str, minutes: int = 15) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + minutes * 60
    while (status := client.get_run_status(run_id)) not in FINISHED:
        assert time.monotonic() < deadline, f"run {run_id} still {status} after {minutes} minutes"
        time.sleep(2)
    return status


def _failures(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    return [
        f"{record.dagster_event.step_key}: {record.dagster_event.event_specific_data.error.message[:300]}"
        for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.STEP_FAILURE)
    ]


def test_the_build_job_launched_on_a_fresh_instance_materializes_every_asset(tmp_path):
    """Launched as the launchpad launches it, with no survey year chosen and no executor config: every
    delivered year is loaded, the steps run one after another, every asset is materialized, and the
    figures agree with the delivery's own. The delivery is conformance delivery A, written from the
    input contract by tests/conformance/delivery.py, and its land-use areas are recomputed from its
    parcels in plain Python (tests/conformance/reference.py)."""
    delivery = delivery_a()
    landing = delivery.write(tmp_path / "landing")
    warehouse = tmp_path / "farmland.duckdb"
    home = tmp_path / "dagster_home"
    with dagster_dev(home, landing, warehouse) as client:
        run_id = client.submit_job_execution("build_warehouse", repository_location_name=LOCATION)
        status = _wait(client, run_id)
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert status == dg.DagsterRunStatus.SUCCESS, _failures(instance, run_id)
        materialized = {
            record.dagster_event.asset_key
            for record in instance.all_logs(run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        }
    every_asset = set(defs.resolve_asset_graph().materializable_asset_keys)
    assert materialized == every_asset, sorted(key.to_user_string() for key in every_asset - materialized)

    expected = reference.land_use_area(delivery)
    con = connect(warehouse, read_only=True)
    try:
        rows = con.execute("select admin_code, year, land_class, area_m2 from marts.land_use_area").fetchall()
    finally:
        con.close()
    actual = {(admin, year, land_class): float(m2) for admin, year, land_class, m2 in rows}
    assert actual.keys() == expected.keys()
    off = {key: (actual[key], m2) for key, m2 in expected.items() if abs(actual[key] - m2) > M2_TOLERANCE}
    assert not off, off
