"""One asset per delivered spatial layer: every file of that layer in the landing folder, loaded into raw."""

import dagster as dg
from dagster import AssetExecutionContext

from orchestration.partitions import survey_years
from orchestration.resources import WarehouseResource
from sources.errors import DeliveryError
from sources.extract.load import load_layer
from sources.layers import LAYERS, Layer
from warehouse.connection import warehouse
from warehouse.region import region


def _raw_layer_asset(layer: Layer) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", layer.table],
        group_name="raw",
        kinds={"duckdb"},
        partitions_def=survey_years,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=f"{layer.code} {layer.title_zh}: every `{layer.folder}/<year>/{layer.code}.*` delivery "
        "as read, with its file, row, load time and file hash.",
    )
    def load(context: AssetExecutionContext, farmland: WarehouseResource) -> dg.MaterializeResult:
        with warehouse(farmland.warehouse_file) as con:
            try:
                years = {int(key) for key in context.partition_keys}
                report = load_layer(con, farmland.landing_folder, layer, region().crs_epsg, years=years)
            except DeliveryError as error:
                # The rest of the delivery is loaded; this file stays out until it is fixed and redelivered.
                raise dg.Failure(description=str(error)) from error
            rows = con.sql(f"select count(*) from raw.{layer.table}").fetchone()[0]
        context.log.info(str(report))
        return dg.MaterializeResult(metadata={"rows": rows, "load_report": str(report)})

    return load


RAW_LAYER_ASSETS = [_raw_layer_asset(layer) for layer in LAYERS]
RAW_LAYER_KEYS = [dg.AssetKey(["raw", layer.table]) for layer in LAYERS]
