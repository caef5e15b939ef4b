"""dbt's target folder stays bounded: beyond the newest invocation folders, those idle for a while are
removed at the next invocation, never the newest, one in use, or what is not an invocation's."""

from __future__ import annotations

import os
import time
from pathlib import Path

from orchestration.dbt_targets import prune_invocations


def _folder(root: Path, name: str, age_seconds: float) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "manifest.json").write_text("{}")
    stamp = time.time() - age_seconds
    os.utime(folder, (stamp, stamp))
    return folder


def test_old_idle_invocation_folders_beyond_the_newest_are_removed(tmp_path: Path) -> None:
    root = tmp_path / "target"
    old = [_folder(root, f"survey_models-abc{i:04d}-dev-{i:07x}", 86_400 + i) for i in range(30)]
    busy = _folder(root, "build_county-abcdef0-county-1234567", 60 * 60 * 24 * 3)
    os.utime(busy, None)  # written to just now: in use
    recent = [_folder(root, f"indicator_marts-def{i:04d}-dev-{i:07x}", 60 + i) for i in range(5)]
    docs = _folder(root, "docs", 86_400 * 10)
    (root / "manifest.json").write_text("{}")

    removed = prune_invocations(root, keep=10, idle_seconds=1800)

    left = {p.name for p in root.iterdir()}
    # the ten newest stay whatever their age; beyond them only what was idle goes
    assert {p.name for p in recent} <= left and busy.name in left
    assert {p.name for p in old[:4]} <= left  # the newest of the old ones make up the ten kept
    assert set(removed) == set(old[4:]) and not any(p.exists() for p in removed)
    assert docs.name in left and "manifest.json" in left
