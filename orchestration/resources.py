"""Dagster resources: the warehouse file and the landing folder, from the same config as the CLI."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from warehouse.config import landing_path, warehouse_path


class WarehouseResource(dg.ConfigurableResource):
    """Where the working DuckDB file and the landing folder are (default: the environment's config).

    Assets open the file only for the length of their own step: DuckDB allows one writer, and dbt
    opens the same file from its own process.
    """

    warehouse: str = ""
    landing: str = ""

    @property
    def warehouse_file(self) -> Path:
        return Path(self.warehouse).resolve() if self.warehouse else warehouse_path()

    @property
    def landing_folder(self) -> Path:
        return Path(self.landing).resolve() if self.landing else landing_path()
