"""Dagster resources: where the warehouse file and the landing folder are.

`WarehouseResource` is the one place the paths come from for every asset, the sensor, the schedule and
dbt: the CLI configures it per run (run config), `make ui` from the environment's defaults
(warehouse/config.py). dbt reads the warehouse path from its profile's environment variables, which the
resource sets for the length of a dbt invocation.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from warehouse.config import (
    EXTENSIONS_ENV,
    WAREHOUSE_ENV,
    DuckDBLimits,
    extension_dir,
    landing_path,
    warehouse_path,
)
from warehouse.connection import warehouse


class WarehouseResource(dg.ConfigurableResource):
    """Where the working DuckDB file and the landing folder are (default: the environment's config).

    Assets open the file only for the length of their own step: DuckDB allows one writer, and dbt
    opens the same file from its own process.
    """

    warehouse: str = ""
    landing: str = ""
    # DuckDB's memory_limit (e.g. "4GB") and spill folder for every process of a run; empty: the
    # environment's or the defaults (warehouse.config.DuckDBLimits)
    memory_limit: str = ""
    temp_directory: str = ""

    @property
    def warehouse_file(self) -> Path:
        return Path(self.warehouse).resolve() if self.warehouse else warehouse_path()

    @property
    def landing_folder(self) -> Path:
        return Path(self.landing).resolve() if self.landing else landing_path()

    @property
    def limits(self) -> DuckDBLimits:
        default = DuckDBLimits.for_warehouse(self.warehouse_file)
        return DuckDBLimits(
            self.memory_limit or default.memory_limit,
            Path(self.temp_directory).resolve() if self.temp_directory else default.temp_directory,
        )

    def open(self, *, read_only: bool = False) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The warehouse for the length of a step, held to this run's limits."""
        return warehouse(self.warehouse_file, read_only=read_only, limits=self.limits)

    def dbt_profile_env(self) -> dict[str, str]:
        """The environment transforms/profiles.yml reads: this warehouse file, the extension folder and
        the DuckDB limits, so the dbt process is held to the same memory as the pipeline's own."""
        return {
            WAREHOUSE_ENV: str(self.warehouse_file),
            EXTENSIONS_ENV: str(extension_dir()),
            **self.limits.environment(),
        }

    @contextmanager
    def for_dbt(self) -> Iterator[None]:
        """Point dbt's profile at this warehouse for the dbt commands run inside the block (dagster-dbt
        hands the process environment to dbt)."""
        values = self.dbt_profile_env()
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
