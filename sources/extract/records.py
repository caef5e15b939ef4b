"""Load the delivered tabular records (project and case records, funds, land-supply statistics) into raw.

The same contract as the spatial loader (`sources.extract.load`): one file at a time, each in one
transaction; the file's sha256 is stored with its rows, so an unchanged file is skipped and a changed one
replaces its earlier rows and load-time rejects; rows of files no longer delivered are purged. Rows that
cannot be taken in go to `raw.rejects` (rule_id LOAD, rejected_by 'extractor') with the reason and the
row as delivered; a file that cannot be read at all leaves one file-level reject (source_row NULL), and a
workbook sheet that is refused (its 合计 disagrees with its rows) leaves one reject naming the sheet while
the other sheets load. `load_records` raises `DeliveryError` at the end naming every refused file/sheet.

Personal data (田长 姓名/联系电话, 缴款单位) is loaded into raw as delivered but masked as '***' in
raw.rejects.record and never put into a reason or a log line.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from sources.errors import DeliveryError
from sources.extract.load import FileOutcome, LayerLoadError, LoadReport, file_sha256
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
from sources.tabular import REASON, RECORD, ROW, SheetReject, read_records, typed_records

log = logging.getLogger(__name__)

REJECTED_BY = "extractor"
LOAD_RULE = "LOAD"
_REJECT_COLUMNS = (
    "source_file, source_row, layer, rule_id, reason, record, file_sha256, rejected_at, rejected_by"
)
_YEAR_FOLDER = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class RecordFile:
    """One delivered record file: `funds/2024/耕地开垦费缴纳_2024.csv` of kind reclamation_fees."""

    kind: RecordKind
    path: Path
    source_file: str  # lineage key: path relative to the landing folder (posix)
    year: int | None = None  # from the <year> folder, else from the file name
    problem: str | None = None  # a naming problem that refuses the file (folder and file name disagree)


class RecordLoadError(LayerLoadError):
    """Some files (or workbook sheets) of a record kind were refused; everything else was loaded."""


class RecordsLoadError(DeliveryError):
    """`load_all_records`: some record kinds had refused files; carries every kind's report."""

    def __init__(self, message: str, reports: list[LoadReport], *, source_file: str | None) -> None:
        super().__init__(message, source_file=source_file, rule_id=LOAD_RULE)
        self.reports = reports


# --------------------------------------------------------------------------------------------- discovery


def _kind_directories(landing: Path, kind: RecordKind) -> list[tuple[Path, int | None]]:
    if "{year}" not in kind.folder:
        return [(landing / kind.folder, None)]
    base = landing / kind.folder.split("/{year}", 1)[0]
    if not base.is_dir():
        return []
    years = sorted(p for p in base.iterdir() if p.is_dir() and _YEAR_FOLDER.match(p.name))
    return [(p, int(p.name)) for p in years]


def discover_records(landing: Path, kinds: Sequence[RecordKind] = RECORD_KINDS) -> list[RecordFile]:
    """Every delivered file of `kinds` under `landing` (SOURCES.md "Landing zone layout"), in path order.

    Names must match exactly (`违法用地案件.csv`, `耕地开垦费缴纳_2024.csv`); editor lock files (`~$…`) and
    hidden files are skipped. Where both the folder and the file name carry a year they must agree.
    """
    landing = Path(landing)
    found: list[RecordFile] = []
    for kind in kinds:
        for directory, folder_year in _kind_directories(landing, kind):
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                if not path.is_file() or path.name.startswith((".", "~$")):
                    continue
                match = kind.match(path.name)
                if match is None:
                    continue
                rel = path.relative_to(landing).as_posix()
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
                found.append(RecordFile(kind, path, rel, year, problem))
    found.sort(key=lambda f: (f.kind.table, f.source_file))
    return found


# ---------------------------------------------------------------------------------------------- writing


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _delete_previous(con: duckdb.DuckDBPyConnection, kind: RecordKind, source_file: str) -> None:
    con.execute(f"DELETE FROM raw.{kind.table} WHERE _source_file = ?", [source_file])
    con.execute(
        "DELETE FROM raw.rejects WHERE source_file = ? AND layer = ? AND rejected_by = ?",
        [source_file, kind.table, REJECTED_BY],
    )


def _in_transaction(con: duckdb.DuckDBPyConnection, work) -> None:
    con.begin()
    try:
        work()
        con.commit()
    except Exception:
        con.rollback()
        raise


def _reject_file(
    con: duckdb.DuckDBPyConnection, rf: RecordFile, sha: str, reason: str, loaded_at: datetime
) -> FileOutcome:
    """Record a whole file as refused (replacing whatever an earlier version of it loaded)."""

    def work() -> None:
        _delete_previous(con, rf.kind, rf.source_file)
        con.execute(
            f"INSERT INTO raw.rejects ({_REJECT_COLUMNS}) VALUES (?, NULL, ?, ?, ?, NULL, ?, ?, ?)",
            [rf.source_file, rf.kind.table, LOAD_RULE, reason, sha, loaded_at, REJECTED_BY],
        )

    _in_transaction(con, work)
    log.error("%s", reason)  # built by our readers from file/sheet/header names only, never from values
    return FileOutcome(rf.source_file, "failed", message=reason, rule_id=LOAD_RULE)


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
    sha: str,
    loaded_at: datetime,
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
    targets = [_q(c) for c in columns] + ["_source_file", "_source_row", "_loaded_at", "_file_sha256"]
    values += ["?", f"c{index[ROW]}", "?", "?"]
    params: list = [rf.source_file, loaded_at, sha]
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
        f"INSERT INTO raw.rejects ({_REJECT_COLUMNS}) "
        "SELECT ?, c0, ?, ?, c1, CAST(c2 AS JSON), ?, ?, ? FROM {view}"
    )
    reject_params = [rf.source_file, kind.table, LOAD_RULE, sha, loaded_at, REJECTED_BY]
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

    def work() -> None:
        _delete_previous(con, kind, rf.source_file)
        _insert_frame(con, rows_frame, insert_rows, params)
        _insert_frame(con, pl.concat([sheet_frame, row_rejects]), insert_rejects, reject_params)

    _in_transaction(con, work)
    return accepted.height, rejected.height + sum(s.rows for s in sheet_rejects)


# ---------------------------------------------------------------------------------------------- loading


def _previous_fingerprints(con: duckdb.DuckDBPyConnection, rf: RecordFile) -> set[str]:
    """sha256s of earlier loads of this file still in raw (its rows) or raw.rejects (its refusals)."""
    return {
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT _file_sha256 FROM raw.{rf.kind.table} WHERE _source_file = ? "
            "UNION SELECT DISTINCT file_sha256 FROM raw.rejects "
            "WHERE source_file = ? AND layer = ? AND rejected_by = ?",
            [rf.source_file, rf.source_file, rf.kind.table, REJECTED_BY],
        ).fetchall()
    }


def _unchanged(con: duckdb.DuckDBPyConnection, rf: RecordFile, sha: str) -> FileOutcome:
    """An unchanged file is skipped; what was refused of it last time is reported again."""
    refusals = con.execute(
        "SELECT reason, record IS NULL FROM raw.rejects WHERE source_file = ? AND layer = ? "
        "AND file_sha256 = ? AND source_row IS NULL AND rejected_by = ? ORDER BY reason",
        [rf.source_file, rf.kind.table, sha, REJECTED_BY],
    ).fetchall()
    if not refusals:
        return FileOutcome(rf.source_file, "skipped")
    message = "; ".join(reason for reason, _ in refusals)
    whole_file = any(is_file for _, is_file in refusals)
    return FileOutcome(
        rf.source_file, "failed" if whole_file else "skipped", message=message, rule_id=LOAD_RULE
    )


def _safe_detail(exc: Exception, kind: RecordKind) -> str:
    # Library messages may quote cells; for files holding personal data only the error's type is shown.
    return type(exc).__name__ if kind.personal else f"{type(exc).__name__}: {exc}"


def load_record_file(con: duckdb.DuckDBPyConnection, rf: RecordFile) -> FileOutcome:
    """Load one delivered record file (idempotent); never raises for a bad file, returns its outcome.

    A file with refused workbook sheets comes back 'loaded'/'replaced' with `rule_id` and `message` set.
    """
    sha = file_sha256(rf.path)
    previous = _previous_fingerprints(con, rf)
    if sha in previous:
        return _unchanged(con, rf, sha)
    loaded_at = datetime.now()
    if rf.problem:
        return _reject_file(con, rf, sha, rf.problem, loaded_at)
    try:
        raw = read_records(rf.path, rf.kind, rf.source_file)
        typed = typed_records(rf.kind, raw.frame)
    except DeliveryError as exc:
        return _reject_file(con, rf, sha, exc.message, loaded_at)
    except Exception as exc:  # a corrupt file: refuse it, keep going with the others
        reason = f"{rf.source_file}: cannot be read as {rf.kind.format} ({_safe_detail(exc, rf.kind)})"
        return _reject_file(con, rf, sha, reason, loaded_at)
    loaded, rejected = _write_file(con, rf, typed, raw.sheet_rejects, sha, loaded_at)
    outcome = FileOutcome(rf.source_file, "replaced" if previous else "loaded", loaded, rejected)
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


def _purge_missing(con: duckdb.DuckDBPyConnection, kind: RecordKind, delivered: set[str]) -> list[str]:
    """Remove what the loader holds for files of `kind` that are no longer in the landing folder."""
    known = {
        row[0]
        for row in con.execute(
            f"SELECT DISTINCT _source_file FROM raw.{kind.table} "
            "UNION SELECT DISTINCT source_file FROM raw.rejects WHERE layer = ? AND rejected_by = ?",
            [kind.table, REJECTED_BY],
        ).fetchall()
    }
    gone = sorted(known - delivered)
    if gone:
        _in_transaction(con, lambda: [_delete_previous(con, kind, source_file) for source_file in gone])
        log.warning("%s: removed rows of files no longer delivered: %s", kind.table, ", ".join(gone))
    return gone


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
        report.removed = _purge_missing(con, kind, {f.source_file for f in mine})
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
