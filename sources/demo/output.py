"""Writing the demo tables as delivered files, through `sources.formats.write_layer`.

Each year arrives in a different format, as real deliveries do, so every reader path is exercised:
2022 GeoParquet, 2023 GeoPackage, 2024 Shapefile with GBK .dbf (DLTBGX with a .cpg, DLTBGXGC without),
2025 FileGDB; the control layers mix GeoPackage, GBK Shapefile without .cpg, FileGDB and GeoParquet.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import shapely

from sources.demo.frame import Table
from sources.demo.region import CRS_EPSG
from sources.formats import SHAPEFILE_SIDECARS, write_layer
from sources.layers import DATE, INT, LAYERS_BY_CODE, REAL, TEXT


@dataclass(frozen=True)
class Delivery:
    """How one layer is delivered: relative path (suffix = format) and Shapefile encoding options."""

    layer: str
    path: str
    dbf_encoding: str = "UTF-8"
    write_cpg: bool = True


SURVEY_DELIVERIES: dict[int, tuple[Delivery, ...]] = {
    2022: (Delivery("DLTB", "survey/2022/DLTB.parquet"),),
    2023: (Delivery("DLTBGX", "survey/2023/DLTBGX.gpkg"), Delivery("DLTBGXGC", "survey/2023/DLTBGXGC.gpkg")),
    2024: (
        Delivery("DLTBGX", "survey/2024/DLTBGX.shp", dbf_encoding="GBK", write_cpg=True),
        Delivery("DLTBGXGC", "survey/2024/DLTBGXGC.shp", dbf_encoding="GBK", write_cpg=False),
    ),
    2025: (Delivery("DLTBGX", "survey/2025/DLTBGX.gdb"), Delivery("DLTBGXGC", "survey/2025/DLTBGXGC.gdb")),
}
CONTROL_DELIVERIES: tuple[Delivery, ...] = (
    Delivery("YJJBNT", "control/2025/YJJBNT.gpkg"),
    Delivery("YJJBNTCBQ", "control/2025/YJJBNTCBQ.shp", dbf_encoding="GBK", write_cpg=False),
    Delivery("GBZNT", "control/2025/GBZNT.gdb"),
    Delivery("LSGNQ", "control/2025/LSGNQ.parquet"),
)
_ARROW_TYPES = {TEXT: pa.string(), INT: pa.int64(), REAL: pa.float64(), DATE: pa.date32()}


def _column(table: Table, name: str, type_: str) -> pa.Array:
    if f"{name}_C" in table:  # areas are kept in hundredths of m²
        return pa.array(table[f"{name}_C"] / 100.0, type=pa.float64())
    values = table[name]
    if type_ == INT:
        return pa.array(values.astype(np.int64), mask=values == -1, type=pa.int64())  # -1 = null (GDDB)
    if type_ == REAL:
        return pa.array(values.astype(float), mask=np.isnan(values.astype(float)), type=pa.float64())
    if type_ == DATE:
        return pa.array(values.astype("datetime64[D]"), type=pa.date32())
    return pa.array(values, type=_ARROW_TYPES[type_], from_pandas=True)


def to_arrow(layer: str, table: Table) -> pa.Table:
    """The delivered attribute table of `layer`: canonical field order, the fields the demo fills."""
    fields = LAYERS_BY_CODE[layer].fields
    present = [field for field in fields if field in table or f"{field}_C" in table]
    return pa.table({field: _column(table, field, fields[field]) for field in present})


def geometries(table: Table) -> np.ndarray:
    """Rectangles from the bounds columns, replaced by the WKB override where one is set."""
    geoms = shapely.box(table["x0"], table["y0"], table["x1"], table["y1"])
    if "WKB" in table:
        special = np.flatnonzero(np.array([wkb is not None for wkb in table["WKB"]], dtype=bool))
        if len(special):
            geoms[special] = shapely.from_wkb(np.array(list(table["WKB"][special]), dtype=object))
    return geoms


def _clear_stem(path: Path) -> None:
    """Remove an earlier delivery of the same layer in another format (a folder holds one per layer)."""
    for candidate in path.parent.glob(path.stem + ".*"):
        if candidate.is_dir():
            shutil.rmtree(candidate)
        elif candidate.suffix.lower() in (*SHAPEFILE_SIDECARS, ".parquet", ".gpkg"):
            candidate.unlink()


def write(landing: Path, delivery: Delivery, table: Table) -> str:
    path = landing / delivery.path
    path.parent.mkdir(parents=True, exist_ok=True)
    _clear_stem(path)
    write_layer(
        path,
        to_arrow(delivery.layer, table),
        list(geometries(table)),
        CRS_EPSG,
        dbf_encoding=delivery.dbf_encoding,
        write_cpg=delivery.write_cpg,
    )
    return delivery.path


def write_survey(landing: Path, base: Table, years: dict[int, tuple[Table, Table]]) -> list[str]:
    written = [write(landing, SURVEY_DELIVERIES[2022][0], base)]
    for year, (gx, gc) in years.items():
        gx_delivery, gc_delivery = SURVEY_DELIVERIES[year]
        written.append(write(landing, gx_delivery, gx))
        written.append(write(landing, gc_delivery, gc))
    return written


def write_control(landing: Path, layers: dict[str, Table]) -> list[str]:
    return [write(landing, delivery, layers[delivery.layer]) for delivery in CONTROL_DELIVERIES]
