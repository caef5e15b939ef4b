"""Map layers for GIS (制图图层): every table of the published snapshot that has geometry, written beside
it as GeoParquet (the CRS as PROJJSON in its `geo` metadata) and as a GeoPackage, so that QGIS or
ArcGIS open the findings, the rows behind them and the control layers where they lie without DuckDB.

The files are written into a new folder and swapped in for the old one, as the snapshot is: a reader
never finds a half-written set.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sources.extract.sql import quote_name, quote_text
from warehouse.connection import connect
from warehouse.region import region
from warehouse.spatial_columns import geometry_columns


def maps_folder(snapshot: Path) -> Path:
    """Where the snapshot's map layers live: `<snapshot name>_maps/` beside it."""
    return snapshot.with_name(f"{snapshot.stem}_maps")


def export_maps(snapshot: Path) -> dict[str, int]:
    """Write every spatial table of `snapshot` as `<schema>.<table>.parquet` and `<schema>.<table>.gpkg`
    (one layer of that name) in maps_folder(snapshot); returns each layer's feature count."""
    target = maps_folder(snapshot)
    staging = target.with_name(target.name + ".next")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    crs = f"EPSG:{region().crs_epsg}"
    counts: dict[str, int] = {}
    con = connect(snapshot, read_only=True)
    try:
        for schema, table in geometry_columns(con):
            layer = f"{schema}.{table}"
            relation = f"{quote_name(schema)}.{quote_name(table)}"
            geoparquet = quote_text(str(staging / f"{layer}.parquet"))
            con.execute(f"COPY (SELECT * FROM {relation}) TO {geoparquet} (FORMAT parquet)")
            geopackage = quote_text(str(staging / f"{layer}.gpkg"))
            options = f"FORMAT gdal, DRIVER 'GPKG', SRS {quote_text(crs)}, LAYER_NAME {quote_text(layer)}"
            columns = _gdal_columns(con, schema, table)
            con.execute(f"COPY (SELECT {columns} FROM {relation}) TO {geopackage} ({options})")
            counts[layer] = con.execute(f"select count(*) from {relation}").fetchone()[0]
    finally:
        con.close()
    previous = target.with_name(target.name + ".previous")
    shutil.rmtree(previous, ignore_errors=True)
    if target.exists():
        os.replace(target, previous)
    os.replace(staging, target)
    shutil.rmtree(previous, ignore_errors=True)
    return counts


# column types a GeoPackage has no field for, and the type each is written as
_NUMBER = "DOUBLE"
_TEXT = "VARCHAR"


def _gdal_type(data_type: str) -> str | None:
    """The type a column is cast to for GDAL, or None when GDAL takes it as it is."""
    if data_type.startswith("DECIMAL") or data_type in {"HUGEINT", "UHUGEINT"}:
        return _NUMBER  # GDAL takes decimals up to 19 digits only
    if data_type.endswith("]") or data_type.startswith(("STRUCT", "MAP", "UNION")) or data_type == "JSON":
        return _TEXT
    return None


def _gdal_columns(con, schema: str, table: str) -> str:  # noqa: ANN001 — a DuckDB connection
    """The table's select list with the columns GDAL cannot write cast to a type it can."""
    columns = con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = current_database() "
        "and schema_name = ? and table_name = ? order by column_index",
        [schema, table],
    ).fetchall()
    return ", ".join(
        f"CAST({quote_name(name)} AS {cast}) AS {quote_name(name)}"
        if (cast := _gdal_type(data_type))
        else quote_name(name)
        for name, data_type in columns
    )
