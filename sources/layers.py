"""The spatial layers a land bureau delivers, as the warehouse's `raw` schema holds them.

One entry per layer of SOURCES.md §1: where it lives in the landing folder, its canonical field
names (the 三调 database codes, upper case), their types, and the aliases older or newer standards use
for the same field. Extractors map aliases onto canonical names and cast to these types; the
warehouse creates every raw table from this list, so a landing folder that lacks a layer still builds.
dbt's `raw` source (transforms/models/staging/__sources.yml) mirrors these tables: see `sources.raw_schema`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# DuckDB types of canonical fields. Geometry is stored in a `geom` GEOMETRY column, not listed here.
TEXT = "VARCHAR"
INT = "BIGINT"
REAL = "DOUBLE"
DATE = "DATE"
GEOMETRY_COLUMN = "geom"

# Columns every raw table carries besides the layer's own fields.
LINEAGE_COLUMNS: dict[str, str] = {
    "_survey_year": "INTEGER",  # the <year> folder the file was delivered in
    "_source_file": "VARCHAR",  # path relative to the landing folder
    "_source_row": "BIGINT",  # 1-based feature number within the file's layer
    "_loaded_at": "TIMESTAMP",
    "_file_sha256": "VARCHAR",
}

_PARCEL_FIELDS: dict[str, str] = {
    "BSM": INT,
    "TBBH": TEXT,
    "DLBM": TEXT,
    "DLMC": TEXT,
    "QSXZ": TEXT,
    "QSDWDM": TEXT,
    "QSDWMC": TEXT,
    "ZLDWDM": TEXT,
    "ZLDWMC": TEXT,
    "TBMJ": REAL,
    "KCDLBM": TEXT,
    "KCXS": REAL,
    "KCMJ": REAL,
    "TBDLMJ": REAL,
    "GDLX": TEXT,
    "GDPDJB": TEXT,
    "TBXHDM": TEXT,
    "ZZSXDM": TEXT,
    "GDDB": INT,
    "CZCSXM": TEXT,
    "SJNF": INT,
}

# The before (BGQ) / after (BGH) copy of the parcel attributes in the change-process layer.
_CHANGE_ATTRIBUTES = [
    "DLBM", "DLMC", "QSXZ", "QSDWDM", "ZLDWDM", "ZLDWMC", "KCDLBM", "KCXS", "KCMJ", "TBDLMJ",
    "GDLX", "GDPDJB", "TBXHDM", "ZZSXDM", "GDDB", "CZCSXM",
]  # fmt: skip

_CHANGE_FIELDS: dict[str, str] = {
    "BSM": INT,
    "BGXW": TEXT,
    "BGQTBBSM": INT,
    "BGHTBBSM": INT,
    "BGQTBBH": TEXT,
    "BGHTBBH": TEXT,
    **{f"BGQ{a}": _PARCEL_FIELDS[a] for a in _CHANGE_ATTRIBUTES},
    **{f"BGH{a}": _PARCEL_FIELDS[a] for a in _CHANGE_ATTRIBUTES},
    "TBBGMJ": REAL,
    "XZQTZLX": TEXT,
    "GXSJ": DATE,
}


@dataclass(frozen=True)
class Layer:
    """A delivered spatial layer: `survey/<year>/DLTB.*` lands in `raw.<table>`."""

    code: str  # the layer name as delivered (DLTB, YJJBNT, …)
    folder: str  # survey | control
    table: str  # raw table name
    title_zh: str
    fields: dict[str, str]
    aliases: dict[str, str] = field(default_factory=dict)  # delivered name -> canonical name
    layer_aliases: tuple[str, ...] = ()  # other names the same layer is delivered under
    # Fields a figure or rule reads: a file lacking one (under its name or an alias) is refused by rule
    # DQ15, never loaded as a column of NULLs that would flow into published sums. The others are optional.
    required: tuple[str, ...] = ()
    geometry_required: bool = True
    yearly: bool = True  # delivered per <year> folder; project boundaries are not

    def alias_names(self, canonical: str) -> list[str]:
        """The other names `canonical` is delivered under (SOURCES.md "also seen")."""
        return [alias for alias, target in self.aliases.items() if target == canonical]


# 地类图斑 fields the state, the indicators and the rules read: identity and replay (BSM), class and
# county (DLBM, ZLDWDM), the areas (TBMJ for DQ03, KCXS/KCMJ/TBDLMJ for DQ04 and every area figure,
# KCDLBM for the 田坎 class), slope (steep_slope_mu), planting attribute (restorable_mu, PR11) and grade
# (mean_quality_grade, PR22). Names, ownership, TBBH, GDLX, TBXHDM, CZCSXM and SJNF are optional.
_PARCEL_REQUIRED = (
    "BSM", "DLBM", "ZLDWDM", "TBMJ", "KCDLBM", "KCXS", "KCMJ", "TBDLMJ", "GDPDJB", "ZZSXDM", "GDDB",
)  # fmt: skip

# 更新过程层 fields the replay, the flows (变更一览表), DQ09 and PR09/PR10 read. BSM is optional: a piece
# is its file and row.
_CHANGE_REQUIRED = (
    "BGQTBBSM", "BGHTBBSM", "BGQDLBM", "BGHDLBM", "BGQZLDWDM", "BGHZLDWDM", "BGQKCMJ", "BGHKCMJ",
    "BGQTBDLMJ", "BGHTBDLMJ", "TBBGMJ", "XZQTZLX", "GXSJ",
)  # fmt: skip

LAYERS: tuple[Layer, ...] = (
    Layer("DLTB", "survey", "dltb", "地类图斑", _PARCEL_FIELDS, required=_PARCEL_REQUIRED),
    Layer("DLTBGX", "survey", "dltbgx", "地类图斑更新层", _PARCEL_FIELDS, required=_PARCEL_REQUIRED),
    Layer(
        "DLTBGXGC", "survey", "dltbgxgc", "地类图斑更新过程层", _CHANGE_FIELDS, aliases={"BGMJ": "TBBGMJ"},
        required=_CHANGE_REQUIRED,
    ),
    Layer(
        "YJJBNT",
        "control",
        "yjjbnt",
        "永久基本农田保护图斑",
        {
            "BSM": INT, "JBNTTBBH": TEXT, "XZQDM": TEXT, "DLBM": TEXT, "JBNTMJ": REAL, "GDDB": INT,
            "SFSFQ": TEXT, "HDNF": INT, "GLTBBSM": INT,
        },  # fmt: skip
        # YJJBNTMJ (永久基本农田面积) is what JBNTMJ means; YJJBNTTBMJ is the 图斑's gross area, taken only
        # when the net one is absent (the first alias present wins)
        aliases={"YJJBNTTBBH": "JBNTTBBH", "YJJBNTMJ": "JBNTMJ", "YJJBNTTBMJ": "JBNTMJ"},
        layer_aliases=("YJJBNTBHTB", "YJJBNTTB"),
        required=("BSM", "XZQDM", "JBNTMJ", "SFSFQ"),  # HDNF empty: in force from the delivery year
    ),
    Layer(
        "YJJBNTCBQ",
        "control",
        "yjjbntcbq",
        "永久基本农田储备区",
        {"BSM": INT, "XZQDM": TEXT, "CBQMJ": REAL, "HRNF": INT},
        required=("BSM", "XZQDM", "CBQMJ"),
    ),
    Layer(
        "GBZNT",
        "control",
        "gbznt",
        "高标准农田上图入库",
        {"XMBH": TEXT, "XZQDM": TEXT, "JSNF": INT, "JSLX": TEXT, "JSMJ": REAL},
        required=("XMBH", "XZQDM", "JSLX", "JSMJ"),
    ),
    Layer(
        "LSGNQ",
        "control",
        "lsgnq",
        "粮食生产功能区",
        {"GNQBH": TEXT, "XZQDM": TEXT, "GNQMJ": REAL, "RDNF": INT},
        required=("GNQBH", "XZQDM", "GNQMJ"),
    ),
    # Boundary layers of the project records (SOURCES.md §2), keyed by the record's own identifier.
    Layer(
        "YDHX", "projects", "approval_boundaries", "用地红线 (land-use approval red lines)",
        {"批准文号": TEXT}, layer_aliases=("用地红线",), yearly=False, required=("批准文号",),
    ),
    Layer(
        "BCGDXMFW", "projects", "supplement_boundaries", "补充耕地项目范围 (supplement project boundaries)",
        {"项目编号": TEXT}, layer_aliases=("补充耕地项目范围",), yearly=False, required=("项目编号",),
    ),
)  # fmt: skip

LAYERS_BY_CODE: dict[str, Layer] = {layer.code: layer for layer in LAYERS}

# Vector formats a layer may arrive in, by file suffix (a FileGDB is a directory ending in .gdb).
FORMATS: dict[str, str] = {
    ".parquet": "GeoParquet",
    ".gpkg": "GeoPackage",
    ".shp": "ESRI Shapefile",
    ".gdb": "OpenFileGDB",
}


def layer_for_name(name: str) -> Layer | None:
    """The layer a delivered file or layer name stands for (case-insensitive, aliases included)."""
    upper = name.upper()
    for layer in LAYERS:
        if upper == layer.code or upper in layer.layer_aliases:
            return layer
    return None


def quote_identifier(name: str) -> str:
    """`name` as a DuckDB identifier: raw column names are Chinese headers and upper-case codes."""
    return '"' + name.replace('"', '""') + '"'


def create_table_ddl(table: str, columns: dict[str, str]) -> str:
    """CREATE TABLE IF NOT EXISTS raw.<table> with `columns` (name -> type and constraints) in order."""
    body = ",\n  ".join(f"{quote_identifier(name)} {type_}" for name, type_ in columns.items())
    return f"CREATE TABLE IF NOT EXISTS raw.{table} (\n  {body}\n)"


def raw_columns(layer: Layer) -> dict[str, str]:
    """The layer's raw table columns in order, name -> DuckDB type: canonical fields, geometry, lineage."""
    return {
        **layer.fields,
        GEOMETRY_COLUMN: "GEOMETRY",
        **LINEAGE_COLUMNS,
        "_extra": "JSON",  # delivered fields outside the canonical list, kept verbatim
    }


def raw_table_ddl(layer: Layer) -> str:
    """CREATE TABLE statement for the layer's raw table (canonical fields, geometry, lineage)."""
    return create_table_ddl(layer.table, raw_columns(layer))


# raw.rejects: every quarantined input row or refused file, written by the extractors and the rule runner.
REJECTS_COLUMNS: dict[str, str] = {
    "source_file": "VARCHAR",  # path relative to the landing folder
    "source_row": "BIGINT",  # NULL when the whole file is rejected
    "layer": "VARCHAR",  # DLTB, YJJBNT, … or a record kind's table (NULL if the file could not be identified)
    "rule_id": "VARCHAR",  # DQ01 … DQ15, or LOAD for a row the reader could not parse
    "reason": "VARCHAR",  # what an operator reads
    "record": "JSON",  # the raw record as delivered (no geometry)
    "file_sha256": "VARCHAR",
    "rejected_at": "TIMESTAMP",
    "rejected_by": "VARCHAR",  # 'extractor' (could not load) or 'rule_runner' (DQ rule)
}
_REJECTS_CONSTRAINTS = {
    "source_file": "NOT NULL",
    "rule_id": "NOT NULL",
    "reason": "NOT NULL",
    "rejected_at": "NOT NULL",
    "rejected_by": "DEFAULT 'extractor'",
}
# Updating a dict keeps its order: the constrained columns stay where REJECTS_COLUMNS puts them.
REJECTS_DDL = create_table_ddl(
    "rejects",
    {**REJECTS_COLUMNS, **{k: f"{REJECTS_COLUMNS[k]} {c}" for k, c in _REJECTS_CONSTRAINTS.items()}},
)
