"""Which steps of a run may run at once, and the executor configuration that says so.

DuckDB allows one writer per file. Every step that opens the region's warehouse file is tagged
REGION_STEP, and the executor runs at most one of them at a time; the county builds
(orchestration/assets/county_partitions.py) each write a file of their own and only read the region's
file, so up to `parallel` of them run at once. The DAG keeps the two apart: the county builds start
after the last region step they read and the next region step waits for all of them.
"""

from __future__ import annotations

from typing import Any

import dagster as dg

DUCKDB_ACCESS_TAG = "farmland/duckdb"
REGION_STEP = {DUCKDB_ACCESS_TAG: "region"}
COUNTY_STEP = {DUCKDB_ACCESS_TAG: "county"}


def executor_config(parallel: int = 1) -> dict[str, Any]:
    """The run config of the job's executor: in this process one step after another (parallel 1), or
    Dagster's multiprocess executor with up to `parallel` county builds at once."""
    if parallel <= 1:
        return {"in_process": {}}
    return {
        "multiprocess": {
            "max_concurrent": parallel,
            "tag_concurrency_limits": [{"key": DUCKDB_ACCESS_TAG, "value": "region", "limit": 1}],
            # each step is a process: fork them from one that has already imported the definitions
            "start_method": {"forkserver": {"preload_modules": ["orchestration.definitions"]}},
        }
    }


# Dagster's executor that runs in this process or in several, defaulting to this process: its own
# default is multiprocess, with no limit on the steps that write the region's file, which a run launched
# without an executor config (from the UI's launchpad left as it is, through GraphQL) would get, and its
# region steps would fail on each other's lock of the warehouse file.
ONE_PROCESS_UNLESS_ASKED = dg.multi_or_in_process_executor.configured(
    lambda config: config,
    name="one_process_unless_asked",
    config_schema=dg.Field(
        dg.multi_or_in_process_executor.config_schema.config_type,
        default_value=executor_config(),
        is_required=False,
    ),
)
