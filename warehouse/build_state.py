"""What a published snapshot was built from, so that a build with nothing new does nothing.

A build's fingerprint hashes every file of the landing folder (path, size, modification time) and the
project's own code and rule catalog. The publishing step writes it into the snapshot it swaps in
(`quality.published_build`); a later build whose fingerprint equals the snapshot's has nothing to do.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import duckdb

from warehouse.config import REPO_ROOT

PUBLISHED_BUILD = "published_build"  # table in the snapshot's quality schema
FINGERPRINT_TAG = "farmland/build_fingerprint"  # run tag the publishing step records

# What the warehouse's content depends on besides the deliveries: the loaders, the models, the rules.
CODE_FOLDERS = ("sources", "transforms", "quality", "warehouse", "orchestration")
CODE_SUFFIXES = frozenset({".py", ".sql", ".yml", ".yaml", ".csv", ".json"})
SKIPPED_FOLDERS = frozenset({"target", "logs", "__pycache__", "dbt_packages"})


def landing_fingerprint(landing: Path) -> str:
    """A hash of every regular file under the landing folder: its path, size and modification time
    (symbolic links are not followed)."""
    landing = Path(landing)
    digest = hashlib.sha256()
    for folder, directories, files in os.walk(landing, followlinks=False):
        directories.sort()
        for name in sorted(files):
            path = Path(folder, name)
            if path.is_symlink() or not path.is_file():
                continue
            stat = path.stat()
            digest.update(
                f"{path.relative_to(landing).as_posix()}|{stat.st_size}|{stat.st_mtime_ns}\n".encode()
            )
    return digest.hexdigest()


def files_digest(root: Path, entries: tuple[str, ...], suffixes: frozenset[str] | None = None) -> str:
    """A hash of the files (path under `root` and bytes) of each entry, a file or a folder walked in
    order; `suffixes` keeps only those kinds of file."""
    digest = hashlib.sha256()
    for entry in entries:
        if (root / entry).is_file():
            walked = [(str(root), [], [entry])]
        else:
            walked = os.walk(root / entry)
        for current, directories, files in walked:
            directories[:] = sorted(d for d in directories if d not in SKIPPED_FOLDERS)
            for name in sorted(files):
                path = Path(current, name)
                if suffixes is None or path.suffix in suffixes:
                    digest.update(path.relative_to(root).as_posix().encode())
                    digest.update(path.read_bytes())
    return digest.hexdigest()


def project_code_version(root: Path = REPO_ROOT) -> str:
    """A hash of the project's code, models, seeds and rule catalog."""
    return files_digest(root, CODE_FOLDERS, CODE_SUFFIXES)


def build_fingerprint(landing: Path, delivered: str | None = None) -> str:
    """The fingerprint of a build of `landing` with this code (`delivered`: its landing_fingerprint,
    when the caller has it already)."""
    delivered = delivered or landing_fingerprint(landing)
    return hashlib.sha256(f"{delivered}\n{project_code_version()}".encode()).hexdigest()


def published_fingerprint(published: Path) -> str | None:
    """The fingerprint the snapshot was built from, or None (no snapshot, or one built without it)."""
    if not Path(published).is_file():
        return None
    from warehouse.connection import connect

    try:
        # connect(): the configuration every other connection to the file in this process has
        con = connect(published, read_only=True)
    except duckdb.Error:
        return None
    try:
        row = con.execute(f"select fingerprint from quality.{PUBLISHED_BUILD}").fetchone()
    except duckdb.CatalogException:
        return None
    finally:
        con.close()
    return row[0] if row else None


def up_to_date(landing: Path, warehouse: Path) -> bool:
    """Whether the published snapshot of `warehouse` was built from these very deliveries with this code."""
    from warehouse.config import published_path

    built_from = published_fingerprint(published_path(Path(warehouse).resolve()))
    return built_from is not None and built_from == build_fingerprint(landing)
