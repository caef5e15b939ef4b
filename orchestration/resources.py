"""Dagster resources: where the warehouse file and the landing folder are.

`WarehouseResource` is the one place the paths come from for every asset, the sensor, the schedule and
dbt: the CLI configures it per run (run config), `make ui` from the environment's defaults
(warehouse/config.py). dbt reads the warehouse path from its profile's environment variables, which the
resource sets for the length of a dbt invocation.
"""

from __future__ import annotations

import os
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from warehouse.config import (
    COUNTY_FOLDER_ENV,
    COUNTY_LAKE_DATA_ENV,
    COUNTY_LAKE_ENV,
    COUNTY_PARTITION_ENV,
    COUNTY_SHARD_ENV,
    EXTENSIONS_ENV,
    REGION_CATALOG_ENV,
    WAREHOUSE_ENV,
    CountyLake,
    DuckDBLimits,
    extension_dir,
    landing_path,
    scoped_environment,
    warehouse_path,
)
from warehouse.connection import warehouse
from warehouse.county_shards import region_catalog, shard_folder
from warehouse.run_lock import exclusive_run, held_here


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
    # County partitions in a DuckLake per county on PostgreSQL (several machines), instead of files
    # beside the warehouse: a libpq connection string and the folder or object-store prefix every
    # machine reaches (warehouse.config.CountyLake); empty: the environment's, or files.
    county_lake: str = ""
    county_lake_data: str = ""

    _run_lock: ExitStack = PrivateAttr(default_factory=ExitStack)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """A run holds its warehouse from its first step to its end (warehouse/run_lock.py). A run
        started while another build holds it (the UI's, the schedule's, the sensor's, started in the
        moment before a command-line build's run shows in the run queue, or after it) waits for that
        build before its first step, saying which; a run `farmland build` started holds it already.

        Only a run in one process can hold it for its whole length; the steps of a multiprocess run
        (the launchpad's `multiprocess` executor) each set up resources in a process of their own, and
        one of them holding it would refuse its siblings. Such a run relies on the instance's run queue,
        which starts one run at a time. Sensors and schedules, which set up resources with no run, only
        read."""
        from orchestration.abandoned_runs import fail_abandoned_runs, runs_in_one_process

        run = context.dagster_run
        if run is None or not runs_in_one_process(run.run_config):
            return
        held_by_launcher = held_here(self.warehouse_file)
        self._run_lock.enter_context(
            exclusive_run(
                self.warehouse_file,
                f"Dagster run {run.run_id} of {run.job_name}",
                waiting=lambda why: context.log.warning(f"This run is {why}."),
            )
        )
        # holding the warehouse, this run knows any other run of it still shown in progress is dead (a
        # launcher that held it for the run has looked already)
        if context.instance is not None and not held_by_launcher:
            for run_id in fail_abandoned_runs(context.instance, self.warehouse_file, run.run_id):
                context.log.warning(f"Run {run_id} of this warehouse was abandoned; marked failed.")

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        self._run_lock.close()

    @property
    def lake(self) -> CountyLake | None:
        postgres = self.county_lake or os.environ.get(COUNTY_LAKE_ENV, "")
        if not postgres:
            return None
        data = self.county_lake_data or os.environ.get(COUNTY_LAKE_DATA_ENV, "")
        if not data:
            raise ValueError(
                f"county partitions in PostgreSQL ({postgres}) need a data folder: set county_lake_data"
            )
        return CountyLake(postgres, data)

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

    def open(
        self, *, read_only: bool = False, spatial: bool = True
    ) -> AbstractContextManager[duckdb.DuckDBPyConnection]:
        """The warehouse for the length of a step, held to this run's limits (`spatial`: see connect)."""
        return warehouse(
            self.warehouse_file,
            read_only=read_only,
            limits=self.limits,
            county_lake=self.lake,
            spatial=spatial,
        )

    def dbt_profile_env(self) -> dict[str, str]:
        """The environment transforms/profiles.yml reads: this warehouse file, the extension folder and
        the DuckDB limits, so the dbt process is held to the same memory as the pipeline's own."""
        return {
            WAREHOUSE_ENV: str(self.warehouse_file),
            EXTENSIONS_ENV: str(extension_dir()),
            COUNTY_FOLDER_ENV: str(shard_folder(self.warehouse_file)),
            **self.limits.environment(),
            **(self.lake.environment() if self.lake else {}),
        }

    def county_profile_env(self, county: str, shard: Path) -> dict[str, str]:
        """The environment of a county build (profile target `county`): the county and its file to
        write (warehouse/county_shard_plugin.py), and this region's file attached read-only under its
        own catalog name."""
        return {
            **self.dbt_profile_env(),
            COUNTY_PARTITION_ENV: county,
            COUNTY_SHARD_ENV: str(shard),
            REGION_CATALOG_ENV: region_catalog(self.warehouse_file),
        }

    def for_dbt(self, values: dict[str, str] | None = None) -> AbstractContextManager[None]:
        """Point dbt's profile at this warehouse (or at `values`) for the dbt commands run inside the
        block (dagster-dbt hands the process environment to dbt)."""
        return scoped_environment(values or self.dbt_profile_env())
