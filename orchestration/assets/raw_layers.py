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


def _delivered_as(layer: Layer) -> str:
    if layer.yearly:
        return f"{layer.folder}/<year>/{layer.code}.*"
    return f"{layer.folder}/{layer.layer_aliases[0]}.*"


def _raw_layer_asset(layer: Layer) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", layer.table],
        group_name="raw",
        kinds={"duckdb"},
        # yearly layers are survey-year partitions; project boundary layers are not per year
        partitions_def=survey_years if layer.yearly else None,
        backfill_policy=dg.BackfillPolicy.single_run() if layer.yearly else None,
        description=f"{layer.code} {layer.title_zh}: every `{_delivered_as(layer)}` delivery as read, "
        "with its file, row, load time and file hash.",
    )
    def load(context: AssetExecutionContext, farmland: WarehouseResource) -> dg.MaterializeResult:
        with warehouse(farmland.warehouse_file) as con:
            try:
                years = {int(key) for key in context.partition_keys} if layer.yearly else None
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
