"""The loaders' file ledger: what the warehouse holds of each delivered file, kept in step with the landing.

Both loaders (spatial layers and tabular records) keep the same books. Every raw row carries its file's
sha256 (`_file_sha256`) and every load-time reject the file's sha256 with `rejected_by = 'extractor'`, so
the ledger can tell an unchanged file (skip it, and report again what was refused of it), replace a
changed file (its earlier rows and load-time rejects go first), refuse a whole file (one reject row
without a row number; a file refused before it is read, under a fingerprint of its refusal), and purge
files that left the landing folder. Rejects the rule runner writes (`rejected_by = 'rule_runner'`) are
never touched here.

A refusal's reason is logged as it is: the loaders build reasons from file, sheet, field and header
names, never from delivered values (record files may hold personal data).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from sources.errors import DeliveryError
from sources.extract.discover import year_folder
from sources.extract.outcome import FileOutcome
from sources.formats import SHAPEFILE_SIDECARS
from warehouse.connection import transaction

log = logging.getLogger(__name__)

# raw.rejects.rejected_by of every row a loader writes; replacing a file clears exactly these rows of it.
REJECTED_BY = "extractor"
REJECT_COLUMNS = (
    "source_file, source_row, layer, rule_id, reason, record, file_sha256, rejected_at, rejected_by"
)


def file_sha256(path: Path) -> str:
    """Fingerprint of a delivered file: the file, a Shapefile's .shp/.dbf/.prj/.cpg, or a FileGDB's files."""
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


@dataclass(frozen=True)
class FileVersion:
    """The version of a delivered file being loaded: its sha256, its load time, and its status when it
    loads ('loaded' the first time, 'replaced' over an earlier version)."""

    sha: str
    loaded_at: datetime
    status: str


@dataclass(frozen=True)
class FileLedger:
    """The books of one raw table: its delivered files' rows in `raw.<table>`, their load-time rejects
    in raw.rejects under `layer` (a layer's code, or a record kind's table)."""

    table: str
    layer: str

    def fingerprints(self, con: duckdb.DuckDBPyConnection, source_file: str) -> set[str]:
        """sha256s of earlier loads of the file still held, in raw (its rows) or raw.rejects (refusals)."""
        return {
            row[0]
            for row in con.execute(
                f"SELECT DISTINCT _file_sha256 FROM raw.{self.table} WHERE _source_file = ? "
                "UNION SELECT DISTINCT file_sha256 FROM raw.rejects "
                "WHERE source_file = ? AND layer = ? AND rejected_by = ?",
                [source_file, source_file, self.layer, REJECTED_BY],
            ).fetchall()
        }

    def take_in(
        self,
        con: duckdb.DuckDBPyConnection,
        source_file: str,
        path: Path,
        load: Callable[[FileVersion], FileOutcome],
    ) -> FileOutcome:
        """Load the delivered file at `path` with `load`, unless it is unchanged since its last load.

        `load` replaces the file's earlier rows (`clear`) in its own transaction; a `DeliveryError` it
        raises refuses the whole file instead, under the error's rule_id and message.
        """
        sha = file_sha256(path)
        previous = self.fingerprints(con, source_file)
        if sha in previous:
            outcome = self.unchanged(con, source_file, sha)
            outcome.file_sha256 = sha
            return outcome
        version = FileVersion(sha, datetime.now(), "replaced" if previous else "loaded")
        # a file never loaded before holds no rows: no count needed
        held = self.held(con, source_file) if previous else 0
        try:
            outcome = load(version)
        except DeliveryError as refusal:
            outcome = self.reject_file(
                con, source_file, sha, refusal.rule_id, refusal.message, version.loaded_at
            )
            log.error("%s", refusal.message)
        outcome.file_sha256, outcome.rows_replaced = sha, held
        return outcome

    def refuse_unread(
        self, con: duckdb.DuckDBPyConnection, source_file: str, reason: str, rule_id: str = "LOAD"
    ) -> FileOutcome:
        """Refuse a file without reading it (it links out of the landing folder, is too large, lies where
        the layout does not read), replacing whatever an earlier version of it loaded.

        Its fingerprint is the refusal's, never the file's: once the refusal no longer holds, the file is
        read afresh rather than taken for the unchanged file refused before.
        """
        fingerprint = "unread:" + hashlib.sha256(reason.encode()).hexdigest()
        log.error("%s", reason)
        held = self.held(con, source_file)
        outcome = self.reject_file(con, source_file, fingerprint, rule_id, reason, datetime.now())
        outcome.rows_replaced = held
        return outcome

    def unchanged(self, con: duckdb.DuckDBPyConnection, source_file: str, sha: str) -> FileOutcome:
        """The outcome of a file loaded before as it is: skipped, and what was refused of it reported again.

        A refusal without a record refused the whole file ('failed'); one naming a workbook sheet refused
        only that sheet ('skipped', with the sheet's reason).
        """
        refusals = con.execute(
            "SELECT rule_id, reason, record IS NULL FROM raw.rejects WHERE source_file = ? AND layer = ? "
            "AND file_sha256 = ? AND source_row IS NULL AND rejected_by = ? ORDER BY reason",
            [source_file, self.layer, sha, REJECTED_BY],
        ).fetchall()
        if not refusals:
            return FileOutcome(source_file, "skipped")
        whole_file = any(is_file for _, _, is_file in refusals)
        return FileOutcome(
            source_file,
            "failed" if whole_file else "skipped",
            message="; ".join(reason for _, reason, _ in refusals),
            rule_id=refusals[0][0],
        )

    def held(self, con: duckdb.DuckDBPyConnection, source_file: str, sha: str | None = None) -> int:
        """Rows of the file in raw (of its version `sha`, if given)."""
        return con.execute(
            f"SELECT count(*) FROM raw.{self.table} WHERE _source_file = ? "
            "AND (CAST(? AS VARCHAR) IS NULL OR _file_sha256 = ?)",
            [source_file, sha, sha],
        ).fetchone()[0]

    def clear(self, con: duckdb.DuckDBPyConnection, source_file: str) -> None:
        """Remove the file's rows and load-time rejects (before its new version goes in)."""
        con.execute(f"DELETE FROM raw.{self.table} WHERE _source_file = ?", [source_file])
        con.execute(
            "DELETE FROM raw.rejects WHERE source_file = ? AND layer = ? AND rejected_by = ?",
            [source_file, self.layer, REJECTED_BY],
        )

    def reject_file(
        self,
        con: duckdb.DuckDBPyConnection,
        source_file: str,
        sha: str,
        rule_id: str,
        reason: str,
        rejected_at: datetime,
    ) -> FileOutcome:
        """Record the whole file as refused, replacing whatever an earlier version of it loaded."""
        with transaction(con):
            self.clear(con, source_file)
            con.execute(
                f"INSERT INTO raw.rejects ({REJECT_COLUMNS}) VALUES (?, NULL, ?, ?, ?, NULL, ?, ?, ?)",
                [source_file, self.layer, rule_id, reason, sha, rejected_at, REJECTED_BY],
            )
        return FileOutcome(source_file, "failed", message=reason, rule_id=rule_id)

    def purge_missing(
        self, con: duckdb.DuckDBPyConnection, delivered: set[str], years: Collection[int] | None = None
    ) -> list[FileOutcome]:
        """Forget the files (of the <year> folders `years`, if given) no longer delivered: each one's
        outcome, `withdrawn`, with the rows it held in raw (a file renamed is withdrawn under its old
        name and loaded under its new one)."""
        held = {
            row[0]
            for row in con.execute(
                f"SELECT DISTINCT _source_file FROM raw.{self.table} "
                "UNION SELECT DISTINCT source_file FROM raw.rejects WHERE layer = ? AND rejected_by = ?",
                [self.layer, REJECTED_BY],
            ).fetchall()
        }
        if years is not None:
            held = {f for f in held if year_folder(f) in years}
        gone = sorted(held - delivered)
        withdrawn = []
        if gone:
            with transaction(con):
                for source_file in gone:
                    rows = self.held(con, source_file)
                    self.clear(con, source_file)
                    withdrawn.append(
                        FileOutcome(
                            source_file,
                            "withdrawn",
                            message=f"no longer delivered: the {rows} rows it held were removed",
                            rows_replaced=rows,
                        )
                    )
            log.warning("%s: removed rows of files no longer delivered: %s", self.layer, ", ".join(gone))
        return withdrawn
