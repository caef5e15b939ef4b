"""Run the build job over every survey year delivered in a landing folder: in this process, or with
county partitions built by several processes at once; recorded in the project's Dagster instance, the one
`make ui` opens, so the UI shows every run started from the command line."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path

import dagster as dg

from orchestration.abandoned_runs import launcher_tags
from orchestration.concurrency import executor_config
from orchestration.instance import project_instance
from orchestration.partitions import delivered_range_tags
from warehouse.build_state import FINGERPRINT_TAG, build_fingerprint
from warehouse.config import CountyLake


def build_warehouse_job() -> dg.JobDefinition:
    """The build job, as each process of a multiprocess run reconstructs it."""
    from orchestration.definitions import defs

    return defs.resolve_job_def("build_warehouse")


def run_build_job(
    landing: Path,
    warehouse: Path,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    parallel: int = 1,
    county_lake: CountyLake | None = None,
) -> dg.ExecuteInProcessResult | dg.ExecuteJobResult:
    """Load, model, check and publish everything in `landing` into `warehouse`, in one run; `parallel`
    above 1 builds up to that many county partitions at once, each in a process of its own; with
    `county_lake` the county partitions live in DuckLakes catalogued in PostgreSQL, not in files. The run
    is recorded in `instance`, by default the project's (orchestration.instance)."""
    from orchestration.dbt_project import prepare_dbt_project

    landing, warehouse = Path(landing).resolve(), Path(warehouse).resolve()
    prepare_dbt_project()
    tags = {
        **delivered_range_tags(landing),
        FINGERPRINT_TAG: build_fingerprint(landing),
        **launcher_tags(),
    }
    run_config = {
        "loggers": {"console": {"config": {"log_level": log_level}}},
        # the one place the run's paths come from: every asset, and dbt through it
        "resources": {
            "farmland": {
                "config": {
                    "warehouse": str(warehouse),
                    "landing": str(landing),
                    **(
                        {"county_lake": county_lake.postgres, "county_lake_data": county_lake.data}
                        if county_lake
                        else {}
                    ),
                }
            }
        },
        "execution": {"config": executor_config(parallel)},
    }
    with ExitStack() as stack:
        if instance is None:
            instance = stack.enter_context(project_instance())
        if parallel <= 1:
            return build_warehouse_job().execute_in_process(
                instance=instance, tags=tags, run_config=run_config, raise_on_error=False
            )
        # The steps' processes share the run's events through the instance's storage on disk.
        with dg.execute_job(
            dg.reconstructable(build_warehouse_job),
            instance=instance,
            tags=tags,
            run_config=run_config,
            raise_on_error=False,
        ) as result:
            return result
