"""Names and values a delivery chooses reach SQL only quoted or bound: fields and inner layers named with
quotes, semicolons, comments, `..`, non-BMP characters or at great length load like any other, their
values kept; values like that are found, reported and quarantined by the rule runner verbatim."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pytest

from quality.runner import evaluate_rules, quarantine, record_outcomes
from sources.extract.load import load_layer
from sources.formats import write_layer
from sources.layers import LAYERS_BY_CODE
from tests.rule_subjects import create_rule_subjects
from tests.test_extract import REGION, parcels
from tests.test_rule_runner import _approval, _load_reference, _parcel
from warehouse.connection import warehouse

DLTB = LAYERS_BY_CODE["DLTB"]
HOSTILE_FIELDS = [
    "x'); drop table raw.dltb; --",
    'say "hello"',
    "..",
    "a;b",
    "𝔘田",
    "长" * 60,
]


def _with_hostile_fields(n: int) -> tuple[pa.Table, list]:
    table, geometries = parcels(n)
    for name in HOSTILE_FIELDS:
        table = table.append_column(name, pa.array([f"{name}={row}" for row in range(n)]))
    return table, geometries


def _loaded_extras(con) -> list[dict]:
    return [
        json.loads(extra) for (extra,) in con.execute("SELECT _extra FROM raw.dltb ORDER BY BSM").fetchall()
    ]


def test_fields_named_to_break_sql_load_as_extra_fields_with_their_values(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *_with_hostile_fields(3), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, landing, DLTB, REGION)
        extras = _loaded_extras(con)
        tables = {
            t
            for (t,) in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'raw'"
            ).fetchall()
        }
    assert (report.rows_loaded, report.rows_rejected) == (3, 0)
    assert "dltb" in tables
    for row, extra in enumerate(extras):
        assert {name: extra.get(name) for name in HOSTILE_FIELDS} == {
            name: f"{name}={row}" for name in HOSTILE_FIELDS
        }


def test_a_layer_inside_a_geopackage_named_to_break_sql_loads(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    inner = "DLTB_x'; drop table raw.dltb; --"
    write_layer(landing / "survey/2023/国土变更.gpkg", *parcels(2), REGION, layer=inner)
    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, landing, DLTB, REGION)
        files = con.execute("SELECT DISTINCT _source_file FROM raw.dltb").fetchall()
    assert report.rows_loaded == 2
    assert files == [("survey/2023/国土变更.gpkg",)] or files == [(f"survey/2023/国土变更.gpkg:{inner}",)]


def test_record_headers_named_to_break_sql_are_refused_by_name_and_hostile_values_load_verbatim(
    tmp_path: Path,
) -> None:
    import duckdb

    from sources.errors import DeliveryError
    from sources.extract.records import ensure_record_tables, load_records
    from sources.records import record_kind
    from tests.test_records import CASE_HEADER, case_row, write_csv

    cases = record_kind("enforcement_cases")
    con = duckdb.connect(":memory:")
    ensure_record_tables(con)
    hostile = "x'); drop table raw.enforcement_cases; --"
    landing = tmp_path / "landing"
    write_csv(landing / "projects/违法用地案件.csv", [[*CASE_HEADER, hostile], [*case_row("WF-1"), "a"]])
    try:
        load_records(con, landing, cases)
        refused = ""
    except DeliveryError as error:
        refused = str(error)
    assert f'unknown header "{hostile}"' in refused

    # the contract's headers, values that look like SQL: loaded as they are
    write_csv(landing / "projects/违法用地案件.csv", [CASE_HEADER, case_row("WF-'; drop table x; --")])
    load_records(con, landing, cases)
    assert con.execute("SELECT 案件编号 FROM raw.enforcement_cases").fetchall() == [
        ("WF-'; drop table x; --",)
    ]


# Values a delivery chooses, as the rule runner meets them in its subjects: each is found, reported and
# quarantined verbatim, and no statement of the runner's is cut short by one.
HOSTILE_VALUES = [
    "01'); drop table raw.dltb; --",
    '01" or "1"="1',
    "../01",
    "0;1",
    "𝔘01",
    "类" * 60,
]


@pytest.fixture
def rule_runner_con(tmp_path: Path, tmp_path_factory: pytest.TempPathFactory):
    with warehouse(tmp_path / "w.duckdb") as con:
        _load_reference(con)
        create_rule_subjects(con, ["DQ01", "DQ02"], tmp_path_factory.getbasetemp() / "rule_subjects")
        yield con


def test_the_rule_runner_reports_and_quarantines_hostile_values_verbatim(rule_runner_con) -> None:
    con = rule_runner_con
    for row, value in enumerate(HOSTILE_VALUES, start=1):
        _parcel(con, row, 900 + row, value)  # an unknown land class (DQ01)
        _approval(con, row, f"浙土字[2024]{value}号", value, "建设用地")  # a county outside the region (DQ02)
    outcomes = evaluate_rules(con, ["DQ01", "DQ02"])
    record_outcomes(con, outcomes, run_id="run-'; drop table quality.violations; --")
    assert quarantine(con, outcomes) == 2 * len(HOSTILE_VALUES)

    observed = {
        rule: sorted(value for (value,) in con.execute(
            "select observed from quality.violations where rule_id = ?", [rule]).fetchall())
        for rule in ("DQ01", "DQ02")
    }  # fmt: skip
    assert observed["DQ01"] == sorted(HOSTILE_VALUES)
    # DQ02 reports the county part of the code it was given: its first six characters
    assert observed["DQ02"] == sorted(value[:6] for value in HOSTILE_VALUES)
    # the quarantined rows carry each value in their reason and their record, the rows stay in raw
    reasons = [
        reason
        for (reason,) in con.execute("select reason from raw.rejects where rule_id = 'DQ01'").fetchall()
    ]
    assert sorted(value for value in HOSTILE_VALUES if any(value in reason for reason in reasons)) == sorted(
        HOSTILE_VALUES
    )
    records = [
        json.loads(record)
        for (record,) in con.execute("select record from raw.rejects where rule_id = 'DQ02'").fetchall()
    ]
    assert sorted(record["县级行政区代码"] for record in records) == sorted(HOSTILE_VALUES)
    assert con.execute("select count(*) from raw.dltb").fetchone()[0] == len(HOSTILE_VALUES)
    assert con.execute("select distinct run_id from quality.rule_results").fetchall() == [
        ("run-'; drop table quality.violations; --",)
    ]
