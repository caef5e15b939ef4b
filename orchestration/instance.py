"""The Dagster instance (实例) the project's runs are recorded in: `farmland build`, `make demo`, the
schedule and the sensor, and what `make ui` shows. One instance keeps one history: an operator opening the
UI sees the runs, materializations and check results of the builds started from the command line.

Its folder (DAGSTER_HOME) is `$DAGSTER_HOME` when it is set, else `.dagster/` in the repository, prepared
with telemetry off and runs queued one at a time (a `dagster.yaml` saying so is written when the folder has
none: Dagster reports usage unless told not to, as dbt and great-expectations are told here too).

    python -m orchestration.instance    # prepares the folder and prints its path (make ui)
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import dagster as dg

from warehouse.config import REPO_ROOT

DAGSTER_HOME_ENV = "DAGSTER_HOME"
INSTANCE_CONFIG = """\
telemetry:
  enabled: false
# DuckDB has one writer per file: the runs the UI, a backfill, the schedule or the sensor start wait
# for the one running to finish.
run_queue:
  max_concurrent_runs: 1
"""


def project_home() -> Path:
    """The instance's folder, created with its dagster.yaml if need be."""
    home = Path(os.environ.get(DAGSTER_HOME_ENV) or REPO_ROOT / ".dagster").resolve()
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(INSTANCE_CONFIG)
    return home


def project_instance() -> dg.DagsterInstance:
    """The project's instance; the caller disposes of it (it is a context manager)."""
    home = project_home()
    relaxed_sqlite_sync()
    return dg.DagsterInstance.from_config(str(home))


@cache
def relaxed_sqlite_sync() -> None:
    """Commit the instance's SQLite files without waiting for the disk (synchronous=NORMAL), by setting
    it on every SQLite connection SQLAlchemy opens in this process (the instance's storages are the only
    ones).

    A build writes about 1 800 events, each in a transaction of its own on a new connection; at SQLite's
    default (FULL) every one waits for an fsync, which costs a build on the demo 8 s of CPU and more of
    wall time. In Dagster's WAL mode, NORMAL keeps the files consistent through any crash; a power loss
    may lose the last events of the history, never the warehouse (DuckDB's own file)."""
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    @event.listens_for(Engine, "connect")
    def _normal_sync(dbapi_connection, _record) -> None:  # noqa: ANN001 — SQLAlchemy's hook
        if type(dbapi_connection).__module__ == "sqlite3":
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")


if __name__ == "__main__":
    print(project_home())
