"""The Dagster definitions: what `dagster dev` (make ui) and `farmland build` run."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.county_partitions import county_partitions
from orchestration.assets.dbt_models import (
    county_inputs,
    finding_marts,
    indicator_marts,
    reference_seeds,
    survey_models,
)
from orchestration.assets.publish import map_layers, published_snapshot, reports
from orchestration.assets.quality_rules import QUALITY_ASSETS
from orchestration.assets.raw_layers import RAW_LAYER_ASSETS
from orchestration.assets.raw_records import RAW_RECORD_ASSETS
from orchestration.instance import relaxed_sqlite_sync
from orchestration.jobs import annual_survey_build, build_warehouse, new_delivery_sensor
from orchestration.resources import WarehouseResource

# A run launched from the UI records its events from the process that loads these definitions.
relaxed_sqlite_sync()

defs = dg.Definitions(
    assets=[
        *RAW_LAYER_ASSETS,
        *RAW_RECORD_ASSETS,
        reference_seeds,
        county_inputs,
        county_partitions,
        survey_models,
        indicator_marts,
        *QUALITY_ASSETS,
        finding_marts,
        published_snapshot,
        map_layers,
        reports,
    ],
    jobs=[build_warehouse],
    schedules=[annual_survey_build],
    sensors=[new_delivery_sensor],
    resources={"farmland": WarehouseResource()},
    # Materializations launched from the UI run in one process too: DuckDB has one writer per file.
    executor=dg.in_process_executor,
)
