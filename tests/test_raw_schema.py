"""dbt's `raw` source says what the warehouse really creates (sources/raw_schema.py explains the split).

Python (sources/layers.py, sources/records.py) declares the raw tables; __sources.yml must list exactly
those tables in that order, each with exactly its columns in order, each column's `data_type` the DuckDB
type Python creates, its personal-data columns flagged `contains_pii`, and a description for the source,
every table and every column. The tables bootstrap creates in a fresh DuckDB file must match the YAML
too. The second half shows each check failing on a mutated copy.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

from sources.raw_schema import (
    PII,
    SOURCES_YML,
    RawTable,
    database_columns,
    database_problems,
    main,
    raw_source,
    raw_tables,
    table_problems,
    yaml_columns,
    yaml_problems,
)
from warehouse.connection import bootstrap, connect

DOC = yaml.safe_load(SOURCES_YML.read_text(encoding="utf-8"))
TABLES = raw_tables()


def _entry(doc: dict[str, Any], table: str) -> dict[str, Any]:
    return next(t for t in raw_source(doc)["tables"] if t["name"] == table)


def _column(doc: dict[str, Any], table: str, column: str) -> dict[str, Any]:
    return next(c for c in _entry(doc, table)["columns"] if c["name"] == column)


def _fresh_warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    """A new warehouse file with the raw tables created the way `warehouse.connection.warehouse` does."""
    con = connect(path)
    bootstrap(con)
    return con


@pytest.fixture
def fresh_warehouse(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = _fresh_warehouse(tmp_path / "raw_schema.duckdb")
    try:
        yield con
    finally:
        con.close()


# ----------------------------------------------------------------------------------- the repository


def test_the_yaml_lists_exactly_the_python_raw_tables_in_order() -> None:
    assert list(yaml_columns(DOC)) == [table.name for table in TABLES]
    assert (raw_source(DOC).get("description") or "").strip()


@pytest.mark.parametrize("table", TABLES, ids=[table.name for table in TABLES])
def test_the_yaml_declares_each_raw_table_as_python_does(table: RawTable) -> None:
    entry = _entry(DOC, table.name)
    assert table_problems(table, entry) == []
    # The same, spelled out: names, order and types are Python's.
    assert yaml_columns(DOC)[table.name] == list(table.columns.items())


def test_the_warehouse_creates_what_the_yaml_declares(fresh_warehouse: duckdb.DuckDBPyConnection) -> None:
    assert database_problems(fresh_warehouse, DOC) == []
    assert database_columns(fresh_warehouse) == yaml_columns(DOC)  # dicts: the table order is free


def test_python_declares_every_table_the_warehouse_creates(
    fresh_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    # raw_tables() is a view over the lists the DDL is built from; bootstrap must create no other table.
    assert database_columns(fresh_warehouse) == {t.name: list(t.columns.items()) for t in TABLES}


def test_the_check_command_passes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--check"]) == 0, capsys.readouterr().out


def test_write_leaves_the_repository_file_as_it_is(tmp_path: Path) -> None:
    target = tmp_path / "__sources.yml"
    target.write_text(SOURCES_YML.read_text(encoding="utf-8"), encoding="utf-8")
    assert main(["--write", "--path", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == SOURCES_YML.read_text(encoding="utf-8")


# ------------------------------------------------------------------------------- the checks can fail


def _drop_column(doc: dict[str, Any]) -> None:
    _entry(doc, "dltb")["columns"] = [c for c in _entry(doc, "dltb")["columns"] if c["name"] != "TBMJ"]


def _add_column(doc: dict[str, Any]) -> None:
    _entry(doc, "gbznt")["columns"].append(
        {"name": "XMMC", "data_type": "VARCHAR", "description": "项目名称"}
    )


def _rename_column(doc: dict[str, Any]) -> None:
    _column(doc, "yjjbnt", "JBNTMJ")["name"] = "YJJBNTMJ"


def _swap_columns(doc: dict[str, Any]) -> None:
    columns = _entry(doc, "field_chiefs")["columns"]
    columns[2], columns[3] = columns[3], columns[2]


def _retype_column(doc: dict[str, Any]) -> None:
    _column(doc, "dltbgxgc", "GXSJ")["data_type"] = "VARCHAR"


def _untype_column(doc: dict[str, Any]) -> None:
    del _column(doc, "land_supply", "_year")["data_type"]


def _undescribe_column(doc: dict[str, Any]) -> None:
    _column(doc, "quota_trades", "成交单价(万元/亩)")["description"] = " "


def _undescribe_table(doc: dict[str, Any]) -> None:
    del _entry(doc, "rejects")["description"]


def _drop_table(doc: dict[str, Any]) -> None:
    raw_source(doc)["tables"] = [t for t in raw_source(doc)["tables"] if t["name"] != "lsgnq"]


def _add_table(doc: dict[str, Any]) -> None:
    raw_source(doc)["tables"].append(copy.deepcopy(_entry(doc, "lsgnq")) | {"name": "lsgnq_2"})


def _swap_tables(doc: dict[str, Any]) -> None:
    tables = raw_source(doc)["tables"]
    tables[0], tables[1] = tables[1], tables[0]


def _unflag_personal(doc: dict[str, Any]) -> None:
    del _column(doc, "reclamation_fees", "缴款单位")["meta"]


def _flag_impersonal(doc: dict[str, Any]) -> None:
    _column(doc, "field_chiefs", "层级")["meta"] = {PII: True}


def _wrong_asset_key(doc: dict[str, Any]) -> None:
    _entry(doc, "dltbgx")["meta"]["dagster"]["asset_key"] = ["raw", "dltb"]


def _no_raw_source(doc: dict[str, Any]) -> None:
    doc["sources"] = [s for s in doc["sources"] if s["name"] != "raw"]


YAML_MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "dropped column": (_drop_column, "raw.dltb lacks column(s) TBMJ"),
    "added column": (_add_column, "raw.gbznt has column(s) XMMC that Python does not declare"),
    "renamed column": (_rename_column, "raw.yjjbnt lacks column(s) JBNTMJ"),
    "swapped columns": (_swap_columns, "raw.field_chiefs has its columns in another order"),
    "retyped column": (_retype_column, "raw.dltbgxgc.GXSJ is VARCHAR, Python says DATE"),
    "untyped column": (_untype_column, "raw.land_supply._year is untyped, Python says INTEGER"),
    "undescribed column": (_undescribe_column, "raw.quota_trades.成交单价(万元/亩) has no description"),
    "undescribed table": (_undescribe_table, "raw.rejects has no description"),
    "dropped table": (_drop_table, "the YAML lacks raw table(s) lsgnq"),
    "added table": (_add_table, "has raw table(s) lsgnq_2 that Python does not declare"),
    "swapped tables": (_swap_tables, "lists the raw tables in another order than Python"),
    "personal column unflagged": (_unflag_personal, f"raw.reclamation_fees flags [] as {PII}"),
    "other column flagged personal": (
        _flag_impersonal,
        "raw.field_chiefs flags ['姓名', '层级', '联系电话']",
    ),
    "wrong asset key": (_wrong_asset_key, "raw.dltbgx meta.dagster.asset_key is ['raw', 'dltb']"),
    "no raw source": (_no_raw_source, "has no `raw` source"),
}


@pytest.mark.parametrize(("mutate", "expected"), YAML_MUTATIONS.values(), ids=list(YAML_MUTATIONS))
def test_a_yaml_departing_from_python_is_refused(
    mutate: Callable[[dict[str, Any]], None], expected: str
) -> None:
    doc = copy.deepcopy(DOC)
    mutate(doc)
    found = yaml_problems(doc)
    assert any(expected in problem for problem in found), found


def test_a_python_column_missing_from_the_yaml_is_refused() -> None:
    # A field added to a layer in Python, the YAML not updated.
    grown = tuple(
        dataclasses.replace(t, columns={**t.columns, "BZ": "VARCHAR"}) if t.name == "yjjbntcbq" else t
        for t in TABLES
    )
    assert yaml_problems(DOC, grown) == ["the YAML raw.yjjbntcbq lacks column(s) BZ"]
    # A column Python starts to hold as personal data.
    private = tuple(
        dataclasses.replace(t, personal=frozenset({"行政区代码"})) if t.name == "field_chiefs" else t
        for t in TABLES
    )
    assert any("raw.field_chiefs flags ['姓名', '联系电话']" in p for p in yaml_problems(DOC, private))


DATABASE_MUTATIONS = {
    "extra column": ("ALTER TABLE raw.dltb ADD COLUMN BZ VARCHAR", "raw.dltb has column(s) BZ"),
    "dropped column": ("ALTER TABLE raw.gbznt DROP COLUMN JSLX", "raw.gbznt lacks column(s) JSLX"),
    "retyped column": (
        'ALTER TABLE raw.supplement_projects ALTER "耕地等别" TYPE VARCHAR',
        "raw.supplement_projects.耕地等别 is VARCHAR, the YAML says BIGINT",
    ),
    "dropped table": ("DROP TABLE raw.lsgnq", "the database lacks raw table(s) lsgnq"),
    "extra table": (
        "CREATE TABLE raw.scratch (x INTEGER)",
        "has raw table(s) scratch that the YAML does not",
    ),
}


@pytest.mark.parametrize(("statement", "expected"), DATABASE_MUTATIONS.values(), ids=list(DATABASE_MUTATIONS))
def test_a_warehouse_departing_from_the_yaml_is_refused(
    fresh_warehouse: duckdb.DuckDBPyConnection, statement: str, expected: str
) -> None:
    fresh_warehouse.execute(statement)
    found = database_problems(fresh_warehouse, DOC)
    assert any(expected in problem for problem in found), found


def test_the_check_command_fails_on_a_departing_yaml(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "__sources.yml"
    target.write_text(
        SOURCES_YML.read_text(encoding="utf-8").replace("data_type: DATE", "data_type: VARCHAR", 1)
    )
    assert main(["--check", "--path", str(target)]) == 1
    out = capsys.readouterr().out
    assert "is VARCHAR, Python says DATE" in out
    assert "the database raw." in out  # the bootstrapped tables disagree with the YAML as well


def test_write_regenerates_from_python_and_keeps_the_descriptions(tmp_path: Path) -> None:
    original = SOURCES_YML.read_text(encoding="utf-8")
    tbmj = _column(DOC, "dltb", "TBMJ")["description"]
    jsmj = _column(DOC, "gbznt", "JSMJ")["description"]
    tbmj_entry = f'          - name: TBMJ\n            data_type: DOUBLE\n            description: "{tbmj}"\n'
    assert tbmj_entry in original
    # The file as it was before it mirrored types, a field Python has missing, a description reworded.
    edited = original.replace(tbmj_entry, "", 1).replace(jsmj, "建设面积 — reworded by hand")
    edited = "".join(line for line in edited.splitlines(keepends=True) if "data_type:" not in line)
    target = tmp_path / "__sources.yml"
    target.write_text(edited, encoding="utf-8")

    assert main(["--write", "--path", str(target)]) == 0
    written = target.read_text(encoding="utf-8")
    assert yaml_problems(yaml.safe_load(written)) == ["the YAML raw.dltb.TBMJ has no description"]
    # Everything else is as in the repository, the reworded description kept, the other sources untouched.
    assert written == original.replace(tbmj_entry, tbmj_entry.replace(tbmj, ""), 1).replace(
        jsmj, "建设面积 — reworded by hand"
    )
