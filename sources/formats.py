"""The four vector formats a land bureau delivers a layer in (SOURCES.md "Landing zone layout").

GeoParquet (`.parquet`), GeoPackage (`.gpkg`), ESRI Shapefile (`.shp` + `.dbf` + `.prj` [+ `.cpg`]) and
File Geodatabase (`.gdb` directory). `write_layer` produces each exactly as agencies do (so the demo data
exercises the real code paths, GBK `.dbf` without `.cpg` included); `read_layer` reads any of them into
Arrow attributes + WKB geometry + the declared CRS, without guessing text encodings.
"""

from __future__ import annotations

import codecs
import json
import logging
import shutil
import struct
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pyogrio
import pyogrio.raw
import shapely
from pyproj import CRS

from sources.encoding import misdecoded_reason
from sources.errors import DeliveryError
from sources.file_integrity import check_geodatabase, check_shapefile
from sources.layers import FORMATS

log = logging.getLogger(__name__)

GEOMETRY_COLUMN = "geometry"
SHAPEFILE_SIDECARS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
# How sure pyproj must be that a declared CRS is a given EPSG code (ESRI .prj WKT identifies at 70–100).
EPSG_MIN_CONFIDENCE = 70


class _DeclaredCRS:
    """What a layer declares about its coordinates (crs_epsg, crs_wkt)."""

    crs_epsg: int | None
    crs_wkt: str | None

    @property
    def has_crs(self) -> bool:
        return self.crs_epsg is not None or self.crs_wkt is not None

    @property
    def crs_label(self) -> str | None:
        """The CRS as DuckDB `ST_Transform` accepts it: 'EPSG:n', else the WKT."""
        if self.crs_epsg is not None:
            return f"EPSG:{self.crs_epsg}"
        return self.crs_wkt


@dataclass
class LayerData(_DeclaredCRS):
    """One delivered layer as read: attributes (field names as delivered), WKB geometry and its CRS."""

    table: pa.Table
    wkb: pa.Array  # binary WKB per feature, null where the feature has no geometry
    crs_epsg: int | None  # None with crs_wkt None = the file declares no CRS at all
    crs_wkt: str | None
    format: str  # a value of sources.layers.FORMATS
    encoding: str | None = None  # text encoding of a Shapefile .dbf (None for self-describing formats)


# Features read at once: a delivered file of any size passes through the loader this many at a time.
BATCH_ROWS = 65_536


@dataclass
class LayerStream(_DeclaredCRS):
    """One delivered layer opened for reading, batch by batch: its attribute schema (field names as
    delivered), its declared CRS, and `batches()` of (attributes, WKB geometry)."""

    schema: pa.Schema
    crs_epsg: int | None
    crs_wkt: str | None
    format: str
    encoding: str | None
    _batches: Iterator[tuple[pa.Table, pa.Array]]

    def batches(self) -> Iterator[tuple[pa.Table, pa.Array]]:
        """Each batch once; a file that breaks while being read raises DeliveryError."""
        try:
            yield from self._batches
        except DeliveryError:
            raise
        except Exception as exc:  # GDAL/Arrow errors on a corrupt file
            raise DeliveryError(f"cannot be read as {self.format} ({exc})") from exc


def format_of(path: Path) -> str:
    """The delivery format of a path by its suffix; DeliveryError for anything else."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise DeliveryError(
            f"{Path(path).name}: not a supported layer format (expected one of {', '.join(FORMATS)})",
            source_file=str(path),
        )
    return FORMATS[suffix]


# --------------------------------------------------------------------------------------------- writing


def _layer_geometry_type(geometries: Sequence[shapely.Geometry | None], driver: str) -> str:
    names = {g.geom_type for g in geometries if g is not None}
    if len(names) == 1:
        return names.pop()
    if names <= {"Polygon", "MultiPolygon"} and names:
        # Shapefile and FileGDB polygon layers hold both; a GeoPackage layer typed MultiPolygon would
        # draw GDAL warnings for plain polygons, so it gets the generic type.
        return "Unknown" if driver == "GPKG" else "MultiPolygon"
    if names <= {"LineString", "MultiLineString"} and names:
        return "Unknown" if driver == "GPKG" else "MultiLineString"
    if not names:
        return "Polygon"
    return "Unknown"


def _remove_existing(path: Path) -> None:
    if path.suffix.lower() == ".shp":
        for suffix in SHAPEFILE_SIDECARS:
            for candidate in (path.with_suffix(suffix), path.with_suffix(suffix.upper())):
                candidate.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path)
    elif path.exists():
        path.unlink()


def _geoparquet_metadata(wkb: pa.Array, geometries: Sequence[shapely.Geometry | None], crs_epsg: int | None):
    present = [g for g in geometries if g is not None]
    column: dict = {
        "encoding": "WKB",
        "geometry_types": sorted({g.geom_type for g in present}),
        # A missing "crs" key means OGC:CRS84 in GeoParquet; "no CRS declared" must be an explicit null.
        "crs": CRS.from_epsg(crs_epsg).to_json_dict() if crs_epsg is not None else None,
    }
    if present:
        column["bbox"] = [float(v) for v in shapely.total_bounds(np.array(present, dtype=object))]
    return {"version": "1.1.0", "primary_column": GEOMETRY_COLUMN, "columns": {GEOMETRY_COLUMN: column}}


def _strip_dbf_language_driver(dbf: Path) -> None:
    # Agency exports without a .cpg leave the dBASE language-driver byte at 0 ("unknown"). Whatever GDAL
    # put there is cleared, so nothing but the bytes themselves says how the text is encoded — the case
    # readers have to survive.
    with dbf.open("r+b") as handle:
        handle.seek(29)
        handle.write(b"\x00")


def write_layer(
    path: Path,
    table: pa.Table,
    geometries: Sequence[shapely.Geometry | None],
    crs_epsg: int | None,
    *,
    dbf_encoding: str = "UTF-8",
    write_cpg: bool = True,
    layer: str | None = None,
) -> Path:
    """Write a delivered layer in the format its suffix names (.parquet, .gpkg, .shp, .gdb).

    `table` holds the attributes under their delivered names, `geometries` one shapely geometry (or None)
    per row, `crs_epsg` the declared CRS (None writes a layer without CRS: no .prj, GeoParquet crs null).
    For Shapefiles the .dbf is encoded in `dbf_encoding` (e.g. "GBK") and a .cpg written only if
    `write_cpg`. The layer name inside GeoPackage/FileGDB is the file stem, or `layer`: given a `layer`
    and an existing GeoPackage/FileGDB, the layer is added to it (a geodatabase holding several feature
    classes, as agencies deliver). Returns `path`.
    """
    path = Path(path)
    fmt = format_of(path)
    if len(geometries) != table.num_rows:
        raise ValueError(f"{len(geometries)} geometries for {table.num_rows} rows")
    path.parent.mkdir(parents=True, exist_ok=True)
    add_to_container = layer is not None and fmt in ("GeoPackage", "OpenFileGDB") and path.exists()
    if add_to_container:
        if layer in list_layer_names(path):
            raise ValueError(f"{path.name} already holds a layer {layer!r}")
    else:
        _remove_existing(path)
    wkb = pa.array(shapely.to_wkb(np.array(list(geometries), dtype=object)), type=pa.binary())
    if GEOMETRY_COLUMN in table.column_names:
        raise ValueError(f"attribute table must not contain a {GEOMETRY_COLUMN!r} column")
    full = table.append_column(GEOMETRY_COLUMN, wkb)

    if fmt == "GeoParquet":
        # The column is also typed geoarrow.wkb, so Arrow-native readers see a geometry, not bytes.
        crs_json = CRS.from_epsg(crs_epsg).to_json_dict() if crs_epsg is not None else None
        extension = {
            b"ARROW:extension:name": b"geoarrow.wkb",
            b"ARROW:extension:metadata": json.dumps({"crs": crs_json} if crs_json else {}).encode(),
        }
        index = full.schema.get_field_index(GEOMETRY_COLUMN)
        full = full.cast(full.schema.set(index, full.schema.field(index).with_metadata(extension)))
        metadata = dict(full.schema.metadata or {})
        metadata[b"geo"] = json.dumps(_geoparquet_metadata(wkb, geometries, crs_epsg)).encode()
        pq.write_table(full.replace_schema_metadata(metadata), path)
        return path

    driver = {"GeoPackage": "GPKG", "ESRI Shapefile": "ESRI Shapefile", "OpenFileGDB": "OpenFileGDB"}[fmt]
    options: dict = {}
    if driver == "ESRI Shapefile":
        options["encoding"] = dbf_encoding
    elif driver == "OpenFileGDB":
        # Without this GDAL writes int64 as Float64 and dates as DateTime (ArcGIS 10.x field types).
        options["layer_options"] = {"TARGET_ARCGIS_VERSION": "ARCGIS_PRO_3_2_OR_LATER"}
    crs = CRS.from_epsg(crs_epsg).to_wkt() if crs_epsg is not None else None
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="'crs' was not provided")  # no CRS is the point here
        pyogrio.write_arrow(
            full,
            path,
            layer=layer or path.stem,
            driver=driver,
            geometry_name=GEOMETRY_COLUMN,
            geometry_type=_layer_geometry_type(geometries, driver),
            crs=crs,
            append=add_to_container,  # pyogrio opens the existing container and creates the new layer
            **options,
        )
    if driver == "ESRI Shapefile":
        cpg = path.with_suffix(".cpg")
        if write_cpg:
            if not cpg.exists():
                cpg.write_text(dbf_encoding, encoding="ascii")
        else:
            cpg.unlink(missing_ok=True)
            _strip_dbf_language_driver(path.with_suffix(".dbf"))
    return path


# --------------------------------------------------------------------------------------------- reading


def _sibling(path: Path, suffix: str) -> Path | None:
    """The Shapefile sidecar with `suffix`, matched case-insensitively (DLTB.SHP + dltb.dbf happens)."""
    matches = [
        p for p in path.parent.iterdir() if p.stem.lower() == path.stem.lower() and p.suffix.lower() == suffix
    ]
    exact = [p for p in matches if p.stem == path.stem]
    return (exact or matches or [None])[0]


def _crs_of(declared) -> tuple[int | None, str | None]:
    """(EPSG code, WKT) of a declared CRS; WKT kept only when no EPSG code matches."""
    if declared is None or declared == "":
        return None, None
    if isinstance(declared, dict):
        declared = json.dumps(declared)
    crs = CRS.from_user_input(declared)
    epsg = crs.to_epsg(min_confidence=EPSG_MIN_CONFIDENCE)
    if epsg is None and crs.to_authority(min_confidence=EPSG_MIN_CONFIDENCE) == ("OGC", "CRS84"):
        epsg = 4326  # lon/lat WGS 84; ST_Transform is always called with always_xy
    return (epsg, None) if epsg is not None else (None, crs.to_wkt())


def _dbf_text_values(dbf: Path) -> list[bytes]:
    """The distinct non-ASCII values of each character (C) field of a .dbf, one newline-joined blob per field.

    Fields are kept apart so a multi-byte character can never be assembled across a field boundary, and
    the newline after each value is never a valid continuation byte in UTF-8 or GB18030, so a character
    cut at the field end is still an error. Distinct values only: village names repeat thousands of times.
    """
    data = dbf.read_bytes()
    if len(data) < 32:
        raise DeliveryError(f"{dbf.name}: not a dBASE file (too short)", source_file=str(dbf))
    n_records, header_len, record_len = struct.unpack("<IHH", data[4:12])
    fields: list[tuple[int, int]] = []  # (offset in record, width) of each C field
    offset = 1  # byte 0 of each record is the deletion flag
    for start in range(32, header_len - 1, 32):
        descriptor = data[start : start + 32]
        if not descriptor or descriptor[0] == 0x0D:
            break
        width = descriptor[16]
        if descriptor[11:12] == b"C":
            fields.append((offset, width))
        offset += width
    body = data[header_len : header_len + n_records * record_len]
    n_records = len(body) // record_len if record_len else 0
    records = np.frombuffer(body[: n_records * record_len], dtype=np.uint8).reshape(n_records, record_len)
    blobs = []
    for start, width in fields:
        column = records[:, start : start + width]
        if (column >= 0x80).any():
            values = np.unique(np.ascontiguousarray(column).view(f"S{width}").ravel())
            blobs.append(b"\n".join(values.tolist()) + b"\n")
    return blobs


def _decode_error(encoding: str, blobs: list[bytes]) -> str | None:
    """None if every blob decodes strictly (and, for GB18030, plausibly); else what went wrong."""
    try:
        text = "".join(blob.decode(encoding, errors="strict") for blob in blobs)
    except UnicodeDecodeError as exc:
        return f"invalid bytes {exc.object[exc.start : exc.start + 2]!r}"
    return misdecoded_reason(text) if codecs.lookup(encoding).name == "gb18030" else None


def dbf_text_encoding(dbf: Path) -> str:
    """Detect the encoding of a .dbf's text from its bytes: strict UTF-8, else strict GB18030.

    DeliveryError when neither decodes (GDAL would otherwise fall back to Latin-1 and load mojibake).
    """
    blobs = _dbf_text_values(dbf)
    if not blobs:
        return "UTF-8"  # pure ASCII: every candidate reads it the same
    tried: list[str] = []
    for encoding in ("UTF-8", "GB18030"):
        problem = _decode_error(encoding, blobs)
        if problem is None:
            return encoding
        tried.append(f"{encoding}: {problem}")
    raise DeliveryError(
        f"{dbf.name}: the attribute text is neither UTF-8 nor GBK/GB18030 ({'; '.join(tried)}) and there is "
        "no .cpg naming its encoding; deliver the Shapefile with a .cpg (e.g. containing GBK) or re-export "
        "it as UTF-8",
        source_file=str(dbf),
    )


# Encodings in which Chinese text can be written; any other declared code page (Latin-1, cp1252, …) decodes
# every byte sequence, so GBK text declared that way would load as mojibake without an error.
_CHINESE_CAPABLE = {"utf-8", "gbk", "gb18030", "gb2312", "big5", "cp950", "hz"}


def cpg_encoding(cpg: Path, dbf: Path) -> str:
    """The encoding a .cpg declares, checked against the .dbf bytes; DeliveryError if they disagree."""
    label = cpg.read_bytes().decode("ascii", errors="replace").strip()
    # Esri tools write code-page numbers ("936", "ANSI 936") or names; Python and GDAL want codec names.
    number = label.upper().removeprefix("ANSI").strip()
    aliases = {"936": "GBK", "54936": "GB18030", "65001": "UTF-8", "950": "BIG5", "1252": "CP1252"}
    try:
        encoding = codecs.lookup(aliases.get(number, label)).name.upper()
    except LookupError:
        log.warning("%s names an unknown encoding %r; detecting it from the .dbf", cpg.name, label)
        return dbf_text_encoding(dbf)
    blobs = _dbf_text_values(dbf)
    if not blobs:
        return encoding
    problem = _decode_error(encoding, blobs)
    western = encoding.lower() not in _CHINESE_CAPABLE
    if problem is None and western and _decode_error("GB18030", blobs) is None:
        problem = "the text reads as Chinese GBK/GB18030"
    if problem is not None:
        raise DeliveryError(
            f"{cpg.name} declares the encoding {label!r} but {dbf.name} does not match it ({problem}); "
            "correct the .cpg (e.g. GBK) or re-export the Shapefile",
            source_file=str(dbf),
        )
    return encoding


@contextmanager
def _open_geoparquet(path: Path, batch_rows: int) -> Iterator[LayerStream]:
    parquet = pq.ParquetFile(path)
    schema = parquet.schema_arrow
    raw_geo = (schema.metadata or {}).get(b"geo")
    if raw_geo is None:
        raise DeliveryError(
            f"{path.name}: Parquet file without GeoParquet 'geo' metadata; deliver it as GeoParquet",
            source_file=str(path),
        )
    geo = json.loads(raw_geo)
    name = geo.get("primary_column", GEOMETRY_COLUMN)
    spec = geo["columns"][name]
    # The key missing means OGC:CRS84 (the GeoParquet default); an explicit null means "unknown".
    declared = spec["crs"] if "crs" in spec else "OGC:CRS84"
    epsg, wkt = _crs_of(declared)
    geometry_columns = [c for c in geo["columns"] if c in schema.names]
    attributes = pa.schema([f for f in schema if f.name not in geometry_columns])

    def batches() -> Iterator[tuple[pa.Table, pa.Array]]:
        for batch in parquet.iter_batches(batch_size=batch_rows):
            table = pa.Table.from_batches([batch])
            wkb = _geoparquet_column_to_wkb(
                table.column(name).combine_chunks(), spec.get("encoding", "WKB"), path
            )
            yield table.drop_columns(geometry_columns).replace_schema_metadata(None), wkb

    try:
        yield LayerStream(attributes, epsg, wkt, "GeoParquet", None, batches())
    finally:
        parquet.close()


def _geoparquet_column_to_wkb(column: pa.Array, encoding: str, path: Path) -> pa.Array:
    if isinstance(column.type, pa.ExtensionType):
        if encoding.upper() != "WKB":
            import geoarrow.pyarrow as ga

            return ga.as_wkb(column).storage.cast(pa.binary())
        column = column.storage
    if encoding.upper() == "WKB":
        return column.cast(pa.binary())
    # Native geoarrow encodings ("polygon", "multipolygon", …): let geoarrow rebuild WKB from the
    # nested coordinate lists.
    import geoarrow.pyarrow as ga

    factories = {
        "point": ga.point, "linestring": ga.linestring, "polygon": ga.polygon,
        "multipoint": ga.multipoint, "multilinestring": ga.multilinestring, "multipolygon": ga.multipolygon,
    }  # fmt: skip
    if encoding.lower() not in factories:
        raise DeliveryError(f"{path.name}: unsupported GeoParquet geometry encoding {encoding!r}")
    inner = column.type
    while pa.types.is_list(inner) or pa.types.is_large_list(inner):
        inner = inner.value_type
    geo_type = factories[encoding.lower()]()
    if pa.types.is_fixed_size_list(inner):
        geo_type = geo_type.with_coord_type(ga.CoordType.INTERLEAVED)
    if inner.num_fields if pa.types.is_struct(inner) else 0:
        dims = "".join(inner.field(i).name for i in range(inner.num_fields)).lower()
        geo_type = geo_type.with_dimensions({"xy": ga.Dimensions.XY, "xyz": ga.Dimensions.XYZ}.get(dims))
    wrapped = geo_type.wrap_array(column)
    return ga.as_wkb(wrapped).storage.cast(pa.binary())


@contextmanager
def _open_ogr(path: Path, fmt: str, layer: str | None, batch_rows: int) -> Iterator[LayerStream]:
    encoding = None
    if fmt == "ESRI Shapefile":
        cpg = _sibling(path, ".cpg")
        dbf = _sibling(path, ".dbf")
        if dbf is None:
            raise DeliveryError(f"{path.name}: the .dbf attribute file is missing", source_file=str(path))
        check_shapefile(path, _sibling(path, ".shx"), dbf)
        encoding = cpg_encoding(cpg, dbf) if cpg is not None else dbf_text_encoding(dbf)
    elif fmt == "OpenFileGDB":
        check_geodatabase(path)
    # An explicit encoding for Shapefiles stops GDAL from trusting the .dbf language byte or falling
    # back to Latin-1; GeoPackage and FileGDB are UTF-8 by definition.
    info = pyogrio.read_info(path, layer=layer, encoding=encoding)
    epsg, wkt = _crs_of(info.get("crs"))
    with pyogrio.raw.open_arrow(
        path, layer=layer, encoding=encoding, batch_size=batch_rows, use_pyarrow=True
    ) as (meta, reader):
        geometry_name = meta.get("geometry_name") or "wkb_geometry"
        attributes = pa.schema([f for f in reader.schema if f.name != geometry_name])

        def batches() -> Iterator[tuple[pa.Table, pa.Array]]:
            for batch in reader:
                table = pa.Table.from_batches([batch])
                if geometry_name in table.column_names:
                    wkb = table.column(geometry_name).combine_chunks()
                    if isinstance(wkb.type, pa.ExtensionType):
                        wkb = wkb.storage
                    wkb = wkb.cast(pa.binary())
                    table = table.drop_columns([geometry_name])
                else:
                    wkb = pa.nulls(table.num_rows, pa.binary())
                yield table.replace_schema_metadata(None), wkb

        yield LayerStream(attributes, epsg, wkt, fmt, encoding, batches())


@contextmanager
def open_layer(path: Path, layer: str | None = None, batch_rows: int | None = None) -> Iterator[LayerStream]:
    """Open a delivered layer (GeoParquet, GeoPackage, Shapefile or FileGDB) for reading batch by batch.

    `layer` picks a layer inside a GeoPackage/FileGDB (default: the one named like the file, else the
    first). Shapefile text is decoded with the .cpg's encoding, or detected strictly from the .dbf bytes
    (UTF-8, then GB18030); undecodable text raises DeliveryError instead of loading mojibake.
    """
    path = Path(path)
    fmt = format_of(path)
    batch_rows = batch_rows or BATCH_ROWS
    if not path.exists():
        raise DeliveryError(f"{path.name}: file not found", source_file=str(path))
    if fmt == "GeoParquet":
        with _open_geoparquet(path, batch_rows) as stream:
            yield stream
        return
    if layer is None and fmt in ("GeoPackage", "OpenFileGDB"):
        names = [str(n) for n in pyogrio.list_layers(path)[:, 0]]
        matching = [n for n in names if n.lower() == path.stem.lower()]
        layer = matching[0] if matching else (names[0] if names else None)
    with _open_ogr(path, fmt, layer, batch_rows) as stream:
        yield stream


def read_layer(path: Path, layer: str | None = None) -> LayerData:
    """A delivered layer read whole (see `open_layer`): for small files and for checking what was
    written; the loader reads batch by batch."""
    with open_layer(path, layer) as stream:
        tables, geometries = [], []
        for table, wkb in stream.batches():
            tables.append(table)
            geometries.append(wkb)
    table = pa.concat_tables(tables) if tables else stream.schema.empty_table()
    wkb = pa.concat_arrays(geometries) if geometries else pa.array([], pa.binary())
    return LayerData(table, wkb, stream.crs_epsg, stream.crs_wkt, stream.format, stream.encoding)


def list_layer_names(path: Path) -> list[str]:
    """Names of the layers in a GeoPackage or FileGDB (a Shapefile/GeoParquet holds one: its stem)."""
    path = Path(path)
    if format_of(path) in ("GeoPackage", "OpenFileGDB"):
        return [str(n) for n in pyogrio.list_layers(path)[:, 0]]
    return [path.stem]
