"""The dbt project as four Dagster multi-assets.

The quality steps sit between them: the DQ row quarantine needs the reference seeds and must run
before staging reads raw; the DQ09 reconciliation gate needs the intermediate models and must run
before the marts; the policy findings read the marts, and the finding marts (models/marts/findings:
case lifecycle, risk index, scorecard) read the findings. Splitting the dbt selection at those points
keeps the asset graph acyclic.
"""

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import FARMLAND_DBT, FarmlandTranslator
from orchestration.resources import WarehouseResource
from quality.catalog import dbt_vars

MANIFEST = FARMLAND_DBT.manifest_path
TRANSLATOR = FarmlandTranslator()


def _build(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource, *options: str):
    with farmland.for_dbt():
        yield from dbt.cli(["build", *options], context=context).stream()


# The rule subjects (models/quality) are built in the step whose models they read, so each rule's check
# finds its view ready: row quarantine on raw with the seeds, the gate with the survey models, findings
# with the marts.
RULE_SUBJECTS = "models/quality"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="reference_seeds",
    select=f"resource_type:seed path:{RULE_SUBJECTS}/row_quarantine",
)  # fmt: skip
def reference_seeds(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """Reference tables kept in the repository (land classes, region, targets, attribute domains), and
    the subjects of the row-quarantine rules, which read raw and the seeds."""
    # Cautious: the seeds' own tests run here; the staging models' relationship tests against the seeds
    # wait for the staging step (those models do not exist yet in this run).
    yield from _build(context, dbt, farmland, "--indirect-selection", "cautious", "--vars", dbt_vars())


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="survey_models",
    select=f"path:models/staging path:models/intermediate path:{RULE_SUBJECTS}/delivery_gate",
)  # fmt: skip
def survey_models(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """Staging and intermediate models: typed deliveries, land-use state per year, change flows, overlays;
    and the subject of the delivery gate (DQ09)."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())


INDICATOR_MARTS = "models/marts"
FINDING_MARTS = "models/marts/findings"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="indicator_marts",
    select=f"path:{INDICATOR_MARTS} path:{RULE_SUBJECTS}/findings", exclude=f"path:{FINDING_MARTS}",
)  # fmt: skip
def indicator_marts(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """The indicator marts analysts query (INDICATORS.md), and the subjects of the policy rules."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="finding_marts",
    select=f"path:{FINDING_MARTS}",
)  # fmt: skip
def finding_marts(context: AssetExecutionContext, dbt: DbtCliResource, farmland: WarehouseResource):
    """Marts built on the policy findings: the case lifecycle, the risk index, the county scorecard."""
    yield from _build(context, dbt, farmland, "--vars", dbt_vars())


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=FARMLAND_DBT)
