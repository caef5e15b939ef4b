"""The dbt project as five Dagster multi-assets, and the county partitions between two of them.

The quality steps sit between them: the DQ row quarantine needs the reference seeds and must run
before staging reads raw; the county partitions (orchestration/assets/county_partitions.py) read the
region's staging and small intermediate models and are read by the rest; the DQ09 reconciliation gate
needs the intermediate models and must run before the marts; the policy findings read the marts, and
the finding marts (models/marts/findings: case lifecycle, risk index, scorecard) read the findings.
Splitting the dbt selection at those points keeps the asset graph acyclic.
"""

import shutil
import uuid
from pathlib import Path

from dagster import AssetExecutionContext, OpExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.concurrency import REGION_STEP
from orchestration.dbt_project import FARMLAND_DBT, FarmlandTranslator
from orchestration.resources import WarehouseResource
from quality.catalog import dbt_vars

MANIFEST = FARMLAND_DBT.manifest_path
TRANSLATOR = FarmlandTranslator()


def _build(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource, *options: str):
    target = invocation_target(context, REGION_TARGET)
    with farmland.for_dbt():
        yield from dbt.cli(["build", *options], context=context, target_path=target).stream()


PARTIAL_PARSE = "partial_parse.msgpack"
REGION_TARGET = "dev"  # transforms/profiles.yml: the region's file; `county` builds one county's partition


def invocation_target(context: OpExecutionContext, profile_target: str) -> Path:
    """The invocation's own target folder, named as dagster-dbt names it (<step>-<run>-<random>, with
    the profile target), given the latest parse of a dbt step with that profile target: the run's
    previous step, else the last run's.

    dbt reuses a saved parse only when the vars and the profile (target, warehouse path, limits) are
    those it was made with, and re-reads every file that changed since; otherwise it parses the whole
    project, as it would without one. The prepared target/partial_parse.msgpack never matches (it is
    parsed without the rule parameters and for the default warehouse), but every dbt step of one run
    with one profile target does, and so do the next run's on the same warehouse. Handing the parse on
    spares each of them a full parse of the project (seconds a step)."""
    run = context.run.run_id[:7]
    root = Path(FARMLAND_DBT.project_dir) / FARMLAND_DBT.target_path
    step = context.op_execution_context.op.name
    target = root / f"{step}-{run}-{profile_target}-{uuid.uuid4().hex[:7]}"

    def latest(pattern: str) -> Path | None:
        saved = sorted(root.glob(f"{pattern}/{PARTIAL_PARSE}"), key=lambda path: path.stat().st_mtime)
        return saved[-1] if saved else None

    earlier = latest(f"*-{run}-{profile_target}-*") or latest(f"*-*-{profile_target}-*")
    if earlier:
        target.mkdir(parents=True)
        shutil.copy(earlier, target / PARTIAL_PARSE)
    return target


# The rule subjects (models/quality) are built in the step whose models they read, so each rule's check
# finds its view ready: row quarantine on raw with the seeds, the gate with the survey models, findings
# with the marts.
RULE_SUBJECTS = "models/quality"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="reference_seeds",
    select=f"resource_type:seed path:{RULE_SUBJECTS}/row_quarantine",
)  # fmt: skip
def reference_seeds(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """Reference tables kept in the repository (land classes, region, targets, attribute domains), and
    the subjects of the row-quarantine rules, which read raw and the seeds."""
    # Cautious: the seeds' own tests run here; the staging models' relationship tests against the seeds
    # wait for the staging step (those models do not exist yet in this run).
    yield from _build(context, dbt, farmland, "--indirect-selection", "cautious", "--vars", dbt_vars())


# The county-partitioned models (tag county_partition) are built county by county between these two
# steps (orchestration/assets/county_partitions.py): first what they read, then what reads them.
COUNTY_PARTITIONS = "tag:county_partition"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="county_inputs",
    select="path:models/staging path:models/intermediate", exclude=f"{COUNTY_PARTITIONS}+",
)  # fmt: skip
def county_inputs(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """Staging models (typed deliveries, quarantined rows left out) and the region's intermediate models
    the county partitions read: survey years, control polygons and their overlaps, approval red lines."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="survey_models",
    select=f"{COUNTY_PARTITIONS}+,path:models/intermediate path:{RULE_SUBJECTS}/delivery_gate",
    exclude=COUNTY_PARTITIONS,
)  # fmt: skip
def survey_models(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """The region's models on the county partitions (the reconciliation of each county's change survey)
    and the subject of the delivery gate (DQ09)."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())
    # The unit tests of the partitioned models check their SQL on fixtures, region-wide: once per run,
    # not once per county (a county build would filter the fixtures' other counties out).
    target = invocation_target(context, REGION_TARGET)
    with farmland.for_dbt():
        dbt.cli(
            ["test", "--select", f"{COUNTY_PARTITIONS},resource_type:unit_test", "--vars", dbt_vars()],
            manifest=MANIFEST,
            target_path=target,
        ).wait()


INDICATOR_MARTS = "models/marts"
FINDING_MARTS = "models/marts/findings"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="indicator_marts",
    select=f"path:{INDICATOR_MARTS} path:{RULE_SUBJECTS}/findings", exclude=f"path:{FINDING_MARTS}",
)  # fmt: skip
def indicator_marts(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """The indicator marts analysts query (INDICATORS.md), and the subjects of the policy rules."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, op_tags=REGION_STEP,
    name="finding_marts",
    select=f"path:{FINDING_MARTS}",
)  # fmt: skip
def finding_marts(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """Marts built on the policy findings: the case lifecycle, the risk index, the county scorecard."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=FARMLAND_DBT)
