"""The dbt project as four Dagster multi-assets.

The quality steps sit between them: the DQ row quarantine needs the reference seeds and must run
before staging reads raw; the DQ09 reconciliation gate needs the intermediate models and must run
before the marts; the policy findings read the marts, and the finding marts (models/marts/findings:
case lifecycle, risk index, scorecard) read the findings. Splitting the dbt selection at those points
keeps the asset graph acyclic.
"""

import json
import sys
from pathlib import Path

from dagster import AssetExecutionContext
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import FARMLAND_DBT, FarmlandTranslator, dbt_environment, ensure_manifest
from quality.catalog import load_catalog, load_risk_index

MANIFEST = ensure_manifest()
TRANSLATOR = FarmlandTranslator()


def _build(context: AssetExecutionContext, dbt: DbtCliResource, *options: str):
    dbt_environment()
    yield from dbt.cli(["build", *options], context=context).stream()


# dbt var → (rule, parameter) of the rule catalog
CATALOG_VARS = {
    "pbf_multiplier": ("PR07", "pbf_multiplier"),
    "demonstration_multiplier": ("PR07", "demonstration_multiplier"),
    "pbf_connect_distance_m": ("PR13", "connect_distance_m"),
    "pbf_min_patch_mu": ("PR13", "min_patch_mu"),
}


def catalog_vars() -> str:
    """The rule catalog's parameters that models compute with, and the risk index's weights, as dbt
    --vars (the catalog governs; dbt_project.yml only holds defaults for hand runs)."""
    catalog = load_catalog()
    values = {var: catalog[rule].parameters[name] for var, (rule, name) in CATALOG_VARS.items()}
    risk = load_risk_index()["parameters"]
    values |= {"risk_index_weights": risk["weights"], "risk_index_scale": risk["scale"]}
    return json.dumps(values)


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="reference_seeds",
    select="resource_type:seed",
)  # fmt: skip
def reference_seeds(context: AssetExecutionContext, dbt: DbtCliResource):
    """Reference tables kept in the repository: land classes, region, targets, attribute domains."""
    # Cautious: the seeds' own tests run here; the staging models' relationship tests against the seeds
    # wait for the staging step (those models do not exist yet in this run).
    yield from _build(context, dbt, "--indirect-selection", "cautious")


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="survey_models",
    select="path:models/staging path:models/intermediate",
)  # fmt: skip
def survey_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """Staging and intermediate models: typed deliveries, land-use state per year, change flows, overlays."""
    yield from _build(context, dbt, "--vars", catalog_vars())


INDICATOR_MARTS = "models/marts"
FINDING_MARTS = "models/marts/findings"


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="indicator_marts",
    select=f"path:{INDICATOR_MARTS}", exclude=f"path:{FINDING_MARTS}",
)  # fmt: skip
def indicator_marts(context: AssetExecutionContext, dbt: DbtCliResource):
    """The indicator marts analysts query (INDICATORS.md)."""
    yield from _build(context, dbt, "--vars", catalog_vars())


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="finding_marts",
    select=f"path:{FINDING_MARTS}",
)  # fmt: skip
def finding_marts(context: AssetExecutionContext, dbt: DbtCliResource):
    """Marts built on the policy findings: the case lifecycle, the risk index, the county scorecard."""
    yield from _build(context, dbt, "--vars", catalog_vars())


def dbt_resource() -> DbtCliResource:
    # dbt lives in the same environment as Dagster; PATH may not include it (e.g. `.venv/bin/farmland`).
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(
        project_dir=FARMLAND_DBT,
        profiles_dir=str(FARMLAND_DBT.profiles_dir),
        dbt_executable=str(executable) if executable.exists() else "dbt",
    )
