"""A build job launched by hand (from the UI's launchpad, or re-executed from a run's page) builds only
when there is something new, as `farmland build`, the schedule and the sensor do.

Those three decide before they start a run and tag it with the build's fingerprint
(warehouse/build_state.py). A run of the job launched by hand carries no such tag: its first raw step
decides, once for the whole run, and records the decision and the fingerprint as run tags the later steps
and the publishing step read. With nothing new (the published snapshot was built from the landing folder
as it is, with this code) the raw steps materialize nothing and every step after them is skipped; the
run succeeds and says why. Materializing chosen assets (an asset page, "Materialize all", a backfill)
always materializes them: the operator asked for those assets.
"""

from __future__ import annotations

import dagster as dg

from orchestration.resources import WarehouseResource
from warehouse.build_state import FINGERPRINT_TAG, build_fingerprint, published_fingerprint
from warehouse.config import published_path

BUILD_JOB = "build_warehouse"
# "<nothing_new|build>:<fingerprint>", set by the run's first raw step
DECISION_TAG = "farmland/hand_launch"
NOTHING_NEW = "nothing_new"


def _decided(context: dg.AssetExecutionContext) -> str | None:
    run = context.instance.get_run_by_id(context.run_id)
    return run.tags.get(DECISION_TAG) if run else None


def nothing_new(context: dg.AssetExecutionContext, farmland: WarehouseResource) -> bool:
    """Whether this step belongs to a hand-launched build job with nothing new to build; the first raw
    step to ask decides for the run."""
    if FINGERPRINT_TAG in context.run.tags or context.job_def.name != BUILD_JOB:
        return False
    decision = _decided(context)
    if decision is None:
        fingerprint = build_fingerprint(farmland.landing_folder)
        built_from = published_fingerprint(published_path(farmland.warehouse_file))
        decision = f"{NOTHING_NEW if built_from == fingerprint else 'build'}:{fingerprint}"
        context.instance.add_run_tags(context.run_id, {DECISION_TAG: decision})
        if built_from == fingerprint:
            context.log.info(
                f"Nothing to build: the published snapshot was built from {farmland.landing_folder} as it "
                "is, with this code. The steps after the raw layers are skipped."
            )
    return decision.split(":", 1)[0] == NOTHING_NEW


def run_fingerprint(context: dg.AssetExecutionContext) -> str | None:
    """The fingerprint of what this run built: the launcher's tag, or the first raw step's decision."""
    if FINGERPRINT_TAG in context.run.tags:
        return context.run.tags[FINGERPRINT_TAG]
    decision = _decided(context)
    return decision.split(":", 1)[1] if decision else None
