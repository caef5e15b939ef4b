"""A throwaway PostgreSQL server for the tests that need one (Debian's `postgresql`, which `make test`
installs when it is missing): its own data folder and socket, stopped when the test module ends."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.ports import free_port

SERVER_USER = "postgres"  # initdb refuses to run as root: as root, the server runs as this user


def _bin_folder() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@contextmanager
def postgres_server(database: str = "farmland") -> Iterator[str]:
    """Start a server, create `database`, yield its libpq connection string; stop and delete it after."""
    folder = _bin_folder()
    if folder is None:
        message = "PostgreSQL is not installed (make test installs Debian's postgresql)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    as_root = os.geteuid() == 0
    # not under pytest's tmp folder: the server's user must be able to reach it
    root = Path(tempfile.mkdtemp(prefix="farmland-postgres-"))
    root.chmod(0o755)
    data, sockets = root / "data", root / "sockets"
    sockets.mkdir()
    if as_root:
        shutil.chown(root, SERVER_USER)
        shutil.chown(sockets, SERVER_USER)

    def run(*command: str) -> None:
        full = ["runuser", "-u", SERVER_USER, "--", *command] if as_root else list(command)
        completed = subprocess.run(full, capture_output=True, text=True, cwd=root)
        if completed.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{completed.stdout}\n{completed.stderr}")

    port = free_port()
    user = SERVER_USER if as_root else os.environ.get("USER", "postgres")
    run(str(folder / "initdb"), "-D", str(data), "-A", "trust", "-U", user, "--no-sync")
    options = f"-k {sockets} -p {port} -c listen_addresses='' -c fsync=off"
    run(str(folder / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start")
    try:
        run(str(folder / "createdb"), "-h", str(sockets), "-p", str(port), "-U", user, database)
        yield f"dbname={database} host={sockets} port={port} user={user}"
    finally:
        run(str(folder / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(root, ignore_errors=True)
