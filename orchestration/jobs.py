"""The build job, the annual schedule and the new-delivery sensor."""

from __future__ import annotations

import hashlib

import dagster as dg

from sources.extract.discover import discover
from warehouse.config import landing_path

build_warehouse = dg.define_asset_job(
    "build_warehouse",
    selection=dg.AssetSelection.all(),
    description="Load every delivery in the landing folder, build every model, run every rule, publish.",
    # DuckDB has one writer per file: steps run one after another in this process.
    executor_def=dg.in_process_executor,
)

# The change survey's standard time point is 12-31; deliveries arrive in the new year.
annual_survey_build = dg.ScheduleDefinition(
    name="annual_survey_build",
    job=build_warehouse,
    cron_schedule="0 6 1 3 *",
    execution_timezone="Asia/Shanghai",
    description="Rebuild after the annual change survey (time point 12-31) has been delivered, 1 March.",
)


def delivery_fingerprint() -> str:
    """A hash of every delivered layer file's path, size and modification time in the landing folder."""
    digest = hashlib.sha256()
    for delivery in sorted(discover(landing_path()), key=lambda d: str(d.path)):
        paths = [delivery.path] if delivery.path.is_file() else sorted(p for p in delivery.path.rglob("*"))
        for path in paths:
            if path.is_file():
                stat = path.stat()
                digest.update(f"{path}|{stat.st_size}|{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(job=build_warehouse, minimum_interval_seconds=60, default_status=dg.DefaultSensorStatus.STOPPED)
def new_delivery_sensor(context: dg.SensorEvaluationContext):
    """Start a build when a delivery appears or changes in the landing folder."""
    fingerprint = delivery_fingerprint()
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed delivery in the landing folder")
    context.update_cursor(fingerprint)
    return dg.RunRequest(run_key=fingerprint)
