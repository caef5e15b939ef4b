"""County partitions (县级分区): the parcel-scale models, one DuckDB file per county.

The models tagged `county_partition` in the dbt project (parcel versions, the land-use state, the
change flows, the overlays of parcels with control layers and approvals) hold rows in proportion to
the parcels. Each county answers for its own land, so a county's rows depend only on its own parcels
and on the region's small tables (survey years, control polygons, approvals, reference seeds). They
are built one county at a time, each county into a file of its own beside the region's warehouse
file, because DuckDB allows one writer per file: separate files let separate processes build counties
at once, and a county whose inputs did not change keeps its file. The region's file holds one view per
partitioned model, the UNION ALL of the counties' tables, so everything downstream reads one relation,
and opening the region's file attaches the county files read-only (warehouse.connection.connect).

A county file is built under a temporary name and renamed into place when dbt has succeeded, with the
fingerprint of the inputs it was built from, so a failed build never leaves a county half-replaced.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources.extract.sql import quote_name, quote_text
from warehouse.build_state import files_digest
from warehouse.config import TRANSFORMS_DIR, CountyLake

PARTITION_TAG = "county_partition"
CATALOG_PREFIX = "county_"
BUILD_TABLE = "county_partition_build"


def region_catalog(warehouse: Path) -> str:
    """The catalog name DuckDB gives the region's file: its stem. Views in it name their tables with it,
    so a county build attaches the file under this same name."""
    return Path(warehouse).stem


def shard_folder(warehouse: Path) -> Path:
    return Path(warehouse).with_name(Path(warehouse).stem + ".counties")


def shard_catalog(county: str) -> str:
    return CATALOG_PREFIX + county


def shard_path(warehouse: Path, county: str) -> Path:
    return shard_folder(warehouse) / f"{shard_catalog(county)}.duckdb"


def next_shard_path(warehouse: Path, county: str) -> Path:
    """Where a county is built before it replaces its file (its own catalog name, not the county's)."""
    return shard_folder(warehouse) / f"next_{shard_catalog(county)}.duckdb"


def existing_shards(warehouse: Path) -> dict[str, Path]:
    """The county files in place, by county code."""
    folder = shard_folder(warehouse)
    if not folder.is_dir():
        return {}
    found = {}
    for path in sorted(folder.glob(f"{CATALOG_PREFIX}*.duckdb")):
        county = path.stem.removeprefix(CATALOG_PREFIX)
        if county.isdigit() and len(county) == 6:
            found[county] = path
    return found


def _lake_connection(lake: CountyLake) -> duckdb.DuckDBPyConnection:
    """An in-memory connection that can read and write the county lakes."""
    from warehouse.connection import connect

    con = connect(":memory:")
    load_lake_extensions(con)
    con.execute(lake.catalog_sql())
    return con


def load_lake_extensions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("LOAD ducklake")
    con.execute("LOAD postgres_scanner")


def _lake_counties(con: duckdb.DuckDBPyConnection) -> list[str]:
    rows = con.execute(
        "select schema_name from county_lakes.information_schema.schemata where schema_name like ? "
        "order by schema_name",
        [f"{CATALOG_PREFIX}%"],
    ).fetchall()
    counties = [row[0].removeprefix(CATALOG_PREFIX) for row in rows]
    return [county for county in counties if county.isdigit() and len(county) == 6]


def stored_counties(warehouse: Path, lake: CountyLake | None = None) -> list[str]:
    """The counties whose partition is in place (a file beside the warehouse, or a county lake)."""
    if lake is None:
        return sorted(existing_shards(warehouse))
    con = _lake_connection(lake)
    try:
        return _lake_counties(con)
    finally:
        con.close()


def attach_shards(
    con: duckdb.DuckDBPyConnection, warehouse: Path, lake: CountyLake | None = None
) -> list[str]:
    """Attach every county partition read-only under its catalog name; returns the counties attached."""
    attached = {row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()}
    if lake is not None:
        load_lake_extensions(con)
        con.execute(lake.catalog_sql())
        counties = _lake_counties(con)
        for county in counties:
            if shard_catalog(county) not in attached:
                con.execute(lake.attach_sql(shard_catalog(county), read_only=True))
        return counties
    counties = []
    for county, path in existing_shards(warehouse).items():
        if shard_catalog(county) not in attached:
            con.execute(f"ATTACH {quote_text(str(path))} AS {quote_name(shard_catalog(county))} (READ_ONLY)")
        counties.append(county)
    return counties


@dataclass(frozen=True)
class PartitionedModel:
    """A county-partitioned dbt model and the region relations it reads."""

    schema: str
    name: str
    inputs: tuple[str, ...]  # "schema.name" of the parents outside the partition (models and seeds)


def partitioned_models(manifest_path: Path) -> list[PartitionedModel]:
    """The models tagged county_partition in dbt's manifest, in the order dbt lists them."""
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    nodes = manifest["nodes"]
    partitioned = {
        unique_id
        for unique_id, node in nodes.items()
        if node["resource_type"] == "model" and PARTITION_TAG in node["config"].get("tags", [])
    }
    models = []
    for unique_id in sorted(partitioned):
        node = nodes[unique_id]
        inputs = sorted(
            f"{nodes[parent]['schema']}.{nodes[parent]['alias'] or nodes[parent]['name']}"
            for parent in node["depends_on"]["nodes"]
            if parent in nodes and parent not in partitioned
        )
        models.append(PartitionedModel(node["schema"], node["alias"] or node["name"], tuple(inputs)))
    return models


def create_union_views(
    con: duckdb.DuckDBPyConnection, models: Sequence[PartitionedModel], counties: Sequence[str]
) -> None:
    """One view per partitioned model in the region's file: the UNION ALL of the counties' tables."""
    if not counties:
        raise ValueError("no county file to union: the region lists no county")
    for model in models:
        relation = f"{quote_name(model.schema)}.{quote_name(model.name)}"
        parts = " UNION ALL BY NAME ".join(
            f"SELECT * FROM {quote_name(shard_catalog(county))}.{relation}" for county in counties
        )
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(model.schema)}")
        # a region-wide dbt build left a table of that name (DuckDB's DROP TABLE refuses a view)
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [model.schema, model.name],
        ).fetchone()
        if kind and kind[0] == "BASE TABLE":
            con.execute(f"DROP TABLE {quote_name(model.schema)}.{quote_name(model.name)}")
        con.execute(f"CREATE OR REPLACE VIEW {quote_name(model.schema)}.{quote_name(model.name)} AS {parts}")


# What the partitioned models compute with besides the data: their SQL, macros, seeds and project.
CODE_PATHS = ("models", "macros", "seeds", "dbt_project.yml")


def code_version(transforms: Path = TRANSFORMS_DIR) -> str:
    """A hash of the dbt project's models, macros, seeds and project file."""
    return files_digest(transforms, CODE_PATHS)


def _columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    schema, name = relation.split(".", 1)
    rows = con.execute(
        "select column_name from information_schema.columns "
        "where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchall()
    return [row[0] for row in rows]


@dataclass(frozen=True)
class CountyInputs:
    """What the partitioned models of each county read: a fingerprint per county, and how many rows of
    the county-split inputs are the county's (0: a county that delivered nothing has no partition)."""

    fingerprints: dict[str, str]
    rows: dict[str, int]

    @property
    def delivered(self) -> list[str]:
        return [county for county, rows in self.rows.items() if rows]


def input_fingerprints(
    con: duckdb.DuckDBPyConnection,
    models: Sequence[PartitionedModel],
    counties: Sequence[str],
    *,
    code: str,
    dbt_vars: str,
) -> CountyInputs:
    """Per county, a hash of everything its partitioned models read: the rows of each input relation
    (the county's rows where the relation has a county_code, all of them where it does not), the dbt
    project's code and the dbt vars (the rule parameters). Equal fingerprints, equal county tables."""
    relations = sorted({relation for model in models for relation in model.inputs})
    shared = hashlib.sha256(f"{code}\n{dbt_vars}\n".encode())
    per_county: dict[str, list[str]] = {county: [] for county in counties}
    rows_of: dict[str, int] = dict.fromkeys(counties, 0)
    for relation in relations:
        schema, name = relation.split(".", 1)
        table = f"{quote_name(schema)}.{quote_name(name)}"
        columns = _columns(con, relation)
        # sum of row hashes: independent of row order, and a repeated row still counts
        if "county_code" in columns:
            rows = con.execute(
                f"select county_code, count(*), sum(hash(t)::hugeint)::varchar from {table} as t "
                "group by county_code"
            ).fetchall()
            seen = {county: f"{relation}:{count}:{total}" for county, count, total in rows}
            for county, count, _ in rows:
                if county in rows_of:
                    rows_of[county] += count
            for county in counties:
                per_county[county].append(seen.get(county, f"{relation}:0"))
        else:
            count, total = con.execute(
                f"select count(*), sum(hash(t)::hugeint)::varchar from {table} as t"
            ).fetchone()
            shared.update(f"{relation}:{count}:{total}\n".encode())
    fingerprints = {
        county: hashlib.sha256((shared.hexdigest() + "\n".join(parts)).encode()).hexdigest()
        for county, parts in per_county.items()
    }
    return CountyInputs(fingerprints, rows_of)


def _read_fingerprint(con: duckdb.DuckDBPyConnection, catalog: str) -> str | None:
    try:
        row = con.execute(
            f"select fingerprint from {quote_name(catalog)}.main.{BUILD_TABLE} order by built_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def recorded_fingerprints(
    warehouse: Path, counties: Iterable[str], lake: CountyLake | None = None
) -> dict[str, str | None]:
    """The fingerprint each county's partition was built from, None where it has none (or is missing)."""
    if lake is not None:
        con = _lake_connection(lake)
        try:
            stored = set(_lake_counties(con))
            found = {}
            for county in counties:
                found[county] = None
                if county in stored:
                    con.execute(lake.attach_sql(shard_catalog(county), read_only=True))
                    found[county] = _read_fingerprint(con, shard_catalog(county))
            return found
        finally:
            con.close()
    return {county: _file_fingerprint(shard_path(warehouse, county)) for county in counties}


def recorded_fingerprint(warehouse: Path, county: str, lake: CountyLake | None = None) -> str | None:
    """The fingerprint one county's partition was built from (recorded_fingerprints)."""
    return recorded_fingerprints(warehouse, [county], lake)[county]


def _file_fingerprint(path: Path) -> str | None:
    if not path.is_file():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        return _read_fingerprint(con, path.stem)
    finally:
        con.close()


def _record_fingerprint(con: duckdb.DuckDBPyConnection, catalog: str, county: str, fingerprint: str) -> None:
    con.execute(
        f"create or replace table {quote_name(catalog)}.main.{BUILD_TABLE} as "
        "select ?::varchar as county_code, ?::varchar as fingerprint, now()::timestamp as built_at",
        [county, fingerprint],
    )


def store_county(
    warehouse: Path, county: str, built: Path, fingerprint: str, lake: CountyLake | None = None
) -> None:
    """Put a county's newly built file in place of its partition, with the fingerprint of its inputs: the
    file itself beside the warehouse, or its tables copied into the county's lake in one transaction."""
    if lake is None:
        con = duckdb.connect(str(built))
        try:
            _record_fingerprint(con, built.stem, county, fingerprint)
        finally:
            con.close()
        os.replace(built, shard_path(warehouse, county))
        return
    catalog = shard_catalog(county)
    con = _lake_connection(lake)
    try:
        con.execute(f"ATTACH {quote_text(str(built))} AS built_county (READ_ONLY)")
        con.execute(lake.attach_sql(catalog, read_only=False))
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'built_county' and table_type = 'BASE TABLE' order by all"
        ).fetchall()
        con.begin()
        for schema, table in tables:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_name(catalog)}.{quote_name(schema)}")
            con.execute(
                f"CREATE OR REPLACE TABLE {quote_name(catalog)}.{quote_name(schema)}.{quote_name(table)} AS "
                f"SELECT * FROM built_county.{quote_name(schema)}.{quote_name(table)}"
            )
        _record_fingerprint(con, catalog, county, fingerprint)
        con.commit()
    finally:
        con.close()
    built.unlink()


def counties_to_build(
    warehouse: Path, fingerprints: Mapping[str, str], lake: CountyLake | None = None, *, force: bool = False
) -> list[str]:
    """The counties whose partition is missing or was built from other inputs."""
    recorded = recorded_fingerprints(warehouse, fingerprints, lake)
    return [
        county for county, fingerprint in fingerprints.items() if force or recorded[county] != fingerprint
    ]


def remove_stale_shards(
    warehouse: Path, counties: Iterable[str], lake: CountyLake | None = None
) -> list[str]:
    """Drop the partitions of counties no longer delivered, and half-built files; returns their counties."""
    keep = set(counties)
    removed = [county for county in stored_counties(warehouse, lake) if county not in keep]
    if lake is None:
        for county in removed:
            shard_path(warehouse, county).unlink()
    elif removed:
        con = _lake_connection(lake)
        try:
            con.execute(f"ATTACH {quote_text(lake.postgres)} AS county_lakes_writer (TYPE postgres)")
            for county in removed:
                con.execute(
                    "CALL postgres_execute('county_lakes_writer', ?)",
                    [f"DROP SCHEMA {quote_name(shard_catalog(county))} CASCADE"],
                )
        finally:
            con.close()
    folder = shard_folder(warehouse)
    if folder.is_dir():
        for leftover in folder.glob(f"next_{CATALOG_PREFIX}*.duckdb*"):
            leftover.unlink()
    return removed
