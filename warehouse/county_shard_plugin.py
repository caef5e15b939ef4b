"""dbt-duckdb plugin of the county builds (profile target `county`): attaches the county's file being
built (FARMLAND_COUNTY_SHARD) under the fixed catalog name the county-partitioned models are written to,
and gives the county a spill folder of its own (counties may build in several processes at once).

Both are chosen per county, but neither may appear in the profile: dbt re-parses the whole project
whenever the profile's connection settings change, and a parse costs several seconds of CPU per county.
Set here, on the connection dbt opens, every county build of a run reuses one parse."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin

from sources.extract.sql import quote_name, quote_text
from warehouse.config import COUNTY_PARTITION_ENV, COUNTY_SHARD_ENV, TEMP_DIRECTORY_ENV


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.catalog = plugin_config["catalog"]

    def configure_connection(self, conn: Any) -> None:
        missing = [name for name in (COUNTY_PARTITION_ENV, COUNTY_SHARD_ENV) if not os.environ.get(name)]
        if missing:
            raise RuntimeError(f"a county build needs {' and '.join(missing)} (the county and its file)")
        spill = Path(os.environ[TEMP_DIRECTORY_ENV]) / f"county_{os.environ[COUNTY_PARTITION_ENV]}"
        # DuckDB creates only the last folder of a spill path, and only when it first spills
        spill.mkdir(parents=True, exist_ok=True)
        conn.execute(f"set temp_directory = {quote_text(str(spill))}")
        shard = quote_text(os.environ[COUNTY_SHARD_ENV])
        conn.execute(f"attach if not exists {shard} as {quote_name(self.catalog)}")
