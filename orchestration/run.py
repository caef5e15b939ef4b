"""Run the build job in this process over every survey year delivered in a landing folder."""

from pathlib import Path

import dagster as dg

from orchestration.partitions import delivered_years, register_years, whole_range_tags


def run_build_job(
    landing: Path, warehouse: Path, instance: dg.DagsterInstance | None = None, log_level: str = "INFO"
) -> dg.ExecuteInProcessResult:
    """Load, model, check and publish everything in `landing` into `warehouse`, in one run."""
    from orchestration.dbt_project import prepare_dbt_project

    landing, warehouse = Path(landing).resolve(), Path(warehouse).resolve()
    prepare_dbt_project()
    from orchestration.definitions import defs

    years = delivered_years(Path(landing))
    if not years:
        raise ValueError(f"{landing} holds no survey or control layer delivery (see SOURCES.md layout)")
    instance = instance or dg.DagsterInstance.ephemeral()
    register_years(instance, years)
    job = defs.resolve_job_def("build_warehouse")
    return job.execute_in_process(
        instance=instance,
        tags=whole_range_tags(instance),
        run_config={
            "loggers": {"console": {"config": {"log_level": log_level}}},
            # the one place the run's paths come from: every asset, and dbt through it
            "resources": {"farmland": {"config": {"warehouse": str(warehouse), "landing": str(landing)}}},
        },
        raise_on_error=False,
    )
