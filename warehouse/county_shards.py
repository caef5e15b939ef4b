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
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.config import TRANSFORMS_DIR

PARTITION_TAG = "county_partition"
CATALOG_PREFIX = "county_"
BUILD_TABLE = "county_partition_build"


def quoted(identifier: str) -> str:
    """A DuckDB identifier, quoted whatever it contains."""
    return '"' + identifier.replace('"', '""') + '"'


def sql_string(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


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


def attach_shards(con: duckdb.DuckDBPyConnection, warehouse: Path) -> list[str]:
    """Attach every county file read-only under its catalog name; returns the counties attached."""
    attached = {row[0] for row in con.execute("select database_name from duckdb_databases()").fetchall()}
    counties = []
    for county, path in existing_shards(warehouse).items():
        if shard_catalog(county) not in attached:
            con.execute(f"ATTACH {sql_string(str(path))} AS {quoted(shard_catalog(county))} (READ_ONLY)")
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
        parts = " UNION ALL BY NAME ".join(
            f"SELECT * FROM {quoted(shard_catalog(county))}.{quoted(model.schema)}.{quoted(model.name)}"
            for county in counties
        )
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted(model.schema)}")
        # a region-wide dbt build left a table of that name (DuckDB's DROP TABLE refuses a view)
        kind = con.execute(
            "select table_type from information_schema.tables "
            "where table_catalog = current_database() and table_schema = ? and table_name = ?",
            [model.schema, model.name],
        ).fetchone()
        if kind and kind[0] == "BASE TABLE":
            con.execute(f"DROP TABLE {quoted(model.schema)}.{quoted(model.name)}")
        con.execute(f"CREATE OR REPLACE VIEW {quoted(model.schema)}.{quoted(model.name)} AS {parts}")


# What the partitioned models compute with besides the data: their SQL, macros, seeds and project.
CODE_PATHS = ("models", "macros", "seeds", "dbt_project.yml")


def code_version(transforms: Path = TRANSFORMS_DIR) -> str:
    """A hash of the dbt project's models, macros, seeds and project file."""
    digest = hashlib.sha256()
    for relative in CODE_PATHS:
        root = transforms / relative
        files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
        for path in files:
            digest.update(str(path.relative_to(transforms)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


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
        table = f"{quoted(schema)}.{quoted(name)}"
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


def recorded_fingerprint(path: Path) -> str | None:
    """The fingerprint a county file was built from, or None if it has none (or is not readable)."""
    if not path.is_file():
        return None
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute(
            f"select fingerprint from main.{BUILD_TABLE} order by built_at desc limit 1"
        ).fetchone()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return row[0] if row else None


def record_fingerprint(path: Path, county: str, fingerprint: str) -> None:
    con = duckdb.connect(str(path))
    try:
        con.execute(
            f"create or replace table main.{BUILD_TABLE} as "
            "select ? as county_code, ? as fingerprint, now() as built_at",
            [county, fingerprint],
        )
    finally:
        con.close()


def counties_to_build(warehouse: Path, fingerprints: Mapping[str, str], *, force: bool = False) -> list[str]:
    """The counties whose file is missing or was built from other inputs."""
    return [
        county
        for county, fingerprint in fingerprints.items()
        if force or recorded_fingerprint(shard_path(warehouse, county)) != fingerprint
    ]


def remove_stale_shards(warehouse: Path, counties: Iterable[str]) -> list[str]:
    """Delete the files of counties no longer in the region, and half-built ones; returns their counties."""
    keep = set(counties)
    removed = []
    for county, path in existing_shards(warehouse).items():
        if county not in keep:
            path.unlink()
            removed.append(county)
    for leftover in shard_folder(warehouse).glob(f"next_{CATALOG_PREFIX}*.duckdb*"):
        leftover.unlink()
    return removed
