"""Open the warehouse: spatial loaded from the pip wheel (never downloaded), schemas in place."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.config import CountyLake, DuckDBLimits, extension_dir, warehouse_path

SCHEMAS = ("raw", "staging", "intermediate", "marts", "quality")


# The extensions every connection may load, each from its pip wheel (module), never downloaded: spatial
# always; ducklake and postgres_scanner when county partitions live in a DuckLake on PostgreSQL.
EXTENSION_WHEELS = {
    "spatial": "duckdb_extension_spatial",
    "ducklake": "duckdb_extension_ducklake",
    "postgres_scanner": "duckdb_extension_postgres_scanner",
}


def _extension_file(name: str) -> Path:
    import importlib

    module = EXTENSION_WHEELS[name]
    package = Path(importlib.import_module(module).__file__).parent
    matches = sorted(package.glob(f"extensions/v{duckdb.__version__}/{name}.duckdb_extension"))
    if not matches:
        raise RuntimeError(
            f"{module} has no build for duckdb {duckdb.__version__} in {package}; install the matching "
            f"{module.replace('_', '-')} version"
        )
    return matches[0]


def ensure_extensions_installed() -> Path:
    """Install the extensions from their wheels into the project-local extension directory."""
    directory = extension_dir()
    directory.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={"extension_directory": str(directory), "autoinstall_known_extensions": False}
    )
    try:
        installed = {
            row[0]
            for row in con.sql("select extension_name from duckdb_extensions() where installed").fetchall()
        }
        for name in EXTENSION_WHEELS:
            if name not in installed:
                con.execute(f"INSTALL '{_extension_file(name)}'")
    finally:
        con.close()
    return directory


def connect(
    path: Path | str | None = None,
    *,
    read_only: bool = False,
    limits: DuckDBLimits | None = None,
    county_lake: CountyLake | None = None,
    spatial: bool = True,
) -> duckdb.DuckDBPyConnection:
    """A connection to the warehouse file (or `:memory:`) with spatial loaded and its county partitions
    attached read-only (files beside it, or the DuckLakes of `county_lake`), held to `limits` (default:
    the environment's, see DuckDBLimits). `spatial=False` loads neither, for a quick look at the
    warehouse's own tables (a tenth of a second less), with the same configuration as every other
    connection, which DuckDB requires of connections to one file in one process."""
    in_memory = str(path) == ":memory:"
    target = ":memory:" if in_memory else str(Path(path or warehouse_path()).resolve())
    if not in_memory and not read_only:
        Path(target).parent.mkdir(parents=True, exist_ok=True)
    limits = limits or DuckDBLimits.for_warehouse(None if in_memory else Path(target))
    directory = ensure_extensions_installed()
    con = duckdb.connect(
        target,
        read_only=read_only,
        config={
            "extension_directory": str(directory),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
            **limits.duckdb_config(),
        },
    )
    if not spatial:
        return con
    con.execute("LOAD spatial")
    if not in_memory:
        # the county-partitioned models are views over the county partitions (warehouse.county_shards)
        from warehouse.county_shards import attach_shards

        attach_shards(con, Path(target), county_lake)
    return con


def bootstrap(con: duckdb.DuckDBPyConnection) -> None:
    """Create the layer schemas, every raw table, the rejects table and the quality tables (idempotent)."""
    from quality.tables import create_quality_tables
    from sources.layers import LAYERS, REJECTS_DDL, raw_table_ddl
    from sources.records import records_ddl

    for schema in SCHEMAS:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {schema}")
    for layer in LAYERS:
        con.execute(raw_table_ddl(layer))
    con.execute(records_ddl())
    con.execute(REJECTS_DDL)
    create_quality_tables(con)


@contextmanager
def warehouse(
    path: Path | str | None = None,
    *,
    read_only: bool = False,
    limits: DuckDBLimits | None = None,
    county_lake: CountyLake | None = None,
    spatial: bool = True,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Open, bootstrap (when writable) and always close: DuckDB allows one writer per file."""
    con = connect(path, read_only=read_only, limits=limits, county_lake=county_lake, spatial=spatial)
    try:
        if not read_only:
            bootstrap(con)
        yield con
    finally:
        con.close()


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Commit the block's writes together, or none of them if it raises (the error goes on)."""
    con.begin()
    try:
        yield
        con.commit()
    except Exception:
        con.rollback()
        raise
