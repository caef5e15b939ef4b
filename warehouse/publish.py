"""The published snapshot: a read-only copy of the analyst-facing schemas, swapped in atomically.

Analysts query the copy, never the working file, so a query never blocks the pipeline (DuckDB allows
one writer *or* many readers) and never sees a half-finished run. Only `marts`, `quality` and
`reference` are copied: raw deliveries, and the personal data some of them carry, stay behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import duckdb

from quality.tables import PUBLISHED_RUNS_DDL
from sources.extract.sql import quote_name, quote_text
from warehouse.build_state import PUBLISHED_BUILD
from warehouse.config import DuckDBLimits, published_path
from warehouse.connection import connect, transaction
from warehouse.dictionary import comment_tables
from warehouse.region import region
from warehouse.spatial_columns import geometry_columns

PUBLISHED_SCHEMAS = ("reference", "marts", "quality")
# quality tables that keep the rows of every run, each row with its run_id
RUN_HISTORIES = ("quality.rule_results", "quality.load_audit")


def publish(
    working: Path,
    target: Path | None = None,
    *,
    limits: DuckDBLimits | None = None,
    fingerprint: str | None = None,
    run_id: str | None = None,
) -> dict[str, int]:
    """Copy the published schemas of `working` into `target` (default: <working>_published.duckdb),
    with the fingerprint of what the build read (warehouse.build_state) when the run knows it.

    The run publishing (`run_id`) is recorded in the working file's quality.published_runs; of the
    tables that keep every run's rows (RUN_HISTORIES), only the rows of runs that published are copied:
    a run killed or failed midway leaves its results in the working file, never in a snapshot. A run
    has published when the snapshot it wrote was swapped in: the list is first made the current
    snapshot's, which drops a run killed while it was writing its snapshot.

    Returns the row count of every table copied.
    """
    target = target or published_path(working)
    staging_file = target.with_name(target.name + ".next")
    staging_file.unlink(missing_ok=True)
    counts: dict[str, int] = {}
    con = connect(working, limits=limits)
    try:
        con.execute(PUBLISHED_RUNS_DDL)
        if target.exists():
            _take_published_runs_from(con, target)
        if run_id is not None:
            con.execute(
                "INSERT INTO quality.published_runs SELECT ?, now()::TIMESTAMP WHERE ? NOT IN "
                "(SELECT run_id FROM quality.published_runs)",
                [run_id, run_id],
            )
        # the engine's own storage format: the default, readable by older DuckDB releases, drops the CRS
        # of geometry columns (GEOMETRY('EPSG:…') reads back as plain GEOMETRY)
        con.execute(f"ATTACH {quote_text(str(staging_file))} AS snapshot (STORAGE_VERSION 'latest')")
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema in ? and table_type = 'BASE TABLE' "
            "order by all",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        crs = f"EPSG:{region().crs_epsg}"
        spatial = geometry_columns(con)
        for schema, table in tables:
            source = f"{quote_name(schema)}.{quote_name(table)}"
            copy = f"snapshot.{source}"
            con.execute(f"CREATE SCHEMA IF NOT EXISTS snapshot.{quote_name(schema)}")
            columns = _with_crs(spatial.get((schema, table), []), crs)
            published = (
                " WHERE run_id IN (SELECT run_id FROM quality.published_runs)"
                if f"{schema}.{table}" in RUN_HISTORIES
                else ""
            )
            con.execute(f"CREATE TABLE {copy} AS SELECT {columns} FROM {source}{published}")
            counts[f"{schema}.{table}"] = con.execute(f"select count(*) from {copy}").fetchone()[0]
        con.execute("CREATE SCHEMA IF NOT EXISTS snapshot.quality")
        con.execute(
            f"CREATE TABLE snapshot.quality.{PUBLISHED_BUILD} AS "
            "SELECT ?::VARCHAR AS fingerprint, now()::TIMESTAMP AS published_at",
            [fingerprint],
        )
        comment_tables(con, "snapshot")
        con.execute("DETACH snapshot")
    finally:
        con.close()
    os.replace(staging_file, target)
    return counts


def _take_published_runs_from(con: duckdb.DuckDBPyConnection, snapshot: Path) -> None:
    """Make the working file's quality.published_runs the list `snapshot` holds (a snapshot written
    before the list existed leaves it as it is)."""
    con.execute(f"ATTACH {quote_text(str(snapshot))} AS last_snapshot (READ_ONLY)")
    try:
        listed = con.execute(
            "select count(*) from duckdb_tables() where database_name = 'last_snapshot' "
            "and schema_name = 'quality' and table_name = 'published_runs'"
        ).fetchone()[0]
        if listed:
            with transaction(con):
                con.execute(
                    "DELETE FROM quality.published_runs WHERE run_id NOT IN "
                    "(SELECT run_id FROM last_snapshot.quality.published_runs)"
                )
                con.execute(
                    "INSERT INTO quality.published_runs SELECT run_id, published_at "
                    "FROM last_snapshot.quality.published_runs "
                    "WHERE run_id NOT IN (SELECT run_id FROM quality.published_runs)"
                )
    finally:
        con.execute("DETACH last_snapshot")


def _with_crs(geometry: list[str], crs: str) -> str:
    """A table's select list with each of its `geometry` columns typed with the region's CRS, so that a
    reader (DuckDB, and the GeoParquet and GeoPackage exports) knows where the coordinates are."""
    if not geometry:
        return "*"
    cast = ", ".join(
        f"{quote_name(name)}::GEOMETRY({quote_text(crs)}) AS {quote_name(name)}" for name in geometry
    )
    return f"* REPLACE ({cast})"
