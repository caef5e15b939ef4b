"""Map layers for GIS (制图图层): every table of the published snapshot that has geometry, written beside
it as GeoParquet (the CRS as PROJJSON in its `geo` metadata) and as a GeoPackage layer, so that QGIS or
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

GEOPACKAGE = "maps.gpkg"


def maps_folder(snapshot: Path) -> Path:
    """Where the snapshot's map layers live: `<snapshot name>_maps/` beside it."""
    return snapshot.with_name(f"{snapshot.stem}_maps")


def spatial_tables(con) -> list[tuple[str, str]]:  # noqa: ANN001 — a DuckDB connection
    """(schema, table) of every table of the connection's database with a geometry column."""
    return con.execute(
        """select distinct schema_name, table_name from duckdb_columns()
           where database_name = current_database() and data_type like 'GEOMETRY%'
           order by all"""
    ).fetchall()


def export_maps(snapshot: Path) -> dict[str, int]:
    """Write every spatial table of `snapshot` as `<schema>.<table>.parquet` and as layer
    `<schema>.<table>` of `maps.gpkg` in maps_folder(snapshot); returns each layer's feature count."""
    target = maps_folder(snapshot)
    staging = target.with_name(target.name + ".next")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    crs = f"EPSG:{region().crs_epsg}"
    counts: dict[str, int] = {}
    con = connect(snapshot, read_only=True)
    try:
        for schema, table in spatial_tables(con):
            layer = f"{schema}.{table}"
            relation = f"{quote_name(schema)}.{quote_name(table)}"
            geoparquet = quote_text(str(staging / f"{layer}.parquet"))
            con.execute(f"COPY (SELECT * FROM {relation}) TO {geoparquet} (FORMAT parquet)")
            geopackage = quote_text(str(staging / GEOPACKAGE))
            options = f"FORMAT gdal, DRIVER 'GPKG', SRS {quote_text(crs)}, LAYER_NAME {quote_text(layer)}"
            # GDAL adds each layer after the first to the file it created
            append = ", APPEND true" if counts else ""
            con.execute(f"COPY (SELECT * FROM {relation}) TO {geopackage} ({options}{append})")
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
