"""Load delivered survey/control layers into the warehouse's `raw` tables.

One file at a time, each in one transaction: read it (any of the four formats), map aliases onto the
canonical field names of `sources.layers`, cast to canonical types, bring the geometry to the region's
CRS and insert. Rows that cannot be taken in go to `raw.rejects` with a reason; a file that cannot be
taken in at all (no CRS = DQ14, unreadable = LOAD) leaves one file-level reject row, the other files still
load, and `load_layer` raises `DeliveryError` at the end naming every failed file.

Loading is idempotent per file: the file's sha256 is stored with its rows, an unchanged file is skipped,
and a changed file replaces its previous rows and load-time rejects.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime
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
from sources.formats import SHAPEFILE_SIDECARS, LayerData, read_layer
from sources.layers import DATE, INT, LINEAGE_COLUMNS, REAL, TEXT, Layer

log = logging.getLogger(__name__)

# File-level refusals the loader writes (a file refused last time and unchanged is reported again):
# unreadable or mis-decoded (LOAD), coordinates without or against their CRS (DQ14), a field that
# figures and rules read missing (DQ15).
FILE_RULES = ("LOAD", "DQ14", "DQ15")
_FILE_RULES_SQL = "(" + ", ".join(f"'{rule}'" for rule in FILE_RULES) + ")"
# raw.rejects.rejected_by of every row the loader writes (LOAD, DQ14, and DQ05 for unparseable WKB); the
# rule runner writes 'rule_runner'. Replacing a file clears exactly the loader's rows for it.
REJECTED_BY = "extractor"
UNPARSEABLE_GEOMETRY = "geometry cannot be parsed"
_REJECT_COLUMNS = (
    "source_file, source_row, layer, rule_id, reason, record, file_sha256, rejected_at, rejected_by"
)

_TYPE_WORDS = {INT: "an integer", REAL: "a number", DATE: "a date", TEXT: "text"}


@dataclass
class FileOutcome:
    """What happened to one delivered file: loaded, replaced (changed since last load), skipped, failed."""

    source_file: str
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""
    rule_id: str | None = None  # for failed files: DQ14 or LOAD


@dataclass
class LoadReport:
    """The outcome of loading one layer's deliveries, for the operator log and Dagster metadata."""

    layer: str
    files: list[FileOutcome] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)  # files no longer delivered, their rows removed

    def _count(self, *statuses: str) -> int:
        return sum(1 for f in self.files if f.status in statuses)

    @property
    def files_loaded(self) -> int:
        return self._count("loaded", "replaced")

    @property
    def files_replaced(self) -> int:
        return self._count("replaced")

    @property
    def files_skipped(self) -> int:
        return self._count("skipped")

    @property
    def files_failed(self) -> int:
        return self._count("failed")

    @property
    def rows_loaded(self) -> int:
        return sum(f.rows_loaded for f in self.files)

    @property
    def rows_rejected(self) -> int:
        return sum(f.rows_rejected for f in self.files)

    @property
    def failures(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == "failed"]

    def summary(self) -> str:
        """One operator log line, e.g. 'DLTB: 2 files loaded (1 replaced), 1 skipped, 1 failed; 812 rows…'."""
        return (
            f"{self.layer}: {self.files_loaded} files loaded ({self.files_replaced} replaced), "
            f"{self.files_skipped} skipped (unchanged), {self.files_failed} failed; "
            f"{self.rows_loaded} rows loaded, {self.rows_rejected} rows rejected"
            + (f"; removed {len(self.removed)} file(s) no longer delivered" if self.removed else "")
        )

    def __str__(self) -> str:
        return self.summary()

    def as_metadata(self) -> dict[str, int | str]:
        return {
            "files_loaded": self.files_loaded,
            "files_replaced": self.files_replaced,
            "files_skipped": self.files_skipped,
            "files_failed": self.files_failed,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "files_removed": len(self.removed),
            "summary": self.summary(),
        }


class LayerLoadError(DeliveryError):
    """Some files of a layer's delivery were refused; everything else was loaded. Carries the report."""

    def __init__(self, message: str, report: LoadReport, *, source_file: str | None, rule_id: str) -> None:
        super().__init__(message, source_file=source_file, rule_id=rule_id)
        self.report = report


# ----------------------------------------------------------------------------------------------- hashing


def file_sha256(path: Path) -> str:
    """Fingerprint of a delivered layer: the file, a Shapefile's .shp/.dbf/.prj/.cpg, or a FileGDB's files."""
    path = Path(path)
    digest = hashlib.sha256()
    if path.is_dir():
        parts = sorted(p for p in path.rglob("*") if p.is_file())
        for part in parts:
            digest.update(part.relative_to(path).as_posix().encode())
            digest.update(part.read_bytes())
    elif path.suffix.lower() == ".shp":
        siblings = {p.suffix.lower(): p for p in path.parent.iterdir() if p.stem.lower() == path.stem.lower()}
        siblings[".shp"] = path
        for suffix in SHAPEFILE_SIDECARS:
            if suffix == ".shx":  # derived from the .shp; a re-indexed .shx is not a new delivery
                continue
            if suffix in siblings:
                digest.update(suffix.encode())
                digest.update(siblings[suffix].read_bytes())
    else:
        with path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


# ------------------------------------------------------------------------------------------ column mapping


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def map_fields(layer: Layer, delivered: Sequence[str]) -> tuple[dict[str, int], list[int]]:
    """Match delivered field names to canonical ones: ({canonical: column index}, [extra column indexes]).

    Case-insensitive; the canonical name wins over an alias, and the first of several aliases wins; a
    delivered field that maps nowhere (or loses to another) is kept verbatim in `_extra`.
    """
    upper = [name.upper() for name in delivered]
    mapping: dict[str, int] = {}
    for canonical in layer.fields:
        candidates = [canonical, *layer.alias_names(canonical)]
        for candidate in candidates:
            if candidate in upper:
                mapping[canonical] = upper.index(candidate)
                break
    used = set(mapping.values())
    extras = [i for i in range(len(delivered)) if i not in used]
    return mapping, extras


def _cast(column: str, source: pa.DataType, target: str) -> tuple[str, str]:
    """(SQL value cast to `target`, SQL 'was present in the delivery') for one delivered column."""
    if pa.types.is_string(source) or pa.types.is_large_string(source) or pa.types.is_string_view(source):
        text = f"NULLIF(trim({column}), '')"
        present = f"{text} IS NOT NULL"
        if target == TEXT:
            return column, f"{column} IS NOT NULL"
        if target == INT:
            # '12.0' is an integer; '12.5' is not (TRY_CAST would round it).
            as_double = f"TRY_CAST({text} AS DOUBLE)"
            value = (
                f"COALESCE(TRY_CAST({text} AS BIGINT), "
                f"CASE WHEN {as_double} = trunc({as_double}) THEN TRY_CAST({as_double} AS BIGINT) END)"
            )
            return value, present
        if target == REAL:
            return f"TRY_CAST({text} AS DOUBLE)", present
        if target == DATE:
            formats = ["%Y/%m/%d", "%Y年%m月%d日", "%Y%m%d", "%Y.%m.%d"]
            tries = ", ".join(f"TRY_STRPTIME({text}, {_lit(f)})::DATE" for f in formats)
            return f"COALESCE(TRY_CAST({text} AS DATE), {tries})", present
    present = f"{column} IS NOT NULL"
    if pa.types.is_floating(source):
        if target == INT:
            return f"CASE WHEN {column} = trunc({column}) THEN TRY_CAST({column} AS BIGINT) END", present
        if target == TEXT:
            # Integer-valued numbers (a code delivered as 330402.0) become '330402', not '330402.0'.
            return (
                f"CASE WHEN {column} = trunc({column}) AND abs({column}) < 1e15 "
                f"THEN CAST({column}::BIGINT AS VARCHAR) ELSE CAST({column} AS VARCHAR) END"
            ), present
    if pa.types.is_timestamp(source) and target == DATE:
        return f"CAST({column} AS DATE)", present
    if (pa.types.is_integer(source) or pa.types.is_decimal(source)) and target == DATE:
        return f"TRY_STRPTIME(CAST({column} AS VARCHAR), '%Y%m%d')::DATE", present
    if target == TEXT:
        return f"CAST({column} AS VARCHAR)", present
    return f"TRY_CAST({column} AS {target})", present


def _json_object(pairs: list[tuple[str, str]]) -> str:
    if not pairs:
        return "NULL::JSON"
    return "json_object(" + ", ".join(f"{_lit(key)}, {expr}" for key, expr in pairs) + ")"


# -------------------------------------------------------------------------------------------- rejects


def _delete_previous(con: duckdb.DuckDBPyConnection, layer: Layer, source_file: str) -> None:
    con.execute(f"DELETE FROM raw.{layer.table} WHERE _source_file = ?", [source_file])
    con.execute(
        "DELETE FROM raw.rejects WHERE source_file = ? AND layer = ? AND rejected_by = ?",
        [source_file, layer.code, REJECTED_BY],
    )


def _reject_file(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    sha: str,
    rule_id: str,
    reason: str,
    loaded_at: datetime,
) -> FileOutcome:
    """Record a whole file as refused (replacing whatever an earlier version of it loaded)."""
    con.begin()
    try:
        _delete_previous(con, delivery.layer, delivery.source_file)
        con.execute(
            f"INSERT INTO raw.rejects ({_REJECT_COLUMNS}) VALUES (?, NULL, ?, ?, ?, NULL, ?, ?, ?)",
            [delivery.source_file, delivery.layer.code, rule_id, reason, sha, loaded_at, REJECTED_BY],
        )
        con.commit()
    except Exception:
        con.rollback()
        raise
    log.error("%s", reason)
    return FileOutcome(delivery.source_file, "failed", message=reason, rule_id=rule_id)


def _no_crs_reason(delivery: Delivery, data: LayerData, region_crs_epsg: int) -> str:
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


def missing_fields_reason(delivery: Delivery, delivered: Sequence[str]) -> str | None:
    """Why the file lacks a field its figures or rules read (rule DQ15), naming the unrecognised fields
    that may be it under another name; None when every required field is there."""
    layer = delivery.layer
    mapping, extras = map_fields(layer, delivered)
    missing = [name for name in layer.required if name not in mapping]
    if not missing:
        return None
    named = []
    for name in missing:
        aliases = layer.alias_names(name)
        named.append(name + (f" (or {' / '.join(aliases)})" if aliases else ""))
    unknown = [delivered[i] for i in extras if delivered[i].upper() not in layer.fields]
    return (
        f"{Path(delivery.source_file).name}: {layer.code} lacks the field(s) {', '.join(named)}, which "
        "figures and rules read"
        + (f"; fields not recognised: {', '.join(unknown)}" if unknown else "")
        + ". Deliver the layer with every field of SOURCES.md under its 三调 name (or a listed alias)"
    )


def mojibake_reason(delivery: Delivery, data: LayerData) -> str | None:
    """Why the file's text values look mis-decoded (mojibake under a clean header), or None."""
    for name, column in zip(data.table.column_names, data.table.columns, strict=True):
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


# ----------------------------------------------------------------------------------------------- loading


def _load_file(
    con: duckdb.DuckDBPyConnection,
    delivery: Delivery,
    data: LayerData,
    sha: str,
    region_crs_epsg: int,
    loaded_at: datetime,
) -> FileOutcome | str:
    """Load one read layer in one transaction; a string return is a file-level DQ14 reason instead."""
    layer = delivery.layer
    delivered = list(data.table.column_names)
    mapping, extras = map_fields(layer, delivered)
    # Positional names: delivered names may differ only by case, which DuckDB would not tell apart.
    arrays = list(data.table.columns) + [
        pa.array(np.arange(1, data.table.num_rows + 1, dtype=np.int64)),
        data.wkb,
    ]
    names = [f"c{i}" for i in range(len(delivered))] + ["__row", "__wkb"]
    source = pa.Table.from_arrays(arrays, names=names)

    values, problems = [], []
    for canonical, type_ in layer.fields.items():
        if canonical not in mapping:
            values.append(f"NULL::{type_} AS {_q(canonical)}")
            continue
        index = mapping[canonical]
        column = f"c{index}"
        value, present = _cast(column, data.table.schema.field(index).type, type_)
        values.append(f"{value} AS {_q(canonical)}")
        if type_ != TEXT:
            label = (
                canonical if delivered[index].upper() == canonical else f"{delivered[index]} (→{canonical})"
            )
            head, tail = _lit(f'{label}: cannot read "'), _lit(f'" as {_TYPE_WORDS[type_]}')
            message = f"{head} || CAST({column} AS VARCHAR) || {tail}"
            problems.append(f"CASE WHEN {present} AND ({value}) IS NULL THEN {message} END")

    load_reason = f"NULLIF(concat_ws('; ', {', '.join(problems)}), '')" if problems else "NULL::VARCHAR"
    extra_json = _json_object([(delivered[i], f"c{i}") for i in extras])
    record_json = _json_object([(name, f"c{i}") for i, name in enumerate(delivered)])
    geom = "__g"
    transformed = data.crs_epsg != region_crs_epsg
    if transformed:
        # Axis-order trap: EPSG:4490/4528 declare north-first axes; always_xy keeps easting first.
        source_crs, target_crs = _lit(data.crs_label or ""), _lit(f"EPSG:{region_crs_epsg}")
        geom = f"TRY(ST_Transform(__g, {source_crs}, {target_crs}, always_xy := true))"

    view = f"__delivery_{uuid.uuid4().hex}"
    staged = f"__staged_{uuid.uuid4().hex}"
    con.register(view, source)
    con.begin()
    try:
        _delete_previous(con, layer, delivery.source_file)
        con.execute(
            f"""
            CREATE TEMP TABLE {staged} AS
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
        )
        # Coordinates that do not fit the declared CRS come out of PROJ as inf: the declaration is wrong
        # for the whole file, so it is refused like a missing CRS rather than loaded half-transformed.
        bad = con.execute(
            f"""SELECT count(*) FROM {staged}
                WHERE __transform_failed OR (geom IS NOT NULL AND NOT ST_IsEmpty(geom)
                  AND NOT isfinite(ST_XMin(geom) + ST_YMin(geom) + ST_XMax(geom) + ST_YMax(geom)))"""
        ).fetchone()[0]
        if bad:
            con.rollback()
            declared = data.crs_label if data.crs_epsg else "CRS"
            return (
                f"{Path(delivery.source_file).name}: {bad} feature(s) cannot be transformed from the "
                f"declared {declared} to EPSG:{region_crs_epsg} (coordinates out of range for the declared "
                "CRS); check the .prj / CRS declaration"
            )
        misplaced = coordinates_problem(
            con,
            staged,
            CRS.from_user_input(data.crs_label),
            region_crs_epsg,
            Path(delivery.source_file).name,
            declared_geom="__declared_geom" if transformed else "geom",
        )
        if misplaced:
            con.rollback()
            return misplaced
        fields = ", ".join(_q(name) for name in layer.fields)
        lineage = ", ".join(LINEAGE_COLUMNS)
        con.execute(
            f"""
            INSERT INTO raw.{layer.table} ({fields}, geom, {lineage}, _extra)
            SELECT {fields}, geom, ?, ?, __row, ?, ?, __extra FROM {staged}
            WHERE __load_reason IS NULL AND __geom_reason IS NULL
            ORDER BY __row
            """,
            [delivery.year, delivery.source_file, loaded_at, sha],
        )
        con.execute(
            f"""
            INSERT INTO raw.rejects ({_REJECT_COLUMNS})
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
            [delivery.source_file, layer.code, sha, loaded_at, REJECTED_BY],
        )
        rejected = con.execute(
            f"SELECT count(*) FROM {staged} WHERE __load_reason IS NOT NULL OR __geom_reason IS NOT NULL"
        ).fetchone()[0]
        con.execute(f"DROP TABLE {staged}")
        con.commit()
    except Exception:
        con.rollback()
        raise
    finally:
        con.unregister(view)
    return FileOutcome(delivery.source_file, "loaded", data.table.num_rows - rejected, rejected)


def _previous_fingerprints(con: duckdb.DuckDBPyConnection, delivery: Delivery) -> set[str]:
    """sha256s of earlier loads of this file still in raw (its rows) or raw.rejects (its refusals)."""
    layer = delivery.layer
    return {
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT _file_sha256 FROM raw.{layer.table} WHERE _source_file = ? "
            "UNION SELECT DISTINCT file_sha256 FROM raw.rejects "
            "WHERE source_file = ? AND layer = ? AND rejected_by = ?",
            [delivery.source_file, delivery.source_file, layer.code, REJECTED_BY],
        ).fetchall()
    }


def load_delivery(con: duckdb.DuckDBPyConnection, delivery: Delivery, region_crs_epsg: int) -> FileOutcome:
    """Load one delivered file (idempotent); never raises for a bad file, returns a 'failed' outcome."""
    sha = file_sha256(delivery.path)
    previous = _previous_fingerprints(con, delivery)
    if sha in previous:
        # Unchanged since the last load. A file refused last time is still refused: report it again.
        failure = con.execute(
            "SELECT rule_id, reason FROM raw.rejects WHERE source_file = ? AND layer = ? AND file_sha256 = ? "
            f"AND source_row IS NULL AND rule_id IN {_FILE_RULES_SQL} AND rejected_by = ? LIMIT 1",
            [delivery.source_file, delivery.layer.code, sha, REJECTED_BY],
        ).fetchone()
        if failure:
            return FileOutcome(delivery.source_file, "failed", message=failure[1], rule_id=failure[0])
        return FileOutcome(delivery.source_file, "skipped")
    loaded_at = datetime.now()
    try:
        data = read_layer(delivery.path, delivery.layer_name)
    except DeliveryError as exc:
        return _reject_file(con, delivery, sha, "LOAD", exc.message, loaded_at)
    except Exception as exc:  # GDAL/Arrow errors on a corrupt file: refuse the file, keep going
        reason = f"{Path(delivery.source_file).name}: cannot be read as {delivery.format} ({exc})"
        return _reject_file(con, delivery, sha, "LOAD", reason, loaded_at)
    if not data.has_crs:
        return _reject_file(
            con, delivery, sha, "DQ14", _no_crs_reason(delivery, data, region_crs_epsg), loaded_at
        )
    missing = missing_fields_reason(delivery, data.table.column_names)
    if missing:
        return _reject_file(con, delivery, sha, "DQ15", missing, loaded_at)
    mojibake = mojibake_reason(delivery, data)
    if mojibake:
        return _reject_file(con, delivery, sha, "LOAD", mojibake, loaded_at)
    outcome = _load_file(con, delivery, data, sha, region_crs_epsg, loaded_at)
    if isinstance(outcome, str):
        return _reject_file(con, delivery, sha, "DQ14", outcome, loaded_at)
    if previous:
        outcome.status = "replaced"
    log.info(
        "%s: %s %d rows, rejected %d",
        delivery.source_file,
        outcome.status,
        outcome.rows_loaded,
        outcome.rows_rejected,
    )
    return outcome


def year_folder(source_file: str) -> int | None:
    """The <year> folder of a landing-relative path such as `survey/2023/DLTBGX.gpkg`."""
    parts = source_file.split("/")
    return int(parts[1]) if len(parts) > 2 and parts[1].isdigit() else None


def _purge_missing(
    con: duckdb.DuckDBPyConnection, layer: Layer, delivered: set[str], years: Collection[int] | None = None
) -> list[str]:
    """Remove what the loader holds for files of `layer` (in `years`, if given) no longer delivered."""
    known = {
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT _source_file FROM raw.{layer.table} "
            "UNION SELECT DISTINCT source_file FROM raw.rejects WHERE layer = ? AND rejected_by = ?",
            [layer.code, REJECTED_BY],
        ).fetchall()
    }
    if years is not None:
        known = {f for f in known if year_folder(f) in years}
    gone = sorted(known - delivered)
    if gone:
        con.begin()
        try:
            for source_file in gone:
                _delete_previous(con, layer, source_file)
            con.commit()
        except Exception:
            con.rollback()
            raise
        log.warning("%s: removed rows of files no longer delivered: %s", layer.code, ", ".join(gone))
    return gone


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
        report.removed = _purge_missing(con, layer, {d.source_file for d in mine}, years)
    log.info("%s", report.summary())
    failures = report.failures
    if failures:
        rule_ids = {f.rule_id for f in failures}
        message = (
            f"{layer.code}: {len(failures)} of {len(report.files)} delivered file(s) refused "
            f"(the others were loaded):\n" + "\n".join(f"  - {f.source_file}: {f.message}" for f in failures)
        )
        raise LayerLoadError(
            message,
            report,
            source_file=", ".join(f.source_file for f in failures),
            rule_id=rule_ids.pop() if len(rule_ids) == 1 else "LOAD",
        )
    return report


def reject_records(con: duckdb.DuckDBPyConnection, source_file: str) -> list[dict]:
    """The rejects of one file, as dicts (for tests and operator tooling)."""
    rows = con.execute(
        "SELECT source_row, layer, rule_id, reason, record FROM raw.rejects WHERE source_file = ? "
        "ORDER BY source_row NULLS FIRST",
        [source_file],
    ).fetchall()
    keys = ("source_row", "layer", "rule_id", "reason", "record")
    return [dict(zip(keys, (*r[:4], json.loads(r[4]) if r[4] else None), strict=True)) for r in rows]
