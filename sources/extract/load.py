"""Load delivered survey/control layers into the warehouse's `raw` tables.

One file at a time, each in one transaction: read it (any of the four formats) batch by batch, so a
file of any size passes through Python a batch at a time; map aliases onto the canonical field names of
`sources.layers`, cast to canonical types in DuckDB, bring the geometry to the region's CRS and insert.
Rows that cannot be taken in go to `raw.rejects` with a reason; a file that cannot be taken in at all
(no CRS = DQ14, unreadable = LOAD) leaves one file-level reject row, the other files still load, and
`load_layer` raises `DeliveryError` at the end naming every failed file.

Loading is idempotent per file (`sources.extract.ledger`): the file's sha256 is stored with its rows, an
unchanged file is skipped, and a changed file replaces its previous rows and load-time rejects.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Collection, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pyproj import CRS

from sources.encoding import values_mojibake_reason
from sources.errors import DeliveryError
from sources.extract.coordinates import coordinates_problem
from sources.extract.discover import Delivery, discover
from sources.extract.fields import TYPE_WORDS, cast_sql, json_object_sql, map_fields, missing_fields_reason
from sources.extract.ledger import REJECT_COLUMNS, REJECTED_BY, FileLedger, FileVersion
from sources.extract.outcome import FileOutcome, LoadReport
from sources.extract.sql import quote_name, quote_text
from sources.formats import LayerStream, open_layer
from sources.layers import LINEAGE_COLUMNS, TEXT, Layer
from warehouse.connection import transaction

log = logging.getLogger(__name__)

UNPARSEABLE_GEOMETRY = "geometry cannot be parsed"


class LayerLoadError(DeliveryError):
    """Some files of a layer's delivery were refused; everything else was loaded. Carries the report."""

    def __init__(self, message: str, report: LoadReport, *, source_file: str | None, rule_id: str) -> None:
        super().__init__(message, source_file=source_file, rule_id=rule_id)
        self.report = report


def file_ledger(layer: Layer) -> FileLedger:
    return FileLedger(layer.table, layer.code)


def _refusal(delivery: Delivery, rule_id: str, reason: str) -> DeliveryError:
    return DeliveryError(reason, source_file=delivery.source_file, rule_id=rule_id)


# ----------------------------------------------------------------------------------------------- reasons


def _no_crs_reason(delivery: Delivery, data: LayerStream, region_crs_epsg: int) -> str:
    name = Path(delivery.source_file).name
    missing = {
        "ESRI Shapefile": "no .prj",
        "GeoParquet": "GeoParquet geo metadata has crs null",
        "GeoPackage": "layer has no spatial reference system",
        "OpenFileGDB": "feature class has no spatial reference",
    }[data.format]
    region = CRS.from_epsg(region_crs_epsg).name
    deliver = "with its .prj" if data.format == "ESRI Shapefile" else "with a coordinate reference system"
    return (
        f"{name} declares no coordinate reference system ({missing}); "
        f"deliver it {deliver} in {region} (EPSG:{region_crs_epsg})"
    )


def mojibake_reason(delivery: Delivery, data: LayerStream, batch: pa.Table) -> str | None:
    """Why a batch of the file's text values looks mis-decoded (mojibake under a clean header), or None."""
    for name, column in zip(batch.column_names, batch.columns, strict=True):
        if not (pa.types.is_string(column.type) or pa.types.is_large_string(column.type)):
            continue
        values = [v for v in pc.unique(column).to_pylist() if v]
        problem = values_mojibake_reason(values)
        if problem:
            encoding = f" (read as {data.encoding})" if data.encoding else ""
            return (
                f"{Path(delivery.source_file).name}: the values of field {name}{encoding} look mis-decoded "
                f"(mojibake): {problem}. Re-export the layer from the source system as UTF-8 "
                "(a Shapefile with a .cpg naming its encoding)"
            )
    return None


def _untransformable_reason(
    delivery: Delivery, data: LayerStream, features: int, region_crs_epsg: int
) -> str:
    declared = data.crs_label if data.crs_epsg else "CRS"
    return (
        f"{Path(delivery.source_file).name}: {features} feature(s) cannot be transformed from the "
        f"declared {declared} to EPSG:{region_crs_epsg} (coordinates out of range for the declared "
        "CRS); check the .prj / CRS declaration"
    )


# ------------------------------------------------------------------------------------------------- steps


def _unreadable(delivery: Delivery, exc: Exception) -> DeliveryError:
    reason = f"{Path(delivery.source_file).name}: cannot be read as {delivery.format} ({exc})"
    return _refusal(delivery, "LOAD", reason)


@contextmanager
def _read(delivery: Delivery, region_crs_epsg: int) -> Iterator[LayerStream]:
    """The delivered layer opened for reading; refused (LOAD) when it cannot be read, (DQ14) when it
    declares no CRS."""
    with ExitStack() as stack:
        try:
            data = stack.enter_context(open_layer(delivery.path, delivery.layer_name))
        except DeliveryError as exc:
            raise _refusal(delivery, "LOAD", exc.message) from exc
        except Exception as exc:  # GDAL/Arrow errors on a corrupt file: refuse the file, keep going
            raise _unreadable(delivery, exc) from exc
        if not data.has_crs:
            raise _refusal(delivery, "DQ14", _no_crs_reason(delivery, data, region_crs_epsg))
        yield data


def _map(delivery: Delivery, data: LayerStream) -> tuple[dict[str, int], list[int]]:
    """({canonical field: delivered column}, [unmapped columns]); refused (DQ15) lacking a required field."""
    delivered = data.schema.names
    mapping, extras = map_fields(delivery.layer, delivered)
    missing = missing_fields_reason(delivery.layer, delivery.source_file, delivered, mapping, extras)
    if missing:
        raise _refusal(delivery, "DQ15", missing)
    return mapping, extras


def _staging_select(
    layer: Layer,
    data: LayerStream,
    mapping: dict[str, int],
    extras: list[int],
    region_crs_epsg: int,
    view: str,
) -> str:
    """SELECT of every delivered row cast to the canonical fields, its geometry in the region's CRS, and
    why a row cannot be taken in (an unreadable value, an unparseable geometry)."""
    delivered = data.schema.names
    values, problems = [], []
    for canonical, type_ in layer.fields.items():
        if canonical not in mapping:
            values.append(f"NULL::{type_} AS {quote_name(canonical)}")
            continue
        index = mapping[canonical]
        column = f"c{index}"
        value, present = cast_sql(column, data.schema.field(index).type, type_)
        values.append(f"{value} AS {quote_name(canonical)}")
        if type_ != TEXT:
            label = (
                canonical if delivered[index].upper() == canonical else f"{delivered[index]} (→{canonical})"
            )
            head, tail = quote_text(f'{label}: cannot read "'), quote_text(f'" as {TYPE_WORDS[type_]}')
            message = f"{head} || CAST({column} AS VARCHAR) || {tail}"
            problems.append(f"CASE WHEN {present} AND ({value}) IS NULL THEN {message} END")

    load_reason = f"NULLIF(concat_ws('; ', {', '.join(problems)}), '')" if problems else "NULL::VARCHAR"
    extra_json = json_object_sql([(delivered[i], f"c{i}") for i in extras])
    record_json = json_object_sql([(name, f"c{i}") for i, name in enumerate(delivered)])
    geom = "__g"
    transformed = data.crs_epsg != region_crs_epsg
    if transformed:
        # Axis-order trap: EPSG:4490/4528 declare north-first axes; always_xy keeps easting first.
        source_crs, target_crs = quote_text(data.crs_label or ""), quote_text(f"EPSG:{region_crs_epsg}")
        geom = f"TRY(ST_Transform(__g, {source_crs}, {target_crs}, always_xy := true))"
    return f"""
        SELECT __row, {", ".join(values)},
               {geom} AS geom,{" __g AS __declared_geom," if transformed else ""}
               {load_reason} AS __load_reason,
               CASE WHEN __wkb IS NOT NULL AND __g IS NULL
                    THEN '{UNPARSEABLE_GEOMETRY} (invalid WKB)' END AS __geom_reason,
               coalesce(__g IS NOT NULL AND {geom} IS NULL, false) AS __transform_failed,
               {extra_json} AS __extra,
               {record_json} AS __record
        FROM (SELECT *, TRY(ST_GeomFromWKB(__wkb)) AS __g FROM {view})
    """


def _check_coordinates(
    con: duckdb.DuckDBPyConnection, delivery: Delivery, data: LayerStream, staged: str, region_crs_epsg: int
) -> None:
    """Refuse (DQ14) coordinates that do not fit the declared CRS or the region."""
    # Coordinates that do not fit the declared CRS come out of PROJ as inf: the declaration is wrong
    # for the whole file, so it is refused like a missing CRS rather than loaded half-transformed.
    bad = con.execute(
        f"""SELECT count(*) FROM {staged}
            WHERE __transform_failed OR (geom IS NOT NULL AND NOT ST_IsEmpty(geom)
              AND NOT isfinite(ST_XMin(geom) + ST_YMin(geom) + ST_XMax(geom) + ST_YMax(geom)))"""
    ).fetchone()[0]
    if bad:
        raise _refusal(delivery, "DQ14", _untransformable_reason(delivery, data, bad, region_crs_epsg))
    transformed = data.crs_epsg != region_crs_epsg
    misplaced = coordinates_problem(
        con,
        staged,
        CRS.from_user_input(data.crs_label),
        region_crs_epsg,
        Path(delivery.source_file).name,
        declared_geom="__declared_geom" if transformed else "geom",
    )
    if misplaced:
        raise _refusal(delivery, "DQ14", misplaced)


def _batches(delivery: Delivery, data: LayerStream) -> Iterator[tuple[pa.Table, pa.Array]]:
    """The file's batches, or one empty batch for a file without features (the staged table must exist);
    refused (LOAD) when the file breaks while being read."""
    empty = True
    try:
        for batch in data.batches():
            empty = False
            yield batch
    except DeliveryError as exc:
        raise _unreadable(delivery, exc.__cause__ or exc) from exc
    if empty:
        yield data.schema.empty_table(), pa.array([], pa.binary())


def _cast(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    data: LayerStream,
    mapping: dict[str, int],
    extras: list[int],
    region_crs_epsg: int,
    staged: str,
) -> int:
    """Stage the delivered rows, batch by batch, cast to canonical types in the region's CRS, into the
    temporary table `staged`; how many rows the file delivered.

    Refused (LOAD) when the text values look mis-decoded, (DQ14) when the coordinates do not fit.
    """
    # Positional names: delivered names may differ only by case, which DuckDB would not tell apart.
    names = [f"c{i}" for i in range(len(data.schema))] + ["__row", "__wkb"]
    rows, created = 0, False
    for batch, wkb in _batches(delivery, data):
        mojibake = mojibake_reason(delivery, data, batch)
        if mojibake:
            raise _refusal(delivery, "LOAD", mojibake)
        numbers = pa.array(np.arange(rows + 1, rows + batch.num_rows + 1, dtype=np.int64))
        view = f"__delivery_{uuid.uuid4().hex}"
        con.register(view, pa.Table.from_arrays([*batch.columns, numbers, wkb], names=names))
        try:
            select = _staging_select(delivery.layer, data, mapping, extras, region_crs_epsg, view)
            into = f"INSERT INTO {staged} " if created else f"CREATE TEMP TABLE {staged} AS "
            con.execute(into + select)
        finally:
            con.unregister(view)
        rows, created = rows + batch.num_rows, True
    _check_coordinates(con, delivery, data, staged, region_crs_epsg)
    return rows


def _insert(con: duckdb.DuckDBPyConnection, delivery: Delivery, staged: str, version: FileVersion) -> int:
    """Insert the staged rows into raw and the rows that cannot be taken in into raw.rejects; how many
    were rejected."""
    layer = delivery.layer
    fields = ", ".join(quote_name(name) for name in layer.fields)
    lineage = ", ".join(LINEAGE_COLUMNS)
    con.execute(
        f"""
        INSERT INTO raw.{layer.table} ({fields}, geom, {lineage}, _extra)
        SELECT {fields}, geom, ?, ?, __row, ?, ?, __extra FROM {staged}
        WHERE __load_reason IS NULL AND __geom_reason IS NULL
        ORDER BY __row
        """,
        [delivery.year, delivery.source_file, version.loaded_at, version.sha],
    )
    con.execute(
        f"""
        INSERT INTO raw.rejects ({REJECT_COLUMNS})
        SELECT ?, __row, ?,
               CASE WHEN __load_reason IS NOT NULL THEN 'LOAD' ELSE 'DQ05' END,
               CASE WHEN __load_reason IS NOT NULL
                    THEN __load_reason || coalesce('; ' || __geom_reason, '')
                    ELSE __geom_reason END,
               __record, ?, ?, ?
        FROM {staged}
        WHERE __load_reason IS NOT NULL OR __geom_reason IS NOT NULL
        ORDER BY __row
        """,
        [delivery.source_file, layer.code, version.sha, version.loaded_at, REJECTED_BY],
    )
    rejected = con.execute(
        f"SELECT count(*) FROM {staged} WHERE __load_reason IS NOT NULL OR __geom_reason IS NOT NULL"
    ).fetchone()[0]
    return rejected


# ----------------------------------------------------------------------------------------------- loading


def _load_file(
    con: duckdb.DuckDBPyConnection, delivery: Delivery, version: FileVersion, region_crs_epsg: int
) -> FileOutcome:
    """Read, map, cast and insert one delivered file, replacing its earlier load in one transaction.

    Raises `DeliveryError` (its rule_id LOAD, DQ14 or DQ15) when the file is refused; nothing of it is
    written then.
    """
    with _read(delivery, region_crs_epsg) as data:
        mapping, extras = _map(delivery, data)
        # Staged before the transaction: DuckDB keeps every Arrow batch registered inside a transaction
        # until it commits, so staging inside it held the whole file in memory (a 2 100 000-parcel DLTB:
        # 0.7 GB of Arrow buffers, growing with the file instead of the batch).
        staged = f"__staged_{uuid.uuid4().hex}"
        try:  # a refused file leaves nothing staged behind, nor does a loaded one
            rows = _cast(con, delivery, data, mapping, extras, region_crs_epsg, staged)
            with transaction(con):
                file_ledger(delivery.layer).clear(con, delivery.source_file)
                rejected = _insert(con, delivery, staged, version)
        finally:
            con.execute(f"DROP TABLE IF EXISTS {staged}")
    outcome = FileOutcome(delivery.source_file, version.status, rows - rejected, rejected, rows_read=rows)
    log.info(
        "%s: %s %d rows, rejected %d", delivery.source_file, outcome.status, outcome.rows_loaded, rejected
    )
    return outcome


def load_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery, region_crs_epsg: int) -> FileOutcome:
    """Load one delivered file (idempotent); never raises for a bad file, returns a 'failed' outcome.

    A file refused last time and unchanged since is reported as refused again; one the landing folder's
    rules refuse (`delivery.problem`) is refused without being opened.
    """
    if delivery.problem is not None:
        return file_ledger(delivery.layer).refuse_unread(con, delivery.source_file, delivery.problem)
    return file_ledger(delivery.layer).take_in(
        con,
        delivery.source_file,
        delivery.path,
        lambda version: _load_file(con, delivery, version, region_crs_epsg),
    )


def load_layer(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    layer: Layer,
    region_crs_epsg: int,
    *,
    deliveries: Sequence[Delivery] | None = None,
    purge_missing: bool = True,
    years: Collection[int] | None = None,
) -> LoadReport:
    """Load every delivery of `layer` under `landing` into `raw.<layer.table>` (in the region's CRS).

    `deliveries` defaults to `discover(landing)`. With `purge_missing`, rows (and load-time rejects) of
    files no longer delivered are removed, so raw mirrors the landing folder: a layer redelivered as
    DLTB.gpkg instead of DLTB.shp is not counted twice. With `years` (a partitioned run), only the
    deliveries of those <year> folders are loaded, and only their files are purged.

    Raises `LayerLoadError` (a `DeliveryError`) after all files were processed if any file was refused,
    naming each one and why; the files that could be loaded stay loaded.
    """
    if deliveries is None:
        deliveries = discover(Path(landing))
    mine = [d for d in deliveries if d.layer.code == layer.code and (years is None or d.year in years)]
    report = LoadReport(layer.code)
    for delivery in mine:
        report.files.append(load_delivery(con, delivery, region_crs_epsg))
    if purge_missing:
        report.removed = file_ledger(layer).purge_missing(con, {d.source_file for d in mine}, years)
    log.info("%s", report.summary())
    failures = report.failures
    if failures:
        rule_ids = {f.rule_id for f in failures}
        message = (
            f"{layer.code}: {len(failures)} of {len(report.files)} delivered file(s) refused "
            f"(the others were loaded):\n" + "\n".join(f"  - {_listed(f)}" for f in failures)
        )
        raise LayerLoadError(
            message,
            report,
            source_file=", ".join(f.source_file for f in failures),
            rule_id=rule_ids.pop() if len(rule_ids) == 1 else "LOAD",
        )
    return report


def _listed(outcome: FileOutcome) -> str:
    # The landing folder's refusals start with the file's path already: do not say it twice.
    if outcome.message.startswith(outcome.source_file):
        return outcome.message
    return f"{outcome.source_file}: {outcome.message}"


def reject_records(con: duckdb.DuckDBPyConnection, source_file: str) -> list[dict]:
    """The rejects of one file, as dicts (for tests and operator tooling)."""
    rows = con.execute(
        "SELECT source_row, layer, rule_id, reason, record FROM raw.rejects WHERE source_file = ? "
        "ORDER BY source_row NULLS FIRST",
        [source_file],
    ).fetchall()
    keys = ("source_row", "layer", "rule_id", "reason", "record")
    return [dict(zip(keys, (*r[:4], json.loads(r[4]) if r[4] else None), strict=True)) for r in rows]
