"""Loading the tabular record deliveries (CSV, workbooks, the works JSON) into the raw tables.

Every fixture is written here, byte for byte the way agency systems deliver it: GBK or UTF-8-with-BOM
CSVs, a workbook with a merged title row, a units row, the header on row 3 and a 合计 row.
"""

from __future__ import annotations

import csv
import io
import json
import logging
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from sources.demo.records.xlsx import write_xlsx
from sources.errors import DeliveryError
from sources.extract.records import (
    RecordLoadError,
    RecordsLoadError,
    discover_records,
    ensure_record_tables,
    load_all_records,
    load_records,
)
from sources.records import RECORD_KINDS, RECORD_KINDS_BY_TABLE, records_ddl
from sources.tabular import normalize_header, parse_date, read_records

COMPENSATION_HEADER = [
    "序号", "乡镇(街道)", "行政村", "村代码", "永久基本农田面积", "一般耕地面积",
    "永农补偿标准", "一般耕地补偿标准", "应发金额", "实发金额", "发放日期", "备注",
]  # fmt: skip
CASE_HEADER = [
    "案件编号", "发现来源", "发现日期", "县级行政区代码", "村代码", "问题类型", "占地面积(亩)",
    "其中耕地(亩)", "其中永久基本农田(亩)", "状态", "整改完成日期", "销号日期",
]  # fmt: skip
LINK_HEADER = [
    "挂钩编号",
    "批准文号",
    "补充项目编号",
    "挂钩日期",
    "数量指标(亩)",
    "水田指标(亩)",
    "产能指标(公斤)",
]
ROSTER_HEADER = ["层级", "行政区代码", "姓名", "联系电话", "任职日期"]
FEE_HEADER = ["缴款编号", "批准文号", "缴款单位", "缴款金额(元)", "缴款日期"]

# Personal data the tests plant and then look for where it must not be.
NAME, PHONE, PAYER = "欧阳明月", "13912345678", "嘉兴禾丰置业有限公司"


# ------------------------------------------------------------------------------------------------ helpers


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect(":memory:")
    ensure_record_tables(connection)
    yield connection
    connection.close()


def write_csv(path: Path, rows: list[list], encoding: str = "utf-8") -> Path:
    """A CSV as agency systems write it: CRLF line ends, in the given encoding (gbk, utf-8-sig …)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def compensation_sheet(year: int, villages: list[list], total: list | None) -> list[list]:
    """Title (merged A1:L1), units row, header on row 3, village rows, then the 合计 row."""
    rows = [[f"{year}年度耕地保护补偿资金发放明细表"], ["单位：亩、元"], COMPENSATION_HEADER, *villages]
    if total is not None:
        rows.append(["合计", None, None, None, *total])
    return rows


def rows_of(con: duckdb.DuckDBPyConnection, sql: str, *params) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


def rejects(con: duckdb.DuckDBPyConnection, layer: str) -> list[dict]:
    found = con.execute(
        "SELECT source_file, source_row, rule_id, reason, record, rejected_by FROM raw.rejects "
        "WHERE layer = ? ORDER BY source_file, source_row NULLS FIRST",
        [layer],
    ).fetchall()
    keys = ("source_file", "source_row", "rule_id", "reason", "record", "rejected_by")
    return [dict(zip(keys, (*r[:4], json.loads(r[4]) if r[4] else None, r[5]), strict=True)) for r in found]


def case_row(number: str, found: str = "2024-03-05", area: str = "1.5") -> list[str]:
    return [
        number,
        "卫片执法",
        found,
        "330402",
        "330402001001",
        "耕地上挖湖造景",
        area,
        "1.2",
        "0.5",
        "立案",
        "",
        "",
    ]


# ------------------------------------------------------------------------------------------- encodings


def test_gbk_csv_loads_with_chinese_values_intact(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    write_csv(
        landing / "projects/违法用地案件.csv",
        [CASE_HEADER, case_row("WF2024-001"), case_row("WF2024-002", "2024/3/6", "1,234.50")],
        encoding="gbk",
    )

    report = load_records(con, landing, "enforcement_cases")

    rows = rows_of(
        con,
        'SELECT 案件编号, 发现来源, 发现日期, 问题类型, "占地面积(亩)", _source_file, _source_row '
        "FROM raw.enforcement_cases ORDER BY _source_row",
    )
    assert (report.files_loaded, report.rows_loaded, report.rows_rejected) == (1, 2, 0)
    assert rows == [
        ("WF2024-001", "卫片执法", date(2024, 3, 5), "耕地上挖湖造景", 1.5, "projects/违法用地案件.csv", 2),
        (
            "WF2024-002",
            "卫片执法",
            date(2024, 3, 6),
            "耕地上挖湖造景",
            1234.5,
            "projects/违法用地案件.csv",
            3,
        ),
    ]


def test_utf8_bom_csv_loads_without_the_bom_in_its_first_header(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    write_csv(
        landing / "projects/田长名册.csv",
        [ROSTER_HEADER, ["村", "330402001001", NAME, PHONE, "2023年1月15日"]],
        encoding="utf-8-sig",
    )

    load_records(con, landing, "field_chiefs")

    assert rows_of(con, "SELECT 层级, 行政区代码, 姓名, 联系电话, 任职日期 FROM raw.field_chiefs") == [
        ("村", "330402001001", NAME, PHONE, date(2023, 1, 15))
    ]


def _csv_text(rows: list[list[str]]) -> str:
    return "\r\n".join(",".join(r) for r in rows) + "\r\n"


def _latin1_mojibake(text: str) -> bytes:
    """UTF-8 text opened as Latin-1 and saved again as UTF-8: valid UTF-8, unreadable Chinese."""
    return text.encode("utf-8").decode("latin-1").encode("utf-8")


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(lambda rows: _latin1_mojibake(_csv_text(rows)), id="latin1-mojibake"),
        # A Japanese system's export (Shift-JIS): GB18030 "decodes" it into rare characters.
        pytest.param(
            lambda rows: _csv_text([["案件番号", "発見日付", "状態"], ["A1", "2024-03-05", "立案"]]).encode(
                "cp932"
            ),
            id="shift-jis",
        ),
    ],
)
def test_mojibake_csv_is_refused_and_the_rest_of_the_folder_loads(tmp_path: Path, con, content) -> None:
    landing = tmp_path / "landing"
    bad = landing / "projects/违法用地案件.csv"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content([CASE_HEADER, case_row("WF2024-001")]))
    write_csv(
        landing / "projects/占补挂钩.csv",
        [LINK_HEADER, ["GG-1", "浙土字[2024]1号", "BC-1", "2024-03-05", "1", "1", "600"]],
    )

    with pytest.raises(RecordsLoadError) as raised:
        load_all_records(con, landing)

    assert "违法用地案件.csv" in str(raised.value) and "encoding" in str(raised.value)
    assert rows_of(con, "SELECT count(*) FROM raw.enforcement_cases") == [(0,)]
    assert rows_of(con, "SELECT 挂钩编号, 挂钩日期 FROM raw.quota_links") == [("GG-1", date(2024, 3, 5))]
    [reject] = rejects(con, "enforcement_cases")
    assert reject["source_file"] == "projects/违法用地案件.csv"
    assert (reject["source_row"], reject["rule_id"], reject["rejected_by"]) == (None, "LOAD", "extractor")
    assert (
        "违法用地案件.csv" in reject["reason"]
        and "cannot determine the character encoding" in reject["reason"]
    )
    failed = {f.source_file: f.status for r in raised.value.reports for f in r.files}
    assert failed == {"projects/违法用地案件.csv": "failed", "projects/占补挂钩.csv": "loaded"}


@pytest.mark.parametrize(("true", "read_as"), [("utf-8", "gbk"), ("utf-8", "latin-1"), ("gbk", "cp1252")])
def test_mojibake_values_under_a_clean_header_are_refused(tmp_path: Path, con, true, read_as) -> None:
    landing = tmp_path / "landing"
    row = case_row("WF2024-001")
    # the exporting system misread the 问题类型 values, then wrote the file as clean UTF-8
    row = [
        cell.encode(true).decode(read_as, errors="replace") if cell == "耕地上挖湖造景" else cell
        for cell in row
    ]
    write_csv(landing / "projects/违法用地案件.csv", [CASE_HEADER, row])

    with pytest.raises(RecordsLoadError) as raised:
        load_all_records(con, landing)

    [reject] = rejects(con, "enforcement_cases")
    assert "违法用地案件.csv" in str(raised.value) and reject["rule_id"] == "LOAD"
    assert "mojibake" in reject["reason"] and "问题类型" in reject["reason"]
    assert rows_of(con, "SELECT count(*) FROM raw.enforcement_cases") == [(0,)]


def test_an_unknown_header_is_refused_naming_the_file_and_the_header(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    header = [h if h != "占地面积(亩)" else "占地面积（平方米）" for h in CASE_HEADER]
    write_csv(landing / "projects/违法用地案件.csv", [header, case_row("WF2024-001")], encoding="gbk")

    with pytest.raises(DeliveryError) as raised:
        load_records(con, landing, "enforcement_cases")

    message = str(raised.value)
    assert "projects/违法用地案件.csv" in message
    assert "unknown header '占地面积（平方米）'" in message and "missing header(s) 占地面积(亩)" in message


def test_full_width_parentheses_and_a_title_line_above_the_header_are_accepted(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    header = [h.replace("(", "（").replace(")", "）") for h in LINK_HEADER]
    write_csv(
        landing / "projects/占补挂钩.csv",
        [
            ["占补挂钩台账（导出时间：2024-04-01）"],
            header,
            ["GG-1", "浙土字[2024]1号", "BC-1", "2024/3/5", "1", "0.5", "600"],
        ],
        encoding="gbk",
    )

    load_records(con, landing, "quota_links")

    assert rows_of(con, 'SELECT "水田指标(亩)", _source_row FROM raw.quota_links') == [(0.5, 3)]
    assert normalize_header(" 数量指标\n（亩） ") == "数量指标(亩)"


# ---------------------------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "value", ["2024-03-05", "2024/3/5", "2024年3月5日", "45356", "45356.0", "2024-03-05 00:00:00"]
)
def test_every_delivered_date_spelling_reads_the_same(value: str) -> None:
    assert parse_date(value) == date(2024, 3, 5)


@pytest.mark.parametrize("value", ["05-03-2024", "2024年13月1日", "2024-02-30", "20240305", "2024", "明年"])
def test_other_date_spellings_are_not_dates(value: str) -> None:
    assert parse_date(value) is None


def test_an_unreadable_date_rejects_its_row_naming_field_and_value(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    dates = ["2024-03-05", "2024/3/5", "2024年3月5日", "45356", "05-03-2024", "2024年13月1日"]
    write_csv(
        landing / "projects/占补挂钩.csv",
        [LINK_HEADER]
        + [[f"GG-{i}", "浙土字[2024]1号", "BC-1", d, "1", "1", "600"] for i, d in enumerate(dates)],
    )

    report = load_records(con, landing, "quota_links")  # row rejects do not refuse the file

    loaded = rows_of(con, "SELECT 挂钩编号, 挂钩日期, _source_row FROM raw.quota_links ORDER BY _source_row")
    assert loaded == [(f"GG-{i}", date(2024, 3, 5), i + 2) for i in range(4)]
    found = rejects(con, "quota_links")
    assert [(r["source_row"], r["rule_id"]) for r in found] == [(6, "LOAD"), (7, "LOAD")]
    assert found[0]["reason"].startswith("挂钩日期: cannot read '05-03-2024' as a date")
    assert "挂钩日期: cannot read '2024年13月1日'" in found[1]["reason"]
    assert found[0]["record"]["挂钩编号"] == "GG-4" and found[0]["record"]["挂钩日期"] == "05-03-2024"
    assert (report.rows_loaded, report.rows_rejected, report.files_failed) == (4, 2, 0)


def test_wrong_field_counts_reject_the_row_and_line_numbers_follow_the_file(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    path = landing / "projects/占补挂钩.csv"
    path.parent.mkdir(parents=True)
    text = (
        ",".join(LINK_HEADER) + "\r\n"
        'GG-1,"浙土字\r\n[2024]1号",BC-1,2024-03-05,1,1,600\r\n'  # a quoted line break: one record, two lines
        "\r\n"  # a blank line: layout, not data
        "GG-2,浙土字[2024]2号,BC-2,2024-03-05,1,1\r\n"  # one field short
        "GG-3,浙土字[2024]3号,BC-3,2024-03-05,1,1,600,多余\r\n"  # one field too many
        "GG-4,浙土字[2024]4号,BC-4,2024-03-05,1,1,600,,\r\n"  # trailing empty fields are no extra data
    )  # fmt: skip
    path.write_bytes(text.encode("gbk"))

    load_records(con, landing, "quota_links")

    assert rows_of(con, "SELECT 挂钩编号, _source_row FROM raw.quota_links ORDER BY 1") == [
        ("GG-1", 2),
        ("GG-4", 7),
    ]
    assert [(r["source_row"], r["reason"]) for r in rejects(con, "quota_links")] == [
        (5, "line 5 has 6 fields, the header has 7"),
        (6, "line 6 has 8 fields, the header has 7"),
    ]


# ------------------------------------------------------------------------------------------- workbooks


def _good_villages() -> list[list]:
    return [
        [1, "余新镇", "金星村", 330402001001, 100.5, 20.25, 30, 20, 3420.0, 3420.0, date(2024, 3, 5), None],
        [2, "余新镇", "新丰村", "330402001002", 50, 10, 30, 20, 1700, 1700, "2024/3/5", "补发"],
        [None] * 12,  # a blank spacer row
        [3, "凤桥镇", "三星村", 330402002001, 0.1, 0.2, 30, 20, 7, 7, 45356, None],
    ]


def test_compensation_workbook_checks_and_drops_the_total_row_per_sheet(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    bad_villages = [
        [1, "王江泾镇", "双桥村", 330411001001, 80, 10, 30, 20, 2600, 2600, "2024-03-05", None],
        [2, "王江泾镇", "虹阳村", 330411001002, 20, 5, 30, 20, 700, 700, "2024-03-05", None],
    ]
    write_xlsx(
        landing / "funds/2024/耕地保护补偿资金发放明细_2024.xlsx",
        {
            "南湖区": compensation_sheet(
                2024, _good_villages(), [150.6, 30.45, None, None, 5127, 5127, None, None]
            ),
            # 应发金额 says 3400 while the rows sum to 3300.
            "秀洲区": compensation_sheet(2024, bad_villages, [100, 15, None, None, 3400, 3300, None, None]),
        },
        merges={"南湖区": ["A1:L1"], "秀洲区": ["A1:L1"]},
    )

    with pytest.raises(RecordLoadError) as raised:
        load_records(con, landing, "compensation_payments")

    rows = rows_of(
        con,
        "SELECT 序号, 行政村, 村代码, 永久基本农田面积, 实发金额, 发放日期, _sheet, _year, _source_row "
        "FROM raw.compensation_payments ORDER BY _source_row",
    )
    assert rows == [
        (1, "金星村", "330402001001", 100.5, 3420.0, date(2024, 3, 5), "南湖区", 2024, 4),
        (2, "新丰村", "330402001002", 50.0, 1700.0, date(2024, 3, 5), "南湖区", 2024, 5),
        (3, "三星村", "330402002001", 0.1, 7.0, date(2024, 3, 5), "南湖区", 2024, 7),
    ]  # the 合计 row (row 8) is not a village
    [reject] = rejects(con, "compensation_payments")
    assert reject["source_row"] is None and reject["record"] == {"_sheet": "秀洲区"}
    assert (
        "秀洲区" in reject["reason"]
        and "应发金额: 合计 3400.00 but the rows sum to 3300.00" in reject["reason"]
    )
    assert "实发金额" not in reject["reason"]  # only the column that disagrees is named
    assert "秀洲区" in str(raised.value)
    report = raised.value.report
    assert (report.rows_loaded, report.rows_rejected, report.files[0].status) == (3, 2, "loaded")


def test_a_sheet_without_its_total_row_is_refused(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    write_xlsx(
        landing / "funds/2024/耕地保护补偿资金发放明细_2024.xlsx",
        {"南湖区": compensation_sheet(2024, _good_villages(), None)},
    )
    with pytest.raises(RecordLoadError, match="no 合计 row"):
        load_records(con, landing, "compensation_payments")
    assert rows_of(con, "SELECT count(*) FROM raw.compensation_payments") == [(0,)]


def test_a_sheet_with_values_under_no_header_is_refused_and_the_others_load(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    stray = compensation_sheet(2024, _good_villages(), [150.6, 30.45, None, None, 5127, 5127, None, None])
    stray[3] = [*stray[3], None, "已核实"]  # a note two columns right of 备注, under no header
    wrapped = compensation_sheet(2024, _good_villages(), [150.6, 30.45, None, None, 5127, 5127, None, None])
    wrapped[2] = [h.replace("面积", "\n面积").replace("(", "（").replace(")", "）") for h in wrapped[2]]
    write_xlsx(
        landing / "funds/2024/耕地保护补偿资金发放明细_2024.xlsx", {"南湖区": wrapped, "秀洲区": stray}
    )

    with pytest.raises(
        RecordLoadError, match="values in a column without a header \\(the column after 备注\\)"
    ):
        load_records(con, landing, "compensation_payments")

    assert rows_of(con, "SELECT DISTINCT _sheet FROM raw.compensation_payments") == [("南湖区",)]


def test_land_supply_header_is_found_below_a_title(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    kind = RECORD_KINDS_BY_TABLE["land_supply"]
    header = list(kind.columns)
    write_xlsx(
        landing / "stats/2024/土地供应统计_2024.xlsx",
        {
            "Sheet1": [
                ["2024年度土地供应统计表"],
                header,
                ["330402", 1200.5, 800, 400.5, 30, 10, 200, 50, 60000, 950.3],
                [330411, 900, 500, 400, 20, 5, 100, 40, 50000, 820.1],
            ],
            "说明": [],  # an empty sheet is ignored
        },
    )

    load_records(con, landing, "land_supply")

    assert rows_of(
        con,
        'SELECT 县级行政区代码, "供应总量(亩)", _sheet, _year, _source_row FROM raw.land_supply ORDER BY 1',
    ) == [("330402", 1200.5, "Sheet1", 2024, 3), ("330411", 900.0, "Sheet1", 2024, 4)]


# ------------------------------------------------------------------------------------------------- JSON


def test_works_json_flattens_the_plan_and_keeps_townships_as_json(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    works = [
        {
            "工程编号": "ZZ-2023-01",
            "工程名称": "凤桥镇全域土地综合整治",
            "县级行政区代码": "330402",
            "涉及乡镇": ["330402001", "330402002"],
            "状态": "实施",
            "立项日期": "2023年5月10日",
            "整体验收日期": None,
            "备案日期": 45000,
            "计划": {"永农集中连片整治亩": 1200, "高标准农田新建亩": 800.5, "补充耕地亩": 50},
            "总投资万元": 23000.5,
        },
        {"工程编号": "ZZ-2023-02", "工程名称": "新丰镇整治", "立项日期": "2023-13-01", "计划": {}},
    ]
    path = landing / "projects/土地综合整治工程.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps(works, ensure_ascii=False, indent=2), encoding="utf-8")

    report = load_records(con, landing, "consolidation_works")

    row = rows_of(
        con,
        'SELECT 工程编号, 涉及乡镇, 立项日期, 整体验收日期, 备案日期, "计划.永农集中连片整治亩", '
        '"计划.高标准农田新建亩", "计划.建设用地复垦亩", 总投资万元, _source_row '
        "FROM raw.consolidation_works",
    )
    assert row == [
        ("ZZ-2023-01", '["330402001","330402002"]', date(2023, 5, 10), None, date(2023, 3, 15),
         1200.0, 800.5, None, 23000.5, 1),
    ]  # fmt: skip
    [reject] = rejects(con, "consolidation_works")
    assert reject["source_row"] == 2 and "立项日期: cannot read '2023-13-01'" in reject["reason"]
    assert (report.rows_loaded, report.rows_rejected) == (1, 1)


def test_an_unknown_key_in_the_works_json_refuses_the_file(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    path = landing / "projects/土地综合整治工程.json"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps([{"工程编号": "ZZ-1", "计划": {"造林亩": 5}}], ensure_ascii=False), "utf-8")
    with pytest.raises(DeliveryError, match="unknown key"):
        load_records(con, landing, "consolidation_works")
    assert "'计划.造林亩'" in rejects(con, "consolidation_works")[0]["reason"]


# ------------------------------------------------------------------------------------- files and years


def test_monthly_progress_takes_its_year_from_the_file_name(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    kind = RECORD_KINDS_BY_TABLE["consolidation_progress"]
    header = list(kind.columns)
    write_csv(
        landing / "projects/整治工程月度进展_202403.csv",
        [header, ["ZZ-2023-01", "2024年3月", "600", "400", "0", "10", "20", "0", "12000"]],
        encoding="gbk",
    )
    load_records(con, landing, kind)
    assert rows_of(con, "SELECT 填报月份, _year FROM raw.consolidation_progress") == [
        (date(2024, 3, 1), 2024)
    ]


def test_a_file_whose_name_and_folder_disagree_on_the_year_is_refused(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    write_csv(
        landing / "funds/2023/耕地开垦费缴纳_2024.csv",
        [FEE_HEADER, ["JK-1", "浙土字[2024]1号", PAYER, "100", "2024-03-05"]],
        encoding="gbk",
    )
    with pytest.raises(DeliveryError, match="file name says 2024 but it was delivered in the 2023 folder"):
        load_records(con, landing, "reclamation_fees")
    assert rows_of(con, "SELECT count(*) FROM raw.reclamation_fees") == [(0,)]


def test_discovery_matches_exact_names_only(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    names = [
        "projects/违法用地案件.csv",
        "projects/违法用地案件(1).csv",
        "projects/~$田长名册.csv",
        "projects/补充耕地项目范围.gpkg",
        "funds/reference/耕地开垦费标准.csv",
        "funds/2024/新增耕地管护_2024.csv",
        "funds/新增耕地管护_2024.csv",
        "stats/2024/土地供应统计_2024.xlsx",
    ]
    for name in names:
        (landing / name).parent.mkdir(parents=True, exist_ok=True)
        (landing / name).write_bytes(b"")
    found = {(f.kind.table, f.source_file, f.year) for f in discover_records(landing)}
    assert found == {
        ("enforcement_cases", "projects/违法用地案件.csv", None),
        ("reclamation_fee_standards", "funds/reference/耕地开垦费标准.csv", None),
        ("farmland_maintenance", "funds/2024/新增耕地管护_2024.csv", 2024),
        ("land_supply", "stats/2024/土地供应统计_2024.xlsx", 2024),
    }


def test_loading_twice_changes_nothing_and_a_changed_or_removed_file_is_followed(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    path = write_csv(
        landing / "projects/违法用地案件.csv",
        [CASE_HEADER, case_row("WF-1"), case_row("WF-2", found="2024.3.5")],
        encoding="gbk",
    )
    load_records(con, landing, "enforcement_cases")
    before = rows_of(con, "SELECT * FROM raw.enforcement_cases ORDER BY _source_row")
    rejects_before = rows_of(con, "SELECT * FROM raw.rejects ORDER BY source_row")
    assert len(before) == 1 and len(rejects_before) == 1

    again = load_records(con, landing, "enforcement_cases")

    assert rows_of(con, "SELECT * FROM raw.enforcement_cases ORDER BY _source_row") == before
    assert rows_of(con, "SELECT * FROM raw.rejects ORDER BY source_row") == rejects_before
    assert (again.files_skipped, again.files_loaded, again.rows_loaded) == (1, 0, 0)

    write_csv(path, [CASE_HEADER, case_row("WF-1"), case_row("WF-2"), case_row("WF-3")], encoding="gbk")
    changed = load_records(con, landing, "enforcement_cases")
    assert (changed.files_replaced, changed.rows_loaded) == (1, 3)
    assert rows_of(con, "SELECT count(*) FROM raw.enforcement_cases") == [(3,)]
    assert rejects(con, "enforcement_cases") == []  # the earlier version's reject went with it

    path.unlink()
    gone = load_records(con, landing, "enforcement_cases")
    assert [f.source_file for f in gone.removed] == ["projects/违法用地案件.csv"]
    assert rows_of(con, "SELECT count(*) FROM raw.enforcement_cases") == [(0,)]


def test_an_unchanged_refused_workbook_is_reported_again(tmp_path: Path, con) -> None:
    landing = tmp_path / "landing"
    write_xlsx(
        landing / "funds/2024/耕地保护补偿资金发放明细_2024.xlsx",
        {"南湖区": compensation_sheet(2024, _good_villages(), [1, 1, None, None, 1, 1, None, None])},
    )
    with pytest.raises(RecordLoadError):
        load_records(con, landing, "compensation_payments")
    rejects_before = rows_of(con, "SELECT * FROM raw.rejects")
    with pytest.raises(RecordLoadError, match="南湖区"):
        load_records(con, landing, "compensation_payments")
    assert rows_of(con, "SELECT * FROM raw.rejects") == rejects_before


# ------------------------------------------------------------------------------------------ personal data


def test_personal_data_stays_in_raw_and_out_of_rejects_and_logs(
    tmp_path: Path, con, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    landing = tmp_path / "landing"
    write_csv(
        landing / "projects/田长名册.csv",
        [
            ROSTER_HEADER,
            ["村", "330402001001", NAME, PHONE, "2023/1/15"],
            ["村", "330402001002", NAME, PHONE, "15/01/2023"],
        ],
        encoding="gbk",
    )
    write_csv(
        landing / "funds/2024/耕地开垦费缴纳_2024.csv",
        [
            FEE_HEADER,
            ["JK-1", "浙土字[2024]1号", PAYER, "壹佰万元", "2024-03-05"],
            ["JK-2", "浙土字[2024]2号", PAYER, "100", "2024-03-05"],
        ],
        encoding="gbk",
    )
    load_all_records(con, landing)

    assert rows_of(con, "SELECT 姓名, 联系电话 FROM raw.field_chiefs") == [(NAME, PHONE)]
    assert rows_of(con, "SELECT 缴款单位 FROM raw.reclamation_fees") == [(PAYER,)]
    everything = " ".join(str(row) for row in rows_of(con, "SELECT * FROM raw.rejects"))
    for secret in (NAME, PHONE, PAYER):
        assert secret not in everything
        assert secret not in caplog.text
    roster = rejects(con, "field_chiefs")[0]
    assert roster["record"]["姓名"] == "***" and roster["record"]["联系电话"] == "***"
    assert "任职日期: cannot read '15/01/2023'" in roster["reason"]
    fee = rejects(con, "reclamation_fees")[0]
    assert fee["record"]["缴款单位"] == "***" and "缴款金额(元): cannot read '壹佰万元'" in fee["reason"]


def test_a_headerless_roster_is_refused_without_quoting_its_lines(tmp_path: Path, con, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    landing = tmp_path / "landing"
    write_csv(landing / "projects/田长名册.csv", [["村", "330402001001", NAME, PHONE, "2023/1/15"]], "gbk")

    with pytest.raises(DeliveryError) as raised:
        load_records(con, landing, "field_chiefs")

    assert "no header row" in str(raised.value)
    for text in (str(raised.value), caplog.text, str(rows_of(con, "SELECT * FROM raw.rejects"))):
        assert NAME not in text and PHONE not in text


# ---------------------------------------------------------------------------------------------- schema


def test_records_ddl_creates_every_raw_record_table() -> None:
    connection = duckdb.connect(":memory:")
    connection.execute("CREATE SCHEMA raw")
    connection.execute(records_ddl())
    connection.execute(records_ddl())  # IF NOT EXISTS: bootstrap may run it on every start
    tables = {r[0] for r in connection.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == {kind.table for kind in RECORD_KINDS}
    columns = [r[0] for r in connection.execute("DESCRIBE raw.compensation_payments").fetchall()]
    assert columns[:3] == ["序号", "乡镇(街道)", "行政村"]
    assert columns[-6:] == ["_source_file", "_source_row", "_loaded_at", "_file_sha256", "_sheet", "_year"]
    types = dict(connection.execute("SELECT column_name, data_type FROM duckdb_columns() "
                                    "WHERE table_name = 'consolidation_works'").fetchall())  # fmt: skip
    assert (types["涉及乡镇"], types["计划.补充耕地亩"], types["立项日期"]) == ("JSON", "DOUBLE", "DATE")


def test_read_records_gives_text_columns_and_file_line_numbers(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "田长名册.csv", [ROSTER_HEADER, ["县", "330402", NAME, PHONE, "2023/1/15"]], "gbk"
    )
    raw = read_records(path, RECORD_KINDS_BY_TABLE["field_chiefs"], "projects/田长名册.csv")
    assert raw.encoding == "GB18030"
    assert raw.frame.select("姓名", "_source_row").rows() == [(NAME, 2)]
