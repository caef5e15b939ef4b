"""Which tables of a DuckDB database carry geometry, and in which columns: what the publisher types with
the region's CRS and the map exports write as layers."""

from __future__ import annotations

import duckdb


def geometry_columns(con: duckdb.DuckDBPyConnection) -> dict[tuple[str, str], list[str]]:
    """(schema, table) → its geometry columns, in column order, for every table of the connection's
    current database that has one."""
    columns: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in con.execute(
        """select schema_name, table_name, column_name from duckdb_columns()
           where database_name = current_database() and data_type like 'GEOMETRY%'
           order by schema_name, table_name, column_index"""
    ).fetchall():
        columns.setdefault((schema, table), []).append(column)
    return columns
