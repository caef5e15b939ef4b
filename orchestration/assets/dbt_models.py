"""The dbt project as five Dagster multi-assets, and the county partitions between two of them.

The quality steps sit between them: the DQ row quarantine needs the reference seeds and must run
before staging reads raw; the county partitions (orchestration/assets/county_partitions.py) read the
region's staging and small intermediate models and are read by the rest; the DQ09 reconciliation gate
needs the intermediate models and must run before the marts; the policy findings read the marts, and
the finding marts (models/marts/findings: case lifecycle, risk index, scorecard) read the findings.
Splitting the dbt selection at those points keeps the asset graph acyclic.

dbt runs in the step's own process (orchestration/dbt_in_process.py), and dagster-dbt turns its result
events into the steps' materializations and check results, as it does for a dbt process's log.
"""

import functools
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster import AssetExecutionContext, OpExecutionContext
from dagster_dbt import dbt_assets

# dagster-dbt's own reading of a subset (one model, one check) as a dbt selection, as its CLI resource
# uses it: a UI materialization of part of a step builds that part
from dagster_dbt.asset_utils import get_subset_selection_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage

from orchestration import dbt_in_process
from orchestration.concurrency import REGION_STEP
from orchestration.dbt_project import FARMLAND_DBT, FarmlandTranslator
from orchestration.dbt_targets import prune_invocations
from orchestration.relation_metadata import relation_metadata
from orchestration.resources import WarehouseResource
from quality.catalog import dbt_vars

MANIFEST = FARMLAND_DBT.manifest_path
TRANSLATOR = FarmlandTranslator()
# dbt's events for a node's outcome: dagster-dbt turns each into a materialization or a check result
RESULT_EVENTS = {"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"}


@functools.cache
def _manifest() -> dict[str, Any]:
    return json.loads(MANIFEST.read_text(encoding="utf-8"))


def _build(
    context: AssetExecutionContext,
    farmland: WarehouseResource,
    select: str,
    exclude: str | None = None,
    *options: str,
) -> Iterator[Any]:
    """`dbt build` of the step's selection (or of the part of it the run selected) in this process; dbt's
    result events become the step's materializations and check results, and a failure names the nodes
    that failed and dbt's log."""
    from dbt_common.events.functions import msg_to_dict

    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=_manifest(),
        select=select,
        exclude=exclude,
        selector=None,
        dagster_dbt_translator=TRANSLATOR,
        current_dbt_indirect_selection_env=None,
    )
    target = invocation_target(context, REGION_TARGET)
    results: list[dict[str, Any]] = []

    def on_event(event) -> None:
        dbt_in_process.log_event(context.log, event)
        if event.info.name in RESULT_EVENTS:
            results.append(msg_to_dict(event))

    with farmland.for_dbt():
        outcome = dbt_in_process.invoke(
            ["build", *selection, *options, *(["--indirect-selection", indirect] if indirect else [])],
            target=REGION_TARGET,
            variables=json.loads(dbt_vars()),
            target_path=target,
            on_event=on_event,
        )
    built = {
        unique_id: _manifest()["nodes"][unique_id]
        for raw_event in results
        if (unique_id := raw_event["data"]["node_info"]["unique_id"]) in _manifest()["nodes"]
        and raw_event["data"]["node_info"].get("node_status") == "success"
    }
    with farmland.open() as con:
        catalogued = relation_metadata(con, built)
    for raw_event in results:
        event = DbtCoreCliEventMessage(raw_event=raw_event, event_history_metadata={})
        extra = catalogued.get(raw_event["data"]["node_info"]["unique_id"], {})
        for asset_event in event.to_default_asset_events(
            manifest=_manifest(),
            dagster_dbt_translator=TRANSLATOR,
            context=context,
            target_path=target,
            project=FARMLAND_DBT,
        ):
            if extra and isinstance(asset_event, dg.Output):
                asset_event = asset_event.with_metadata({**asset_event.metadata, **extra})
            yield asset_event
    if not outcome.success:
        raise _failure(f"dbt could not build {context.op_execution_context.op.name}", outcome, target)


def _failure(what: str, outcome: dbt_in_process.DbtOutcome, target: Path) -> dg.Failure:
    """The step's failure: what failed, the nodes dbt names, and where dbt's whole log is."""
    return dg.Failure(f"{what}: {outcome.message()}", metadata={"dbt_log": str(target / "dbt.log")})


REGION_TARGET = "dev"  # transforms/profiles.yml: the region's file; `county` builds one county's partition


def invocation_target(context: OpExecutionContext, profile_target: str) -> Path:
    """The invocation's own target folder, for its artefacts and dbt.log:
    <step>-<run>-<profile target>-<random>. A process's first parse with a profile target starts from
    the latest such folder's saved parse (orchestration/dbt_in_process.py)."""
    run = context.run.run_id[:7]
    root = Path(FARMLAND_DBT.project_dir) / FARMLAND_DBT.target_path
    prune_invocations(root)
    step = context.op_execution_context.op.name
    return root / f"{step}-{run}-{profile_target}-{uuid.uuid4().hex[:7]}"


# The rule subjects (models/quality) are built in the step whose models they read, so each rule's check
# finds its view ready: row quarantine on raw with the seeds, the gate with the survey models, findings
# with the marts.
RULE_SUBJECTS = "models/quality"
REFERENCE_SEEDS = f"resource_type:seed path:{RULE_SUBJECTS}/row_quarantine"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="reference_seeds", select=REFERENCE_SEEDS,
)  # fmt: skip
def reference_seeds(context: AssetExecutionContext, farmland: WarehouseResource):
    """Reference tables kept in the repository (land classes, region, targets, attribute domains), and
    the subjects of the row-quarantine rules, which read raw and the seeds."""
    # Cautious: the seeds' own tests run here; the staging models' relationship tests against the seeds
    # wait for the staging step (those models do not exist yet in this run).
    yield from _build(context, farmland, REFERENCE_SEEDS, None, "--indirect-selection", "cautious")


# The county-partitioned models (tag county_partition) are built county by county between these two
# steps (orchestration/assets/county_partitions.py): first what they read, then what reads them.
COUNTY_PARTITIONS = "tag:county_partition"
COUNTY_INPUTS = "path:models/staging path:models/intermediate"
COUNTY_INPUTS_EXCLUDED = f"{COUNTY_PARTITIONS}+"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="county_inputs", select=COUNTY_INPUTS, exclude=COUNTY_INPUTS_EXCLUDED,
)  # fmt: skip
def county_inputs(context: AssetExecutionContext, farmland: WarehouseResource):
    """Staging models (typed deliveries, quarantined rows left out) and the region's intermediate models
    the county partitions read: survey years, control polygons and their overlaps, approval red lines."""
    yield from _build(context, farmland, COUNTY_INPUTS, COUNTY_INPUTS_EXCLUDED)


SURVEY_MODELS = f"{COUNTY_PARTITIONS}+,path:models/intermediate path:{RULE_SUBJECTS}/delivery_gate"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="survey_models", select=SURVEY_MODELS, exclude=COUNTY_PARTITIONS,
)  # fmt: skip
def survey_models(context: AssetExecutionContext, farmland: WarehouseResource):
    """The region's models on the county partitions (the reconciliation of each county's change survey)
    and the subject of the delivery gate (DQ09)."""
    yield from _build(context, farmland, SURVEY_MODELS, COUNTY_PARTITIONS)
    # The unit tests of the partitioned models check their SQL on fixtures, region-wide: once per run,
    # not once per county (a county build would filter the fixtures' other counties out).
    target = invocation_target(context, REGION_TARGET)
    with farmland.for_dbt():
        outcome = dbt_in_process.run(
            ["test", "--select", f"{COUNTY_PARTITIONS},resource_type:unit_test"],
            target=REGION_TARGET,
            variables=json.loads(dbt_vars()),
            target_path=target,
            log=context.log,
        )
    if not outcome.success:
        raise _failure("the unit tests of the county-partitioned models failed", outcome, target)


INDICATOR_MARTS = "models/marts"
FINDING_MARTS = "models/marts/findings"
INDICATOR_MART_MODELS = f"path:{INDICATOR_MARTS} path:{RULE_SUBJECTS}/findings"
FINDING_MART_MODELS = f"path:{FINDING_MARTS}"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="indicator_marts", select=INDICATOR_MART_MODELS, exclude=FINDING_MART_MODELS,
)  # fmt: skip
def indicator_marts(context: AssetExecutionContext, farmland: WarehouseResource):
    """The indicator marts analysts query (INDICATORS.md), and the subjects of the policy rules."""
    yield from _build(context, farmland, INDICATOR_MART_MODELS, FINDING_MART_MODELS)


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="finding_marts", select=FINDING_MART_MODELS,
)  # fmt: skip
def finding_marts(context: AssetExecutionContext, farmland: WarehouseResource):
    """Marts built on the policy findings: the case lifecycle, the risk index, the county scorecard."""
    yield from _build(context, farmland, FINDING_MART_MODELS)
