"""Where things live. Every path can be overridden by an environment variable, so the Dagster
resources, the dbt profile and the CLI agree on one warehouse file."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
TRANSFORMS_DIR = REPO_ROOT / "transforms"
SEEDS_DIR = TRANSFORMS_DIR / "seeds"

WAREHOUSE_ENV = "FARMLAND_WAREHOUSE"
LANDING_ENV = "FARMLAND_LANDING"
EXTENSIONS_ENV = "FARMLAND_EXTENSION_DIR"
MEMORY_LIMIT_ENV = "FARMLAND_MEMORY_LIMIT"
TEMP_DIRECTORY_ENV = "FARMLAND_TEMP_DIRECTORY"
MAX_FILE_SIZE_ENV = "FARMLAND_MAX_FILE_SIZE"
# A county build's dbt profile (transforms/profiles.yml, target `county`): the county being built, its
# file, and the catalog name the region's file is attached under; a region build attaches the folder's
# county files.
COUNTY_PARTITION_ENV = "FARMLAND_COUNTY_PARTITION"
COUNTY_SHARD_ENV = "FARMLAND_COUNTY_SHARD"
REGION_CATALOG_ENV = "FARMLAND_REGION_CATALOG"
COUNTY_FOLDER_ENV = "FARMLAND_COUNTY_FOLDER"
# County partitions shared between machines: a DuckLake per county, catalogued in PostgreSQL.
COUNTY_LAKE_ENV = "FARMLAND_COUNTY_LAKE"
COUNTY_LAKE_DATA_ENV = "FARMLAND_COUNTY_LAKE_DATA"

# Each process that opens DuckDB (a pipeline step, a dbt run, the rule runner) holds at most this much;
# beyond it DuckDB spills to the temp directory instead of growing with the region. A run has one such
# process at a time, so a province build stays within this figure plus the Python process around it.
DEFAULT_MEMORY_LIMIT = "4GB"

# The largest delivered file the loaders open. The largest legal delivery, a city's DLTB of millions of
# parcels, is a few GB; a file far beyond that is a wrong file (a disk image, a dump) that would hold a
# build for hours. It is checked by its size alone, before anything reads it.
DEFAULT_MAX_FILE_SIZE = "20GB"
_SIZE = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]i?B|B)?\s*", re.IGNORECASE)
_SIZE_UNITS = {"b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}
_SIZE_UNITS |= {"kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


@contextmanager
def scoped_environment(values: Mapping[str, str]) -> Iterator[None]:
    """The process environment with `values` set for the length of the block, as it was after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


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


def max_file_size() -> int:
    """The largest delivered file, in bytes, the loaders open (FARMLAND_MAX_FILE_SIZE, a size such as
    '20GB' or '500MB', like FARMLAND_MEMORY_LIMIT; default 20GB)."""
    value = os.environ.get(MAX_FILE_SIZE_ENV) or DEFAULT_MAX_FILE_SIZE
    match = _SIZE.fullmatch(value)
    if match is None:
        raise ValueError(f"{MAX_FILE_SIZE_ENV}={value!r} is not a size: write it like 20GB or 500MB")
    return int(float(match[1]) * _SIZE_UNITS[(match[2] or "B").lower()])


@dataclass(frozen=True)
class DuckDBLimits:
    """What every DuckDB connection of the pipeline is held to: `memory_limit` (a DuckDB size such as
    '4GB') and the `temp_directory` it spills to."""

    memory_limit: str
    temp_directory: Path

    @classmethod
    def for_warehouse(cls, warehouse: Path | None = None) -> DuckDBLimits:
        """The environment's limits (FARMLAND_MEMORY_LIMIT, FARMLAND_TEMP_DIRECTORY), else the default
        limit and a spill folder beside the warehouse file."""
        if warehouse is None:  # an in-memory database spills to the system's temporary folder
            spill = Path(tempfile.gettempdir()) / "farmland-duckdb.tmp"
        else:
            spill = warehouse.resolve().with_name(warehouse.name + ".tmp")
        folder = os.environ.get(TEMP_DIRECTORY_ENV) or spill
        return cls(os.environ.get(MEMORY_LIMIT_ENV) or DEFAULT_MEMORY_LIMIT, Path(folder).resolve())

    def duckdb_config(self) -> dict[str, str]:
        return {"memory_limit": self.memory_limit, "temp_directory": str(self.temp_directory)}

    def environment(self) -> dict[str, str]:
        """The same limits for a dbt process, whose profile reads them from the environment."""
        return {MEMORY_LIMIT_ENV: self.memory_limit, TEMP_DIRECTORY_ENV: str(self.temp_directory)}


@dataclass(frozen=True)
class CountyLake:
    """Where the county partitions live when several machines build them: one DuckLake per county,
    its catalog in the schema `county_<code>` of a PostgreSQL database and its Parquet files under
    `data/county_<code>/` (a folder every machine mounts, or an object-store prefix). Each county has a
    lake of its own because DuckLake refuses concurrent replacements of one table's rows, however
    disjoint; separate lakes share nothing but the PostgreSQL server."""

    postgres: str  # a libpq connection string: "dbname=farmland host=db port=5432 user=farmland"
    data: str

    def attach_sql(self, catalog: str, *, read_only: bool) -> str:
        """ATTACH of the county lake `catalog` (county_<code>) under that name."""
        from sources.extract.sql import quote_name, quote_text

        options = [f"METADATA_SCHEMA {quote_text(catalog)}"]
        if read_only:
            options.append("READ_ONLY")
        else:
            options.append(f"DATA_PATH {quote_text(self.data.rstrip('/') + '/' + catalog + '/')}")
        target = quote_text("ducklake:postgres:" + self.postgres)
        return f"ATTACH IF NOT EXISTS {target} AS {quote_name(catalog)} ({', '.join(options)})"

    def catalog_sql(self) -> str:
        """ATTACH of the PostgreSQL database itself, read-only, as `county_lakes` (to list the lakes)."""
        from sources.extract.sql import quote_text

        return f"ATTACH IF NOT EXISTS {quote_text(self.postgres)} AS county_lakes (TYPE postgres, READ_ONLY)"

    def environment(self) -> dict[str, str]:
        return {COUNTY_LAKE_ENV: self.postgres, COUNTY_LAKE_DATA_ENV: self.data}
