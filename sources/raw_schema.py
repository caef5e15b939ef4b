"""The `raw` schema, declared once in Python and mirrored, under test, by dbt's `raw` source.

Which side declares what, and why:

- **Python is the declaration.** `sources/layers.py` and `sources/records.py` name every raw table, its
  columns in order and their DuckDB types, and which columns hold personal data. The warehouse bootstrap
  creates the raw tables from them before dbt ever runs, the extractors map aliases and cast with them at
  load time, and the Dagster raw assets are keyed from the same lists; none of these can read dbt YAML.
- **dbt's source YAML describes.** `transforms/models/staging/__sources.yml` is where a dbt project keeps
  what its sources mean: the table and column descriptions dbt docs and Dagster show, and the
  `meta.dagster.asset_key` that ties each `source('raw', …)` to the Dagster asset loading it. The
  descriptions are prose reviewed as documentation, so they stay in the YAML rather than as strings in
  Python. The YAML also repeats the names, order, `data_type` and a `contains_pii` meta flag, so that
  someone reading the dbt project (or its docs) sees the real types without opening Python.
- **A test keeps the mirror equal.** dbt contracts apply to models, not to sources, so nothing in dbt
  would notice a raw column added in Python but not in the YAML, or a type changed on one side only.
  Generating the YAML at build time would make `dbt parse` depend on running Python first and would
  need the descriptions moved out of YAML; instead tests/test_raw_schema.py fails whenever the YAML and
  Python disagree on a table, a column, its position, its type or its personal-data flag, when a raw
  table or column lacks a description, and when the tables bootstrap actually creates in DuckDB
  (`information_schema.columns`) differ from the YAML.

Maintenance (run from the repository root):

    python -m sources.raw_schema --check   # list every disagreement; exit 1 if there is one
    python -m sources.raw_schema --write   # rewrite the `raw` source from Python, keeping descriptions

`--write` regenerates only the `raw` source block of __sources.yml (other sources are left byte for byte):
tables and columns in Python's order with Python's types, every existing description and other key kept
(comments inside the block are not); a new table or column gets an empty description, which the test
refuses until one is written.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import yaml

from sources.layers import LAYERS, REJECTS_COLUMNS, raw_columns
from sources.records import RECORD_KINDS, record_columns

SOURCES_YML = Path(__file__).resolve().parents[1] / "transforms" / "models" / "staging" / "__sources.yml"
RAW = "raw"
PII = "contains_pii"  # the column meta flag dbt's documentation uses for personal data

Columns = list[tuple[str, str]]  # (column name, DuckDB type) in table order


@dataclass(frozen=True)
class RawTable:
    """One table of the raw schema as Python creates it."""

    name: str
    columns: dict[str, str]  # name -> DuckDB type, in order
    personal: frozenset[str] = frozenset()


def raw_tables() -> tuple[RawTable, ...]:
    """Every raw table in the order the warehouse bootstrap creates them: layers, record kinds, rejects."""
    return (
        *(RawTable(layer.table, raw_columns(layer)) for layer in LAYERS),
        *(RawTable(kind.table, record_columns(kind), kind.personal) for kind in RECORD_KINDS),
        RawTable("rejects", dict(REJECTS_COLUMNS)),
    )


# ------------------------------------------------------------------------------------------- comparing


def load_sources(path: Path = SOURCES_YML) -> dict[str, Any]:
    """The parsed sources YAML."""
    return yaml.safe_load(path.read_text(encoding="utf-8")) or {}


def raw_source(doc: dict[str, Any]) -> dict[str, Any] | None:
    """The `raw` entry of a sources YAML document, or None."""
    return next((s for s in doc.get("sources") or [] if s.get("name") == RAW), None)


def python_columns(tables: Sequence[RawTable] | None = None) -> dict[str, Columns]:
    return {t.name: list(t.columns.items()) for t in (raw_tables() if tables is None else tables)}


def entry_columns(entry: dict[str, Any]) -> Columns:
    """[(column, data_type)] of one YAML source table; a missing data_type reads as ''."""
    return [(str(c.get("name")), c.get("data_type") or "") for c in entry.get("columns") or ()]


def yaml_columns(doc: dict[str, Any]) -> dict[str, Columns]:
    """table -> [(column, data_type)] of the YAML's raw source, in the YAML's order."""
    return {entry["name"]: entry_columns(entry) for entry in (raw_source(doc) or {}).get("tables") or ()}


def database_columns(con: duckdb.DuckDBPyConnection) -> dict[str, Columns]:
    """table -> [(column, data_type)] of the `raw` schema of a DuckDB database, per information_schema."""
    found: dict[str, Columns] = {}
    for table, column, data_type in con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = ? ORDER BY table_name, ordinal_position",
        [RAW],
    ).fetchall():
        found.setdefault(table, []).append((column, data_type))
    return found


def table_list_differences(
    expected: Sequence[str],
    actual: Sequence[str],
    label: str,
    *,
    source: str = "Python",
    ordered: bool = True,
) -> list[str]:
    """How the raw tables `label` lists depart from those `source` declares (and their order)."""
    found = []
    if missing := [t for t in expected if t not in actual]:
        found.append(f"{label} lacks raw table(s) {', '.join(missing)}")
    if extra := [t for t in actual if t not in expected]:
        found.append(f"{label} has raw table(s) {', '.join(extra)} that {source} does not declare")
    if ordered and not missing and not extra and list(actual) != list(expected):
        found.append(f"{label} lists the raw tables in another order than {source}: {', '.join(actual)}")
    return found


def column_differences(
    table: str, expected: Columns, actual: Columns, label: str, *, source: str = "Python"
) -> list[str]:
    """How the columns `label` gives raw.<table> depart from `source`'s: names, order, types."""
    found = []
    want, have = [n for n, _ in expected], [n for n, _ in actual]
    if missing := [n for n in want if n not in have]:
        found.append(f"{label} raw.{table} lacks column(s) {', '.join(missing)}")
    if extra := [n for n in have if n not in want]:
        found.append(f"{label} raw.{table} has column(s) {', '.join(extra)} that {source} does not declare")
    if not missing and not extra and have != want:
        found.append(f"{label} raw.{table} has its columns in another order than {source}: {', '.join(have)}")
    types = dict(actual)
    for name, type_ in expected:
        if name in types and types[name] != type_:
            found.append(f"{label} raw.{table}.{name} is {types[name] or 'untyped'}, {source} says {type_}")
    return found


def _described(entry: dict[str, Any]) -> bool:
    return isinstance(entry.get("description"), str) and bool(entry["description"].strip())


def table_problems(table: RawTable, entry: dict[str, Any]) -> list[str]:
    """How one table of the YAML's raw source departs from Python's, or what it leaves undescribed."""
    name = table.name
    found = column_differences(name, list(table.columns.items()), entry_columns(entry), "the YAML")
    if not _described(entry):
        found.append(f"the YAML raw.{name} has no description")
    found.extend(
        f"the YAML raw.{name}.{column.get('name')} has no description"
        for column in entry.get("columns") or ()
        if not _described(column)
    )
    asset_key = ((entry.get("meta") or {}).get("dagster") or {}).get("asset_key")
    if asset_key != [RAW, name]:
        found.append(f"the YAML raw.{name} meta.dagster.asset_key is {asset_key}, not {[RAW, name]}")
    flagged = {c.get("name") for c in entry.get("columns") or () if (c.get("meta") or {}).get(PII) is True}
    if flagged != set(table.personal):
        found.append(
            f"the YAML raw.{name} flags {sorted(flagged)} as {PII}; Python's personal data is "
            f"{sorted(table.personal)}"
        )
    return found


def yaml_problems(doc: dict[str, Any], tables: Sequence[RawTable] | None = None) -> list[str]:
    """Every way the YAML's raw source departs from Python, or leaves something undescribed."""
    tables = raw_tables() if tables is None else tables
    source = raw_source(doc)
    if source is None:
        return [f"the sources YAML has no `{RAW}` source"]
    found = [] if _described(source) else ["the YAML raw source has no description"]
    entries = {entry.get("name"): entry for entry in source.get("tables") or ()}
    found.extend(table_list_differences([t.name for t in tables], list(entries), "the YAML"))
    for table in tables:
        if table.name in entries:
            found.extend(table_problems(table, entries[table.name]))
    return found


def differences(
    expected: dict[str, Columns], actual: dict[str, Columns], label: str, *, source: str
) -> list[str]:
    """How the raw tables of `actual` depart from `expected`: tables (in any order), columns and types."""
    found = table_list_differences(list(expected), list(actual), label, source=source, ordered=False)
    for table, columns in expected.items():
        if table in actual:
            found.extend(column_differences(table, columns, actual[table], label, source=source))
    return found


def database_problems(con: duckdb.DuckDBPyConnection, doc: dict[str, Any]) -> list[str]:
    """How the raw schema of a bootstrapped database departs from the YAML's raw source."""
    return differences(yaml_columns(doc), database_columns(con), "the database", source="the YAML")


def bootstrapped_problems(doc: dict[str, Any]) -> list[str]:
    """`database_problems` on a fresh in-memory warehouse, created the way the warehouse creates it."""
    from warehouse.connection import bootstrap, connect

    con = connect(":memory:")
    try:
        bootstrap(con)
        return database_problems(con, doc)
    finally:
        con.close()


# ------------------------------------------------------------------------------------------- rendering

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _scalar(value: Any, *, plain: bool = False) -> str:
    """A YAML scalar; strings are double-quoted unless `plain` (names, types) allows otherwise."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return "null"
    text = str(value)
    # Plain only where YAML reads it back as the same string (not `N`, `on`, `null`, …).
    if plain and _IDENTIFIER.fullmatch(text) and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


_PLAIN_VALUES = {"name", "schema", "data_type"}  # identifiers; every prose value stays quoted


def _emit(key: str, value: Any, indent: int) -> list[str]:
    """`key: value` as block YAML at `indent`; lists of scalars in flow style, like the asset keys."""
    head = f"{' ' * indent}{_scalar(key, plain=True)}:"
    if isinstance(value, dict):
        if not value:
            return [f"{head} {{}}"]
        return [head] + [line for k, v in value.items() for line in _emit(k, v, indent + 2)]
    if isinstance(value, list):
        if all(not isinstance(item, dict | list) for item in value):
            return [f"{head} [{', '.join(_scalar(item) for item in value)}]"]
        return [head] + [line for item in value for line in _item(item, indent + 2)]
    return [f"{head} {_scalar(value, plain=key in _PLAIN_VALUES)}"]


def _item(value: Any, indent: int) -> list[str]:
    """One element of a block sequence at `indent`."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        lines = [line for k, v in value.items() for line in _emit(k, v, indent + 2)]
        return [f"{pad}- {lines[0].lstrip()}"] + lines[1:]
    if isinstance(value, list):
        return [f"{pad}- [{', '.join(_scalar(item) for item in value)}]"]
    return [f"{pad}- {_scalar(value)}"]


def _column_entry(name: str, type_: str, personal: bool, old: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": name, "data_type": type_, "description": old.get("description") or ""}
    for key, value in old.items():
        if key not in entry:
            entry[key] = value
    meta = {k: v for k, v in (entry.pop("meta", None) or {}).items() if k != PII}
    if personal:
        meta[PII] = True
    if meta:
        entry["meta"] = meta
    return entry


def _table_entry(table: RawTable, old: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": table.name, "description": old.get("description") or ""}
    for key, value in old.items():
        if key not in entry and key != "columns":
            entry[key] = value
    meta = dict(entry.get("meta") or {})
    meta["dagster"] = {**(meta.get("dagster") or {}), "asset_key": [RAW, table.name]}
    entry["meta"] = meta
    old_columns = {c.get("name"): c for c in old.get("columns") or []}
    entry["columns"] = [
        _column_entry(name, type_, name in table.personal, old_columns.get(name, {}))
        for name, type_ in table.columns.items()
    ]
    return entry


def render_raw_source(doc: dict[str, Any], tables: Sequence[RawTable] | None = None) -> str:
    """The `raw` source entry, as it sits in __sources.yml, generated from Python with the YAML's prose."""
    tables = raw_tables() if tables is None else tables
    old = raw_source(doc) or {}
    source: dict[str, Any] = {"name": RAW, "schema": RAW, "description": old.get("description") or ""}
    for key, value in old.items():
        if key not in source and key != "tables":
            source[key] = value
    old_tables = {t.get("name"): t for t in old.get("tables") or []}
    source["tables"] = [_table_entry(table, old_tables.get(table.name, {})) for table in tables]
    return "\n".join(_item(source, 2)) + "\n"


def _raw_block(lines: list[str]) -> tuple[int, int]:
    """[start, end) line indexes of the `raw` source entry in __sources.yml (2-space indented entries)."""
    start = next((i for i, line in enumerate(lines) if line.rstrip() == f"  - name: {RAW}"), None)
    if start is None:
        raise ValueError(f"no `  - name: {RAW}` source entry")
    end = next(
        (
            i
            for i in range(start + 1, len(lines))
            if lines[i].startswith("  - ") or (lines[i].strip() and not lines[i].startswith(" "))
        ),
        len(lines),
    )
    # Blank lines and comments just before the next entry belong to it.
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    return start, end


def rewritten(text: str, tables: Sequence[RawTable] | None = None) -> str:
    """The text of __sources.yml with its `raw` source regenerated and everything else unchanged."""
    doc = yaml.safe_load(text) or {}
    lines = text.splitlines(keepends=True)
    start, end = _raw_block(lines)
    result = "".join(lines[:start]) + render_raw_source(doc, tables) + "".join(lines[end:])
    others = [s for s in doc.get("sources") or [] if s.get("name") != RAW]
    new_doc = yaml.safe_load(result)
    if [s for s in new_doc.get("sources") or [] if s.get("name") != RAW] != others:
        raise ValueError("regenerating the raw source would change another source; edit the file by hand")
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sources.raw_schema", description=__doc__.split("\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true", help="list how the YAML departs from Python and DuckDB")
    mode.add_argument("--write", action="store_true", help="regenerate the raw source, keeping descriptions")
    parser.add_argument("--path", type=Path, default=SOURCES_YML)
    args = parser.parse_args(argv)
    if args.write:
        text = args.path.read_text(encoding="utf-8")
        new = rewritten(text)
        if new != text:
            args.path.write_text(new, encoding="utf-8")
            print(f"rewrote the raw source of {args.path}")
        undescribed = [p for p in yaml_problems(yaml.safe_load(new)) if p.endswith("has no description")]
        for problem in undescribed:
            print(f"to do: {problem}")
        return 0
    doc = load_sources(args.path)
    found = yaml_problems(doc) + bootstrapped_problems(doc)
    for problem in found:
        print(problem)
    if not found:
        print(f"{args.path}: the raw source matches Python and the tables bootstrap creates")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
