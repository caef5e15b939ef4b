"""Every survey and control layer reads the same in each of the four formats SOURCES.md allows.

The builds of test_legal_variants cover each format for some layers; this matrix loads every layer of
delivery A in every format (GeoParquet, GeoPackage, a GBK Shapefile without .cpg, FileGDB with ArcGIS
field types) into raw and compares each field and each polygon's area with what was written.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from sources.extract.load import load_layer
from sources.layers import LAYERS_BY_CODE
from warehouse.connection import warehouse

from .delivery import CRS_EPSG, WRITERS, control_records
from .test_legal_variants import delivery_a

FORMATS = ["parquet", "gpkg", "shp_gbk_no_cpg", "gdb"]
SURVEY_LAYERS = ["DLTB", "DLTBGX", "DLTBGXGC"]
CONTROL_LAYERS = ["YJJBNT", "YJJBNTCBQ", "GBZNT", "LSGNQ"]


def _rows(layer: str) -> tuple[str, int, list[dict], list]:
    """(folder, year, attribute rows, geometries) of one layer of delivery A."""
    delivery = delivery_a()
    if layer == "DLTB":
        year = delivery.base_year
        return "survey", year, [p.record(year) for p in delivery.base], [p.geom for p in delivery.base]
    change = delivery.changes[0]
    if layer == "DLTBGX":
        parcels = change.created
        return "survey", change.year, [p.record(change.year) for p in parcels], [p.geom for p in parcels]
    if layer == "DLTBGXGC":
        return "survey", change.year, [p.record() for p in change.pieces], [p.geom for p in change.pieces]
    year, polygons = next((y, ps) for y, ps in sorted(delivery.control.items()))
    chosen = [p for p in polygons if p.layer == layer]
    rows, _ = control_records(layer, chosen)
    return "control", year, rows, [p.geom for p in chosen]


def _same(written, loaded) -> bool:
    if written is None or written == "":
        return loaded is None or loaded == ""
    if isinstance(written, float):
        return loaded is not None and abs(written - loaded) < 1e-6
    if isinstance(written, datetime.date):
        return loaded == written
    return str(loaded) == str(written)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("layer_code", SURVEY_LAYERS + CONTROL_LAYERS)
def test_every_layer_loads_the_same_in_every_format(tmp_path: Path, layer_code: str, fmt: str) -> None:
    layer = LAYERS_BY_CODE[layer_code]
    folder, year, rows, geometries = _rows(layer_code)
    directory = tmp_path / "landing" / folder / str(year)
    directory.mkdir(parents=True)
    WRITERS[fmt](directory, layer_code, {name: [row[name] for row in rows] for name in rows[0]}, geometries)

    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, tmp_path / "landing", layer, CRS_EPSG)
        fields = [name for name in layer.fields if name in rows[0]]
        quoted = ", ".join(f'"{name}"' for name in fields)
        loaded = con.execute(
            f"SELECT _source_row, {quoted}, ST_Area(geom) FROM raw.{layer.table} ORDER BY _source_row"
        ).fetchall()

    assert (report.rows_loaded, report.rows_rejected, report.files_failed) == (len(rows), 0, 0)
    differences = [
        f"row {number} {name}: wrote {row.get(name)!r}, loaded {value!r}"
        for (number, *values, _), row in zip(loaded, rows, strict=True)
        for name, value in zip(fields, values, strict=True)
        if not _same(row.get(name), value)
    ]
    differences += [
        f"row {number}: polygon of {geometry.area} m² loaded as {area} m²"
        for (number, *_, area), geometry in zip(loaded, geometries, strict=True)
        if abs(area - geometry.area) > 1e-6
    ]
    assert not differences, "\n".join(differences)
