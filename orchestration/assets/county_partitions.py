"""The county-partitioned models (县级分区) as one Dagster graph asset that fans out over the counties.

1. `counties_with_new_inputs` fingerprints, per county, every region relation the partitioned models
   read, and hands on the counties whose file is missing or was built from other inputs: a run whose
   deliveries did not change rebuilds no county.
2. `build_county` runs once per such county (a dynamic step: Dagster's executor runs them in parallel
   under the multiprocess executor, on several machines under a cluster executor), dbt building the
   county's partition into a file of its own (warehouse.county_shards).
3. `union_counties` points the region's views of the partitioned models at the counties' files.

Why a graph and not partitioned assets: the models downstream are region-wide (city totals, ranks,
rules across counties) and read every county at once; a county fan-out inside the one run keeps the
region's job a single run that the UI, the schedule and the sensor launch alike.
"""

import json
from pathlib import Path

import dagster as dg
from dagster import OpExecutionContext

from orchestration import dbt_in_process
from orchestration.assets.dbt_models import MANIFEST, invocation_target
from orchestration.catalogue import owners
from orchestration.concurrency import COUNTY_STEP, REGION_STEP
from orchestration.resources import WarehouseResource
from quality.catalog import dbt_vars
from warehouse.county_shards import (
    PARTITION_TAG,
    code_version,
    counties_to_build,
    create_union_views,
    input_fingerprints,
    next_shard_path,
    partitioned_models,
    region_catalog,
    remove_stale_shards,
    store_county,
    stored_counties,
)

PARTITIONED = partitioned_models(MANIFEST)
COUNTY_TARGET = "county"  # transforms/profiles.yml
INPUT_KEYS = sorted({dg.AssetKey(relation.split(".")) for model in PARTITIONED for relation in model.inputs})
MODEL_KEYS = [dg.AssetKey([model.schema, model.name]) for model in PARTITIONED]


def _input_name(key: dg.AssetKey) -> str:
    return "__".join(key.path)


def region_counties(farmland: WarehouseResource) -> list[str]:
    """The counties of the region (reference seed ref_region)."""
    with farmland.open(read_only=True) as con:
        rows = con.execute(
            "select admin_code from reference.ref_region where admin_level = 'county' order by admin_code"
        ).fetchall()
    return [row[0] for row in rows]


@dg.op(
    ins={_input_name(key): dg.In(dg.Nothing) for key in INPUT_KEYS},
    out=dg.DynamicOut(dict),
    tags=REGION_STEP,
)
def counties_with_new_inputs(context: OpExecutionContext, farmland: WarehouseResource):
    """The counties whose partition must be (re)built, each with the fingerprint of its inputs."""
    counties = region_counties(farmland)
    with farmland.open(read_only=True) as con:
        inputs = input_fingerprints(con, PARTITIONED, counties, code=code_version(), dbt_vars=dbt_vars())
    # A county that delivered nothing has no rows in any partitioned model: it gets no file. With no
    # county delivered at all, the first still gets one, so that the region's views have their columns.
    partitioned = inputs.delivered or counties[:1]
    removed = remove_stale_shards(farmland.warehouse_file, partitioned, farmland.lake)
    fingerprints = {county: inputs.fingerprints[county] for county in partitioned}
    changed = counties_to_build(farmland.warehouse_file, fingerprints, farmland.lake)
    unchanged = [county for county in partitioned if county not in changed]
    gone = f", {len(removed)} removed ({', '.join(removed)})" if removed else ""
    context.log.info(
        f"county partitions: {len(changed)} to build ({', '.join(changed) or 'none'}), "
        f"{len(unchanged)} unchanged, {len(counties) - len(partitioned)} without a delivery{gone}"
    )
    for county in changed:
        yield dg.DynamicOutput({"county": county, "fingerprint": fingerprints[county]}, mapping_key=county)


COUNTY_SELECTION = [
    "--select", f"tag:{PARTITION_TAG}",
    # unit tests check the models' SQL, not a county's data: the region's build runs them once
    "--exclude", "resource_type:unit_test",
]  # fmt: skip


def county_variables(warehouse: Path) -> dict:
    """The dbt vars of a county build: the same for every county of the region (the county itself comes
    in the environment), so that every county built in a process reuses one parse."""
    return {**json.loads(dbt_vars()), "region_catalog": region_catalog(warehouse)}


@dg.op(tags=COUNTY_STEP)
def build_county(context: OpExecutionContext, farmland: WarehouseResource, job: dict) -> str:
    """dbt builds one county's partition (models tagged county_partition and their tests) into a new
    file, which replaces the county's file once dbt has succeeded."""
    county, fingerprint = job["county"], job["fingerprint"]
    building = next_shard_path(farmland.warehouse_file, county)
    building.parent.mkdir(parents=True, exist_ok=True)
    building.unlink(missing_ok=True)
    target = invocation_target(context, COUNTY_TARGET)
    with farmland.for_dbt(farmland.county_profile_env(county, building)):
        outcome = dbt_in_process.run(
            ["build", *COUNTY_SELECTION],
            target=COUNTY_TARGET,
            variables=county_variables(farmland.warehouse_file),
            target_path=target,
            log=context.log,
        )
    if not outcome.success:
        raise dg.Failure(
            f"dbt could not build county {county}'s partition; its file was left as it was",
            metadata={"county": county, "dbt": outcome.message(), "dbt_log": str(target / "dbt.log")},
        )
    store_county(farmland.warehouse_file, county, building, fingerprint, farmland.lake)
    context.log.info(f"county {county}: partition built")
    return county


@dg.op(tags=REGION_STEP, out={_input_name(key): dg.Out(dg.Nothing) for key in MODEL_KEYS})
def union_counties(context: OpExecutionContext, farmland: WarehouseResource, built: list[str]):
    """Point the region's view of each partitioned model at every county's file."""
    counties = stored_counties(farmland.warehouse_file, farmland.lake)
    with farmland.open() as con:
        create_union_views(con, PARTITIONED, counties)
    context.log.info(
        f"{len(PARTITIONED)} partitioned models over {len(counties)} counties ({len(built)} rebuilt)"
    )


@dg.graph_multi_asset(
    name="county_partitions",
    group_name="intermediate",
    ins={_input_name(key): dg.AssetIn(key=key, dagster_type=dg.Nothing) for key in INPUT_KEYS},
    outs={
        _input_name(key): dg.AssetOut(
            key=key,
            owners=owners("intermediate"),
            dagster_type=dg.Nothing,
            kinds={"dbt", "duckdb"},
            description=f"{key.path[-1]}: one file per county (county partition), unioned by a view",
        )
        for key in MODEL_KEYS
    },
)
def county_partitions(**inputs):
    jobs = counties_with_new_inputs(**inputs)
    built = jobs.map(build_county).collect()
    return union_counties(built)
