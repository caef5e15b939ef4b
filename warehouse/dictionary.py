"""The data dictionary (数据字典) of the published snapshot: every table and column carries its
description as a DuckDB comment, which analysts read with `duckdb_tables().comment` and
`duckdb_columns().comment` (or any client that shows comments).

A description is written once, where its table is declared: for the relations dbt builds or declares
(models, seeds, sources) in dbt's YAML, read here from dbt's parsed manifest (transforms/target/
manifest.json, which every build parses before it runs); for the tables Python writes that no dbt source
declares, in the YAML beside their DDL (quality/tables.yml, warehouse/tables.yml).

Publishing comments what is described and never fails for what is not (a missing description must not
stop analysts getting the run's data); tests/test_data_dictionary.py holds the snapshot to a description
for every table and column.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import yaml

from warehouse.config import REPO_ROOT, TRANSFORMS_DIR

MANIFEST = TRANSFORMS_DIR / "target" / "manifest.json"
# The YAML describing the tables Python writes that no dbt source declares, each beside its DDL.
PYTHON_TABLE_FILES = (REPO_ROOT / "quality" / "tables.yml", REPO_ROOT / "warehouse" / "tables.yml")
# dbt resources that are relations in the warehouse, besides sources
DBT_RELATIONS = frozenset({"model", "seed", "snapshot"})

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TableDescription:
    """What a table holds and what each of its columns means (columns by lower-case name), and where
    that is written (a dbt unique id or a YAML file)."""

    description: str
    columns: dict[str, str]
    written_in: str


Relation = tuple[str, str]  # (schema, table), lower case


def dbt_descriptions(manifest: Path = MANIFEST) -> dict[Relation, list[TableDescription]]:
    """The descriptions of dbt's models, seeds and sources by relation, from the parsed manifest; none
    when there is no manifest."""
    try:
        parsed = json.loads(Path(manifest).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        log.warning("no dbt descriptions: cannot read the manifest %s (%s)", manifest, error)
        return {}
    found: dict[Relation, list[TableDescription]] = {}
    resources = [n for n in parsed["nodes"].values() if n["resource_type"] in DBT_RELATIONS]
    resources += parsed["sources"].values()
    for resource in resources:
        if resource["resource_type"] == "source":
            table = resource.get("identifier") or resource["name"]
        else:
            table = resource.get("alias") or resource["name"]
        columns = {name.lower(): c.get("description") or "" for name, c in resource["columns"].items()}
        found.setdefault((resource["schema"].lower(), table.lower()), []).append(
            TableDescription(resource.get("description") or "", columns, resource["unique_id"])
        )
    return found


def python_descriptions(files: Iterable[Path] = PYTHON_TABLE_FILES) -> dict[Relation, list[TableDescription]]:
    """The descriptions of the tables Python writes, from the YAML beside their DDL (`tables:` of
    `name: <schema>.<table>`, `description`, `columns:` of `name`, `description`)."""
    found: dict[Relation, list[TableDescription]] = {}
    for path in files:
        for table in yaml.safe_load(Path(path).read_text(encoding="utf-8"))["tables"]:
            schema, name = table["name"].lower().split(".")
            columns = {c["name"].lower(): c.get("description") or "" for c in table.get("columns") or ()}
            found.setdefault((schema, name), []).append(
                TableDescription(table.get("description") or "", columns, str(path.relative_to(REPO_ROOT)))
            )
    return found


def described_in(
    manifest: Path = MANIFEST, files: Iterable[Path] = PYTHON_TABLE_FILES
) -> dict[Relation, list[TableDescription]]:
    """Every description of every relation, wherever written: more than one for a relation is a
    mistake the tests catch (two places to keep in step)."""
    found = dbt_descriptions(manifest)
    for relation, descriptions in python_descriptions(files).items():
        found.setdefault(relation, []).extend(descriptions)
    return found


def descriptions(
    manifest: Path = MANIFEST, files: Iterable[Path] = PYTHON_TABLE_FILES
) -> dict[Relation, TableDescription]:
    """The description of each relation: its one place (the first, if a mistake gave it two)."""
    return {relation: found[0] for relation, found in described_in(manifest, files).items()}


def undescribed(
    con: duckdb.DuckDBPyConnection, catalog: str, described: dict[Relation, TableDescription]
) -> list[str]:
    """The tables (`schema.table`) and columns (`schema.table.column`) of `catalog` with no description."""
    missing = []
    for schema, table, columns in _tables(con, catalog):
        found = described.get((schema.lower(), table.lower()))
        if found is None or not found.description.strip():
            missing.append(f"{schema}.{table}")
        known = found.columns if found else {}
        missing += [f"{schema}.{table}.{c}" for c in columns if not known.get(c.lower(), "").strip()]
    return missing


def comment_tables(
    con: duckdb.DuckDBPyConnection,
    catalog: str,
    described: dict[Relation, TableDescription] | None = None,
) -> list[str]:
    """Write the description of every table and column of the attached database `catalog` as its
    comment; returns what has no description (left without a comment, and logged)."""
    from sources.extract.sql import quote_name, quote_text

    described = descriptions() if described is None else described
    statements = []
    for schema, table, columns in _tables(con, catalog):
        found = described.get((schema.lower(), table.lower()))
        if found is None:
            continue
        relation = ".".join(quote_name(part) for part in (catalog, schema, table))
        if found.description.strip():
            statements.append(f"COMMENT ON TABLE {relation} IS {quote_text(found.description.strip())}")
        for column in columns:
            text = found.columns.get(column.lower(), "").strip()
            if text:
                statements.append(f"COMMENT ON COLUMN {relation}.{quote_name(column)} IS {quote_text(text)}")
    if statements:
        # one transaction: each statement alone commits a catalog change (~1 ms each, 400 of them)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(";\n".join(statements))
        except duckdb.Error:
            con.execute("ROLLBACK")
            raise
        con.execute("COMMIT")
    missing = undescribed(con, catalog, described)
    if missing:
        log.warning(
            "%d tables or columns of %s have no description, so no comment: %s",
            len(missing), catalog, ", ".join(missing[:20]) + (" …" if len(missing) > 20 else ""),
        )  # fmt: skip
    return missing


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str, list[str]]]:
    """(schema, table, columns in order) of every table of `catalog`."""
    rows = con.execute(
        "select c.schema_name, c.table_name, list(c.column_name order by c.column_index) "
        "from duckdb_columns() c join duckdb_tables() t using (table_oid) "
        "where t.database_name = ? group by all order by all",
        [catalog],
    ).fetchall()
    return [(schema, table, list(columns)) for schema, table, columns in rows]
