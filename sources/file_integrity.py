"""Whether a delivered Shapefile or FileGDB is whole (完整性), from the sizes its own headers declare.

GDAL reads such a file cut short (an interrupted copy, a download stopped midway) without an error: a
.dbf cut in half yields the rows before the cut, a FileGDB table cut short yields fewer features or
none. Those rows would be lost without a word, so a file whose headers declare more bytes than it holds
is refused before it is read. GeoParquet and GeoPackage need no such check: their readers refuse a file
cut short (Parquet's footer, SQLite's pages).
"""

from __future__ import annotations

import struct
from pathlib import Path

from sources.errors import DeliveryError

SHAPEFILE_CODE = 9994  # the first four bytes of a .shp and a .shx, big-endian
GDBTABLE_VERSION_3 = 3  # the FileGDB 10 table header this reads; other versions are not checked


def _header(path: Path, size: int) -> bytes:
    # the header only: a delivered file may be gigabytes
    with path.open("rb") as file:
        return file.read(size)


def _cut_short(delivered: Path, part: Path, declared: int, present: int, what: str) -> DeliveryError:
    inner = "" if part == delivered else f"{part.name} in "
    return DeliveryError(
        f"{inner}{delivered.name}: {what} declares {declared} bytes, the file holds {present}: it was cut "
        "short (an interrupted copy or download), and reading it would lose rows. Deliver it again, "
        "complete.",
        source_file=str(delivered),
    )


def check_shapefile(shp: Path, shx: Path | None, dbf: Path) -> None:
    """Refuse a Shapefile whose .shp, .shx or .dbf holds less than its header declares."""
    for part in (p for p in (shp, shx) if p is not None):
        header = _header(part, 28)
        if len(header) < 28 or struct.unpack(">i", header[:4])[0] != SHAPEFILE_CODE:
            raise DeliveryError(
                f"{part.name}: not a Shapefile part (no Shapefile header)", source_file=str(shp)
            )
        declared = 2 * struct.unpack(">i", header[24:28])[0]  # counted in 16-bit words
        if part.stat().st_size < declared:
            raise _cut_short(shp, part, declared, part.stat().st_size, "its header")
    header = _header(dbf, 12)
    if len(header) == 12:
        records, header_length, record_length = struct.unpack("<IHH", header[4:12])
        declared = header_length + records * record_length
        if dbf.stat().st_size < declared:
            raise _cut_short(shp, dbf, declared, dbf.stat().st_size, f"its header ({records} records)")


def check_geodatabase(gdb: Path) -> None:
    """Refuse a FileGDB folder one of whose tables holds less than its header declares."""
    for table in sorted(gdb.glob("*.gdbtable")):
        header = _header(table, 32)
        if len(header) < 32 or struct.unpack("<i", header[:4])[0] != GDBTABLE_VERSION_3:
            continue
        rows, declared = struct.unpack("<i", header[4:8])[0], struct.unpack("<Q", header[24:32])[0]
        if table.stat().st_size < declared:
            raise _cut_short(gdb, table, declared, table.stat().st_size, f"its header ({rows} rows)")
