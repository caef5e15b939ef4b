"""Load the delivered tabular records (project and case records, funds, land-supply statistics) into raw.

The same contract as the spatial loader (`sources.extract.load`), on the same file ledger
(`sources.extract.ledger`): one file at a time, each in one transaction; the file's sha256 is stored with
its rows, so an unchanged file is skipped and a changed one replaces its earlier rows and load-time
rejects; rows of files no longer delivered are purged. Rows that cannot be taken in go to `raw.rejects`
(rule_id LOAD, rejected_by 'extractor') with the reason and the row as delivered; a file that cannot be
read at all leaves one file-level reject (source_row NULL), and a workbook sheet that is refused (its 合计
disagrees with its rows) leaves one reject naming the sheet while the other sheets load. `load_records`
raises `DeliveryError` at the end naming every refused file/sheet.

Personal data (田长 姓名/联系电话, 缴款单位) is loaded into raw as delivered but masked as '***' in
raw.rejects.record and never put into a reason or a log line.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl

from sources.errors import DeliveryError
from sources.extract.landing import LandedFile, landed_files
from sources.extract.ledger import REJECT_COLUMNS, REJECTED_BY, FileLedger, FileVersion
from sources.extract.load import LayerLoadError
from sources.extract.outcome import FileOutcome, LoadReport
from sources.extract.sql import quote_name
from sources.layers import REJECTS_DDL
from sources.records import (
    JSON,
    RECORD_KINDS,
    SHEET_COLUMN,
    YEAR_COLUMN,
    RecordKind,
    record_kind,
    record_table_ddl,
)
from sources.tabular import REASON, RECORD, ROW, RawRecords, SheetReject, read_records, typed_records
from warehouse.connection import transaction

log = logging.getLogger(__name__)

LOAD_RULE = "LOAD"


@dataclass(frozen=True)
class RecordFile:
    """One delivered record file: `funds/2024/耕地开垦费缴纳_2024.csv` of kind reclamation_fees."""

    kind: RecordKind
    path: Path
    source_file: str  # lineage key: path relative to the landing folder (posix)
    year: int | None = None  # from the <year> folder, else from the file name
    problem: str | None = None  # why it is refused unread: misnamed, or by the landing folder's rules


class RecordLoadError(LayerLoadError):
    """Some files (or workbook sheets) of a record kind were refused; everything else was loaded."""


class RecordsLoadError(DeliveryError):
    """`load_all_records`: some record kinds had refused files; carries every kind's report."""

    def __init__(self, message: str, reports: list[LoadReport], *, source_file: str | None) -> None:
        super().__init__(message, source_file=source_file, rule_id=LOAD_RULE)
        self.reports = reports


# --------------------------------------------------------------------------------------------- discovery


def _scope(kind: RecordKind) -> tuple[str, bool]:
    """The layout folder a kind is delivered in, and whether in its <year> folders: `funds/{year}` →
    (`funds`, True)."""
    if "{year}" in kind.folder:
        return kind.folder.split("/{year}", 1)[0], True
    return kind.folder, False


def _record_file(kind: RecordKind, landed: LandedFile) -> RecordFile | None:
    """The file of `kind` an entry of the kind's folder is, or None."""
    match = kind.match(landed.name)
    if landed.problem is not None:
        # Refused before being read: as the kind its name names, or as every kind its folder could hold.
        if match is None and not landed.opaque:
            return None
        name_year = int(match["year"]) if match is not None and "year" in match.groupdict() else None
        year = landed.year if landed.year is not None else name_year
        return RecordFile(kind, landed.path, landed.source_file, year, landed.problem)
    if match is None:
        return None
    rel, folder_year = landed.source_file, landed.year
    name_year = int(match["year"]) if "year" in match.groupdict() else None
    problem = None
    if folder_year is not None and name_year is not None and folder_year != name_year:
        problem = (
            f"{rel}: the file name says {name_year} but it was delivered in the {folder_year} "
            "folder; deliver it under its own year"
        )
    if "month" in match.groupdict() and not 1 <= int(match["month"]) <= 12:
        problem = f"{rel}: {match['month']} in the file name is not a month (expected YYYYMM)"
    year = folder_year if folder_year is not None else name_year
    return RecordFile(kind, landed.path, rel, year, problem)


def discover_records(landing: Path, kinds: Sequence[RecordKind] = RECORD_KINDS) -> list[RecordFile]:
    """Every delivered file of `kinds` under `landing` (SOURCES.md "Landing zone layout"), in path order.

    Names must match exactly (`违法用地案件.csv`, `耕地开垦费缴纳_2024.csv`); editor lock files (`~$…`) and
    hidden files are skipped. Where both the folder and the file name carry a year they must agree. The
    landing folder is read through `sources.extract.landing`: what it refuses (a link out of the landing
    folder, a file too large, a file in a folder below the layout) comes back with its `problem`.
    """
    landing = Path(landing)
    landed: dict[tuple[str, bool], list[LandedFile]] = {}
    found: list[RecordFile] = []
    for kind in kinds:
        scope = _scope(kind)
        if scope not in landed:
            landed[scope] = landed_files(landing, scope[0], yearly=scope[1])
        found.extend(rf for entry in landed[scope] if (rf := _record_file(kind, entry)) is not None)
    found.sort(key=lambda f: (f.kind.table, f.source_file))
    return found


# ---------------------------------------------------------------------------------------------- writing


def file_ledger(kind: RecordKind) -> FileLedger:
    return FileLedger(kind.table, kind.table)


def _insert_frame(con: duckdb.DuckDBPyConnection, frame: pl.DataFrame, sql: str, params: list) -> None:
    """Run `sql` (which reads the view `{view}`) over `frame` handed to DuckDB as Arrow, not row by row."""
    if frame.height == 0:
        return
    view = f"__records_{uuid.uuid4().hex}"
    # Positional names: the Chinese column names would need quoting in every expression.
    arrow = frame.rename({c: f"c{i}" for i, c in enumerate(frame.columns)}).to_arrow()
    con.register(view, arrow)
    try:
        con.execute(sql.format(view=view), params)
    finally:
        con.unregister(view)


def _write_file(
    con: duckdb.DuckDBPyConnection,
    rf: RecordFile,
    typed: pl.DataFrame,
    sheet_rejects: list[SheetReject],
    version: FileVersion,
) -> tuple[int, int]:
    """Replace the file's rows and load-time rejects in one transaction; (rows loaded, rows rejected)."""
    kind = rf.kind
    accepted = typed.filter(pl.col(REASON).is_null())
    rejected = typed.filter(pl.col(REASON).is_not_null())

    columns = list(kind.columns)
    lineage_source = [ROW] + ([SHEET_COLUMN] if kind.has_sheet else [])
    rows_frame = accepted.select(columns + lineage_source)
    index = {name: i for i, name in enumerate(rows_frame.columns)}
    values = [f"CAST(c{index[c]} AS JSON)" if kind.columns[c] == JSON else f"c{index[c]}" for c in columns]
    targets = [quote_name(c) for c in columns] + ["_source_file", "_source_row", "_loaded_at", "_file_sha256"]
    values += ["?", f"c{index[ROW]}", "?", "?"]
    params: list = [rf.source_file, version.loaded_at, version.sha]
    if kind.has_sheet:
        targets.append(SHEET_COLUMN)
        values.append(f"c{index[SHEET_COLUMN]}")
    if kind.has_year:
        targets.append(YEAR_COLUMN)
        values.append("?")
        params.append(rf.year)
    insert_rows = (
        f"INSERT INTO raw.{kind.table} ({', '.join(targets)}) SELECT {', '.join(values)} FROM {{view}}"
    )
    insert_rejects = (
        f"INSERT INTO raw.rejects ({REJECT_COLUMNS}) "
        "SELECT ?, c0, ?, ?, c1, CAST(c2 AS JSON), ?, ?, ? FROM {view}"
    )
    reject_params = [rf.source_file, kind.table, LOAD_RULE, version.sha, version.loaded_at, REJECTED_BY]
    row_rejects = rejected.select(ROW, REASON, RECORD)
    # A refused sheet: one reject without a row number, its record naming the sheet.
    sheet_frame = pl.DataFrame(
        {
            ROW: [None] * len(sheet_rejects),
            REASON: [s.reason for s in sheet_rejects],
            RECORD: [json.dumps({SHEET_COLUMN: s.sheet}, ensure_ascii=False) for s in sheet_rejects],
        },
        schema={ROW: pl.Int64, REASON: pl.String, RECORD: pl.String},
    )

    with transaction(con):
        file_ledger(kind).clear(con, rf.source_file)
        _insert_frame(con, rows_frame, insert_rows, params)
        _insert_frame(con, pl.concat([sheet_frame, row_rejects]), insert_rejects, reject_params)
    return accepted.height, rejected.height + sum(s.rows for s in sheet_rejects)


# ---------------------------------------------------------------------------------------------- loading


def _safe_detail(exc: Exception, kind: RecordKind) -> str:
    # Library messages may quote cells; for files holding personal data only the error's type is shown.
    return type(exc).__name__ if kind.personal else f"{type(exc).__name__}: {exc}"


def _read(rf: RecordFile) -> tuple[RawRecords, pl.DataFrame]:
    """The file's records as delivered, and cast to the kind's columns with each row's reason if it cannot
    be taken in; refused when the file cannot be read."""
    try:
        raw = read_records(rf.path, rf.kind, rf.source_file)
        return raw, typed_records(rf.kind, raw.frame)
    except DeliveryError as exc:  # refused as unreadable, whatever rule the reader named
        raise DeliveryError(exc.message, source_file=rf.source_file, rule_id=LOAD_RULE) from exc
    except Exception as exc:  # a corrupt file: refuse it, keep going with the others
        reason = f"{rf.source_file}: cannot be read as {rf.kind.format} ({_safe_detail(exc, rf.kind)})"
        raise DeliveryError(reason, source_file=rf.source_file, rule_id=LOAD_RULE) from exc


def _load_file(con: duckdb.DuckDBPyConnection, rf: RecordFile, version: FileVersion) -> FileOutcome:
    """Read one record file and replace its earlier load; raises `DeliveryError` when it is refused."""
    raw, typed = _read(rf)
    loaded, rejected = _write_file(con, rf, typed, raw.sheet_rejects, version)
    read = typed.height + sum(sheet.rows for sheet in raw.sheet_rejects)
    outcome = FileOutcome(rf.source_file, version.status, loaded, rejected, rows_read=read)
    if raw.sheet_rejects:
        outcome.rule_id = LOAD_RULE
        outcome.message = "; ".join(s.reason for s in raw.sheet_rejects)
        for sheet in raw.sheet_rejects:
            log.error("%s", sheet.reason)  # names sheet, column, 合计 and sum: no personal data
    log.info(
        "%s: %s %d rows, rejected %d%s",
        rf.source_file,
        outcome.status,
        loaded,
        rejected,
        f" (encoding {raw.encoding})" if raw.encoding else "",
    )
    return outcome


def load_record_file(con: duckdb.DuckDBPyConnection, rf: RecordFile) -> FileOutcome:
    """Load one delivered record file (idempotent); never raises for a bad file, returns its outcome.

    A file with refused workbook sheets comes back 'loaded'/'replaced' with `rule_id` and `message` set; a
    refused file (`rf.problem`: misnamed, or refused by the landing folder's rules) is not opened.
    """
    if rf.problem is not None:
        return file_ledger(rf.kind).refuse_unread(con, rf.source_file, rf.problem, LOAD_RULE)
    return file_ledger(rf.kind).take_in(
        con, rf.source_file, rf.path, lambda version: _load_file(con, rf, version)
    )


def _listed(outcome: FileOutcome) -> str:
    # Reasons usually start with the file already ("projects/x.csv: …", "x.csv: …"): do not say it twice.
    name = Path(outcome.source_file).name
    if outcome.message.startswith((outcome.source_file, name)):
        return outcome.message
    return f"{outcome.source_file}: {outcome.message}"


def ensure_record_tables(con: duckdb.DuckDBPyConnection, kinds: Sequence[RecordKind] = RECORD_KINDS) -> None:
    """Create the raw schema, the kinds' raw tables and raw.rejects if missing (bootstrap does it too)."""
    con.execute("CREATE SCHEMA IF NOT EXISTS raw")
    for kind in kinds:
        con.execute(record_table_ddl(kind))
    con.execute(REJECTS_DDL)


def load_records(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    kind: RecordKind | str,
    *,
    files: Sequence[RecordFile] | None = None,
    purge_missing: bool = True,
) -> LoadReport:
    """Load every delivered file of `kind` (a `RecordKind` or its table name) under `landing` into raw.

    `files` defaults to `discover_records(landing)`. With `purge_missing`, rows and load-time rejects of
    files no longer delivered are removed, so raw mirrors the landing folder.

    Raises `RecordLoadError` (a `DeliveryError`) after every file was processed if a file or a workbook
    sheet was refused, naming each and why; everything that could be loaded stays loaded.
    """
    if isinstance(kind, str):
        kind = record_kind(kind)
    ensure_record_tables(con, [kind])
    if files is None:
        files = discover_records(Path(landing), [kind])
    mine = [f for f in files if f.kind.table == kind.table]
    report = LoadReport(kind.table)
    for rf in mine:
        report.files.append(load_record_file(con, rf))
    if purge_missing:
        report.removed = file_ledger(kind).purge_missing(con, {f.source_file for f in mine})
    # A kind with nothing delivered is common (not every bureau sends every file): keep the log quiet.
    log.log(logging.INFO if report.files or report.removed else logging.DEBUG, "%s", report.summary())
    refused = [f for f in report.files if f.rule_id is not None]
    if refused:
        message = (
            f"{kind.table} ({kind.title_zh}): {len(refused)} of {len(report.files)} delivered file(s) "
            "refused in whole or in part (everything else was loaded):\n"
            + "\n".join(f"  - {_listed(f)}" for f in refused)
        )
        raise RecordLoadError(
            message, report, source_file=", ".join(f.source_file for f in refused), rule_id=LOAD_RULE
        )
    return report


def load_all_records(con: duckdb.DuckDBPyConnection, landing: Path) -> list[LoadReport]:
    """`load_records` for every record kind; raises `RecordsLoadError` at the end if any refused files."""
    files = discover_records(Path(landing))
    reports: list[LoadReport] = []
    errors: list[RecordLoadError] = []
    for kind in RECORD_KINDS:
        try:
            reports.append(load_records(con, landing, kind, files=files))
        except RecordLoadError as exc:
            reports.append(exc.report)
            errors.append(exc)
    if errors:
        raise RecordsLoadError(
            "\n".join(e.message for e in errors),
            reports,
            source_file=", ".join(e.source_file or "" for e in errors),
        )
    return reports
