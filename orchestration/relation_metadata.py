"""What the asset catalogue shows of each table dbt built: its row count, its columns with their DuckDB
types and dbt descriptions, and for the marts a preview of their first rows; read from the warehouse
after the step's dbt command, as dagster-dbt's `fetch_row_counts()` and `fetch_column_metadata()` read
them through a dbt adapter (the build here runs dbt in-process, without its CLI invocation).

Views get their columns only: counting a view runs its query (a rule's subject view joins layers), which
the catalogue must not pay for on every build.
"""

from __future__ import annotations

import datetime
import decimal
from typing import Any

import dagster as dg
import duckdb

# the marts analysts read: a few rows of each show what a row is
PREVIEW_SCHEMAS = frozenset({"marts"})
PREVIEW_ROWS = 5
# materializations whose relation holds rows to count
COUNTED = frozenset({"table", "incremental", "seed"})


def _relation(node: dict[str, Any]) -> tuple[str, str]:
    return node["schema"], node.get("alias") or node["name"]


def _quoted(schema: str, name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in (schema, name))


def _cell(value: Any) -> str | int | float | bool | None:
    """A value as a preview cell holds it: numbers and booleans as such, the rest as text."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return str(value)


def relation_metadata(
    con: duckdb.DuckDBPyConnection, nodes: dict[str, dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Per dbt unique_id of `nodes` (manifest nodes dbt has just built): `dagster/column_schema`, and for
    tables `dagster/row_count` and, in the marts, a preview. A relation the warehouse does not hold
    (dbt failed to build it) gets nothing."""
    wanted = {_relation(node): unique_id for unique_id, node in nodes.items()}
    if not wanted:
        return {}
    columns: dict[str, list[dg.TableColumn]] = {}
    rows = con.execute(
        """
        select schema_name, table_name, column_name, data_type
        from duckdb_columns()
        where database_name = current_database() and schema_name in (select unnest(?::varchar[]))
        order by schema_name, table_name, column_index
        """,
        [sorted({schema for schema, _ in wanted})],
    ).fetchall()
    for schema, name, column, data_type in rows:
        unique_id = wanted.get((schema, name))
        if unique_id is None:
            continue
        described = nodes[unique_id].get("columns", {}).get(column, {}).get("description") or None
        columns.setdefault(unique_id, []).append(
            dg.TableColumn(name=column, type=data_type, description=described)
        )
    metadata: dict[str, dict[str, Any]] = {}
    for unique_id, table_columns in columns.items():
        node = nodes[unique_id]
        schema, name = _relation(node)
        entry: dict[str, Any] = {"dagster/column_schema": dg.TableSchema(columns=table_columns)}
        materialized = node.get("config", {}).get("materialized") or node["resource_type"]
        if materialized in COUNTED or node["resource_type"] == "seed":
            [(count,)] = con.execute(f"select count(*) from {_quoted(schema, name)}").fetchall()
            entry["dagster/row_count"] = dg.MetadataValue.int(count)
            if schema in PREVIEW_SCHEMAS:
                entry["preview"] = _preview(con, schema, name, table_columns)
        metadata[unique_id] = entry
    return metadata


def _preview(
    con: duckdb.DuckDBPyConnection, schema: str, name: str, table_columns: list[dg.TableColumn]
) -> dg.TableMetadataValue:
    """The first rows of a mart, as the table holds them."""
    relation = con.execute(f"select * from {_quoted(schema, name)} limit {PREVIEW_ROWS}")
    names = [column[0] for column in relation.description]
    records = [
        dg.TableRecord({k: _cell(v) for k, v in zip(names, row, strict=True)}) for row in relation.fetchall()
    ]
    return dg.MetadataValue.table(records=records, schema=dg.TableSchema(columns=table_columns))
