"""The dbt project as three Dagster multi-assets.

The quality gates sit between them: the DQ row quarantine needs the reference seeds and must run
before staging reads raw; the DQ09 reconciliation gate needs the intermediate models and must run
before the marts. Splitting the dbt selection at those points keeps the asset graph acyclic.
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from orchestration.dbt_project import FARMLAND_DBT, FarmlandTranslator, dbt_environment, ensure_manifest

MANIFEST = ensure_manifest()
TRANSLATOR = FarmlandTranslator()


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    dbt_environment()
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="reference_seeds",
    select="resource_type:seed",
)  # fmt: skip
def reference_seeds(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Reference tables kept in the repository: land classes, region, targets, attribute domains."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="survey_models",
    select="path:models/staging path:models/intermediate",
)  # fmt: skip
def survey_models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """Staging and intermediate models: typed deliveries, land-use state per year, change flows."""
    yield from _build(context, dbt)


@dbt_assets(
    manifest=MANIFEST, project=FARMLAND_DBT, dagster_dbt_translator=TRANSLATOR, name="indicator_marts",
    select="path:models/marts",
)  # fmt: skip
def indicator_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource):
    """The indicator marts analysts query (INDICATORS.md)."""
    yield from _build(context, dbt)


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(project_dir=FARMLAND_DBT, profiles_dir=str(FARMLAND_DBT.profiles_dir))
