"""The build job, the annual schedule and the new-delivery sensor."""

import dagster as dg

from orchestration.concurrency import ONE_PROCESS_UNLESS_ASKED
from orchestration.partitions import delivered_range_tags
from orchestration.resources import WarehouseResource
from warehouse.build_state import FINGERPRINT_TAG, build_fingerprint, landing_fingerprint, up_to_date

build_warehouse = dg.define_asset_job(
    "build_warehouse",
    selection=dg.AssetSelection.all(),
    description="Load the selected survey years' deliveries, build every model, run every rule, publish.",
    # By default one step after another in this process; `multiprocess` (orchestration.concurrency)
    # builds county partitions in parallel and still runs the steps on the region's file one at a time.
    executor_def=ONE_PROCESS_UNLESS_ASKED,
)


NEW_DELIVERY = (
    "Start a build when a delivery appears or changes in the landing folder (checked every minute, "
    "by the files' fingerprints), over the survey years delivered. Off until an operator turns it on."
)


@dg.sensor(
    job=build_warehouse,
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=NEW_DELIVERY,
)
def new_delivery_sensor(context: dg.SensorEvaluationContext, farmland: WarehouseResource):
    landing = farmland.landing_folder
    fingerprint = landing_fingerprint(landing)
    if fingerprint == context.cursor:
        return dg.SkipReason("no new or changed delivery in the landing folder")
    try:
        years = delivered_range_tags(landing)
    except ValueError as error:
        return dg.SkipReason(str(error))
    context.update_cursor(fingerprint)
    return dg.RunRequest(
        run_key=fingerprint, tags={**years, FINGERPRINT_TAG: build_fingerprint(landing, fingerprint)}
    )


ANNUAL_BUILD = (
    "Rebuild every survey year at 06:00 (Beijing time) on 1 March, after the change survey (standard "
    "time point 12-31) is delivered, unless the published snapshot is already built from the landing "
    "folder as it is, with this code. Off until an operator turns it on."
)


# The change survey's standard time point is 12-31; deliveries arrive in the new year.
@dg.schedule(
    job=build_warehouse,
    cron_schedule="0 6 1 3 *",
    execution_timezone="Asia/Shanghai",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=ANNUAL_BUILD,
)
def annual_survey_build(context: dg.ScheduleEvaluationContext, farmland: WarehouseResource):
    landing = farmland.landing_folder
    if up_to_date(landing, farmland.warehouse_file):
        return dg.SkipReason(f"the published snapshot is built from {landing} as it is, with this code")
    try:
        years = delivered_range_tags(landing)
    except ValueError as error:
        return dg.SkipReason(str(error))
    return dg.RunRequest(tags={**years, FINGERPRINT_TAG: build_fingerprint(landing)})
