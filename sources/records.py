"""The tabular records a land bureau delivers (SOURCES.md §2–§4), as the warehouse's `raw` schema holds them.

Like `sources.layers` for the spatial layers: one entry per delivered file kind — where it lives in the
landing folder, how its file is named, its format, and its columns with their canonical types.

Raw column names are the delivered Chinese header text itself (it *is* the source's field name; the dbt
staging models rename to English), written the way SOURCES.md writes it: ASCII parentheses, no spaces.
Delivered headers are normalised to that form before matching (full-width （） → (), whitespace and line
breaks inside a header cell removed), so `新增耕地面积（亩）` lands in the column `新增耕地面积(亩)`.

The nested `计划` object of 土地综合整治工程.json is flattened into one DOUBLE column per item,
`计划.永农集中连片整治亩` …, because every item is a number the indicators sum; `涉及乡镇` (a list of
township codes of any length) stays a JSON array of strings.

dbt's `raw` source (transforms/models/staging/__sources.yml) mirrors these tables: see `sources.raw_schema`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sources.layers import DATE, INT, REAL, TEXT, create_table_ddl

JSON = "JSON"
# A reporting month (填报月份): delivered as 2024-03, 2024/3, 2024年3月, 202403 or a full date; stored as a
# DATE, the first day of the month, so that staging need not parse it again.
MONTH = "MONTH"

SQL_TYPES: dict[str, str] = {
    TEXT: "VARCHAR",
    INT: "BIGINT",
    REAL: "DOUBLE",
    DATE: "DATE",
    MONTH: "DATE",
    JSON: "JSON",
}

# Lineage columns every raw record table carries (`_sheet` / `_year` only where the kind has them).
RECORD_LINEAGE: dict[str, str] = {
    "_source_file": "VARCHAR",  # path relative to the landing folder
    "_source_row": "BIGINT",  # CSV line number (header = line 1), Excel row number, or JSON index + 1
    "_loaded_at": "TIMESTAMP",
    "_file_sha256": "VARCHAR",
}
SHEET_COLUMN = "_sheet"  # the workbook sheet a row came from (a county name in the compensation ledger)
YEAR_COLUMN = "_year"  # the <year> of the folder or file name

CSV, XLSX, JSON_FILE = "csv", "xlsx", "json"

PLAN_ITEMS = (
    "永农集中连片整治亩",
    "高标准农田新建亩",
    "高标准农田改造提升亩",
    "建设用地复垦亩",
    "补充耕地亩",
    "低效用地整治亩",
)
PLAN_PREFIX = "计划."


@dataclass(frozen=True)
class RecordKind:
    """A delivered record file kind: `projects/违法用地案件.csv` lands in `raw.enforcement_cases`.

    `folder` is relative to the landing folder and may hold `{year}` (a four-digit year folder);
    `file_pattern` is a regular expression for the whole file name whose optional `year` group (and
    `month` group) is read from the name. `table` doubles as the value of `raw.rejects.layer`.
    """

    table: str
    title_zh: str
    folder: str
    file_pattern: str
    format: str  # csv | xlsx | json
    columns: dict[str, str]  # canonical header -> type (TEXT, INT, REAL, DATE, MONTH, JSON)
    personal: frozenset[str] = frozenset()  # personal-data columns: loaded, never echoed in rejects/logs
    header_marker: str = ""  # workbooks: the header cell that identifies the header row
    # Workbooks: columns whose 合计 (total) row must equal the sum of the data rows, with the tolerance.
    totals: dict[str, float] = field(default_factory=dict)
    totals_required: bool = False  # a workbook sheet without a 合计 row is refused
    header_aliases: dict[str, str] = field(default_factory=dict)  # normalised delivered name -> canonical

    @property
    def has_sheet(self) -> bool:
        return self.format == XLSX

    @property
    def has_year(self) -> bool:
        return "{year}" in self.folder or "(?P<year>" in self.file_pattern

    @property
    def lineage(self) -> dict[str, str]:
        columns = dict(RECORD_LINEAGE)
        if self.has_sheet:
            columns[SHEET_COLUMN] = "VARCHAR"
        if self.has_year:
            columns[YEAR_COLUMN] = "INTEGER"
        return columns

    def match(self, name: str) -> re.Match[str] | None:
        """The file-name match (with the `year` group where the name carries it), or None."""
        return re.fullmatch(self.file_pattern, name)


_AREA, _MONEY = 0.01, 1.0  # 合计 tolerances: 0.01 亩 for areas, 1 元 for amounts

_APPROVAL_COLUMNS: dict[str, str] = {
    "批准文号": TEXT,
    "项目名称": TEXT,
    "用地类型": TEXT,
    "县级行政区代码": TEXT,
    "批准日期": DATE,
    "批准机关级别": TEXT,
    "占用耕地面积(亩)": REAL,
    "其中水田(亩)": REAL,
    "其中永久基本农田(亩)": REAL,
    "其中示范区(亩)": REAL,
    "占用耕地平均等别": REAL,  # an area-weighted average grade, so not an integer
    "承诺制": TEXT,
    "承诺兑现期限": DATE,
    "复垦期限": DATE,  # 临时用地 only
    "备案面积(亩)": REAL,  # 设施农业用地 only
}

RECORD_KINDS: tuple[RecordKind, ...] = (
    RecordKind(
        "consolidation_works",
        "土地综合整治工程",
        "projects",
        r"土地综合整治工程\.json",
        JSON_FILE,
        {
            "工程编号": TEXT,
            "工程名称": TEXT,
            "县级行政区代码": TEXT,
            "涉及乡镇": JSON,
            "状态": TEXT,
            "立项日期": DATE,
            "整体验收日期": DATE,
            "备案日期": DATE,
            **{PLAN_PREFIX + item: REAL for item in PLAN_ITEMS},
            "总投资万元": REAL,
        },
    ),
    RecordKind(
        "consolidation_progress",
        "整治工程月度进展",
        "projects",
        r"整治工程月度进展_(?P<year>\d{4})(?P<month>\d{2})\.csv",
        CSV,
        {
            "工程编号": TEXT,
            "填报月份": MONTH,
            # SOURCES.md: "each 计划 item as 累计完成(亩)": the item name without its 亩, then 累计完成(亩).
            **{item.removesuffix("亩") + "累计完成(亩)": REAL for item in PLAN_ITEMS},
            "累计完成投资(万元)": REAL,
        },
    ),
    RecordKind(
        "supplement_projects",
        "补充耕地项目",
        "projects",
        r"补充耕地项目\.csv",
        CSV,
        {
            "项目编号": TEXT,
            "项目名称": TEXT,
            "项目类型": TEXT,
            "县级行政区代码": TEXT,
            "立项日期": DATE,
            "验收日期": DATE,
            "入库日期": DATE,
            "新增耕地面积(亩)": REAL,
            "新增水田面积(亩)": REAL,
            "新增粮食产能(公斤)": REAL,
            "耕地等别": INT,
            "上划省统筹数量(亩)": REAL,
        },
    ),
    RecordKind("land_approvals", "建设用地审批", "projects", r"建设用地审批\.csv", CSV, _APPROVAL_COLUMNS),
    RecordKind(
        "quota_links",
        "占补挂钩",
        "projects",
        r"占补挂钩\.csv",
        CSV,
        {
            "挂钩编号": TEXT,
            "批准文号": TEXT,
            "补充项目编号": TEXT,
            "挂钩日期": DATE,
            "数量指标(亩)": REAL,
            "水田指标(亩)": REAL,
            "产能指标(公斤)": REAL,
        },
    ),
    RecordKind(
        "quota_trades",
        "指标调剂",
        "projects",
        r"指标调剂\.csv",
        CSV,
        {
            "交易编号": TEXT,
            "调出县代码": TEXT,
            "调入县代码": TEXT,
            "交易日期": DATE,
            "数量指标(亩)": REAL,
            "水田指标(亩)": REAL,
            "产能指标(公斤)": REAL,
            "成交单价(万元/亩)": REAL,
        },
    ),
    RecordKind(
        "enforcement_cases",
        "违法用地案件",
        "projects",
        r"违法用地案件\.csv",
        CSV,
        {
            "案件编号": TEXT,
            "发现来源": TEXT,
            "发现日期": DATE,
            "县级行政区代码": TEXT,
            "村代码": TEXT,
            "问题类型": TEXT,
            "占地面积(亩)": REAL,
            "其中耕地(亩)": REAL,
            "其中永久基本农田(亩)": REAL,
            "状态": TEXT,
            "整改完成日期": DATE,
            "销号日期": DATE,
        },
    ),
    RecordKind(
        "field_chiefs",
        "田长名册",
        "projects",
        r"田长名册\.csv",
        CSV,
        {"层级": TEXT, "行政区代码": TEXT, "姓名": TEXT, "联系电话": TEXT, "任职日期": DATE},
        personal=frozenset({"姓名", "联系电话"}),
    ),
    RecordKind(
        "compensation_payments",
        "耕地保护补偿资金发放明细",
        "funds/{year}",
        r"耕地保护补偿资金发放明细_(?P<year>\d{4})\.xlsx",
        XLSX,
        {
            "序号": INT,
            "乡镇(街道)": TEXT,
            "行政村": TEXT,
            "村代码": TEXT,
            "永久基本农田面积": REAL,
            "一般耕地面积": REAL,
            "永农补偿标准": REAL,  # 元/亩: a rate, so its 合计 cell (if any) is not a sum and is not checked
            "一般耕地补偿标准": REAL,
            "应发金额": REAL,
            "实发金额": REAL,
            "发放日期": DATE,
            "备注": TEXT,
        },
        header_marker="序号",
        totals={"永久基本农田面积": _AREA, "一般耕地面积": _AREA, "应发金额": _MONEY, "实发金额": _MONEY},
        totals_required=True,
    ),
    RecordKind(
        "reclamation_fees",
        "耕地开垦费缴纳",
        "funds/{year}",
        r"耕地开垦费缴纳_(?P<year>\d{4})\.csv",
        CSV,
        {"缴款编号": TEXT, "批准文号": TEXT, "缴款单位": TEXT, "缴款金额(元)": REAL, "缴款日期": DATE},
        personal=frozenset({"缴款单位"}),
    ),
    RecordKind(
        "farmland_maintenance",
        "新增耕地管护",
        "funds/{year}",
        r"新增耕地管护_(?P<year>\d{4})\.csv",
        CSV,
        {
            "项目编号": TEXT,
            "年度": INT,
            "管护面积(亩)": REAL,
            "管护资金(元)": REAL,
            "种植粮食季数": INT,
            "种植影像已上传": TEXT,
        },
    ),
    RecordKind(
        "reclamation_fee_standards",
        "耕地开垦费标准",
        "funds/reference",
        r"耕地开垦费标准\.csv",
        CSV,
        {"县级行政区代码": TEXT, "耕地等别": INT, "标准(元/亩)": REAL},
    ),
    RecordKind(
        "land_supply",
        "土地供应统计",
        "stats/{year}",
        r"土地供应统计_(?P<year>\d{4})\.xlsx",
        XLSX,
        {
            "县级行政区代码": TEXT,
            "供应总量(亩)": REAL,
            "其中新增建设用地(亩)": REAL,
            "其中存量建设用地(亩)": REAL,
            "闲置土地总量(亩)": REAL,
            "闲置土地处置量(亩)": REAL,
            "批而未供总量(亩)": REAL,
            "批而未供处置量(亩)": REAL,
            "建设用地总面积(亩)": REAL,
            "地区生产总值(亿元)": REAL,
        },
        header_marker="县级行政区代码",
        # Statistics sheets do not promise a 合计 row; when one is there it is checked like the ledger's.
        totals={
            **{
                name: _AREA
                for name in (
                    "供应总量(亩)",
                    "其中新增建设用地(亩)",
                    "其中存量建设用地(亩)",
                    "闲置土地总量(亩)",
                    "闲置土地处置量(亩)",
                    "批而未供总量(亩)",
                    "批而未供处置量(亩)",
                    "建设用地总面积(亩)",
                )
            },
            "地区生产总值(亿元)": 0.01,
        },  # fmt: skip
    ),
)

RECORD_KINDS_BY_TABLE: dict[str, RecordKind] = {kind.table: kind for kind in RECORD_KINDS}


def record_kind(name: str) -> RecordKind:
    """The kind for a raw table name (`enforcement_cases`) or a Chinese title (`违法用地案件`)."""
    for kind in RECORD_KINDS:
        if name in (kind.table, kind.title_zh):
            return kind
    raise KeyError(f"no record kind {name!r}; known: {', '.join(RECORD_KINDS_BY_TABLE)}")


def record_columns(kind: RecordKind) -> dict[str, str]:
    """The kind's raw table columns in order, name -> DuckDB type: delivered columns, then lineage."""
    return {**{name: SQL_TYPES[type_] for name, type_ in kind.columns.items()}, **kind.lineage}


def record_table_ddl(kind: RecordKind) -> str:
    """CREATE TABLE IF NOT EXISTS for one kind's raw table: delivered columns (Chinese names) + lineage."""
    return create_table_ddl(kind.table, record_columns(kind))


def records_ddl() -> str:
    """Every raw record table's CREATE TABLE IF NOT EXISTS, as one script (`con.execute(records_ddl())`).

    Expects the `raw` schema to exist (warehouse bootstrap creates it first).
    """
    return ";\n".join(record_table_ddl(kind) for kind in RECORD_KINDS) + ";\n"
