"""Names a delivery chooses reach the loaders' SQL only quoted: fields and inner layers named with quotes,
semicolons, comments, `..`, non-BMP characters or at great length load like any other, their values kept."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa

from sources.extract.load import load_layer
from sources.formats import write_layer
from sources.layers import LAYERS_BY_CODE
from tests.test_extract import REGION, parcels
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
