"""A build's log file: every line of the run's Dagster and dbt log, kept beside the warehouse it built,
in `<warehouse folder>/logs/<warehouse name>-<date>-<time>.log` (one file per build, never rotated away:
the folder is the operator's to clear).

Its lines come two ways: the run's events, read back from the Dagster instance a moment after they are
stored, and the lines of this process's own Python loggers (dbt's progress, `farmland.*`) and stray
output, at once. Those are held until the run's events up to their time are written, so the file
reads in the order things happened.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import dagster as dg
    from dagster._utils.error import SerializableErrorInfo

LOG_FOLDER = "logs"
# this process's loggers whose lines belong in the build's log: the project's own (dbt's progress among
# them, orchestration/dbt_in_process.py)
PROJECT_LOGGER = "farmland"


def new_log_path(warehouse: Path, now: datetime | None = None) -> Path:
    """A fresh file for a build of `warehouse`, named after the warehouse and the build's start."""
    folder = warehouse.resolve().parent / LOG_FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    path, n = folder / f"{warehouse.stem}-{stamp}.log", 1
    while path.exists():  # two builds started in one second
        n += 1
        path = folder / f"{warehouse.stem}-{stamp}-{n}.log"
    return path


def stamp(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).astimezone().strftime("%Y-%m-%d %H:%M:%S %z")


def entry_line(entry: dg.EventLogEntry) -> str:
    """One event of the run as a line (more lines for an error's stack): its time, level, step and, for
    Dagster's own events, their type."""
    level = logging.getLevelName(entry.level) if isinstance(entry.level, int) else str(entry.level)
    parts = [stamp(entry.timestamp), level, entry.step_key or "-"]
    event = entry.dagster_event
    if event is not None:
        parts.append(event.event_type_value)
    parts.append(entry.message)
    line = " - ".join(parts)
    error = _error(event)
    return f"{line}\n{error.to_string().rstrip()}" if error else line


def _error(event: dg.DagsterEvent | None) -> SerializableErrorInfo | None:
    if event is None:
        return None
    if event.is_step_failure:
        return event.step_failure_data.error
    return getattr(event.event_specific_data, "error", None)


class BuildLog:
    """The open log file; every line written is handed to `echo` too (--verbose)."""

    def __init__(self, path: Path, echo: Callable[[str], None] | None = None) -> None:
        self.path = path
        self.echo = echo
        # appended to, a line at a time: the processes a multiprocess run starts write their stderr here
        # too (stderr_to_log)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o644)
        self._file = open(fd, "w", encoding="utf-8", buffering=1)
        self._lock = threading.RLock()  # an echo that prints may come back here
        self._held: list[tuple[float, str]] = []

    def _write(self, text: str) -> None:
        self._file.write(text + "\n")
        if self.echo is not None:
            self.echo(text)

    def write(self, text: str) -> None:
        """A line of the log's own (its header, its outcome), after everything held."""
        with self._lock:
            self._release(float("inf"))
            self._write(text)
            self._file.flush()

    def hold(self, timestamp: float, text: str) -> None:
        """A line of this process's, written with the run's events of its time."""
        with self._lock:
            self._held.append((timestamp, text))

    def event(self, timestamp: float, text: str) -> None:
        """One of the run's events: the lines held from before it first."""
        with self._lock:
            self._release(timestamp)
            self._write(text)

    def fileno(self) -> int:
        return self._file.fileno()

    def release(self, until: float) -> None:
        """Write the lines held from before `until`, when every event of the run up to then is written."""
        with self._lock:
            self._release(until)
            self._file.flush()

    def close(self) -> None:
        with self._lock:
            self._release(float("inf"))
            self._file.close()

    def _release(self, until: float) -> None:
        ready = [line for line in self._held if line[0] <= until]
        if ready:
            self._held = [line for line in self._held if line[0] > until]
            for _, text in sorted(ready, key=lambda line: line[0]):
                self._write(text)


@contextmanager
def stderr_to_log(log: BuildLog) -> Iterator[None]:
    """This process's stderr file descriptor into the log while the build runs, and so that of every
    process it starts meanwhile: the steps of a multiprocess run, whose Dagster logs each step's start
    on its own stderr before the run's loggers apply, and whatever C libraries (GDAL, DuckDB) write.
    A process that keeps running after the build (multiprocessing's fork server) keeps writing here."""
    sys.stderr.flush()
    saved = os.dup(2)
    os.dup2(log.fileno(), 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class ProjectLogHandler(logging.Handler):
    """The project's Python loggers' lines, into the build's log."""

    def __init__(self, log: BuildLog) -> None:
        super().__init__(logging.DEBUG)
        self._log = log

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 — a malformed record must not stop the build
            self.handleError(record)
            return
        line = f"{stamp(record.created)} - {record.levelname} - {record.name} - {message}"
        self._log.hold(record.created, line)


class StrayOutput(io.TextIOBase):
    """Stands for stdout or stderr while the build runs: each line written goes to the log."""

    def __init__(self, log: BuildLog) -> None:
        self._log = log
        self._pending = ""

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        *lines, self._pending = (self._pending + text).split("\n")
        for line in lines:
            self._log.hold(time.time(), line)
        return len(text)

    def flush(self) -> None:
        if self._pending:
            self.write("\n")
