"""One build at a time per warehouse (独占运行): a lock held for a whole run, not per step.

DuckDB allows one writer per file, but it is taken step by step: two builds of one warehouse would run
their steps between each other's and one of them would fail midway on "Conflicting lock", which one
depending on timing. A build therefore takes `<warehouse>.lock` before its first step and keeps it to
its end; a second build finds it taken and is refused at once, told who holds it.

The lock is an advisory `flock` on an open file: the kernel drops it when its holder exits in any way,
killed included, so a crashed build never blocks the next one, which takes it over. The file itself
stays, holding the last holder's description, rewritten by each new holder.

A process that holds the lock names it in FARMLAND_RUN_LOCK; the processes it starts (the county builds
of a run with --parallel, dbt) inherit that and know the lock is their run's.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

LOCK_HELD_ENV = "FARMLAND_RUN_LOCK"


class BuildRunning(RuntimeError):
    """Another build holds the warehouse."""


def lock_path(warehouse: Path) -> Path:
    """The lock file of a warehouse: `<warehouse file name>.lock` beside it."""
    warehouse = Path(warehouse).resolve()
    return warehouse.with_name(f"{warehouse.name}.lock")


def holder(warehouse: Path) -> dict[str, object] | None:
    """What the lock file says of its last holder (None when it says nothing readable)."""
    try:
        return json.loads(lock_path(warehouse).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _holding(warehouse: Path) -> str:
    running = holder(warehouse)
    return (
        f"{running.get('what')} (process {running.get('pid')} on {running.get('host')}, started "
        f"{running.get('started_at')})"
        if running
        else "another build (it has not said which yet)"
    )


def _refusal(warehouse: Path) -> str:
    who = _holding(warehouse)
    return (
        f"{warehouse} is being built by {who}; this build was not started. Wait for that build to "
        f"finish, or stop it: a build that ends in any way, killed or crashed, frees the warehouse for the "
        f"next one. (The lock: {lock_path(warehouse)}.)"
    )


def held_here(warehouse: Path) -> bool:
    """Whether this process holds the warehouse for its build, or was started by the one that does."""
    return os.environ.get(LOCK_HELD_ENV) == str(lock_path(warehouse))


@contextmanager
def exclusive_run(warehouse: Path, what: str, waiting: Callable[[str], None] | None = None) -> Iterator[None]:
    """Hold the warehouse for one build described by `what` (e.g. "farmland build --landing …"), or
    raise BuildRunning at once, naming the build that holds it. With `waiting`, wait for it instead,
    having told `waiting` which build is waited for. Re-entered by the build's own processes
    (FARMLAND_RUN_LOCK), it holds nothing more."""
    path = lock_path(warehouse)
    if held_here(warehouse):
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if waiting is None:
                raise BuildRunning(_refusal(Path(warehouse).resolve())) from None
            waiting(f"waiting for {_holding(Path(warehouse).resolve())} to finish with {warehouse}")
            fcntl.flock(descriptor, fcntl.LOCK_EX)
        description = {
            "what": what,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, json.dumps(description, ensure_ascii=False).encode("utf-8"), 0)
        previous = os.environ.get(LOCK_HELD_ENV)
        os.environ[LOCK_HELD_ENV] = str(path)
        try:
            yield
        finally:
            if previous is None:
                os.environ.pop(LOCK_HELD_ENV, None)
            else:
                os.environ[LOCK_HELD_ENV] = previous
    finally:
        os.close(descriptor)  # closing drops the flock
