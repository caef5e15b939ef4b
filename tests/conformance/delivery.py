"""A small spec-model of a land-bureau delivery (SOURCES.md §1) and writers for the four formats.

The model holds what a county delivers for the survey and control layers: a base-year DLTB state,
change years (DLTBGX parcels + DLTBGXGC pieces derived from the geometry of the parcels they retire
and create) and the control layers. The writers put it on disk with pyarrow / pyogrio directly, not
with the product's `sources.formats.write_layer`, so that a bug shared by the product's writer and
reader cannot hide here.

Parcels are axis-aligned rectangles with integer metre coordinates, so every area is an integer and
every derived area (KCMJ = TBMJ × KCXS with two-decimal KCXS) is exact to the 分 of a m².
"""

from __future__ import annotations

import csv
import datetime
import json
import shutil
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import shapely
from pyproj import CRS

CRS_EPSG = 4528  # CGCS2000 3-degree Gauss-Krüger zone 40 (central meridian 120°E)
CITY = "330400"

# Close to the central meridian (easting 500 000 km-offset by the zone number), so planar and
# ellipsoidal areas differ by far less than DQ03's 0.2 %.
ORIGIN_X = 40_500_000
ORIGIN_Y = 3_395_000
COUNTY_SPACING = 5_000

LAND_CLASS_NAMES = {
    "0101": "水田", "0102": "水浇地", "0103": "旱地",
    "0201": "果园", "0204": "其他园地", "0301": "乔木林地",
    "0601": "工业用地", "0702": "农村宅基地", "1006": "农村道路",
    "1104": "坑塘水面", "1105": "沿海滩涂", "1107": "沟渠", "1202": "设施农用地", "1203": "田坎",
}  # fmt: skip
CULTIVATED = frozenset({"0101", "0102", "0103"})
TIANKAN = "1203"
VILLAGE_NAMES = ["凤桥镇联丰村", "余新镇金星村", "新丰镇竹林村", "王江泾镇荷花村", "西塘镇红菱村"]

PARCEL_FIELDS = [
    "BSM", "TBBH", "DLBM", "DLMC", "QSXZ", "QSDWDM", "QSDWMC", "ZLDWDM", "ZLDWMC", "TBMJ", "KCDLBM",
    "KCXS", "KCMJ", "TBDLMJ", "GDLX", "GDPDJB", "TBXHDM", "ZZSXDM", "GDDB", "CZCSXM", "SJNF",
]  # fmt: skip
CHANGE_SIDE_FIELDS = [
    "DLBM", "DLMC", "QSXZ", "QSDWDM", "ZLDWDM", "ZLDWMC", "KCDLBM", "KCXS", "KCMJ", "TBDLMJ",
    "GDLX", "GDPDJB", "TBXHDM", "ZZSXDM", "GDDB", "CZCSXM",
]  # fmt: skip
INT_FIELDS = {"BSM", "GDDB", "SJNF", "BGQTBBSM", "BGHTBBSM", "BGQGDDB", "BGHGDDB", "GLTBBSM", "HDNF"}
INT_FIELDS |= {"HRNF", "JSNF", "RDNF"}
REAL_FIELDS = {"TBMJ", "KCXS", "KCMJ", "TBDLMJ", "TBBGMJ", "BGMJ", "JBNTMJ", "YJJBNTTBMJ", "YJJBNTMJ"}
REAL_FIELDS |= {"CBQMJ", "JSMJ", "GNQMJ"} | {
    f"{s}{f}" for s in ("BGQ", "BGH") for f in ("KCXS", "KCMJ", "TBDLMJ")
}
DATE_FIELDS = {"GXSJ"}


def village_code(county: str, village: int) -> str:
    """12-digit village code: county (6) + township (3) + village (3)."""
    return f"{county}100{village:03d}"


def county_box(county_index: int, x0: float, y0: float, x1: float, y1: float) -> shapely.Polygon:
    """A rectangle in the block of ground drawn for the county_index-th county (metres from its corner)."""
    ox = ORIGIN_X + county_index * COUNTY_SPACING
    return shapely.box(ox + x0, ORIGIN_Y + y0, ox + x1, ORIGIN_Y + y1)


def area2(geom: shapely.Geometry) -> float:
    """Planar area, 2 decimals: in zone 40 near the central meridian it is the ellipsoidal TBMJ to
    well within DQ03's 0.2 % (and exact for the integer rectangles used here)."""
    return round(float(geom.area), 2)


# ------------------------------------------------------------------------------------------ survey model


@dataclass
class Parcel:
    """One 地类图斑 (DLTB / DLTBGX row)."""

    bsm: int
    dlbm: str
    county: str
    village: int
    geom: shapely.Polygon
    kcxs: float = 0.0  # share deducted as 1203 田坎
    gddb: int | None = None
    gdpdjb: str | None = None
    zzsxdm: str | None = None
    gdlx: str | None = None
    tbxhdm: str | None = None
    czcsxm: str | None = None
    qsxz: str = "30"
    tbbh: str | None = None

    @property
    def zldwdm(self) -> str:
        return village_code(self.county, self.village) + "0000000"

    @property
    def zldwmc(self) -> str:
        return VILLAGE_NAMES[self.village % len(VILLAGE_NAMES)]

    @property
    def tbmj(self) -> float:
        return area2(self.geom)

    @property
    def kcdlbm(self) -> str | None:
        return TIANKAN if self.kcxs > 0 else None

    def deduction(self, area: float) -> tuple[float, float]:
        """(KCMJ, TBDLMJ) of `area` m² of this parcel (the whole parcel, or a change piece of it)."""
        kcmj = round(area * self.kcxs, 2)
        return kcmj, round(area - kcmj, 2)

    @property
    def kcmj(self) -> float:
        return self.deduction(self.tbmj)[0]

    @property
    def tbdlmj(self) -> float:
        return self.deduction(self.tbmj)[1]

    @property
    def is_cultivated(self) -> bool:
        return self.dlbm in CULTIVATED

    def record(self, year: int) -> dict:
        """The DLTB attributes as delivered (SOURCES.md §1 DLTB table)."""
        return {
            "BSM": self.bsm,
            "TBBH": self.tbbh or str(self.bsm % 100_000),
            "DLBM": self.dlbm,
            "DLMC": LAND_CLASS_NAMES[self.dlbm],
            "QSXZ": self.qsxz,
            "QSDWDM": self.zldwdm,
            "QSDWMC": self.zldwmc + "村民委员会",
            "ZLDWDM": self.zldwdm,
            "ZLDWMC": self.zldwmc,
            "TBMJ": self.tbmj,
            "KCDLBM": self.kcdlbm,
            "KCXS": float(self.kcxs),
            "KCMJ": self.kcmj,
            "TBDLMJ": self.tbdlmj,
            "GDLX": self.gdlx,
            "GDPDJB": self.gdpdjb,
            "TBXHDM": self.tbxhdm,
            "ZZSXDM": self.zzsxdm,
            "GDDB": self.gddb,
            "CZCSXM": self.czcsxm,
            "SJNF": year,
        }


@dataclass
class Piece:
    """One DLTBGXGC row: a piece of ground with its before (BGQ) and after (BGH) parcel."""

    geom: shapely.Polygon
    before: Parcel | None
    after: Parcel | None
    bgxw: str  # 1 attributes only, 2 shape changed
    xzqtzlx: str  # 0 within the county, 1 in / 2 out across a county line, 3 added / 4 lost at a coast line
    bsm: int
    year: int

    @property
    def area(self) -> float:
        return area2(self.geom)

    def side(self, prefix: str) -> dict:
        parcel = self.before if prefix == "BGQ" else self.after
        # An empty side (BGH of XZQTZLX 2/4, BGQ of 3) is delivered with every field empty.
        if parcel is None:
            return {f"{prefix}{f}": None for f in CHANGE_SIDE_FIELDS} | {
                f"{prefix}TBBSM": None,
                f"{prefix}TBBH": None,
            }
        kcmj, tbdlmj = parcel.deduction(self.area)
        values = parcel.record(self.year)
        values["KCMJ"], values["TBDLMJ"] = kcmj, tbdlmj
        out = {f"{prefix}{f}": values[f] for f in CHANGE_SIDE_FIELDS}
        out[f"{prefix}TBBSM"] = parcel.bsm
        out[f"{prefix}TBBH"] = values["TBBH"]
        return out

    @property
    def before_tbdlmj(self) -> float | None:
        return None if self.before is None else self.before.deduction(self.area)[1]

    @property
    def after_tbdlmj(self) -> float | None:
        return None if self.after is None else self.after.deduction(self.area)[1]

    @property
    def before_kcmj(self) -> float:
        return 0.0 if self.before is None else self.before.deduction(self.area)[0]

    @property
    def after_kcmj(self) -> float:
        return 0.0 if self.after is None else self.after.deduction(self.area)[0]

    def record(self) -> dict:
        row = {"BSM": self.bsm, "BGXW": self.bgxw}
        before, after = self.side("BGQ"), self.side("BGH")
        row["BGQTBBSM"], row["BGHTBBSM"] = before.pop("BGQTBBSM"), after.pop("BGHTBBSM")
        row["BGQTBBH"], row["BGHTBBH"] = before.pop("BGQTBBH"), after.pop("BGHTBBH")
        row |= before | after
        row["TBBGMJ"] = self.area
        row["XZQTZLX"] = self.xzqtzlx
        row["GXSJ"] = datetime.date(self.year, 11, 30)
        return row


@dataclass
class ChangeYear:
    year: int
    retired: list[Parcel]
    created: list[Parcel]
    pieces: list[Piece]


# ----------------------------------------------------------------------------------------- control model


@dataclass
class ControlPolygon:
    """A polygon of a control layer: YJJBNT, YJJBNTCBQ, GBZNT or LSGNQ."""

    layer: str
    county: str
    geom: shapely.Polygon
    ident: str | int  # BSM (永农, 储备区), XMBH (高标准), GNQBH (功能区)
    since: int  # HDNF / HRNF / JSNF / RDNF
    demonstration: bool = False  # 永农 SFSFQ
    build_type: str | None = None  # 高标准 JSLX: 新建 / 改造提升
    counted_area: float | None = None  # the area the layer reports (JBNTMJ …); default the polygon's
    source_parcel: int | None = None  # GLTBBSM of the old YJJBNTTB variant

    @property
    def area(self) -> float:
        return self.counted_area if self.counted_area is not None else area2(self.geom)


# ---------------------------------------------------------------------------------------------- delivery


@dataclass
class Approval:
    """A land-use approval (建设用地审批.csv) with its red line (用地红线)."""

    number: str  # 批准文号
    county: str
    land_use_type: str  # 建设用地 / 临时用地 / 设施农业用地
    approved_on: datetime.date
    red_line: shapely.Polygon

    def record(self) -> dict:
        """The row as the provincial system exports it (SOURCES.md §2, every header)."""
        mu = round(self.red_line.area * 0.0015, 2)
        return {
            "批准文号": self.number, "项目名称": f"{self.number} 项目", "用地类型": self.land_use_type,
            "县级行政区代码": self.county, "批准日期": self.approved_on.isoformat(), "批准机关级别": "省",
            "占用耕地面积(亩)": mu, "其中水田(亩)": 0, "其中永久基本农田(亩)": 0, "其中示范区(亩)": 0,
            "占用耕地平均等别": 5, "承诺制": "否", "承诺兑现期限": "", "备案面积(亩)": "",
            "复垦期限": self.approved_on.replace(year=self.approved_on.year + 2).isoformat()
            if self.land_use_type == "临时用地" else "",
        }  # fmt: skip


@dataclass
class EnforcementCase:
    """An enforcement case (违法用地案件.csv)."""

    number: str  # 案件编号
    county: str
    village: int
    source: str  # 发现来源: 卫片执法 / 巡查 / 举报 / 铁塔探头
    found_on: datetime.date
    problem: str  # 问题类型, as 002 §三(四)3 words it
    category: str  # its list in 002 §三(四)3: non_agricultural (6 非农化), non_grain (4 非粮化), other
    occupied_mu: float
    cultivated_mu: float
    pbf_mu: float
    status: str  # 状态: 立案 / 整改中 / 已整改 / 已销号
    rectified_on: datetime.date | None = None
    closed_on: datetime.date | None = None

    @property
    def village_code(self) -> str:
        return village_code(self.county, self.village)

    def record(self) -> dict:
        """The row as the supervision system exports it (SOURCES.md §2, every header)."""
        return {
            "案件编号": self.number, "发现来源": self.source, "发现日期": self.found_on.isoformat(),
            "县级行政区代码": self.county, "村代码": self.village_code, "问题类型": self.problem,
            "占地面积(亩)": self.occupied_mu, "其中耕地(亩)": self.cultivated_mu,
            "其中永久基本农田(亩)": self.pbf_mu, "状态": self.status,
            "整改完成日期": self.rectified_on.isoformat() if self.rectified_on else "",
            "销号日期": self.closed_on.isoformat() if self.closed_on else "",
        }  # fmt: skip


@dataclass
class Delivery:
    """The survey and control layers of a landing folder, and how each file is written."""

    counties: list[str]
    base_year: int
    base: list[Parcel]
    changes: list[ChangeYear] = field(default_factory=list)
    control: dict[int, list[ControlPolygon]] = field(default_factory=dict)
    # (folder, year, layer) → format key of WRITERS; a layer absent here is written as GeoParquet
    formats: dict[tuple[str, int, str], str] = field(default_factory=dict)
    # (folder, year, layer) → delivered columns to leave out / canonical → delivered name
    omit: dict[tuple[str, int, str], set[str]] = field(default_factory=dict)
    rename: dict[tuple[str, int, str], dict[str, str]] = field(default_factory=dict)
    # control year → the name the 永农 layer is delivered under (YJJBNT, YJJBNTBHTB, YJJBNTTB)
    pbf_layer_name: dict[int, str] = field(default_factory=dict)
    approvals: list[Approval] = field(default_factory=list)
    cases: list[EnforcementCase] = field(default_factory=list)
    _next_piece_bsm: int = 900_000_001

    # ----------------------------------------------------------------------------------- survey state

    @property
    def survey_years(self) -> list[int]:
        return [self.base_year] + [c.year for c in self.changes]

    def state(self, year: int) -> dict[int, Parcel]:
        """The land-use state at the end of `year` by BSM: base − retired + created, year by year."""
        current = {p.bsm: p for p in self.base}
        for change in self.changes:
            if change.year > year:
                break
            for parcel in change.retired:
                current.pop(parcel.bsm, None)
            for parcel in change.created:
                current[parcel.bsm] = parcel
        return current

    def change(self, year: int) -> ChangeYear | None:
        return next((c for c in self.changes if c.year == year), None)

    def apply_change(
        self,
        year: int,
        retire: Sequence[int],
        create: Sequence[Parcel],
        lost: Sequence[shapely.Polygon] = (),
        added: Sequence[Parcel] = (),
    ) -> ChangeYear:
        """Add a change year: retire parcels (by BSM), create parcels, derive the pieces.

        Each piece is the intersection of a retired and a created parcel; across a county line it is
        delivered twice, as the outgoing county's XZQTZLX 2 (BGH empty) and the incoming county's
        XZQTZLX 1. `lost` is ground of retired parcels lost at a coast line (XZQTZLX 4, BGH empty),
        `added` are created parcels on ground added at a coast line (XZQTZLX 3, BGQ empty).
        """
        previous = self.state(year - 1)
        retired = [previous[bsm] for bsm in retire]
        pieces: list[Piece] = []
        for old in retired:
            covered = 0.0
            for new in create:
                common = shapely.intersection(old.geom, new.geom)
                if common.is_empty or common.area <= 0:
                    continue
                covered += common.area
                same_shape = shapely.equals(shapely.normalize(old.geom), shapely.normalize(new.geom))
                bgxw = "1" if same_shape else "2"
                if old.county == new.county:
                    pieces.append(self._piece(common, old, new, bgxw, "0", year))
                else:
                    pieces.append(self._piece(common, old, None, bgxw, "2", year))
                    pieces.append(self._piece(common, old, new, bgxw, "1", year))
            for ground in lost:
                common = shapely.intersection(old.geom, ground)
                if not common.is_empty and common.area > 0:
                    covered += common.area
                    pieces.append(self._piece(common, old, None, "2", "4", year))
            if abs(covered - old.geom.area) > 1e-6:
                raise ValueError(f"pieces of retired parcel {old.bsm} cover {covered} of {old.geom.area} m²")
        for new in added:
            pieces.append(self._piece(new.geom, None, new, "2", "3", year))
        for new in create:
            covered = sum(p.area for p in pieces if p.after is new)
            if abs(covered - new.geom.area) > 1e-6:
                raise ValueError(f"pieces of created parcel {new.bsm} cover {covered} of {new.geom.area} m²")
        change = ChangeYear(year, retired, list(create) + list(added), pieces)
        self.changes.append(change)
        self.changes.sort(key=lambda c: c.year)
        return change

    def _piece(self, geom, before, after, bgxw, xzqtzlx, year) -> Piece:
        bsm = self._next_piece_bsm
        self._next_piece_bsm += 1
        return Piece(shapely.normalize(geom), before, after, bgxw, xzqtzlx, bsm, year)

    # ----------------------------------------------------------------------------------------- control

    def control_in_force(self, year: int, layer: str) -> list[ControlPolygon]:
        """A layer's polygons standing for `year`: those of the latest delivery of a control year ≤
        year (else the earliest delivery: protection layers are drawn once and kept), drawn /
        built / recognised in or before `year`."""
        delivered = sorted(
            y for y, polygons in self.control.items() if any(p.layer == layer for p in polygons)
        )
        if not delivered:
            return []
        earlier = [y for y in delivered if y <= year]
        chosen = max(earlier) if earlier else min(delivered)
        return [p for p in self.control[chosen] if p.layer == layer and p.since <= year]

    # --------------------------------------------------------------------------------------- writing

    def write(self, landing: Path) -> Path:
        """Write every layer into a landing folder laid out as SOURCES.md says."""
        landing = Path(landing)
        self._write_layer(
            landing, "survey", self.base_year, "DLTB", [p.record(self.base_year) for p in self.base],
            [p.geom for p in self.base], PARCEL_FIELDS,
        )  # fmt: skip
        for change in self.changes:
            self._write_layer(
                landing, "survey", change.year, "DLTBGX", [p.record(change.year) for p in change.created],
                [p.geom for p in change.created], PARCEL_FIELDS,
            )  # fmt: skip
            piece_fields = list(change.pieces[0].record())
            self._write_layer(
                landing, "survey", change.year, "DLTBGXGC", [p.record() for p in change.pieces],
                [p.geom for p in change.pieces], piece_fields,
            )  # fmt: skip
        for year, polygons in sorted(self.control.items()):
            for layer in ("YJJBNT", "YJJBNTCBQ", "GBZNT", "LSGNQ"):
                chosen = [p for p in polygons if p.layer == layer]
                if not chosen:
                    continue
                name = self.pbf_layer_name.get(year, "YJJBNT") if layer == "YJJBNT" else layer
                rows, columns = control_records(name, chosen)
                self._write_layer(landing, "control", year, name, rows, [p.geom for p in chosen], columns)
        if self.approvals:
            projects = landing / "projects"
            projects.mkdir(parents=True, exist_ok=True)
            rows = [a.record() for a in self.approvals]
            with (projects / "建设用地审批.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
            columns = {"批准文号": [a.number for a in self.approvals]}
            write_geopackage(projects, "用地红线", columns, [a.red_line for a in self.approvals])
        if self.cases:
            projects = landing / "projects"
            projects.mkdir(parents=True, exist_ok=True)
            rows = [c.record() for c in self.cases]
            with (projects / "违法用地案件.csv").open("w", encoding="utf-8", newline="") as handle:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                writer.writerows(rows)
        return landing

    def _write_layer(
        self,
        landing: Path,
        folder: str,
        year: int,
        layer: str,
        rows: list[dict],
        geometries: list[shapely.Geometry],
        columns: list[str],
    ) -> Path:
        key = (folder, year, layer)
        omitted = self.omit.get(key, set())
        renamed = self.rename.get(key, {})
        columns = [c for c in columns if c not in omitted]
        table = {renamed.get(c, c): [row[c] for row in rows] for c in columns}
        fmt = self.formats.get(key, "parquet")
        directory = landing / folder / str(year)
        directory.mkdir(parents=True, exist_ok=True)
        return WRITERS[fmt](directory, layer, table, geometries)


def control_records(name: str, polygons: Sequence[ControlPolygon]) -> tuple[list[dict], list[str]]:
    """The attribute rows of a control layer as delivered under `name` (SOURCES.md "Control layers")."""
    rows: list[dict] = []
    for i, p in enumerate(polygons, start=1):
        township = p.county + "100"
        if name == "YJJBNT":
            rows.append({
                "BSM": p.ident, "JBNTTBBH": f"{i:04d}", "XZQDM": township, "DLBM": "0101",
                "JBNTMJ": p.area, "GDDB": 5, "SFSFQ": "Y" if p.demonstration else "N", "HDNF": p.since,
            })  # fmt: skip
        elif name == "YJJBNTBHTB":
            # Newer standard: 图斑面积 and 永久基本农田面积 side by side, a 12-digit XZQDM.
            rows.append({
                "BSM": p.ident, "YJJBNTTBBH": f"{i:04d}", "XZQDM": village_code(p.county, 1), "DLBM": "0101",
                "YJJBNTTBMJ": area2(p.geom), "YJJBNTMJ": p.area, "GDDB": 5,
                "SFSFQ": "Y" if p.demonstration else "N", "HDNF": p.since,
            })  # fmt: skip
        elif name == "YJJBNTTB":
            rows.append({
                "BSM": p.ident, "JBNTTBBH": f"{i:04d}", "XZQDM": township, "DLBM": "0101",
                "JBNTMJ": p.area, "GLTBBSM": p.source_parcel, "GDDB": 5,
                "SFSFQ": "Y" if p.demonstration else "N", "HDNF": p.since,
            })  # fmt: skip
        elif name == "YJJBNTCBQ":
            rows.append({"BSM": p.ident, "XZQDM": township, "CBQMJ": p.area, "HRNF": p.since})
        elif name == "GBZNT":
            rows.append({
                "XMBH": p.ident, "XZQDM": p.county, "JSNF": p.since, "JSLX": p.build_type, "JSMJ": p.area,
            })  # fmt: skip
        elif name == "LSGNQ":
            rows.append({"GNQBH": p.ident, "XZQDM": township, "GNQMJ": p.area, "RDNF": p.since})
        else:
            raise ValueError(name)
    return rows, list(rows[0])


# ------------------------------------------------------------------------------------------------ writers


def _arrow_table(columns: dict[str, list], *, int_type: pa.DataType | None = None) -> pa.Table:
    int_type = int_type or pa.int64()
    arrays = {}
    for name, values in columns.items():
        if name in INT_FIELDS:
            arrays[name] = pa.array(values, int_type)
        elif name in REAL_FIELDS:
            arrays[name] = pa.array(values, pa.float64())
        elif name in DATE_FIELDS:
            arrays[name] = pa.array(values, pa.date32())
        elif any(isinstance(v, float) for v in values):  # a field under a name of the delivery's own
            arrays[name] = pa.array(values, pa.float64())
        else:
            arrays[name] = pa.array(values, pa.string())
    return pa.table(arrays)


def _wkb(geometries: Iterable[shapely.Geometry]) -> pa.Array:
    return pa.array(shapely.to_wkb(np.array(list(geometries), dtype=object)), pa.binary())


def write_geoparquet(directory: Path, layer: str, columns: dict[str, list], geometries: list) -> Path:
    """GeoParquet 1.1: WKB column `geometry`, `geo` metadata with the CRS as PROJJSON."""
    path = directory / f"{layer}.parquet"
    table = _arrow_table(columns).append_column("geometry", _wkb(geometries))
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": sorted({g.geom_type for g in geometries}),
                "crs": CRS.from_epsg(CRS_EPSG).to_json_dict(),
                "bbox": [float(v) for v in shapely.total_bounds(np.array(geometries, dtype=object))],
            }
        },
    }
    metadata = {**(table.schema.metadata or {}), b"geo": json.dumps(geo).encode()}
    pq.write_table(table.replace_schema_metadata(metadata), path)
    return path


def _write_ogr(path: Path, layer: str, table: pa.Table, geometries: list, driver: str, **options) -> None:
    full = table.append_column("geometry", _wkb(geometries))
    pyogrio.write_arrow(
        full,
        path,
        layer=layer,
        driver=driver,
        geometry_name="geometry",
        geometry_type="Polygon",
        crs=CRS.from_epsg(CRS_EPSG).to_wkt(),
        **options,
    )


def write_geopackage(directory: Path, layer: str, columns: dict[str, list], geometries: list) -> Path:
    path = directory / f"{layer}.gpkg"
    _write_ogr(path, layer, _arrow_table(columns), geometries, "GPKG")
    return path


def _write_shapefile(
    directory: Path, layer: str, columns: dict[str, list], geometries: list, encoding: str, cpg: bool
) -> Path:
    path = directory / f"{layer}.shp"
    _write_ogr(path, layer, _arrow_table(columns), geometries, "ESRI Shapefile", encoding=encoding)
    cpg_file = path.with_suffix(".cpg")
    if cpg:
        if not cpg_file.exists():
            cpg_file.write_text(encoding, encoding="ascii")
    else:
        cpg_file.unlink(missing_ok=True)  # agency exports often ship the GBK .dbf alone
    return path


def write_shapefile_utf8(directory: Path, layer: str, columns: dict[str, list], geometries: list) -> Path:
    return _write_shapefile(directory, layer, columns, geometries, "UTF-8", cpg=True)


def write_shapefile_gbk(directory: Path, layer: str, columns: dict[str, list], geometries: list) -> Path:
    return _write_shapefile(directory, layer, columns, geometries, "GBK", cpg=True)


def write_shapefile_gbk_no_cpg(
    directory: Path, layer: str, columns: dict[str, list], geometries: list
) -> Path:
    return _write_shapefile(directory, layer, columns, geometries, "GBK", cpg=False)


def write_filegdb(directory: Path, layer: str, columns: dict[str, list], geometries: list) -> Path:
    """A `.gdb` directory with the ArcGIS 10.x field types GDAL writes by default (Integer for 32-bit
    integers, Double, String, Date) — the types real 三调 geodatabases carry."""
    path = directory / f"{layer}.gdb"
    if path.exists():
        shutil.rmtree(path)
    with warnings.catch_warnings():
        # GDAL says it writes Date as DateTime: that is the ArcGIS 10.x Date type real 三调 data carries
        warnings.filterwarnings("ignore", message="Field .* of type Date will be written as a DateTime")
        _write_ogr(path, layer, _arrow_table(columns, int_type=pa.int32()), geometries, "OpenFileGDB")
    return path


WRITERS = {
    "parquet": write_geoparquet,
    "gpkg": write_geopackage,
    "shp": write_shapefile_utf8,
    "shp_gbk": write_shapefile_gbk,
    "shp_gbk_no_cpg": write_shapefile_gbk_no_cpg,
    "gdb": write_filegdb,
}
