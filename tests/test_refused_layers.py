"""A layer whose fields, coordinates or text cannot be trusted is refused whole, naming the file, the fault
and the fix: nothing of it reaches raw, so nothing of it can reach a published figure."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
import shapely

from sources.encoding import decode_text_file
from sources.errors import DeliveryError
from sources.extract.load import LayerLoadError, load_layer
from sources.formats import write_layer
from sources.layers import LAYERS_BY_CODE
from tests.test_extract import REGION, X0, Y0, count, parcels
from warehouse.connection import warehouse

DLTB = LAYERS_BY_CODE["DLTB"]


def refusal(tmp_path: Path, layer_code: str = "DLTB") -> tuple[LayerLoadError, int, list[tuple]]:
    """Load the landing folder's `layer_code` files: (the refusal, raw rows loaded, reject rows)."""
    layer = LAYERS_BY_CODE[layer_code]
    with warehouse(tmp_path / "w.duckdb") as con:
        with pytest.raises(LayerLoadError) as raised:
            load_layer(con, tmp_path / "landing", layer, REGION)
        loaded = count(con, f"SELECT count(*) FROM raw.{layer.table}")
        rejects = con.execute("SELECT source_file, source_row, rule_id, reason FROM raw.rejects").fetchall()
    return raised.value, loaded, rejects


def test_a_parcel_layer_without_the_grade_and_planting_fields_is_refused_naming_both(tmp_path: Path) -> None:
    table, geometries = parcels(3)
    table = table.drop_columns(["GDDB", "ZZSXDM"])
    write_layer(tmp_path / "landing/survey/2023/DLTB.gpkg", table, geometries, REGION)

    error, loaded, rejects = refusal(tmp_path)

    assert loaded == 0
    [(source_file, source_row, rule_id, reason)] = rejects
    assert (source_file, source_row, rule_id) == ("survey/2023/DLTB.gpkg", None, "DQ15")
    assert "ZZSXDM" in reason and "GDDB" in reason and reason.startswith("DLTB.gpkg")
    assert error.rule_id == "DQ15" and "survey/2023/DLTB.gpkg" in str(error)


def test_a_field_under_an_unknown_name_is_refused_naming_it_and_the_unknown_names(tmp_path: Path) -> None:
    table, geometries = parcels(2)
    table = table.rename_columns(["TBDLMJ_1" if name == "TBDLMJ" else name for name in table.column_names])
    write_layer(tmp_path / "landing/survey/2024/DLTBGX.parquet", table, geometries, REGION)

    _, loaded, [(_, _, rule_id, reason)] = refusal(tmp_path, "DLTBGX")

    assert loaded == 0 and rule_id == "DQ15"
    assert "lacks the field(s) TBDLMJ" in reason and "not recognised: TBDLMJ_1" in reason


def test_an_optional_field_may_be_absent(tmp_path: Path) -> None:
    table, geometries = parcels(2)
    table = table.drop_columns(["DLMC", "ZLDWMC"])
    write_layer(tmp_path / "landing/survey/2023/DLTB.gpkg", table, geometries, REGION)

    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, tmp_path / "landing", DLTB, REGION)
    assert (report.rows_loaded, report.files_failed) == (2, 0)


def test_zone_40_coordinates_declared_as_zone_39_are_refused_with_the_right_code(tmp_path: Path) -> None:
    # The coordinates carry zone number 40 (x ≈ 40 520 000), the file declares EPSG:4527 (zone 39): PROJ
    # transforms them without complaint to a place 700 km east.
    write_layer(tmp_path / "landing/control/2023/YJJBNT.gpkg", *_farmland(), 4527)

    error, loaded, [(_, source_row, rule_id, reason)] = refusal(tmp_path, "YJJBNT")

    assert loaded == 0 and source_row is None and rule_id == "DQ14" and error.rule_id == "DQ14"
    assert reason.startswith("YJJBNT.gpkg: 2 of 2 feature(s) lie outside the area of the declared EPSG:4527")
    assert "zone number 40" in reason and "declare EPSG:4528" in reason


def test_coordinates_outside_the_region_in_its_own_crs_are_refused(tmp_path: Path) -> None:
    # Declared as the region's zone 40, but the numbers are zone 35 (宁夏) coordinates.
    table, _ = _farmland()
    far = [shapely.box(35_400_000 + 200 * i, 4_100_000, 35_400_100 + 200 * i, 4_100_100) for i in range(2)]
    write_layer(tmp_path / "landing/control/2023/YJJBNT.gpkg", table, far, REGION)

    _, loaded, [(_, _, rule_id, reason)] = refusal(tmp_path, "YJJBNT")

    assert loaded == 0 and rule_id == "DQ14" and "outside the area of the declared EPSG:4528" in reason


def test_coordinates_of_the_region_load(tmp_path: Path) -> None:
    write_layer(tmp_path / "landing/control/2023/YJJBNT.gpkg", *_farmland(), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, tmp_path / "landing", LAYERS_BY_CODE["YJJBNT"], REGION)
    assert report.rows_loaded == 2


@pytest.mark.parametrize(
    "misread",
    [
        pytest.param(("utf-8", "latin-1"), id="utf8-read-as-latin1"),
        pytest.param(("gbk", "cp1252"), id="gbk-read-as-cp1252"),
        pytest.param(("utf-8", "gbk"), id="utf8-read-as-gbk"),
    ],
)
def test_mojibake_values_under_a_clean_header_are_refused(tmp_path: Path, misread) -> None:
    table, geometries = parcels(3)
    true, read_as = misread
    names = [
        name.encode(true).decode(read_as, errors="replace")
        for name in ["余新镇金星村", "新丰镇竹林村", "凤桥镇永红村"]
    ]
    table = table.set_column(table.schema.get_field_index("ZLDWMC"), "ZLDWMC", pa.array(names))
    write_layer(tmp_path / "landing/survey/2023/DLTB.parquet", table, geometries, REGION)

    _, loaded, [(_, _, rule_id, reason)] = refusal(tmp_path)

    assert loaded == 0 and rule_id == "LOAD"
    assert "field ZLDWMC" in reason and "mojibake" in reason and "UTF-8" in reason


def _farmland() -> tuple[pa.Table, list]:
    table = pa.table(
        {
            "BSM": pa.array([1, 2], pa.int64()),
            "XZQDM": ["330402"] * 2,
            "JBNTMJ": [10000.0] * 2,
            "SFSFQ": ["N"] * 2,
        }
    )
    geometries = [shapely.box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(2)]
    return table, geometries


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
def test_a_text_file_cut_inside_a_character_is_called_truncated(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "违法用地案件.csv"
    path.write_bytes("案件编号,发现来源\nAJ001,卫片执法\n".encode(encoding)[:-2])

    with pytest.raises(DeliveryError) as raised:
        decode_text_file(path)

    assert "truncated" in raised.value.message and path.name in raised.value.message


def _complete_row(layer) -> dict[str, list]:
    """One feature's attributes with every canonical field of `layer`, typed as the layer declares."""
    samples = {"VARCHAR": "1", "BIGINT": 1, "DOUBLE": 1.0, "DATE": "2024-06-30"}
    row = {name: [samples[type_]] for name, type_ in layer.fields.items()} | {"BZ": ["备注"]}
    for name in row:
        if name.endswith("ZLDWDM"):
            row[name] = ["3304020010010000000"]
        elif name == "XZQDM":
            row[name] = ["330402"]
    return row


@pytest.mark.parametrize(
    ("layer_code", "field"),
    [(layer.code, name) for layer in LAYERS_BY_CODE.values() for name in layer.required],
)
def test_each_required_field_missing_from_each_layer_refuses_the_file(
    tmp_path: Path, layer_code, field
) -> None:
    layer = LAYERS_BY_CODE[layer_code]
    row = _complete_row(layer)
    del row[field]
    folder = f"{layer.folder}/2024" if layer.yearly else layer.folder
    write_layer(
        tmp_path / f"landing/{folder}/{layer.code}.gpkg",
        pa.table(row),
        [shapely.box(X0, Y0, X0 + 9, Y0 + 9)],
        REGION,
    )

    _, loaded, [(source_file, _, rule_id, reason)] = refusal(tmp_path, layer_code)

    assert loaded == 0 and rule_id == "DQ15" and source_file == f"{folder}/{layer.code}.gpkg"
    assert f"lacks the field(s) {field}" in reason


@pytest.mark.parametrize("layer_code", [layer.code for layer in LAYERS_BY_CODE.values()])
def test_a_layer_with_every_field_loads(tmp_path: Path, layer_code) -> None:
    layer = LAYERS_BY_CODE[layer_code]
    folder = f"{layer.folder}/2024" if layer.yearly else layer.folder
    path = tmp_path / f"landing/{folder}/{layer.code}.gpkg"
    write_layer(path, pa.table(_complete_row(layer)), [shapely.box(X0, Y0, X0 + 9, Y0 + 9)], REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, tmp_path / "landing", layer, REGION)
    assert (report.rows_loaded, report.files_failed) == (1, 0)
