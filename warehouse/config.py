"""Where things live. Every path can be overridden by an environment variable, so the Dagster
resources, the dbt profile and the CLI agree on one warehouse file."""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TRANSFORMS_DIR = REPO_ROOT / "transforms"
SEEDS_DIR = TRANSFORMS_DIR / "seeds"

WAREHOUSE_ENV = "FARMLAND_WAREHOUSE"
LANDING_ENV = "FARMLAND_LANDING"
EXTENSIONS_ENV = "FARMLAND_EXTENSION_DIR"


def warehouse_path() -> Path:
    """The working DuckDB file the pipeline writes (default `warehouse/farmland.duckdb`)."""
    return Path(os.environ.get(WAREHOUSE_ENV, REPO_ROOT / "warehouse" / "farmland.duckdb")).resolve()


def published_path(working: Path | None = None) -> Path:
    """The read-only copy analysts query, swapped in at the end of each successful run."""
    working = working or warehouse_path()
    return working.with_name(working.stem + "_published.duckdb")


def landing_path() -> Path:
    """The landing folder of deliveries (default `data/landing`)."""
    return Path(os.environ.get(LANDING_ENV, REPO_ROOT / "data" / "landing")).resolve()


def extension_dir() -> Path:
    """Project-local DuckDB extension directory; the spatial extension is installed here from its wheel."""
    return Path(os.environ.get(EXTENSIONS_ENV, REPO_ROOT / ".duckdb_extensions")).resolve()
