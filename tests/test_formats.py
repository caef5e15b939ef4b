"""Reading and writing the four delivery formats, and refusing text we cannot decode for sure."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely

from sources.encoding import decode_text_file
from sources.errors import DeliveryError
from sources.formats import read_layer, write_layer

# Parcels in CGCS2000 GK zone 40 (EPSG:4528): x ≈ 40 5xx xxx, y ≈ 3 4xx xxx (嘉兴).
X0, Y0 = 40_520_000.0, 3_405_000.0


def parcels() -> tuple[pa.Table, list[shapely.Geometry | None]]:
    """Three DLTB parcels: a square, a parcel with a hole (a pond inside), a two-part parcel."""
    table = pa.table(
        {
            "BSM": pa.array([330402001, 330402002, 330402003], pa.int64()),
            "DLBM": ["0101", "0103", "1104"],
            "DLMC": ["水田", "旱地", "坑塘水面"],
            "ZLDWMC": ["余新镇金星村", "凤桥镇联丰村", "新丰镇竹林村"],
            "TBMJ": [10000.25, 3000.5, 1234.0],
            "GDDB": pa.array([5, 7, None], pa.int64()),
            "GXSJ": pa.array([datetime.date(2023, 12, 31), None, datetime.date(2024, 3, 5)], pa.date32()),
        }
    )
    geometries = [
        shapely.box(X0, Y0, X0 + 100, Y0 + 100),
        shapely.Polygon(
            [(X0 + 200, Y0), (X0 + 300, Y0), (X0 + 300, Y0 + 100), (X0 + 200, Y0 + 100)],
            holes=[[(X0 + 240, Y0 + 40), (X0 + 260, Y0 + 40), (X0 + 260, Y0 + 60), (X0 + 240, Y0 + 60)]],
        ),
        shapely.MultiPolygon(
            [shapely.box(X0 + 400, Y0, X0 + 450, Y0 + 50), shapely.box(X0 + 500, Y0, X0 + 550, Y0 + 50)]
        ),
    ]
    return table, geometries


def same_shape(a: shapely.Geometry, b: shapely.Geometry) -> bool:
    """Equal up to ring start/orientation (Shapefile rings run clockwise) and single-part multis
    (FileGDB stores every polygon as a MultiPolygon)."""

    def canonical(g: shapely.Geometry) -> shapely.Geometry:
        if g.geom_type.startswith("Multi") and len(g.geoms) == 1:
            g = g.geoms[0]
        return shapely.normalize(g)

    return bool(shapely.equals_exact(canonical(a), canonical(b), tolerance=1e-6))


FORMAT_CASES = {
    "geoparquet": ("DLTB.parquet", {}),
    "geopackage": ("DLTB.gpkg", {}),
    "shapefile GBK with .cpg": ("DLTB.shp", {"dbf_encoding": "GBK"}),
    "shapefile GBK without .cpg": ("DLTB.shp", {"dbf_encoding": "GBK", "write_cpg": False}),
    "filegdb": ("DLTB.gdb", {}),
}


@pytest.mark.parametrize("case", FORMAT_CASES)
def test_each_format_round_trips_attributes_geometry_and_crs(tmp_path: Path, case: str) -> None:
    name, options = FORMAT_CASES[case]
    table, geometries = parcels()
    path = write_layer(tmp_path / name, table, geometries, 4528, **options)

    layer = read_layer(path)

    assert layer.crs_epsg == 4528
    assert layer.table.column_names == table.column_names
    assert layer.table.to_pylist() == table.to_pylist()  # Chinese text, integers and dates intact
    assert layer.table.schema.field("BSM").type == pa.int64()
    read_back = shapely.from_wkb(layer.wkb.to_numpy(zero_copy_only=False))
    assert all(same_shape(a, b) for a, b in zip(read_back, geometries, strict=True))


def test_gbk_shapefile_without_cpg_is_detected_from_the_dbf_bytes(tmp_path: Path) -> None:
    table, geometries = parcels()
    path = write_layer(tmp_path / "DLTB.shp", table, geometries, 4528, dbf_encoding="GBK", write_cpg=False)
    assert not path.with_suffix(".cpg").exists()
    assert "坑塘水面".encode("gbk") in path.with_suffix(".dbf").read_bytes()

    layer = read_layer(path)

    assert layer.encoding == "GB18030"  # the GBK superset: decodes every GBK file identically
    assert layer.table.column("ZLDWMC").to_pylist() == ["余新镇金星村", "凤桥镇联丰村", "新丰镇竹林村"]


def test_cpg_names_the_shapefile_encoding(tmp_path: Path) -> None:
    table, geometries = parcels()
    path = write_layer(tmp_path / "DLTB.shp", table, geometries, 4528, dbf_encoding="GBK")
    assert path.with_suffix(".cpg").read_text().strip().upper() == "GBK"
    assert read_layer(path).encoding == "GBK"


@pytest.mark.parametrize("declared", ["UTF-8", "ISO-8859-1"])
def test_a_cpg_contradicting_the_gbk_dbf_is_refused(tmp_path: Path, declared: str) -> None:
    table, geometries = parcels()
    path = write_layer(tmp_path / "DLTB.shp", table, geometries, 4528, dbf_encoding="GBK", write_cpg=False)
    path.with_suffix(".cpg").write_text(declared)  # a common export mistake: GBK bytes, wrong label

    with pytest.raises(DeliveryError, match=rf"DLTB\.cpg declares the encoding '{declared}' but DLTB\.dbf"):
        read_layer(path)


@pytest.mark.parametrize("encoding, text", [("ISO-8859-1", "Área café"), ("shift_jis", "テスト東京")])
def test_shapefile_text_in_another_encoding_without_cpg_is_refused(tmp_path: Path, encoding, text) -> None:
    table = pa.table({"NAME": [text, text]})
    geometries = [shapely.box(X0, Y0, X0 + 1, Y0 + 1)] * 2
    path = write_layer(tmp_path / "X.shp", table, geometries, 4528, dbf_encoding=encoding, write_cpg=False)

    with pytest.raises(DeliveryError, match=r"X\.dbf.*neither UTF-8 nor GBK.*\.cpg"):
        read_layer(path)


@pytest.mark.parametrize("name", ["DLTB.shp", "DLTB.gpkg", "DLTB.parquet", "DLTB.gdb"])
def test_a_layer_without_crs_reads_as_undeclared(tmp_path: Path, name: str) -> None:
    table, geometries = parcels()
    path = write_layer(tmp_path / name, table, geometries, None)
    if name.endswith(".shp"):
        assert not path.with_suffix(".prj").exists()

    layer = read_layer(path)

    assert layer.crs_epsg is None and layer.crs_wkt is None and not layer.has_crs


def test_geoparquet_crs_null_versus_missing(tmp_path: Path) -> None:
    table, geometries = parcels()
    path = write_layer(tmp_path / "DLTB.parquet", table, geometries, None)
    geo = json.loads(pq.read_schema(path).metadata[b"geo"])
    assert geo["columns"]["geometry"]["crs"] is None  # explicit null: "no CRS", not the CRS84 default

    del geo["columns"]["geometry"]["crs"]
    data = pq.read_table(path)
    pq.write_table(
        data.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), tmp_path / "CRS84.parquet"
    )
    assert read_layer(tmp_path / "CRS84.parquet").crs_epsg == 4326  # missing key = OGC:CRS84 lon/lat


def test_geoparquet_with_native_geoarrow_encoding(tmp_path: Path) -> None:
    import geoarrow.pyarrow as ga

    _, geometries = parcels()
    polygons = geometries[:2]
    native = ga.as_geoarrow(ga.as_wkb(shapely.to_wkb(polygons)), ga.polygon())
    geo = {
        "version": "1.1.0",
        "primary_column": "geometry",
        "columns": {"geometry": {"encoding": "polygon", "geometry_types": ["Polygon"], "crs": "EPSG:4528"}},
    }
    table = pa.table({"BSM": [1, 2], "geometry": native.storage})
    pq.write_table(
        table.replace_schema_metadata({b"geo": json.dumps(geo).encode()}), tmp_path / "DLTB.parquet"
    )

    layer = read_layer(tmp_path / "DLTB.parquet")

    assert layer.crs_epsg == 4528
    assert layer.table.column_names == ["BSM"]
    assert all(
        same_shape(a, b) for a, b in zip(shapely.from_wkb(layer.wkb.to_pylist()), polygons, strict=True)
    )


def test_null_geometry_survives_every_format(tmp_path: Path) -> None:
    table, geometries = parcels()
    geometries[1] = None
    for name in ("a.parquet", "a.gpkg", "a.shp", "a.gdb"):
        layer = read_layer(write_layer(tmp_path / name, table, geometries, 4528))
        assert layer.wkb.null_count == 1 and not layer.wkb[1].is_valid, name


# ------------------------------------------------------------------------------------------------ CSV text

HEADER = "项目编号,项目名称,新增耕地面积(亩),县级行政区代码"
ROW = "BC2023-001,南湖区凤桥镇垦造耕地项目,120.5,330402"


def test_gbk_csv_decodes(tmp_path: Path) -> None:
    path = tmp_path / "补充耕地项目.csv"
    path.write_bytes(f"{HEADER}\r\n{ROW}\r\n".encode("gbk"))
    text, encoding = decode_text_file(path)
    assert encoding == "GB18030"
    assert text.splitlines() == [HEADER, ROW]


def test_utf8_bom_csv_decodes_without_the_bom(tmp_path: Path) -> None:
    path = tmp_path / "补充耕地项目.csv"
    path.write_bytes(f"{HEADER}\n{ROW}\n".encode("utf-8-sig"))
    text, encoding = decode_text_file(path)
    assert encoding == "UTF-8-SIG"
    assert text.startswith("项目编号")


def test_plain_utf8_csv_decodes(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text(f"{HEADER}\n{ROW}\n", encoding="utf-8")
    assert decode_text_file(path) == (f"{HEADER}\n{ROW}\n", "UTF-8")


@pytest.mark.parametrize(
    "encoding, header",
    [
        ("utf-16", HEADER),  # with BOM
        ("utf-16-le", HEADER),  # no BOM: ASCII commas become NULs
        ("shift_jis", "案件番号,発見日,状態"),  # Japanese export: bytes that GB18030 would half-accept
        ("latin-1", "Área,Descripción,Código"),
    ],
)
def test_csv_in_another_encoding_is_refused_not_mojibake(tmp_path: Path, encoding: str, header: str) -> None:
    path = tmp_path / "违法用地案件.csv"
    path.write_bytes(f"{header}\n1,2,3\n".encode(encoding))

    with pytest.raises(DeliveryError) as raised:
        decode_text_file(path)

    message = str(raised.value)
    assert "违法用地案件.csv" in message and "UTF-8" in message and "GB18030" in message
    assert raised.value.rule_id == "LOAD"
