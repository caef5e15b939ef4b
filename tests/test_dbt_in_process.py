"""dbt inside the pipeline's own process: one process builds for several warehouses in turn (a test
session, a Dagster code server launching runs for different landing folders)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb

from orchestration import dbt_in_process
from orchestration.assets.dbt_models import REGION_TARGET
from orchestration.resources import WarehouseResource
from quality.catalog import dbt_vars


def test_one_process_builds_each_warehouse_into_its_own_file(tmp_path: Path, caplog) -> None:
    """dbt names every relation after the warehouse's catalog when it parses: a parse held from the
    first warehouse must not be used to build the second, whose file is attached under another name."""
    log = logging.getLogger("farmland.test.dbt")
    for name in ("first", "second"):
        farmland = WarehouseResource(warehouse=str(tmp_path / f"{name}.duckdb"))
        with (
            farmland.for_dbt(),
            caplog.at_level(logging.DEBUG, logger=log.name),
            caplog.at_level(logging.INFO, logger=dbt_in_process.DBT_PROGRESS.name),
        ):
            outcome = dbt_in_process.run(
                ["build", "--select", "ref_land_classes", "--indirect-selection", "cautious"],
                target=REGION_TARGET,
                variables=json.loads(dbt_vars()),
                target_path=tmp_path / f"target_{name}",
                log=log,
            )
        assert outcome.success, outcome.message()
        with duckdb.connect(str(farmland.warehouse_file), read_only=True) as con:
            [(classes,)] = con.execute("select count(*) from reference.ref_land_classes").fetchall()
        assert classes > 0, name
    # the step's log has dbt's count of outcomes, not its node-by-node progress, which goes to the
    # progress logger (the CLI's log file); nothing dbt said was a warning or an error
    step = [r for r in caplog.records if r.name == log.name]
    progress = [r for r in caplog.records if r.name == dbt_in_process.DBT_PROGRESS.name]
    assert [r.message for r in step if r.message.startswith("Done. PASS=")]
    assert not [r.message for r in step if " START " in r.message or " OK created " in r.message]
    assert [r.message for r in progress if "OK loaded seed file" in r.message or " PASS " in r.message]
    assert not [r.message for r in caplog.records if r.levelno >= logging.WARNING]


def test_dbt_errors_reach_the_step_log_as_errors(tmp_path: Path, caplog) -> None:
    """An operator reading the run at its default level sees what dbt said went wrong."""
    log = logging.getLogger("farmland.test.dbt")
    farmland = WarehouseResource(warehouse=str(tmp_path / "farmland.duckdb"))
    # the staging model reads raw, which this empty warehouse does not have
    with farmland.for_dbt(), caplog.at_level(logging.DEBUG, logger=log.name):
        outcome = dbt_in_process.run(
            ["build", "--select", "stg_survey__parcels", "--indirect-selection", "cautious"],
            target=REGION_TARGET,
            variables=json.loads(dbt_vars()),
            target_path=tmp_path / "target",
            log=log,
        )
    assert not outcome.success
    assert "stg_survey__parcels" in outcome.message()
    errors = [r.message for r in caplog.records if r.levelno == logging.ERROR]
    assert any("stg_survey__parcels" in message for message in errors), errors


def test_one_mart_materialized_on_its_own_builds_that_mart_and_its_own_checks(demo_build, tmp_path: Path):
    """As an operator materializing one mart from the UI: dbt builds that model and runs its tests, and
    nothing else of its step is materialized or checked."""
    import shutil

    import dagster as dg

    from orchestration.run import build_warehouse_job
    from warehouse.county_shards import shard_folder

    # the same file name: dbt's views name their catalog after it
    warehouse = tmp_path / demo_build.warehouse.name
    shutil.copy(demo_build.warehouse, warehouse)
    shutil.copytree(shard_folder(demo_build.warehouse), shard_folder(warehouse))
    mart = dg.AssetKey(["marts", "risk_index"])
    config = {"warehouse": str(warehouse), "landing": str(demo_build.landing)}
    result = build_warehouse_job().execute_in_process(
        asset_selection=[mart], run_config={"resources": {"farmland": {"config": config}}}
    )
    materialized = {event.asset_key for event in result.get_asset_materialization_events()}
    checked = [
        event.event_specific_data
        for event in result.all_events
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ]
    assert materialized == {mart}
    assert checked and {evaluation.asset_key for evaluation in checked} == {mart}
    assert all(evaluation.passed for evaluation in checked)
