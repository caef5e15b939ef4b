"""County partitions without a build: the fingerprint of a county's inputs, the union views, the
manifest's partitioned models, and the county code the dbt project accepts."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.county_shards import (
    PartitionedModel,
    attach_shards,
    create_union_views,
    existing_shards,
    input_fingerprints,
    next_shard_path,
    partitioned_models,
    recorded_fingerprint,
    shard_path,
    store_county,
)

COUNTIES = ["330402", "330411", "330421"]
PARCELS = PartitionedModel("intermediate", "parcels", ("staging.parcels", "staging.years"))


def _region(rows: list[tuple[str, int, str]], years: list[int]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("create schema staging")
    con.execute("create table staging.parcels (county_code varchar, bsm bigint, land_class varchar)")
    con.executemany("insert into staging.parcels values (?, ?, ?)", rows)
    con.execute("create table staging.years (year integer)")
    con.executemany("insert into staging.years values (?)", [(y,) for y in years])
    return con


ROWS = [("330402", 1, "0101"), ("330402", 2, "0103"), ("330411", 3, "0101"), ("330421", 4, "0201")]


def _fingerprints(con: duckdb.DuckDBPyConnection, **kwargs) -> dict[str, str]:
    options = {"code": "code-1", "dbt_vars": "{}", **kwargs}
    return input_fingerprints(con, [PARCELS], COUNTIES, **options).fingerprints


def test_a_change_in_one_countys_rows_changes_only_that_countys_fingerprint() -> None:
    before = _fingerprints(_region(ROWS, [2023, 2024]))
    changed = [("330402", 1, "0101"), ("330402", 2, "0602"), *ROWS[2:]]
    after = _fingerprints(_region(changed, [2023, 2024]))
    assert after["330402"] != before["330402"]
    assert after["330411"] == before["330411"]
    assert after["330421"] == before["330421"]


def test_a_region_wide_input_code_or_parameter_change_touches_every_county() -> None:
    before = _fingerprints(_region(ROWS, [2023, 2024]))
    for after in (
        _fingerprints(_region(ROWS, [2023, 2024, 2025])),  # a relation without county_code
        _fingerprints(_region(ROWS, [2023, 2024]), code="code-2"),
        _fingerprints(_region(ROWS, [2023, 2024]), dbt_vars='{"PR13": 21}'),
    ):
        assert all(after[county] != before[county] for county in COUNTIES)


def test_the_fingerprint_ignores_row_order_but_not_a_repeated_row() -> None:
    before = _fingerprints(_region(ROWS, [2023, 2024]))
    assert _fingerprints(_region(list(reversed(ROWS)), [2024, 2023])) == before
    repeated = _fingerprints(_region([*ROWS, ROWS[0]], [2023, 2024]))
    assert repeated["330402"] != before["330402"]
    assert repeated["330411"] == before["330411"]


def test_a_county_that_delivered_nothing_has_no_partition_until_it_delivers() -> None:
    options = {"code": "code-1", "dbt_vars": "{}"}
    before = input_fingerprints(_region(ROWS[:3], [2023]), [PARCELS], COUNTIES, **options)
    after = input_fingerprints(_region(ROWS, [2023]), [PARCELS], COUNTIES, **options)
    assert before.delivered == ["330402", "330411"]
    assert before.rows == {"330402": 2, "330411": 1, "330421": 0}
    assert after.delivered == COUNTIES
    assert before.fingerprints["330421"] != after.fingerprints["330421"]
    assert before.fingerprints["330402"] == after.fingerprints["330402"]


def test_the_region_view_unions_every_county_file(tmp_path: Path) -> None:
    warehouse = tmp_path / "region.duckdb"
    for county, bsms in (("330402", [1, 2]), ("330411", [3])):
        built = next_shard_path(warehouse, county)
        built.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(built))
        con.execute("create schema intermediate")
        con.execute(
            "create table intermediate.parcels as select ? as county_code, unnest(?) as bsm", [county, bsms]
        )
        con.close()
        store_county(warehouse, county, built, f"print-{county}")
    assert sorted(existing_shards(warehouse)) == ["330402", "330411"]
    assert recorded_fingerprint(warehouse, "330402") == "print-330402"
    assert recorded_fingerprint(warehouse, "330421") is None

    region = duckdb.connect(str(warehouse))
    attach_shards(region, warehouse)
    region.execute("create schema intermediate")
    region.execute("create table intermediate.parcels as select 'left by a region-wide build' as note")
    create_union_views(region, [PARCELS], ["330402", "330411"])
    rows = region.execute("select county_code, bsm from intermediate.parcels order by bsm").fetchall()
    assert rows == [("330402", 1), ("330402", 2), ("330411", 3)]
    # the next build replaces the view
    create_union_views(region, [PARCELS], ["330411"])
    assert region.execute("select bsm from intermediate.parcels").fetchall() == [(3,)]
    region.close()


def test_the_partitioned_models_are_the_parcel_scale_models_and_read_only_region_relations() -> None:
    from orchestration.dbt_project import FARMLAND_DBT

    models = {model.name: model for model in partitioned_models(FARMLAND_DBT.manifest_path)}
    assert {
        "int_survey__parcel_versions",
        "int_survey__land_use_state",
        "int_control__cultivated_overlay",
    } <= set(models)
    # what a county build reads from the region: never another partitioned model
    for model in models.values():
        assert not set(model.inputs) & {f"{m.schema}.{m.name}" for m in models.values()}
    assert "staging.stg_survey__parcels" in models["int_survey__parcel_versions"].inputs
    assert "int_control__polygons" not in models


def test_a_county_code_that_is_not_six_digits_is_refused_by_the_dbt_project(tmp_path: Path) -> None:
    from warehouse.config import TRANSFORMS_DIR, DuckDBLimits

    dbt = Path(sys.executable).with_name("dbt")
    duckdb.connect(str(tmp_path / "region.duckdb")).close()
    result = subprocess.run(
        [
            str(dbt), "compile", "--target", "county", "--select", "int_survey__parcel_versions",
            "--profiles-dir", str(TRANSFORMS_DIR), "--project-dir", str(TRANSFORMS_DIR),
            "--target-path", str(tmp_path / "target"), "--no-partial-parse",
        ],
        capture_output=True, text=True, cwd=TRANSFORMS_DIR,
        env={
            **os.environ,
            **DuckDBLimits.for_warehouse(tmp_path / "region.duckdb").environment(),
            "FARMLAND_WAREHOUSE": str(tmp_path / "region.duckdb"),
            "FARMLAND_COUNTY_SHARD": str(tmp_path / "county.duckdb"),
            "FARMLAND_COUNTY_PARTITION": "3304'; drop table x; --",
        },
    )  # fmt: skip
    assert result.returncode != 0
    assert "6-digit county code" in result.stdout + result.stderr


@pytest.mark.parametrize("county", ["330402", "330483"])
def test_a_county_file_is_named_by_its_code_beside_the_region_file(county: str, tmp_path: Path) -> None:
    path = shard_path(tmp_path / "farmland.duckdb", county)
    assert path == tmp_path / "farmland.counties" / f"county_{county}.duckdb"


def test_a_failed_county_build_names_what_failed_and_the_next_county_still_builds(demo_build, tmp_path):
    """County builds share one dbt in the step's process: a county that fails must say which model
    failed, and must not leave its database open for the next county to build into."""
    import shutil

    from orchestration import dbt_in_process
    from orchestration.assets.county_partitions import COUNTY_SELECTION, COUNTY_TARGET, county_variables
    from orchestration.assets.dbt_models import MANIFEST
    from orchestration.resources import WarehouseResource

    warehouse = tmp_path / "farmland.duckdb"
    shutil.copy(demo_build.warehouse, warehouse)
    farmland = WarehouseResource(warehouse=str(warehouse))
    variables = county_variables(warehouse)

    def build_county(county: str) -> tuple[dbt_in_process.DbtOutcome, Path]:
        shard = tmp_path / f"county_{county}.duckdb"
        with farmland.for_dbt(farmland.county_profile_env(county, shard)):
            outcome = dbt_in_process.run(
                ["build", *COUNTY_SELECTION], target=COUNTY_TARGET, variables=variables,
                target_path=tmp_path / f"target_{county}", log=logging.getLogger(__name__),
            )  # fmt: skip
        return outcome, shard

    versions = next(m for m in partitioned_models(MANIFEST) if m.name == "int_survey__parcel_versions")
    read = next(relation for relation in versions.inputs if relation.startswith("staging."))
    schema, name = read.split(".")
    with duckdb.connect(str(warehouse)) as con:
        [definition] = con.execute(
            "select sql from duckdb_views() where schema_name = ? and view_name = ?", [schema, name]
        ).fetchone()
        con.execute(f"drop view {read}")
    failed, _ = build_county("330402")
    assert not failed.success
    assert versions.name in failed.message() and name in failed.message()

    with duckdb.connect(str(warehouse)) as con:
        con.execute(definition)
    built, shard = build_county("330411")
    assert built.success, built.message()
    with duckdb.connect(str(shard), read_only=True) as con:  # closed by dbt, so it opens here
        tables = {name for (name,) in con.execute("select table_name from duckdb_tables()").fetchall()}
        counties = con.execute(f"select distinct county_code from intermediate.{versions.name}").fetchall()
    assert {model.name for model in partitioned_models(MANIFEST)} <= tables
    assert counties == [("330411",)]
