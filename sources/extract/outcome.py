"""What loading a delivery did, file by file: for the operator log, Dagster metadata and the asset checks."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FileOutcome:
    """What happened to one delivered file: loaded, replaced (changed since last load), skipped, failed,
    or withdrawn (no longer delivered: the rows it held removed)."""

    source_file: str
    status: str
    rows_loaded: int = 0
    rows_rejected: int = 0
    message: str = ""
    rule_id: str | None = None  # the rule that refused the file (LOAD, DQ14, DQ15) or one of its sheets
    rows_read: int = 0  # rows the reader took from the file (0 when it was skipped or refused whole)
    rows_replaced: int = 0  # rows an earlier version of the file held in raw, removed by this load
    file_sha256: str | None = None  # the version judged (None for a file refused unread)


@dataclass
class LoadReport:
    """The outcome of loading one layer's deliveries, for the operator log and Dagster metadata."""

    layer: str
    files: list[FileOutcome] = field(default_factory=list)
    removed: list[FileOutcome] = field(default_factory=list)  # files no longer delivered, rows removed

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
    def audited(self) -> list[FileOutcome]:
        """Every file the load touched, for the load audit: those delivered and those withdrawn."""
        return [*self.files, *self.removed]

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
