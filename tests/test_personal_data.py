"""Personal data (田长 姓名 / 联系电话, 缴款单位) is loaded into raw and goes no further.

A landing folder with a field-chief roster, a reclamation-fee ledger (both carrying recognisable personal
values) and a compensation workbook is loaded by the raw record assets, the whole dbt project is built on
it, and the analysts' snapshot is published. No table or view of an analyst-facing schema, and nothing in
the snapshot, may hold one of the personal values or a column named like a personal field. The same
build checks the record staging models themselves (roster and fee columns, the workbook quarantine
matched on the sheet) and the raw record assets in the Dagster definitions.

The build job is not used: it needs a survey year, and this landing holds records only. dbt is called
with the profile environment `WarehouseResource.dbt_profile_env()` gives a run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration.assets.raw_records import RAW_RECORD_ASSETS, RAW_RECORD_KEYS
from orchestration.resources import WarehouseResource
from sources.records import RECORD_KINDS
from tests.test_records import FEE_HEADER, ROSTER_HEADER, compensation_sheet, write_csv, write_xlsx
from warehouse.config import TRANSFORMS_DIR
from warehouse.connection import connect
from warehouse.publish import publish

ANALYST_SCHEMAS = ("staging", "intermediate", "marts", "quality", "reference")

# Recognisable personal values: names and phone numbers of field chiefs, payers of the reclamation fee.
NAMES = ("欧阳明月", "司马青云", "上官红叶")
PHONES = ("13912345678", "0573-82345678")
PAYERS = ("嘉兴禾丰置业有限公司", "平湖市鸿运物流有限公司（联系人：诸葛亮 13800001111）")
SECRETS = (*NAMES, *PHONES, *PAYERS, "诸葛亮", "13800001111")

# 姓名, 联系电话, 缴款单位: the columns sources/records.py declares personal.
PERSONAL_FIELDS = sorted({name for kind in RECORD_KINDS for name in kind.personal})
# English spellings of a personal field, as name tokens (`chief_phone`, `payer_unit`, `contact_person`).
PERSONAL_TOKENS = {"phone", "telephone", "tel", "mobile", "payer", "person", "contact", "contacts", "email"}
PERSONAL_CHINESE = re.compile("姓名|名字|电话|手机|联系人|缴款单位|缴款人")
RAW_PERSONAL_COLUMNS = {"raw.field_chiefs.姓名", "raw.field_chiefs.联系电话", "raw.reclamation_fees.缴款单位"}


@dataclass
class RecordBuild:
    landing: Path
    warehouse: Path
    published: Path


def _landing(root: Path) -> Path:
    landing = root / "landing"
    write_csv(
        landing / "projects/田长名册.csv",
        [
            ROSTER_HEADER,
            ["县", "330402", NAMES[1], PHONES[1], "2023-01-10"],
            ["村", "330402001001", NAMES[0], PHONES[0], "2023/1/15"],
            ["村", "330402001002", NAMES[2], "", "2023年2月1日"],
            ["村", "330402001003", NAMES[0], PHONES[0], "15/01/2023"],  # unreadable date: rejected at load
        ],
        encoding="gbk",
    )
    write_csv(
        landing / "funds/2024/耕地开垦费缴纳_2024.csv",
        [
            FEE_HEADER,
            ["JK-1", "浙土字[2024]1号", PAYERS[0], "100000", "2024-03-05"],
            ["JK-2", "浙土字[2024]2号", PAYERS[1], "2500.5", "2024/3/6"],
            ["JK-3", "浙土字[2024]3号", PAYERS[0], "壹佰万元", "2024-03-07"],  # rejected at load
        ],
        encoding="gbk",
    )
    # Two county sheets whose village rows sit on the same Excel rows (4 and 5).
    nanhu = [
        [1, "余新镇", "金星村", "330402001001", 100, 20, 30, 20, 3400, 3400, date(2024, 3, 5), None],
        [2, "余新镇", "新丰村", "330402001002", 50, 10, 30, 20, 1700, 1700, date(2024, 3, 5), None],
    ]
    xiuzhou = [
        [1, "王江泾镇", "双桥村", "330411001001", 80, 10, 30, 20, 2600, 2600, date(2024, 3, 6), None],
        [2, "王江泾镇", "虹阳村", "330411001002", 20, 5, 30, 20, 700, 700, date(2024, 3, 6), "补发"],
    ]
    write_xlsx(
        landing / "funds/2024/耕地保护补偿资金发放明细_2024.xlsx",
        {
            "南湖区": compensation_sheet(2024, nanhu, [150, 30, None, None, 5100, 5100, None, None]),
            "秀洲区": compensation_sheet(2024, xiuzhou, [100, 15, None, None, 3300, 3300, None, None]),
        },
        merges={"南湖区": ["A1:L1"], "秀洲区": ["A1:L1"]},
    )
    return landing


def _materialize_raw_records(landing: Path, warehouse: Path) -> dg.ExecuteInProcessResult:
    resource = WarehouseResource(warehouse=str(warehouse), landing=str(landing))
    return dg.materialize(RAW_RECORD_ASSETS, resources={"farmland": resource}, raise_on_error=False)


def _quarantine_like_the_rule_runner(warehouse: Path) -> None:
    """A rule-runner reject of the 南湖区 sheet's row 4, written as quality.runner.quarantine writes one."""
    con = connect(warehouse)
    try:
        con.execute(
            """INSERT INTO raw.rejects (source_file, source_row, layer, rule_id, reason, record, file_sha256,
                                        rejected_at, rejected_by)
               SELECT r._source_file, r._source_row, 'compensation_payments', 'DQ12', 'test quarantine',
                      to_json(r), r._file_sha256, now(), 'rule_runner'
               FROM raw.compensation_payments AS r
               WHERE r._sheet = '南湖区' AND r._source_row = 4"""
        )
    finally:
        con.close()


def _dbt_build(warehouse: Path, scratch: Path) -> None:
    env = {
        **os.environ,
        **WarehouseResource(warehouse=str(warehouse)).dbt_profile_env(),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt) if dbt.exists() else "dbt",
        "build",
        "--profiles-dir", str(TRANSFORMS_DIR),
        "--project-dir", str(TRANSFORMS_DIR),
        # Artifacts and logs of this private build stay out of transforms/target (Dagster's manifest).
        "--target-path", str(scratch / "target"),
        "--log-path", str(scratch / "logs"),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, env=env, capture_output=True, text=True)
    assert completed.returncode == 0, f"dbt build failed:\n{completed.stdout[-6000:]}\n{completed.stderr}"


@pytest.fixture(scope="module")
def record_build(tmp_path_factory: pytest.TempPathFactory) -> RecordBuild:
    root = tmp_path_factory.mktemp("personal")
    landing = _landing(root)
    warehouse = root / "farmland.duckdb"
    result = _materialize_raw_records(landing, warehouse)
    assert result.success  # row rejects do not refuse a file; stats/ and the other kinds are not delivered
    _quarantine_like_the_rule_runner(warehouse)
    _dbt_build(warehouse, root / "dbt")
    published = root / "farmland_published.duckdb"
    publish(warehouse, published)
    return RecordBuild(landing, warehouse, published)


def _relations(
    con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] | None
) -> dict[tuple[str, str], list]:
    """(schema, table or view) -> [(column, data type)] of the current database's relations in `schemas`."""
    rows = con.execute(
        "SELECT schema_name, table_name, column_name, data_type FROM duckdb_columns() "
        "WHERE database_name = current_database() AND NOT internal "
        "ORDER BY schema_name, table_name, column_index"
    ).fetchall()
    relations: dict[tuple[str, str], list] = {}
    for schema, table, column, data_type in rows:
        if schemas is None or schema in schemas:
            relations.setdefault((schema, table), []).append((column, data_type))
    return relations


def _holding(con: duckdb.DuckDBPyConnection, schemas: tuple[str, ...] | None) -> list[str]:
    """Every `schema.table.column` some value of which contains a personal value."""
    found = []
    for (schema, table), columns in _relations(con, schemas).items():
        for column, _ in columns:
            quoted = '"' + column.replace('"', '""') + '"'
            hits = con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" '
                f"WHERE list_bool_or([contains(CAST({quoted} AS VARCHAR), s) FOR s IN ?])",
                [list(SECRETS)],
            ).fetchone()[0]
            if hits:
                found.append(f"{schema}.{table}.{column}")
    return found


def _named_like_personal(relations: dict[tuple[str, str], list]) -> list[str]:
    found = []
    for (schema, table), columns in relations.items():
        for column, data_type in columns:
            tokens = set(re.split(r"[^0-9a-z]+", column.lower()))
            personal = (
                column in PERSONAL_FIELDS
                or PERSONAL_CHINESE.search(column)
                or tokens & PERSONAL_TOKENS
                or column.lower() in {"name", "full_name", "chief_name", "payer_name"}
            )
            if personal and not (column == "has_contact" and data_type == "BOOLEAN"):
                found.append(f"{schema}.{table}.{column}")
    return found


# ------------------------------------------------------------------------------------------ personal data


def test_the_personal_values_were_delivered_and_stay_in_raw(record_build: RecordBuild) -> None:
    con = connect(record_build.warehouse, read_only=True)
    try:
        chiefs = con.sql("SELECT 姓名, 联系电话 FROM raw.field_chiefs ORDER BY _source_row").fetchall()
        payers = con.sql("SELECT 缴款单位 FROM raw.reclamation_fees ORDER BY _source_row").fetchall()
        rejected = con.sql("SELECT count(*) FROM raw.rejects WHERE rejected_by = 'extractor'").fetchone()[0]
    finally:
        con.close()
    # The checks below look for these very values: they must really be in the warehouse.
    assert chiefs == [(NAMES[1], PHONES[1]), (NAMES[0], PHONES[0]), (NAMES[2], None)]
    assert payers == [(PAYERS[0],), (PAYERS[1],)]
    assert rejected == 2  # one roster row, one fee row: their records are masked by the extractor


def test_no_analyst_facing_table_or_view_holds_a_personal_value(record_build: RecordBuild) -> None:
    con = connect(record_build.warehouse, read_only=True)
    try:
        relations = _relations(con, ANALYST_SCHEMAS)
        found = _holding(con, ANALYST_SCHEMAS)
        in_raw = _holding(con, ("raw",))
    finally:
        con.close()
    assert ("staging", "stg_records__field_chiefs") in relations
    assert ("staging", "stg_records__reclamation_fees") in relations
    assert {"marts", "intermediate", "quality", "reference"} <= {schema for schema, _ in relations}
    assert found == []
    # The scan does find them where they are allowed to be.
    assert RAW_PERSONAL_COLUMNS <= set(in_raw)


def test_no_analyst_facing_column_is_named_like_a_personal_field(record_build: RecordBuild) -> None:
    con = connect(record_build.warehouse, read_only=True)
    try:
        relations = _relations(con, ANALYST_SCHEMAS)
        raw = _relations(con, ("raw",))
    finally:
        con.close()
    assert _named_like_personal(relations) == []
    # The name check does recognise the raw personal columns.
    assert RAW_PERSONAL_COLUMNS <= set(_named_like_personal(raw))


def test_the_published_snapshot_holds_no_personal_data(record_build: RecordBuild) -> None:
    con = connect(record_build.published, read_only=True)
    try:
        relations = _relations(con, None)
        found = _holding(con, None)
    finally:
        con.close()
    assert relations and "raw" not in {schema for schema, _ in relations}
    assert found == []
    assert _named_like_personal(relations) == []


# ----------------------------------------------------------------------------------- record staging


def test_the_roster_keeps_level_unit_date_and_whether_a_phone_was_given(record_build: RecordBuild) -> None:
    con = connect(record_build.warehouse, read_only=True)
    try:
        rows = con.sql(
            "SELECT admin_level, admin_code, county_code, county_name, township_code, village_code, "
            "appointed_on, has_contact, source_row FROM staging.stg_records__field_chiefs ORDER BY source_row"
        ).fetchall()
    finally:
        con.close()
    assert rows == [
        ("county", "330402", "330402", "南湖区", None, None, date(2023, 1, 10), True, 2),
        ("village", "330402001001", "330402", "南湖区", "330402001", "330402001001",
         date(2023, 1, 15), True, 3),
        ("village", "330402001002", "330402", "南湖区", "330402001", "330402001002",
         date(2023, 2, 1), False, 4),
    ]  # fmt: skip


def test_the_fee_ledger_keeps_payments_without_the_payer(record_build: RecordBuild) -> None:
    con = connect(record_build.warehouse, read_only=True)
    try:
        columns = [r[0] for r in con.sql("DESCRIBE staging.stg_records__reclamation_fees").fetchall()]
        rows = con.sql(
            "SELECT payment_no, approval_no, amount_yuan, paid_on, year "
            "FROM staging.stg_records__reclamation_fees ORDER BY payment_no"
        ).fetchall()
    finally:
        con.close()
    assert columns[:5] == ["payment_no", "approval_no", "amount_yuan", "paid_on", "year"]
    assert [(r[0], r[1], float(r[2]), r[3], r[4]) for r in rows] == [
        ("JK-1", "浙土字[2024]1号", 100000.0, date(2024, 3, 5), 2024),
        ("JK-2", "浙土字[2024]2号", 2500.5, date(2024, 3, 6), 2024),
    ]


def test_a_workbook_reject_leaves_out_its_own_sheets_row_only(record_build: RecordBuild) -> None:
    con = connect(record_build.warehouse, read_only=True)
    try:
        rows = con.sql(
            "SELECT sheet, source_row, county_code, village_code, pbf_area_mu, pbf_area_m2, amount_paid_yuan "
            "FROM staging.stg_records__compensation_payments ORDER BY sheet, source_row"
        ).fetchall()
    finally:
        con.close()
    # 南湖区 row 4 is quarantined; 秀洲区 row 4 (same file, same row number) is not.
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("南湖区", 5, "330402", "330402001002"),
        ("秀洲区", 4, "330411", "330411001001"),
        ("秀洲区", 5, "330411", "330411001002"),
    ]
    # 亩 as delivered and m² = 亩 / 0.0015: 50 亩 = 33 333.33 m².
    assert (float(rows[0][4]), float(rows[0][5]), float(rows[0][6])) == (50.0, 33333.33, 1700.0)


# ------------------------------------------------------------------------------------------- Dagster


def test_every_record_kind_is_an_unpartitioned_raw_asset_feeding_its_staging_model() -> None:
    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for kind in RECORD_KINDS:
        key = dg.AssetKey(["raw", kind.table])
        assert key in keys and key in RAW_RECORD_KEYS
        node = graph.get(key)
        assert node.is_materializable and node.partitions_def is None and node.group_name == "raw"
        staging = graph.get(dg.AssetKey(["staging", f"stg_records__{kind.table}"]))
        assert {key, dg.AssetKey(["raw", "rejects"])} <= set(staging.parent_keys)


def test_record_assets_succeed_on_a_landing_without_records(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    (landing / "survey/2024").mkdir(parents=True)
    result = _materialize_raw_records(landing, tmp_path / "farmland.duckdb")
    assert result.success
    materialized = result.get_asset_materialization_events()
    assert len(materialized) == len(RECORD_KINDS)
    for event in materialized:
        assert event.materialization.metadata["dagster/row_count"].value == 0


def test_a_refused_roster_fails_its_asset_without_quoting_personal_data(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    headerless = [["村", "330402001001", NAMES[0], PHONES[0], "2023/1/15"]]
    write_csv(landing / "projects/田长名册.csv", headerless, "gbk")
    fees = [FEE_HEADER, ["JK-1", "浙土字[2024]1号", PAYERS[0], "100", "2024-03-05"]]
    write_csv(landing / "funds/2024/耕地开垦费缴纳_2024.csv", fees, "gbk")

    result = _materialize_raw_records(landing, tmp_path / "farmland.duckdb")

    assert not result.success
    failures = {e.step_key: e.step_failure_data for e in result.all_events if e.is_step_failure}
    assert list(failures) == ["raw__field_chiefs"]  # the other kinds, the fee ledger among them, load
    failure = failures["raw__field_chiefs"]
    text = f"{failure.user_failure_data.description} {failure.user_failure_data.metadata}"
    assert "projects/田长名册.csv" in text and "no header row" in text
    for secret in SECRETS:
        assert secret not in text
    con = connect(tmp_path / "farmland.duckdb", read_only=True)
    try:
        assert con.sql("SELECT 缴款编号 FROM raw.reclamation_fees").fetchall() == [("JK-1",)]
    finally:
        con.close()


# ------------------------------------------------------------------- what leaves the warehouse, on the demo


def _delivered_personal_values(landing: Path) -> set[str]:
    """The demo's personal values, read from its delivered files: each 田长's phone and (three characters
    or more, so as not to match a place name) name, and each fee payer."""
    import csv

    def rows(path: Path) -> list[dict[str, str]]:
        raw = path.read_bytes()
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                return list(csv.DictReader(raw.decode(encoding).splitlines()))
            except UnicodeDecodeError:
                continue
        raise AssertionError(f"{path} is in neither UTF-8 nor GB18030")

    values: set[str] = set()
    for row in rows(landing / "projects" / "田长名册.csv"):
        values |= {v for v in (row["联系电话"], row["姓名"]) if v and len(v) >= 3}
    for ledger in landing.glob("funds/*/耕地开垦费缴纳_*.csv"):
        values |= {row["缴款单位"] for row in rows(ledger) if row["缴款单位"]}
    return values


def _texts_of_exports(folder: Path) -> dict[str, str]:
    """Every text a reader of the snapshot's exports sees, per file: the report pages, the workbooks'
    cells, the map layers' attributes."""
    import zipfile

    import pyarrow.parquet as pq
    import pyogrio

    texts: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        if path.suffix == ".html":
            texts[path.name] = path.read_text(encoding="utf-8")
        elif path.suffix == ".xlsx":
            with zipfile.ZipFile(path) as book:
                texts[path.name] = "".join(book.read(part).decode("utf-8") for part in book.namelist())
        elif path.suffix == ".parquet":
            texts[path.name] = repr(pq.read_table(path).drop_columns(["geom"]).to_pylist())
        elif path.suffix == ".gpkg":
            texts[path.name] = repr(pyogrio.read_arrow(path, read_geometry=False)[1].to_pylist())
    return texts


def test_no_report_workbook_or_map_layer_holds_personal_data(demo_build) -> None:
    from warehouse.map_exports import maps_folder
    from warehouse.report import reports_folder

    personal = _delivered_personal_values(demo_build.landing)
    assert len(personal) > 100, "the demo's roster and fee ledgers should name many people"
    texts = {}
    for folder in (reports_folder(demo_build.published), maps_folder(demo_build.published)):
        texts |= _texts_of_exports(folder)
    assert any(name.endswith(".html") for name in texts) and any(name.endswith(".gpkg") for name in texts)
    found = sorted({(name, value) for name, text in texts.items() for value in personal if value in text})
    assert found == []


def test_the_dagster_event_log_and_captured_output_hold_no_personal_data(demo_build) -> None:
    """What the run recorded in the Dagster instance an operator opens: its events with their metadata,
    and the output captured from its steps (everything under the instance's folder)."""
    import json

    personal = _delivered_personal_values(demo_build.landing)
    with dg.DagsterInstance.get() as instance:
        events = [repr(record) for record in instance.all_logs(demo_build.result.run_id)]
        home = Path(instance.root_directory)
    assert len(events) > 100
    found = sorted({value for text in events for value in personal if value in text})
    assert found == [], found
    # the stored forms: UTF-8 text, and JSON with its non-ASCII escaped
    forms = {value: (value.encode(), json.dumps(value)[1:-1].encode()) for value in personal}
    stored = []
    for path in (p for p in home.rglob("*") if p.is_file()):
        content = path.read_bytes()
        stored += [
            (str(path.relative_to(home)), value)
            for value, encodings in forms.items()
            if any(encoded in content for encoded in encodings)
        ]
    assert stored == []


def test_the_build_log_holds_no_personal_data(demo_build) -> None:
    """The log file `farmland build` writes beside the warehouse: every Dagster event of the run, dbt's
    lines, the loaders' and rule runner's messages."""
    personal = _delivered_personal_values(demo_build.landing)
    text = demo_build.log.read_text(encoding="utf-8")
    # the whole log: the records' loads, dbt's models and the rules' steps are in it
    assert 'Started execution of step "raw__field_chiefs"' in text and "survey_models" in text
    assert len(text.splitlines()) > 500
    found = sorted(value for value in personal if value in text)
    assert found == []
