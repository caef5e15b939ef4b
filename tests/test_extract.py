"""Loading a landing folder's survey and control layers into the raw tables."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import shapely
from pyproj import Transformer

from sources.errors import DeliveryError
from sources.extract.discover import discover
from sources.extract.ledger import file_sha256
from sources.extract.load import LayerLoadError, load_layer
from sources.formats import write_layer
from sources.layers import LAYERS_BY_CODE
from warehouse.connection import warehouse

DLTB = LAYERS_BY_CODE["DLTB"]
REGION = 4528  # CGCS2000 3-degree GK zone 40, 嘉兴
X0, Y0 = 40_520_000.0, 3_405_000.0


def parcels(n: int = 3, *, first_bsm: int = 1, gddb: list | None = None) -> tuple[pa.Table, list]:
    table = pa.table(
        {
            "BSM": pa.array(range(first_bsm, first_bsm + n), pa.int64()),
            "DLBM": ["0101"] * n,
            "DLMC": ["水田"] * n,
            "ZLDWDM": ["3304020010010000000"] * n,
            "ZLDWMC": ["余新镇金星村"] * n,
            "TBMJ": [100.0 * (i + 1) for i in range(n)],
            "KCDLBM": [""] * n,
            "KCXS": [0.0] * n,
            "KCMJ": [0.0] * n,
            "TBDLMJ": [100.0 * (i + 1) for i in range(n)],
            "GDPDJB": ["1"] * n,
            "ZZSXDM": ["LS"] * n,
            "GDDB": pa.array(gddb if gddb is not None else [5] * n),
        }
    )
    geometries = [shapely.box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(n)]
    return table, geometries


def count(con, sql: str, *params) -> int:
    return con.execute(sql, list(params)).fetchone()[0]


def test_loads_a_layer_with_lineage(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.shp", *parcels(3), REGION, dbf_encoding="GBK", write_cpg=False)

    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, landing, DLTB, REGION)
        rows = con.execute(
            "SELECT BSM, DLMC, GDDB, _survey_year, _source_file, _source_row, ST_XMin(geom) "
            "FROM raw.dltb ORDER BY _source_row"
        ).fetchall()

    assert (report.files_loaded, report.rows_loaded, report.rows_rejected) == (1, 3, 0)
    assert rows[0] == (1, "水田", 5, 2023, "survey/2023/DLTB.shp", 1, X0)
    assert [r[5] for r in rows] == [1, 2, 3]
    assert "DLTB: 1 files loaded" in report.summary()


@pytest.mark.parametrize("name", ["DLTB.parquet", "DLTB.gpkg", "DLTB.shp", "DLTB.gdb"])
def test_a_file_larger_than_a_batch_loads_batch_by_batch_with_the_same_rows(
    tmp_path: Path, monkeypatch, name: str
) -> None:
    import sources.extract.load
    import sources.formats

    table, geometries = parcels(10)
    grades = pa.array(["5", "5", "5", "x", "5", "5", "5", "5", "5", "5"])
    table = table.set_column(table.schema.get_field_index("GDDB"), "GDDB", grades)
    write_layer(tmp_path / "landing" / "survey/2023" / name, table, geometries, REGION)
    query = "SELECT BSM, GDDB, _source_row, ST_AsText(geom) FROM raw.dltb ORDER BY _source_row"
    batch_sizes: list[int] = []
    check_batch = sources.extract.load.mojibake_reason
    monkeypatch.setattr(
        sources.extract.load,
        "mojibake_reason",
        lambda delivery, data, batch: (
            batch_sizes.append(batch.num_rows) or check_batch(delivery, data, batch)
        ),
    )
    loaded = {}
    for batch_rows in (3, 65_536):
        batch_sizes.clear()
        monkeypatch.setattr(sources.formats, "BATCH_ROWS", batch_rows)
        with warehouse(tmp_path / f"w{batch_rows}.duckdb") as con:
            report = load_layer(con, tmp_path / "landing", DLTB, REGION)
            rejects = con.execute("SELECT source_row, reason FROM raw.rejects").fetchall()
            loaded[batch_rows] = (
                report.rows_loaded,
                report.rows_rejected,
                con.sql(query).fetchall(),
                rejects,
            )
        assert max(batch_sizes) == min(batch_rows, 10) and sum(batch_sizes) == 10
    assert loaded[3] == loaded[65_536]
    rows_loaded, rows_rejected, rows, rejects = loaded[3]
    # the row numbers run on across batches: the unreadable grade of feature 4 is rejected as row 4
    assert (rows_loaded, rows_rejected) == (9, 1) and [r[2] for r in rows] == [1, 2, 3, 5, 6, 7, 8, 9, 10]
    assert [row for row, _ in rejects] == [4]


def test_loading_a_file_holds_one_batch_of_it_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """A region's DLTB is one file of millions of parcels: the loader may hold a batch of it in memory,
    never the file."""
    import sources.extract.load
    import sources.formats

    table, _ = parcels(4_000)
    table = table.append_column("BZ", pa.array(["备注" * 200] * 4_000))  # 1.2 KB of text a parcel
    corners = [(X0 + 120 * (i % 80), Y0 + 120 * (i // 80)) for i in range(4_000)]  # 80 × 50, in the county
    geometries = [shapely.box(x, y, x + 100, y + 100) for x, y in corners]
    write_layer(tmp_path / "landing" / "survey/2023/DLTB.parquet", table, geometries, REGION)
    monkeypatch.setattr(sources.formats, "BATCH_ROWS", 250)  # 16 batches
    held: list[int] = []  # Arrow memory in use as each batch comes in
    check_batch = sources.extract.load.mojibake_reason
    monkeypatch.setattr(
        sources.extract.load,
        "mojibake_reason",
        lambda delivery, data, batch: (
            held.append(pa.total_allocated_bytes()) or check_batch(delivery, data, batch)
        ),
    )
    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, tmp_path / "landing", DLTB, REGION)
    assert report.rows_loaded == 4_000 and len(held) == 16
    one_batch = 250 * 1_200
    assert max(held) - min(held) < 4 * one_batch, f"{(max(held) - min(held)) / one_batch:.0f} batches held"


def test_loading_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.gpkg", *parcels(3, gddb=["5", "x", "6"]), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        load_layer(con, landing, DLTB, REGION)
        before = con.execute("SELECT count(*), min(_loaded_at), max(_loaded_at) FROM raw.dltb").fetchall()
        rejects_before = con.execute("SELECT * FROM raw.rejects").fetchall()

        again = load_layer(con, landing, DLTB, REGION)

        assert (
            con.execute("SELECT count(*), min(_loaded_at), max(_loaded_at) FROM raw.dltb").fetchall()
            == before
        )
        assert con.execute("SELECT * FROM raw.rejects").fetchall() == rejects_before
    assert (again.files_skipped, again.files_loaded, again.rows_loaded) == (1, 0, 0)


def test_a_layer_without_crs_is_refused_and_the_rest_of_the_delivery_loads(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    # a layer delivered county by county: one file per county, named by its county code
    write_layer(landing / "survey/2023/DLTB_330402.shp", *parcels(2), None)  # no .prj
    write_layer(landing / "survey/2023/DLTB_330411.gpkg", *parcels(4, first_bsm=100), REGION)

    with warehouse(tmp_path / "w.duckdb") as con:
        with pytest.raises(DeliveryError) as raised:
            load_layer(con, landing, DLTB, REGION)
        loaded = count(
            con, "SELECT count(*) FROM raw.dltb WHERE _source_file = 'survey/2023/DLTB_330411.gpkg'"
        )
        rejects = con.execute(
            "SELECT source_file, source_row, layer, rule_id, reason FROM raw.rejects"
        ).fetchall()
        # Running again still fails (the file is still bad) but records nothing twice.
        with pytest.raises(DeliveryError):
            load_layer(con, landing, DLTB, REGION)
        assert count(con, "SELECT count(*) FROM raw.rejects") == 1

    message = str(raised.value)
    assert "survey/2023/DLTB_330402.shp" in message and "no .prj" in message and "EPSG:4528" in message
    assert raised.value.rule_id == "DQ14"
    assert isinstance(raised.value, LayerLoadError) and raised.value.report.rows_loaded == 4
    assert loaded == 4
    [(source_file, source_row, layer, rule_id, reason)] = rejects
    assert (source_file, source_row, layer, rule_id) == ("survey/2023/DLTB_330402.shp", None, "DLTB", "DQ14")
    assert reason.startswith("DLTB_330402.shp declares no coordinate reference system (no .prj)")


def test_redelivering_a_refused_layer_with_its_crs_clears_the_refusal(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = landing / "survey/2023/DLTB.shp"
    write_layer(path, *parcels(2), None)
    with warehouse(tmp_path / "w.duckdb") as con:
        with pytest.raises(DeliveryError):
            load_layer(con, landing, DLTB, REGION)

        write_layer(path, *parcels(2), REGION)  # the bureau sends it again with its .prj
        report = load_layer(con, landing, DLTB, REGION)

        assert count(con, "SELECT count(*) FROM raw.rejects") == 0
        assert count(con, "SELECT count(*) FROM raw.dltb") == 2
    assert report.files_failed == 0


def test_a_layer_redelivered_in_another_format_is_not_counted_twice(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.shp", *parcels(3), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        load_layer(con, landing, DLTB, REGION)
        for sidecar in (landing / "survey/2023").glob("DLTB.*"):
            sidecar.unlink()
        write_layer(landing / "survey/2023/DLTB.gpkg", *parcels(3), REGION)

        report = load_layer(con, landing, DLTB, REGION)

        files = con.execute("SELECT DISTINCT _source_file FROM raw.dltb").fetchall()
        assert files == [("survey/2023/DLTB.gpkg",)] and count(con, "SELECT count(*) FROM raw.dltb") == 3
    assert [f.source_file for f in report.removed] == ["survey/2023/DLTB.shp"]


def test_an_uncastable_value_rejects_only_its_row(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3, gddb=["5", "十二", "7.0"]), REGION)

    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, landing, DLTB, REGION)
        loaded = con.execute("SELECT BSM, GDDB FROM raw.dltb ORDER BY BSM").fetchall()
        [(row, rule_id, reason, record)] = con.execute(
            "SELECT source_row, rule_id, reason, record FROM raw.rejects"
        ).fetchall()

    assert (report.rows_loaded, report.rows_rejected) == (2, 1)
    assert loaded == [(1, 5), (3, 7)]
    assert (row, rule_id) == (2, "LOAD")
    assert reason == 'GDDB: cannot read "十二" as an integer'
    assert json.loads(record)["ZLDWMC"] == "余新镇金星村" and "geometry" not in json.loads(record)


def test_replacing_a_file_converges_to_the_new_content(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = landing / "survey/2023/DLTB.gpkg"
    write_layer(path, *parcels(3, gddb=["5", "bad", "6"]), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        load_layer(con, landing, DLTB, REGION)
        assert count(con, "SELECT count(*) FROM raw.rejects") == 1

        write_layer(path, *parcels(2, first_bsm=50), REGION)  # the bureau's corrected file
        report = load_layer(con, landing, DLTB, REGION)

        assert con.execute("SELECT BSM FROM raw.dltb ORDER BY BSM").fetchall() == [(50,), (51,)]
        assert count(con, "SELECT count(DISTINCT _file_sha256) FROM raw.dltb") == 1
        assert count(con, "SELECT count(*) FROM raw.rejects") == 0
    assert (report.files_replaced, report.rows_loaded) == (1, 2)


@pytest.mark.parametrize(
    "source_epsg, name",
    [(4490, "DLTB.parquet"), (4549, "DLTB.shp")],  # lon/lat; zone-40 GK without the "40" prefix
)
def test_a_layer_in_another_crs_is_transformed_to_the_region_crs(
    tmp_path: Path, source_epsg: int, name: str
) -> None:
    landing = tmp_path / "landing"
    table, _ = parcels(1)
    lon_lat = shapely.box(120.75, 30.75, 120.751, 30.751)  # 嘉兴
    delivered = reproject(lon_lat, 4490, source_epsg)
    write_layer(landing / "survey/2023" / name, table, [delivered], source_epsg)

    with warehouse(tmp_path / "w.duckdb") as con:
        load_layer(con, landing, DLTB, REGION)
        x, y, wkb = con.execute(
            "SELECT ST_XMin(geom), ST_YMin(geom), ST_AsWKB(geom) FROM raw.dltb"
        ).fetchone()

    assert 40_500_000 < x < 40_600_000 and 3_000_000 < y < 4_000_000  # easting first, zone prefix 40
    expected = reproject(lon_lat, 4490, REGION)
    assert shapely.equals_exact(
        shapely.normalize(shapely.from_wkb(bytes(wkb))), shapely.normalize(expected), 0.01
    )


def reproject(geometry: shapely.Geometry, source: int, target: int) -> shapely.Geometry:
    transformer = Transformer.from_crs(source, target, always_xy=True)
    return shapely.transform(geometry, lambda xy: list(zip(*transformer.transform(*xy.T), strict=True)))


def test_alias_fields_are_mapped_and_unknown_fields_kept(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    change = pa.table(
        {
            "BSM": pa.array([1], pa.int64()),
            "BGXW": ["2"],
            "BGQTBBSM": pa.array([11], pa.int64()),
            "BGHTBBSM": pa.array([21], pa.int64()),
            "BGQDLBM": ["0101"],
            "BGHDLBM": ["0702"],
            "BGQZLDWDM": ["3304020010010000000"],
            "BGHZLDWDM": ["3304020010010000000"],
            "BGQKCMJ": [0.0],
            "BGHKCMJ": [0.0],
            "BGQTBDLMJ": [321.5],
            "BGHTBDLMJ": [321.5],
            "XZQTZLX": ["0"],
            "BGMJ": [321.5],
            "GXSJ": ["2023/9/1"],
            "BZ": ["备注"],
        }
    )
    write_layer(landing / "survey/2023/DLTBGXGC.shp", change, [shapely.box(X0, Y0, X0 + 10, Y0 + 10)], REGION)
    farmland = pa.table(
        {
            "BSM": pa.array([7], pa.int64()),
            "YJJBNTTBBH": ["JB001"],
            "XZQDM": ["330402000000"],
            "YJJBNTTBMJ": [888.8],
            "SFSFQ": ["N"],
        }
    )
    write_layer(
        landing / "control/2023/YJJBNTBHTB.gpkg", farmland, [shapely.box(X0, Y0, X0 + 5, Y0 + 5)], REGION
    )

    with warehouse(tmp_path / "w.duckdb") as con:
        load_layer(con, landing, LAYERS_BY_CODE["DLTBGXGC"], REGION)
        load_layer(con, landing, LAYERS_BY_CODE["YJJBNT"], REGION)
        gc = con.execute("SELECT TBBGMJ, GXSJ::VARCHAR, _extra FROM raw.dltbgxgc").fetchone()
        jbnt = con.execute("SELECT JBNTTBBH, JBNTMJ, XZQDM, _source_file FROM raw.yjjbnt").fetchone()

    assert gc[:2] == (321.5, "2023-09-01")
    assert json.loads(gc[2]) == {"BZ": "备注"}
    assert jbnt == ("JB001", 888.8, "330402000000", "control/2023/YJJBNTBHTB.gpkg")


def test_unparseable_geometry_is_rejected_and_null_geometry_kept(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    path = write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3), REGION)
    data = pq.read_table(path)
    wkb = data.column("geometry").to_pylist()
    wkb[1], wkb[2] = b"\x01\x03\x00\x00\x00garbage", None
    patched = data.set_column(data.schema.get_field_index("geometry"), "geometry", pa.array(wkb, pa.binary()))
    pq.write_table(patched.replace_schema_metadata(data.schema.metadata), path)

    with warehouse(tmp_path / "w.duckdb") as con:
        load_layer(con, landing, DLTB, REGION)
        kept = con.execute("SELECT _source_row, geom IS NULL FROM raw.dltb ORDER BY 1").fetchall()
        rejects = con.execute("SELECT source_row, rule_id FROM raw.rejects").fetchall()

    assert kept == [(1, False), (3, True)]  # the null geometry is for the DQ05 rule runner to quarantine
    assert rejects == [(2, "DQ05")]


def test_discover_recognises_layers_aliases_and_containers(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    table, geometries = parcels(1)
    write_layer(landing / "survey/2023/DLTB.shp", table, geometries, REGION)
    write_layer(landing / "survey/2024/dltbgx_2024.parquet", table, geometries, REGION)
    write_layer(landing / "control/2023/YJJBNTBHTB_330402.gpkg", table, geometries, REGION)
    # A geodatabase whose only layer is named 管控图层: neither it nor the file name is a layer code.
    write_layer(landing / "control/2023/管控图层.gdb", table, geometries, REGION)
    (landing / "demo_manifest.json").write_text("{}")
    (landing / "projects").mkdir()
    (landing / "projects/补充耕地项目.csv").write_text("项目编号\n")
    (landing / "survey/2023/说明.txt").write_text("readme")

    found = {(d.layer.code, d.year, d.source_file, d.format) for d in discover(landing)}

    assert found == {
        ("DLTB", 2023, "survey/2023/DLTB.shp", "ESRI Shapefile"),
        ("DLTBGX", 2024, "survey/2024/dltbgx_2024.parquet", "GeoParquet"),
        ("YJJBNT", 2023, "control/2023/YJJBNTBHTB_330402.gpkg", "GeoPackage"),
    }


def test_a_filegdb_with_several_layers_loads_each(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    gdb = landing / "control/2023/管控图层.gdb"
    _, geometries = parcels(2)
    write_layer(
        gdb,
        pa.table({"XMBH": ["GB1", "GB2"], "XZQDM": ["330402"] * 2, "JSLX": ["新建"] * 2, "JSMJ": [1.0, 2.0]}),
        geometries,
        REGION,
        layer="GBZNT",
    )
    zones = pa.table({"GNQBH": ["G1", "G2"], "XZQDM": ["330402"] * 2, "GNQMJ": [1.0, 2.0]})
    write_layer(gdb, zones, geometries, REGION, layer="LSGNQ")

    deliveries = discover(landing)
    with warehouse(tmp_path / "w.duckdb") as con:
        for code in ("GBZNT", "LSGNQ"):
            load_layer(con, landing, LAYERS_BY_CODE[code], REGION, deliveries=deliveries)
        gbznt = con.execute("SELECT XMBH, _source_file FROM raw.gbznt ORDER BY 1").fetchall()
        lsgnq = count(con, "SELECT count(*) FROM raw.lsgnq")

    assert gbznt == [("GB1", "control/2023/管控图层.gdb:GBZNT"), ("GB2", "control/2023/管控图层.gdb:GBZNT")]
    assert lsgnq == 2
    assert len(file_sha256(gdb)) == 64
