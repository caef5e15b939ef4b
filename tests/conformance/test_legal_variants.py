"""Spec-legal delivery variants must build, and build right.

Three deliveries, each built once (module fixture; a build runs the whole Dagster job, ~60 s).
Run with `.venv/bin/python -m pytest tests/conformance` (as `make test` does: `tests.conftest` must be
importable):

A — three counties of 嘉兴 in one delivery (南湖区 330402, 秀洲区 330411, 嘉善县 330421), base 2023,
    change surveys 2024 and 2025, control layers 2024. Every layer of a year in a different format:
    DLTB as FileGDB; 2024 DLTBGX as GBK Shapefile without .cpg and DLTBGXGC as GeoPackage with no BSM
    column and the piece area as BGMJ; 2025 DLTBGX GeoParquet and DLTBGXGC GBK Shapefile with .cpg;
    永农 as canonical YJJBNT (GeoParquet), 储备区 GeoPackage, 高标准 Shapefile, 功能区 FileGDB.
    Changes: a split, a merge across classes, 田坎 rising (attribute change), an attribute change
    keeping its BSM, a parcel moved from one county to another (XZQTZLX 2 + 1), 耕地 → 坑塘 / 果园 /
    设施农用地 / 宅基地 / 工业用地, 林地 and 坑塘 → 耕地, a county whose only 2024 change moves no land
    (attributes). Three land-use approvals with red lines: one covering the 宅基地 in time, one approved
    after the 工业用地 was built and one for temporary use over it (PR10; no 占补平衡 binds it). Three
    enforcement cases: one filed for the 工业用地, an open 举报 no survey finding explains, one 销号.
B — one county alone (海盐县 330424), base 2023 as GBK Shapefile without .cpg; 2024 DLTBGX FileGDB
    + DLTBGXGC GeoParquet (BGMJ alias); 2025 DLTBGX GeoPackage + DLTBGXGC FileGDB; 永农 delivered as
    the old YJJBNTTB (JBNTMJ, GLTBBSM) in 2024 and the new YJJBNTBHTB (YJJBNTTBBH, YJJBNTTBMJ,
    YJJBNTMJ, 12-digit XZQDM) in 2025. Changes: ground lost (XZQTZLX 4) and added (XZQTZLX 3) at the
    coast line, a merge with 田坎 rising, 田坎 falling, a class change by attributes, restoration.
C — two counties (平湖市 330482, 桐乡市 330483) and no control layers at all; 桐乡 has no change in
    2024 (the 2024 files are delivered, nothing of 桐乡 changed) and changes in 2025. DLTB GeoPackage,
    2024 FileGDB + UTF-8 Shapefile, 2025 GBK Shapefile with .cpg + GeoPackage, both without any
    optional field (BSM on DLTBGXGC first).

Every figure is compared with tests/conformance/reference.py, never with the warehouse's SQL.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from tests.catalog_rules import for_each_catalog_rule

from . import reference
from .delivery import (
    CITY,
    Approval,
    ControlPolygon,
    Delivery,
    EnforcementCase,
    Parcel,
    county_box,
    village_code,
)

M2_TOLERANCE = 0.01
MU_TOLERANCE = 1e-6

NANHU, XIUZHOU, JIASHAN, HAIYAN = "330402", "330411", "330421", "330424"
PINGHU, TONGXIANG = "330482", "330483"


# -------------------------------------------------------------------------------------------- deliveries


def delivery_a() -> Delivery:
    """Three counties, every change kind within and across counties (see module docstring)."""

    def nanhu(x0, y0, x1, y1):
        return county_box(0, x0, y0, x1, y1)

    def xiuzhou(x0, y0, x1, y1):
        return county_box(1, x0, y0, x1, y1)

    def jiashan(x0, y0, x1, y1):
        return county_box(2, x0, y0, x1, y1)

    cultivated = {"gdpdjb": "1", "zzsxdm": "LS"}
    base = [
        # 南湖区
        Parcel(402_000_001, "0101", NANHU, 1, nanhu(0, 0, 200, 100), 0.05, gddb=5, **cultivated),
        Parcel(402_000_002, "0101", NANHU, 1, nanhu(200, 0, 350, 100), 0.08, 6, "2", "LYFL", "TT"),
        Parcel(402_000_003, "0102", NANHU, 2, nanhu(350, 0, 500, 100), 0.0, 7, "5", "FLS"),
        Parcel(402_000_004, "0103", NANHU, 2, nanhu(500, 0, 600, 100), 0.1, 9, "3", "WG", "PD"),
        Parcel(402_000_005, "0201", NANHU, 1, nanhu(0, 100, 100, 200), zzsxdm="JKHF"),
        Parcel(402_000_006, "0702", NANHU, 1, nanhu(100, 100, 180, 200), czcsxm="203"),
        Parcel(402_000_007, "1104", NANHU, 2, nanhu(180, 100, 300, 200), zzsxdm="GCHF"),
        Parcel(402_000_008, "1006", NANHU, 2, nanhu(300, 100, 600, 110)),
        Parcel(402_000_009, "0301", NANHU, 2, nanhu(300, 110, 600, 200)),
        Parcel(402_000_010, "0101", NANHU, 3, nanhu(600, 0, 800, 200), 0.05, gddb=4, **cultivated),
        # 秀洲区
        Parcel(411_000_001, "0101", XIUZHOU, 1, xiuzhou(0, 0, 300, 100), 0.05, gddb=4, **cultivated),
        Parcel(411_000_002, "0102", XIUZHOU, 1, xiuzhou(300, 0, 500, 100), 0.0, 5, "1", "LS"),
        Parcel(411_000_003, "0601", XIUZHOU, 2, xiuzhou(0, 100, 200, 200), czcsxm="202"),
        Parcel(411_000_004, "1104", XIUZHOU, 2, xiuzhou(200, 100, 500, 200)),
        # 嘉善县
        Parcel(421_000_001, "0101", JIASHAN, 1, jiashan(0, 0, 200, 200), 0.05, gddb=3, **cultivated),
        Parcel(421_000_002, "0103", JIASHAN, 1, jiashan(200, 0, 300, 200), 0.1, 8, "4", "XG", "PD"),
        Parcel(421_000_003, "1107", JIASHAN, 2, jiashan(300, 0, 310, 200)),
        Parcel(421_000_004, "0702", JIASHAN, 2, jiashan(310, 0, 400, 200), czcsxm="203"),
    ]
    d = Delivery([NANHU, XIUZHOU, JIASHAN], 2023, base)

    # 2024 --------------------------------------------------------------------------------------------
    d.apply_change(
        2024,
        retire=[
            *(402_000_001, 402_000_005, 402_000_006, 402_000_002, 402_000_003, 402_000_010),
            *(411_000_001, 421_000_001),
        ],
        create=[
            # split: 耕地 kept on one part, 宅基地 built on the other (田坎 of that part → 0702 too)
            Parcel(402_100_001, "0101", NANHU, 1, nanhu(0, 0, 120, 100), 0.05, gddb=5, **cultivated),
            Parcel(402_100_002, "0702", NANHU, 1, nanhu(120, 0, 200, 100), czcsxm="203"),
            # merge of 果园 and 宅基地 into one 水田 (restored and reclaimed)
            Parcel(402_100_003, "0101", NANHU, 1, nanhu(0, 100, 180, 200), 0.05, gddb=6, **cultivated),
            # 田坎 rising: same polygon, KCXS 0.08 → 0.10, new BSM
            Parcel(402_100_004, "0101", NANHU, 1, nanhu(200, 0, 350, 100), 0.10, 6, "2", "LYFL", "TT"),
            # attribute change keeping the BSM: sown to grain now, better grade
            Parcel(402_000_003, "0102", NANHU, 2, nanhu(350, 0, 500, 100), 0.0, 6, "5", "LS"),
            # moved to 秀洲区 (XZQTZLX 2 in 南湖, 1 in 秀洲)
            Parcel(411_100_001, "0101", XIUZHOU, 9, nanhu(600, 0, 800, 200), 0.05, gddb=4, **cultivated),
            # 耕地 → 坑塘 on 永农 ground (PR09, PR08)
            Parcel(411_100_002, "0101", XIUZHOU, 1, xiuzhou(0, 0, 150, 100), 0.05, gddb=4, **cultivated),
            Parcel(411_100_003, "1104", XIUZHOU, 1, xiuzhou(150, 0, 300, 100)),
            # attributes only, BSM kept, no flow: rotation instead of grain, better grade
            Parcel(421_000_001, "0101", JIASHAN, 1, jiashan(0, 0, 200, 200), 0.05, 2, "1", "LYFL"),
        ],
    )
    # 2025 --------------------------------------------------------------------------------------------
    d.apply_change(
        2025,
        retire=[402_000_004, 402_100_001, 402_000_009, 411_000_004, 421_000_002, 411_000_002],
        create=[
            # 田坎 falling: KCXS 0.10 → 0.05
            Parcel(402_200_001, "0103", NANHU, 2, nanhu(500, 0, 600, 100), 0.05, 9, "3", "LS", "PD"),
            # 耕地 → 果园 on 永农 ground (PR09) and the rest kept
            Parcel(402_200_002, "0201", NANHU, 1, nanhu(0, 0, 60, 100)),
            Parcel(402_200_003, "0101", NANHU, 1, nanhu(60, 0, 120, 100), 0.05, gddb=5, **cultivated),
            # 林地 → 旱地 (in)
            Parcel(402_200_004, "0103", NANHU, 2, nanhu(300, 110, 450, 200), 0.1, 8, "2", "LS"),
            Parcel(402_200_005, "0301", NANHU, 2, nanhu(450, 110, 600, 200)),
            # 坑塘 → 水田 (in)
            Parcel(411_200_001, "0101", XIUZHOU, 2, xiuzhou(200, 100, 350, 200), 0.05, gddb=5, **cultivated),
            Parcel(411_200_002, "1104", XIUZHOU, 2, xiuzhou(350, 100, 500, 200)),
            # 旱地 → 设施农用地 by attributes only (out, PR08)
            Parcel(421_200_001, "1202", JIASHAN, 1, jiashan(200, 0, 300, 200)),
            # 水浇地 → 工业用地 on ground approved only after the change, and for temporary use (PR10)
            Parcel(411_200_003, "0601", XIUZHOU, 1, xiuzhou(300, 0, 500, 100), czcsxm="202"),
        ],
    )
    # the 2024 宅基地 has its red line in time; the 2025 工业用地 only a temporary one and a late one
    d.approvals = [
        Approval("浙土字〔2024〕101号", NANHU, "建设用地", date(2024, 6, 1), nanhu(120, 0, 200, 100)),
        Approval("浙土字〔2025〕7号", XIUZHOU, "建设用地", date(2025, 12, 20), xiuzhou(300, 0, 500, 100)),
        Approval("浙土字〔2025〕3号", XIUZHOU, "临时用地", date(2025, 3, 1), xiuzhou(300, 0, 500, 100)),
    ]

    # enforcement cases: one filed for the 2025 工业用地 (PR10), a 举报 about land no survey finding shows
    # (open, answering nothing), and one 销号 in 2025 (open at the end of 2024 only)
    d.cases = [
        EnforcementCase(
            "WF330411-2025-001", XIUZHOU, 1, "卫片执法", date(2025, 12, 10), "违规占用耕地从事非农建设",
            "non_agricultural", 30.0, 30.0, 0.0, "立案",
        ),
        EnforcementCase(
            "WF330402-2025-001", NANHU, 2, "举报", date(2025, 5, 10), "违规占用耕地挖湖造景",
            "non_agricultural", 3.0, 2.5, 0.0, "立案",
        ),
        EnforcementCase(
            "WF330421-2024-001", JIASHAN, 2, "巡查", date(2024, 4, 1), "占用永久基本农田种植苗木花卉草皮",
            "non_grain", 5.0, 5.0, 5.0, "已销号", date(2024, 9, 1), date(2025, 3, 1),
        ),
    ]  # fmt: skip

    d.control[2024] = [
        ControlPolygon("YJJBNT", NANHU, nanhu(20, 10, 110, 90), 402_900_001, 2022),
        ControlPolygon("YJJBNT", NANHU, nanhu(360, 10, 590, 95), 402_900_002, 2022, demonstration=True),
        ControlPolygon("YJJBNT", NANHU, nanhu(20, 120, 100, 190), 402_900_003, 2022),
        ControlPolygon("YJJBNT", XIUZHOU, xiuzhou(20, 10, 280, 95), 411_900_001, 2022),
        ControlPolygon("YJJBNT", XIUZHOU, xiuzhou(282, 10, 480, 95), 411_900_002, 2022),
        ControlPolygon("YJJBNT", JIASHAN, jiashan(50, 50, 150, 150), 421_900_001, 2022),
        ControlPolygon("YJJBNTCBQ", NANHU, nanhu(620, 20, 780, 180), 402_910_001, 2023),
        ControlPolygon("YJJBNTCBQ", JIASHAN, jiashan(310, 0, 400, 100), 421_910_001, 2023),
        ControlPolygon("GBZNT", NANHU, nanhu(25, 15, 105, 85), "GB330402-2024-01", 2024, build_type="新建"),
        ControlPolygon(
            "GBZNT", XIUZHOU, xiuzhou(100, 20, 400, 90), "GB330411-2023-01", 2023, build_type="新建"
        ),
        ControlPolygon(
            "GBZNT", NANHU, nanhu(350, 120, 590, 190), "GB330402-2024-02", 2024, build_type="改造提升"
        ),
        ControlPolygon(
            "GBZNT", JIASHAN, jiashan(200, 0, 300, 100), "GB330421-2024-01", 2024, build_type="新建"
        ),
        ControlPolygon("LSGNQ", NANHU, nanhu(300, 100, 500, 200), "GNQ330402-01", 2020),
        ControlPolygon("LSGNQ", XIUZHOU, xiuzhou(0, 0, 500, 200), "GNQ330411-01", 2020),
    ]

    d.formats = {
        ("survey", 2023, "DLTB"): "gdb",
        ("survey", 2024, "DLTBGX"): "shp_gbk_no_cpg",
        ("survey", 2024, "DLTBGXGC"): "gpkg",
        ("survey", 2025, "DLTBGX"): "parquet",
        ("survey", 2025, "DLTBGXGC"): "shp_gbk",
        ("control", 2024, "YJJBNT"): "parquet",
        ("control", 2024, "YJJBNTCBQ"): "gpkg",
        ("control", 2024, "GBZNT"): "shp_gbk_no_cpg",
        ("control", 2024, "LSGNQ"): "gdb",
    }
    # SOURCES.md: "Many exports also carry a BSM per piece; some do not"; older exports say BGMJ.
    d.omit[("survey", 2024, "DLTBGXGC")] = {"BSM"}
    d.rename[("survey", 2024, "DLTBGXGC")] = {"TBBGMJ": "BGMJ"}
    return d


def delivery_b() -> Delivery:
    """One county alone, coast-line changes, the two other 永农 layer standards (module docstring)."""

    def haiyan(x0, y0, x1, y1):
        return county_box(3, x0, y0, x1, y1)

    base = [
        Parcel(424_000_001, "0101", HAIYAN, 1, haiyan(0, 0, 250, 100), 0.05, 3, "1", "LS"),
        Parcel(424_000_002, "0101", HAIYAN, 1, haiyan(250, 0, 400, 100), 0.05, 4, "1", "XG"),
        Parcel(424_000_003, "0102", HAIYAN, 2, haiyan(0, 100, 200, 200), 0.0, 6, "2", "LLJZ"),
        Parcel(424_000_004, "1105", HAIYAN, 2, haiyan(200, 100, 400, 200)),
        Parcel(424_000_005, "0204", HAIYAN, 3, haiyan(400, 0, 500, 200), zzsxdm="JKHF"),
    ]
    d = Delivery([HAIYAN], 2023, base)
    d.apply_change(
        2024,
        retire=[424_000_004, 424_000_001, 424_000_002],
        create=[
            # half the 沿海滩涂 lost to the sea, the other half reshaped
            Parcel(424_100_001, "1105", HAIYAN, 2, haiyan(200, 100, 300, 200)),
            # merge of two 水田 with more 田坎 (0.05 → 0.06)
            Parcel(424_100_002, "0101", HAIYAN, 1, haiyan(0, 0, 400, 100), 0.06, 3, "1", "LS"),
        ],
        lost=[haiyan(300, 100, 400, 200)],
        added=[Parcel(424_100_003, "1105", HAIYAN, 3, haiyan(500, 0, 600, 200))],
    )
    d.apply_change(
        2025,
        retire=[424_000_003, 424_000_005, 424_100_002],
        create=[
            # 水浇地 → 水田 by attributes, with 田坎 appearing
            Parcel(424_200_001, "0101", HAIYAN, 2, haiyan(0, 100, 200, 200), 0.05, 6, "2", "LS"),
            # 园地 restored to 耕地 (in)
            Parcel(424_200_002, "0101", HAIYAN, 3, haiyan(400, 0, 500, 200), 0.05, 7, "1", "LS"),
            # 耕地 → 设施农用地 on 永农 ground (PR09), the rest kept with less 田坎
            Parcel(424_200_003, "1202", HAIYAN, 1, haiyan(0, 0, 100, 100)),
            Parcel(424_200_004, "0101", HAIYAN, 1, haiyan(100, 0, 400, 100), 0.04, 3, "1", "LS"),
        ],
    )
    d.control[2024] = [
        # old 三调 YJJBNTTB: polygons cut from DLTB parcels (GLTBBSM)
        ControlPolygon(
            "YJJBNT", HAIYAN, haiyan(10, 10, 240, 90), 424_900_001, 2022, source_parcel=424_000_001
        ),
        ControlPolygon(
            "YJJBNT", HAIYAN, haiyan(10, 110, 190, 190), 424_900_002, 2022, source_parcel=424_000_003
        ),
    ]
    d.control[2025] = [
        # new standard YJJBNTBHTB: YJJBNTMJ (the 永久基本农田面积, net of 田坎) beside YJJBNTTBMJ
        ControlPolygon("YJJBNT", HAIYAN, haiyan(10, 10, 95, 90), 424_900_011, 2022, counted_area=6460.0),
        ControlPolygon(
            "YJJBNT", HAIYAN, haiyan(105, 10, 390, 90), 424_900_012, 2022, True, counted_area=21660.0
        ),
        ControlPolygon("YJJBNT", HAIYAN, haiyan(10, 110, 190, 190), 424_900_013, 2022, counted_area=13680.0),
        ControlPolygon("YJJBNTCBQ", HAIYAN, haiyan(410, 10, 490, 190), 424_910_001, 2024),
        ControlPolygon(
            "GBZNT", HAIYAN, haiyan(110, 15, 380, 85), "GB330424-2025-01", 2025, build_type="新建"
        ),
        ControlPolygon(
            "GBZNT", HAIYAN, haiyan(0, 100, 200, 200), "GB330424-2024-01", 2024, build_type="改造提升"
        ),
        ControlPolygon("LSGNQ", HAIYAN, haiyan(0, 100, 150, 200), "GNQ330424-01", 2020),
    ]
    d.pbf_layer_name = {2024: "YJJBNTTB", 2025: "YJJBNTBHTB"}
    d.formats = {
        ("survey", 2023, "DLTB"): "shp_gbk_no_cpg",
        ("survey", 2024, "DLTBGX"): "gdb",
        ("survey", 2024, "DLTBGXGC"): "parquet",
        ("survey", 2025, "DLTBGX"): "gpkg",
        ("survey", 2025, "DLTBGXGC"): "gdb",
        ("control", 2024, "YJJBNTTB"): "gpkg",
        ("control", 2025, "YJJBNTBHTB"): "gdb",
        ("control", 2025, "YJJBNTCBQ"): "shp",
        ("control", 2025, "GBZNT"): "parquet",
        ("control", 2025, "LSGNQ"): "gpkg",
    }
    d.rename[("survey", 2024, "DLTBGXGC")] = {"TBBGMJ": "BGMJ"}
    # Descriptive fields a base DLTB export may leave out: no figure rests on them.
    d.omit[("survey", 2023, "DLTB")] = {"TBXHDM", "CZCSXM", "SJNF", "QSDWMC"}
    return d


def delivery_c() -> Delivery:
    """Two counties, no control layers at all, and one county with no change in 2024: its 2024
    state is its 2023 state, and its 2025 change survey rests on it (the year's files are delivered;
    they hold no piece of that county because nothing changed there)."""

    def pinghu(x0, y0, x1, y1):
        return county_box(4, x0, y0, x1, y1)

    def tongxiang(x0, y0, x1, y1):
        return county_box(5, x0, y0, x1, y1)

    base = [
        Parcel(482_000_001, "0101", PINGHU, 1, pinghu(0, 0, 200, 100), 0.05, 5, "1", "LS"),
        Parcel(482_000_002, "0103", PINGHU, 1, pinghu(200, 0, 300, 100), 0.1, 8, "2", "LS"),
        Parcel(482_000_003, "0301", PINGHU, 2, pinghu(0, 100, 300, 200)),
        Parcel(483_000_001, "0101", TONGXIANG, 1, tongxiang(0, 0, 300, 200), 0.05, 4, "1", "LS"),
        Parcel(483_000_002, "0702", TONGXIANG, 1, tongxiang(300, 0, 400, 200), czcsxm="203"),
    ]
    d = Delivery([PINGHU, TONGXIANG], 2023, base)
    d.apply_change(
        2024,
        retire=[482_000_002],
        # 旱地 → 水田 by attributes, with less 田坎
        create=[Parcel(482_100_001, "0101", PINGHU, 1, pinghu(200, 0, 300, 100), 0.05, 7, "1", "LS")],
    )
    d.apply_change(
        2025,
        retire=[482_000_003, 483_000_001],
        create=[
            Parcel(482_200_001, "0101", PINGHU, 2, pinghu(0, 100, 150, 200), 0.05, 6, "1", "LS"),
            Parcel(482_200_002, "0301", PINGHU, 2, pinghu(150, 100, 300, 200)),
            Parcel(483_200_001, "0101", TONGXIANG, 1, tongxiang(0, 0, 200, 200), 0.05, 4, "1", "LS"),
            Parcel(483_200_002, "1202", TONGXIANG, 1, tongxiang(200, 0, 300, 200)),
        ],
    )
    d.formats = {
        ("survey", 2023, "DLTB"): "gpkg",
        ("survey", 2024, "DLTBGX"): "gdb",
        ("survey", 2024, "DLTBGXGC"): "shp",
        ("survey", 2025, "DLTBGX"): "shp_gbk",
        ("survey", 2025, "DLTBGXGC"): "gpkg",
    }
    # every optional field absent from the 2025 change survey (SOURCES.md lists fields no figure reads)
    d.omit[("survey", 2025, "DLTBGXGC")] = _optional_fields("DLTBGXGC")
    d.omit[("survey", 2025, "DLTBGX")] = _optional_fields("DLTBGX")
    return d


def _optional_fields(layer_code: str) -> set[str]:
    from sources.layers import LAYERS_BY_CODE

    layer = LAYERS_BY_CODE[layer_code]
    return set(layer.fields) - set(layer.required)


DELIVERIES = {
    "A_three_counties": delivery_a,
    "B_one_county": delivery_b,
    "C_no_change_no_control": delivery_c,
}


# ------------------------------------------------------------------------------------------------ builds


@dataclass
class Built:
    name: str
    delivery: Delivery
    landing: Path
    warehouse: Path
    result: object  # dagster ExecuteInProcessResult

    @property
    def published(self) -> Path:
        from warehouse.config import published_path

        return published_path(self.warehouse)

    def query(self, sql: str) -> list[dict]:
        """Rows of the published snapshot as dicts."""
        from warehouse.connection import connect

        con = connect(self.published, read_only=True)
        try:
            relation = con.sql(sql)
            names = relation.columns
            return [dict(zip(names, row, strict=True)) for row in relation.fetchall()]
        finally:
            con.close()

    def failure_summary(self) -> str:
        """Why the run failed: the failing steps' messages and what raw.rejects says, for the report."""
        lines = []
        for event in getattr(self.result, "all_events", []):
            if event.event_type_value == "STEP_FAILURE":
                error = event.step_failure_data.error
                message = error.message if error else event.message
                lines.append(f"step {event.step_key} failed: {str(message).strip()[:1500]}")
        lines.extend(rejects_summary(self.warehouse))
        return "\n".join(lines) or "no failure events"


def rejects_summary(warehouse: Path) -> list[str]:
    from warehouse.connection import connect

    if not warehouse.exists():
        return ["(no warehouse file)"]
    try:
        con = connect(warehouse, read_only=True)
    except Exception as exc:  # the file may be locked or half-written after a failed run
        return [f"(cannot open warehouse: {exc})"]
    try:
        rows = con.sql(
            "select source_file, source_row, rule_id, reason from raw.rejects order by 1, 2 limit 40"
        ).fetchall()
    except Exception as exc:
        return [f"(cannot read raw.rejects: {exc})"]
    finally:
        con.close()
    return [f"reject {f}:{r} {rule}: {reason}" for f, r, rule, reason in rows]


HOSTILE_FOLDER = '县 it\'s; drop table "x" -- 𝔘 ' + "田" * 40


@pytest.fixture(scope="module", params=sorted(DELIVERIES))
def built(request, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    from tests.conftest import build, held_open

    name = request.param
    delivery = DELIVERIES[name]()
    # a folder name that breaks any SQL a path is spliced into unquoted: every extractor, dbt, the rule
    # runner, the publisher and the exports meet it
    root = tmp_path_factory.mktemp(f"conformance_{name}") / HOSTILE_FOLDER
    landing = delivery.write(root / "landing")
    warehouse = root / "farmland.duckdb"
    outcome = Built(name, delivery, landing, warehouse, build(landing, warehouse))
    with held_open(outcome.warehouse, outcome.published):
        yield outcome


def require_success(b: Built) -> None:
    if not b.result.success:
        pytest.fail(f"delivery {b.name} did not build:\n{b.failure_summary()}", pytrace=False)


# ---------------------------------------------------------------------------------------------- compare


def differences(
    what: str,
    expected: dict[tuple, dict],
    actual: dict[tuple, dict],
    columns: dict[str, float | None],
) -> list[str]:
    """Every key/column where the warehouse and the reference disagree (tolerance per column;
    None = compare exactly), as lines naming the row."""
    lines = []
    for key in sorted(set(expected) | set(actual), key=str):
        if key not in actual:
            lines.append(f"{what} {key}: missing in the warehouse (expected {expected[key]})")
            continue
        if key not in expected:
            lines.append(f"{what} {key}: unexpected row in the warehouse {actual[key]}")
            continue
        for column, tolerance in columns.items():
            want, got = expected[key].get(column), actual[key].get(column)
            if want is None or got is None or tolerance is None:
                same = want == got
            else:
                same = math.isclose(float(want), float(got), rel_tol=0, abs_tol=tolerance)
            if not same:
                lines.append(f"{what} {key} {column}: warehouse {got!r}, reference {want!r}")
    return lines


def assert_no_differences(lines: list[str]) -> None:
    assert not lines, f"{len(lines)} difference(s):\n" + "\n".join(lines)


# ------------------------------------------------------------------------------------------------- tests


def test_delivery_builds(built: Built) -> None:
    require_success(built)


def test_nothing_is_quarantined(built: Built) -> None:
    """Every row of a spec-legal delivery reaches staging: raw.rejects stays empty."""
    require_success(built)
    assert rejects_summary(built.warehouse) == []


def test_every_survey_year_reconciles(built: Built) -> None:
    require_success(built)
    rows = built.query("select distinct year from marts.land_use_area order by year")
    assert [r["year"] for r in rows] == built.delivery.survey_years


def _compare_areas(built: Built, mart: str, expected_m2: dict[tuple, float], key_columns: list[str]) -> None:
    """A mart of areas (area_m2, area_mu) against the reference's m² per key."""
    require_success(built)
    expected = {key: {"area_m2": m2, "area_mu": m2 * reference.MU_PER_M2} for key, m2 in expected_m2.items()}
    actual = {tuple(r[c] for c in key_columns): r for r in built.query(f"select * from marts.{mart}")}
    tolerances = {"area_m2": M2_TOLERANCE, "area_mu": MU_TOLERANCE}
    assert_no_differences(differences(mart, expected, actual, tolerances))


def _compare_per_admin_year(
    built: Built, mart: str, expected: dict[tuple, dict], columns: dict[str, float | None]
) -> None:
    """A mart of admin × year rows against the reference's rows keyed (admin_code, year)."""
    actual = {(r["admin_code"], r["year"]): r for r in built.query(f"select * from marts.{mart}")}
    assert_no_differences(differences(mart, expected, actual, columns))


def test_land_use_area(built: Built) -> None:
    keys = ["admin_code", "year", "land_class"]
    _compare_areas(built, "land_use_area", reference.land_use_area(built.delivery), keys)


def test_land_transition(built: Built) -> None:
    keys = ["admin_code", "year", "from_class", "to_class"]
    _compare_areas(built, "land_transition", reference.land_transition(built.delivery), keys)


def test_cultivated_land(built: Built) -> None:
    require_success(built)
    expected = reference.cultivated_land(built.delivery)
    columns: dict[str, float | None] = {
        name: MU_TOLERANCE
        for name in (
            "cultivated_mu", "paddy_mu", "irrigated_mu", "dry_mu", "steep_slope_mu", "restorable_mu",
            "gain_mu", "loss_mu", "loss_to_construction_mu", "loss_to_agriculture_mu", "net_change_mu",
            "target_mu", "gap_mu",
        )
    }  # fmt: skip
    columns["mean_quality_grade"] = 1e-9
    columns["meets_target"] = None
    _compare_per_admin_year(built, "cultivated_land", expected, columns)


def test_cultivated_land_boundary_net(built: Built) -> None:
    """耕地 entering / leaving a county across a county or coast line (the product's boundary_net_mu):
    the part of the year's cultivated change that is neither gain nor loss."""
    require_success(built)
    expected_m2 = reference.boundary_net(built.delivery)
    change_years = {c.year for c in built.delivery.changes}
    rows = built.query("select admin_code, year, boundary_net_mu from marts.cultivated_land")
    lines = []
    for r in rows:
        if r["year"] not in change_years:
            continue
        if r["admin_code"] == "330400":
            want = sum(v for (c, y), v in expected_m2.items() if y == r["year"]) * reference.MU_PER_M2
        else:
            want = expected_m2.get((r["admin_code"], r["year"]), 0.0) * reference.MU_PER_M2
        if r["boundary_net_mu"] is None or abs(r["boundary_net_mu"] - want) > MU_TOLERANCE:
            lines.append(f"cultivated_land ({r['admin_code']}, {r['year']}) boundary_net_mu: "
                         f"warehouse {r['boundary_net_mu']!r}, reference {want!r}")  # fmt: skip
    assert_no_differences(lines)


def test_cultivated_change_adds_up(built: Built) -> None:
    """cultivated(Y) − cultivated(Y−1) = gain − loss + what crossed a county or coast line."""
    require_success(built)
    rows = {(r["admin_code"], r["year"]): r for r in built.query("select * from marts.cultivated_land")}
    lines = []
    for (admin, year), r in sorted(rows.items()):
        before = rows.get((admin, year - 1))
        if before is None or r["net_change_mu"] is None:
            continue
        change = r["cultivated_mu"] - before["cultivated_mu"]
        explained = r["net_change_mu"] + (r.get("boundary_net_mu") or 0.0)
        if abs(change - explained) > MU_TOLERANCE:
            lines.append(
                f"({admin}, {year}): cultivated changed by {change}, gain − loss + boundary = {explained}"
            )
    assert_no_differences(lines)


def test_in_out_balance(built: Built) -> None:
    require_success(built)
    expected = reference.in_out_balance(built.delivery)
    columns = {"out_mu": MU_TOLERANCE, "in_mu": MU_TOLERANCE, "net_mu": MU_TOLERANCE, "balanced": None}
    _compare_per_admin_year(built, "in_out_balance", expected, columns)


def test_permanent_farmland(built: Built) -> None:
    require_success(built)
    expected = reference.permanent_farmland(built.delivery)
    columns: dict[str, float | None] = {
        name: MU_TOLERANCE
        for name in (
            "pbf_mu", "pbf_on_cultivated_mu", "pbf_off_cultivated_mu", "demonstration_mu", "reserve_mu",
            "target_mu", "gap_mu",
        )
    }  # fmt: skip
    columns["patches_under_20mu"] = None
    _compare_per_admin_year(built, "permanent_farmland", expected, columns)


def test_occupation_balance_is_not_applicable_where_no_balance_binds(built: Built) -> None:
    """A 临时用地 approval owes no 占补平衡: its balances are empty with the reason, never false; the
    建设用地 approvals, linked to no quota, are unbalanced."""
    require_success(built)
    expected = reference.occupation_balance(built.delivery)
    columns = ["balance_applies", "quantity_balanced", "paddy_balanced", "capacity_balanced"]
    columns.append("supplied_before_approval")
    rows = built.query(
        f"select approval_no, {', '.join(columns)}, balance_not_applicable_reason "
        "from marts.occupation_balance"
    )
    actual = {
        row["approval_no"]: {
            **{c: row[c] for c in columns},
            "has_reason": bool(row["balance_not_applicable_reason"]),
        }
        for row in rows
    }
    assert actual == expected


def test_every_enforcement_case_is_published_and_open_means_one_thing(built: Built) -> None:
    """Every delivered case is in case_status, answering a survey finding or not; a case is open (未结案)
    on a day when found by then and not 销号 by then, and case_status (at the latest year end), the
    scorecard (every year end) and the risk index (every quarter end) count exactly those."""
    require_success(built)
    delivery = built.delivery
    by_number = {case.number: case for case in delivery.cases}
    answers = reference.case_answers(delivery)
    published = built.query("select case_no, as_of, is_open, rule_id, entity_id from marts.case_status")
    assert {row["case_no"] for row in published} == set(by_number)
    for row in published:
        case = by_number[row["case_no"]]
        assert row["as_of"] == date(max(delivery.survey_years), 12, 31)
        assert row["is_open"] == reference.case_is_open(case, row["as_of"]), case.number
        assert (row["rule_id"], row["entity_id"]) == answers.get(case.number, (None, None)), case.number

    scorecard = built.query(
        "select admin_code, year, open_cases from marts.county_scorecard where admin_code in "
        f"({', '.join(repr(c) for c in [*delivery.counties, CITY])}) and year in "
        f"({', '.join(str(y) for y in delivery.survey_years)})"
    )
    assert scorecard
    for row in scorecard:
        counts = reference.open_cases(delivery, date(row["year"], 12, 31))
        want = sum(counts.values()) if row["admin_code"] == CITY else counts.get(row["admin_code"], 0)
        assert row["open_cases"] == want, row

    risk = built.query("select county_code, quarter_end, open_cases from marts.risk_index")
    for row in risk:
        counts = reference.open_cases(delivery, row["quarter_end"])
        assert row["open_cases"] == counts.get(row["county_code"], 0), row


def test_a_survey_finding_is_counted_once_in_the_year_it_was_found(built: Built) -> None:
    """case_lifecycle holds each finding of PR09-PR11 once, in the year first found (a parcel still 撂荒
    the next year is the same finding), with the case that answers it."""
    require_success(built)
    answered = {finding: case for case, finding in reference.case_answers(built.delivery).items()}
    expected = {
        (rule_id, entity): (start.year, answered.get((rule_id, entity)))
        for start, rule_id, entity, _ in reference.survey_findings(built.delivery)
    }
    rows = built.query("select rule_id, entity_id, year, case_no from marts.case_lifecycle")
    assert len(rows) == len(expected)
    assert {(r["rule_id"], r["entity_id"]): (r["year"], r["case_no"]) for r in rows} == expected


def findings(b: Built, rule_id: str) -> set[tuple[str, int]]:
    rows = b.query(f"select entity_id, year from quality.violations where rule_id = '{rule_id}'")
    return {(str(r["entity_id"]), r["year"]) for r in rows}


@for_each_catalog_rule
def test_findings(built: Built, rule_id: str) -> None:
    """Exactly the entities the reference flags are findings: (entity_id, year)."""
    require_success(built)
    expected = getattr(reference, rule_id.lower())(built.delivery)
    actual = findings(built, rule_id)
    assert actual == expected, (
        f"{rule_id} in delivery {built.name}: missing {sorted(expected - actual)}, "
        f"unexpected {sorted(actual - expected)}"
    )


def test_admin_outlines_are_the_parcels_in_force_at_the_latest_survey_year(built: Built) -> None:
    """Each county's and village's outline in the snapshot covers exactly the delivery's parcels in force at
    the end of its last survey year: its area and extent, recomputed with shapely from the delivery."""
    import shapely

    require_success(built)
    year = max(built.delivery.survey_years)
    parcels = list(built.delivery.state(year).values())
    expected: dict[tuple[str, str], shapely.Geometry] = {}
    for level, key in (
        ("county", lambda p: p.county),
        ("village", lambda p: village_code(p.county, p.village)),
    ):
        units: dict[str, list[shapely.Polygon]] = {}
        for parcel in parcels:
            units.setdefault(key(parcel), []).append(parcel.geom)
        expected |= {(level, code): shapely.union_all(geoms) for code, geoms in units.items()}
    rows = built.query(
        "select admin_level, admin_code, survey_year, area_m2, ST_AsWKB(geom) as wkb "
        "from marts.admin_outlines"
    )
    assert {(r["admin_level"], r["admin_code"]) for r in rows} == expected.keys()
    for row in rows:
        outline = shapely.from_wkb(bytes(row["wkb"]))
        want = expected[(row["admin_level"], row["admin_code"])]
        assert row["survey_year"] == year
        assert math.isclose(row["area_m2"], want.area, rel_tol=1e-9), row["admin_code"]
        assert outline.symmetric_difference(want).area < 1e-6 * want.area, row["admin_code"]


def test_the_field_overlay_map_draws_the_ground_field_overlay_counts(built: Built) -> None:
    """多田套合 as a map layer: per county, the 耕地 of the last survey year under 永农, 高标准农田,
    功能区 and all three at once, outlined by the parcels cut by the polygons in force. Its figure is the
    reference's (TBDLMJ basis) and field_overlay's for the year; its outline is the ground recomputed
    with shapely."""
    import shapely

    require_success(built)
    year = max(built.delivery.survey_years)
    expected = reference.cultivated_under_layers(built.delivery, year)
    rows = built.query(
        "select county_code, year, overlay, cultivated_m2, cultivated_mu, planar_area_m2, "
        "ST_AsWKB(geom) as wkb from marts.field_overlay_areas"
    )
    layer = {(r["county_code"], r["overlay"]): r for r in rows}
    assert {r["year"] for r in rows} <= {year}
    assert layer.keys() == expected.keys()
    assert bool(rows) == any(p.layer != "YJJBNTCBQ" for ps in built.delivery.control.values() for p in ps)

    counted = built.query(
        "select admin_code, cultivated_in_pbf_mu as pbf, cultivated_in_high_standard_mu as high_standard, "
        "cultivated_in_grain_zone_mu as grain_zone, all_four_mu as all_four from marts.field_overlay "
        f"where admin_level = 'county' and year = {year}"
    )
    lines = []
    for row in counted:
        for overlay in reference.OVERLAY_LAYERS:
            mapped = layer.get((row["admin_code"], overlay), {}).get("cultivated_mu", 0.0)
            if not math.isclose(mapped, row[overlay], abs_tol=MU_TOLERANCE):
                lines.append(
                    f"({row['admin_code']}, {overlay}): map {mapped} 亩, field_overlay {row[overlay]} 亩"
                )
    for key, (m2, ground) in sorted(expected.items()):
        r = layer[key]
        drawn = shapely.from_wkb(bytes(r["wkb"]))
        print(
            f"{built.name} {year} {key}: {r['cultivated_m2']:.2f} m² (reference {m2:.2f}), "
            f"outline {r['planar_area_m2']:.2f} m² (reference {ground.area:.2f})"
        )
        if not math.isclose(r["cultivated_m2"], m2, abs_tol=M2_TOLERANCE):
            lines.append(f"{key} cultivated_m2: map {r['cultivated_m2']}, reference {m2}")
        if not math.isclose(r["cultivated_mu"], m2 * reference.MU_PER_M2, abs_tol=MU_TOLERANCE):
            lines.append(
                f"{key} cultivated_mu: map {r['cultivated_mu']}, reference {m2 * reference.MU_PER_M2}"
            )
        if not math.isclose(r["planar_area_m2"], ground.area, abs_tol=M2_TOLERANCE):
            lines.append(f"{key} planar_area_m2: map {r['planar_area_m2']}, reference {ground.area}")
        if drawn.symmetric_difference(ground).area > 1e-6 * ground.area:
            lines.append(f"{key}: the outline is not the ground under the layer")
    assert_no_differences(lines)


# the delivered field carrying each layer's or record kind's id (SOURCES.md), read back from the file
RECORD_ID_FIELDS = {
    "DLTB": "BSM",
    "DLTBGX": "BSM",
    "YJJBNT": "BSM",
    "GBZNT": "XMBH",
    "LSGNQ": "GNQBH",
    "land_approvals": "批准文号",
    "approval_boundaries": "批准文号",
    "enforcement_cases": "案件编号",
    "supplement_projects": "项目编号",
    "supplement_boundaries": "项目编号",
    "consolidation_works": "工程编号",
    "quota_links": "挂钩编号",
    "compensation_payments": "村代码",
}


def delivered_rows(path: Path, layer_code: str, sheet: str | None, id_field: str) -> dict[int, dict]:
    """The rows of a delivered file as its own reader gives them, by the row number the warehouse gives a
    row of such a file: a feature's position in its layer, a CSV row's line (an Excel row's number) in the
    file, the header being the first line naming `id_field`, a JSON object's position. GeoPackage, FileGDB
    and Shapefile through pyogrio's Arrow reader (this GDAL has no GeoParquet driver: pyarrow reads those),
    workbooks through polars with fastexcel."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        import csv

        raw = path.read_bytes()
        text = next(decoded for encoding in ("utf-8-sig", "gb18030") if (decoded := _decoded(raw, encoding)))
        return _below_header(list(csv.reader(text.splitlines())), id_field)
    if suffix == ".xlsx":
        import polars as pl

        frame = pl.read_excel(path, sheet_name=sheet, engine="calamine", has_header=False)
        return _below_header([[None if v is None else str(v) for v in row] for row in frame.rows()], id_field)
    if suffix == ".json":
        import json

        records = json.loads(path.read_text(encoding="utf-8"))
        return dict(enumerate(records, start=1))
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        table = pq.read_table(path)
    else:
        import pyogrio

        layers = [name for name, _ in pyogrio.list_layers(path)]
        chosen = layers[0] if len(layers) == 1 else next(n for n in layers if layer_code in n.upper())
        # a Shapefile without its .cpg is in the Chinese code page (GBK), as the bureaus' exports are
        encoding = "GB18030" if suffix == ".shp" and not path.with_suffix(".cpg").exists() else None
        _, table = pyogrio.read_arrow(path, layer=chosen, read_geometry=False, encoding=encoding)
    return dict(enumerate(table.to_pylist(), start=1))


def _below_header(lines: list[list], id_field: str) -> dict[int, dict]:
    """Rows of a table of text lines (line 1 first) below the first line naming `id_field`, by line number."""
    header_at = next(i for i, cells in enumerate(lines) if id_field in cells)
    header = lines[header_at]
    return {
        number: dict(zip(header, cells, strict=False))
        for number, cells in enumerate(lines[header_at + 1 :], start=header_at + 2)
    }


def _decoded(raw: bytes, encoding: str) -> str | None:
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError:
        return None


def by_finding(row: dict) -> tuple:
    """The finding a row of finding_sources traces: rule, entity type, entity id, year."""
    return (row["rule_id"], row["entity_type"], row["entity_id"], row["year"])


def test_every_finding_leads_to_the_delivered_row_it_rests_on(built: Built) -> None:
    """Each finding of the delivery is in finding_sources; one on a figure over many rows (traced
    'aggregate') names no file, every other names a file of the landing folder and a row of it which,
    read back from the file itself, carries the record's id: the parcel's BSM, the patch's polygons, the
    project's XMBH, the approval's 批准文号, the case's 案件编号, and for a change record the pieces
    whose parcel after the change is the finding's."""
    from collections import Counter

    require_success(built)
    findings = {
        tuple(r.values())
        for r in built.query("select distinct rule_id, entity_type, entity_id, year from quality.violations")
    }
    traced = built.query(
        "select rule_id, entity_type, entity_id, year, traced_by, source_layer, source_file, source_row, "
        "source_sheet, record_id from marts.finding_sources"
    )
    assert {by_finding(r) for r in traced} == findings
    assert findings, f"delivery {built.name} has no finding to trace"

    files: dict[tuple[str, str, str | None], dict[int, dict]] = {}
    lines = []
    for r in traced:
        finding = by_finding(r)
        if r["traced_by"] == "aggregate":
            if r["source_file"] is not None or r["source_row"] is not None:
                lines.append(f"{finding}: an aggregate names {r['source_file']}:{r['source_row']}")
            continue
        if r["source_file"] is None or r["source_row"] is None:
            lines.append(f"{finding}: traced {r['traced_by']!r} to no delivered row")
            continue
        path = built.landing / r["source_file"]
        if not path.exists():
            lines.append(f"{finding}: {r['source_file']} is not in the landing folder")
            continue
        where = f"{r['source_file']}:{r['source_row']}"
        # a piece is its file and row; the change record it belongs to is its parcel after the change
        field = "BGHTBBSM" if r["source_layer"] == "DLTBGXGC" else RECORD_ID_FIELDS.get(r["source_layer"])
        if field is None:
            lines.append(f"{finding}: no id field known for {r['source_layer']}")
            continue
        key = (r["source_file"], r["source_layer"], r["source_sheet"])
        if key not in files:
            files[key] = delivered_rows(path, r["source_layer"], r["source_sheet"], field)
        row = files[key].get(r["source_row"])
        if row is None:
            lines.append(f"{finding}: {r['source_file']} has no row {r['source_row']}")
            continue
        if r["source_layer"] == "DLTBGXGC":
            if r["record_id"] != f"{r['source_file']}#{r['source_row']}":
                lines.append(f"{finding}: piece {r['record_id']} is not {where}")
            if str(row.get(field)) != r["entity_id"]:
                lines.append(f"{finding}: {where} is a piece of {row.get(field)}, not {r['entity_id']}")
        elif str(row.get(field)) != r["record_id"]:
            lines.append(f"{finding}: {where} carries {field} {row.get(field)!r}, not {r['record_id']!r}")
    # a finding on one record is that record; a patch's first polygon names the patch
    for finding in findings:
        records = {
            r["record_id"]
            for r in traced
            if by_finding(r) == finding and r["source_file"] and r["source_layer"] != "DLTBGXGC"
        }
        if records and finding[2] not in records:
            lines.append(f"{finding}: traced to {sorted(records)}, none of them the finding's own")
    assert_no_differences(lines)

    counts: Counter[tuple[str, str]] = Counter()
    for finding in findings:
        aggregate = any(r["traced_by"] == "aggregate" for r in traced if by_finding(r) == finding)
        counts[(finding[1], "aggregate" if aggregate else "delivered rows")] += 1
    print(f"{built.name}: findings traced per entity type: {dict(sorted(counts.items()))}")


def test_the_officials_report_shows_the_deliverys_figures(built: Built) -> None:
    """The city's report page, written by the build: each county's 耕地 and 进出 as the reference
    recomputes them from the delivery, a county that delivered nothing as 未报送 with no figure, and the
    findings of PR08–PR12 (the rules the reference judges) counted per rule as the reference finds them."""
    from tests.test_report import _mu, _tables
    from warehouse.report import reports_folder

    require_success(built)
    year = max(built.delivery.survey_years)
    page = reports_folder(built.published) / f"330400_{year}.html"
    tables = _tables(page)
    shown = {row[0]: row for row in tables["headline"][1:]}

    cultivated = reference.cultivated_land(built.delivery)
    flows = reference.in_out_balance(built.delivery)
    lines = []
    for code in sorted(shown):
        row = shown[code]
        expected = cultivated.get((code, year))
        if expected is None:
            if row[3] != "—" or row[2] != "未报送":
                lines.append(f"{code}: delivered nothing, the page shows {row[2]!r} and 耕地 {row[3]!r}")
            continue
        flow = flows.get((code, year), {})
        for column, want in (
            (3, expected["cultivated_mu"]),
            (9, flow.get("in_mu")),
            (10, flow.get("out_mu")),
        ):
            got = _mu(row[column])
            if want is None:
                continue
            if got is None or abs(got - want) > 0.5 + MU_TOLERANCE:
                lines.append(f"{code} column {column}: page {row[column]!r}, reference {want:.3f}")
    assert_no_differences(lines)

    listed = {row[0]: int(row[3]) for row in tables["findings"][1:] if len(row) > 3}
    for rule_id in ("PR08", "PR09", "PR10", "PR11", "PR12"):
        expected = sum(
            1 for _, found_in in getattr(reference, rule_id.lower())(built.delivery) if found_in == year
        )
        assert listed.get(rule_id, 0) == expected, (rule_id, listed)
