"""dbt's target folders, bounded: each dbt invocation writes its artefacts (manifest, run results, logs, a
saved parse; some 30 MB) into a folder of its own under transforms/target, and nothing else removes them.

The newest folders stay: a process's first parse starts from the latest one's saved parse, and a folder
may be in use by another process's invocation right now. Beyond the newest KEEP, a folder untouched for
IDLE is removed.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

KEEP = 60
IDLE_SECONDS = 30 * 60


def _invocation_folders(root: Path) -> list[Path]:
    # <step>-<run>-<profile target>-<random>; the prepared parse and the docs live in other names
    return [p for p in root.iterdir() if p.is_dir() and p.name.count("-") >= 3]


def prune_invocations(root: Path, keep: int = KEEP, idle_seconds: float = IDLE_SECONDS) -> list[Path]:
    """Remove the invocation folders under `root` beyond the newest `keep` that have been idle for
    `idle_seconds`; the folders removed."""
    if not root.is_dir():
        return []
    folders = sorted(_invocation_folders(root), key=lambda p: p.stat().st_mtime, reverse=True)
    cutoff = time.time() - idle_seconds
    removed = []
    for folder in folders[keep:]:
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed.append(folder)
        except FileNotFoundError:  # another process pruned it first
            continue
    return removed
