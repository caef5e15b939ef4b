"""One asset per delivered spatial layer: every file of that layer in the landing folder, loaded into raw.

The rules the extractor enforces on whole files (DQ14 CRS, DQ15 fields) are asset checks of each layer
asset, and every delivered file gets its rule_results row per run. Their severity is the catalog's
(error): a refused file is a delivery the warehouse could not take in, so the figures built on the layer
miss it until it is fixed and redelivered (the asset fails too, and the snapshot is not replaced).
"""

import warnings

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from orchestration.catalogue import ANNUAL_DELIVERY, owners
from orchestration.concurrency import REGION_STEP
from orchestration.hand_launch import nothing_new
from orchestration.partitions import survey_years
from orchestration.resources import WarehouseResource
from orchestration.rule_checks import check_severity, check_spec, clause_metadata
from quality.catalog import Rule, file_rules
from quality.file_rules import delivered_files, file_results, record_file_results
from quality.load_audit import UNACCOUNTED, audit_loads
from sources.errors import DeliveryError
from sources.extract.load import file_ledger, load_layer
from sources.layers import LAYERS, Layer
from warehouse.region import region


def _delivered_as(layer: Layer) -> str:
    if layer.yearly:
        return f"{layer.folder}/<year>/{layer.code}.*"
    return f"{layer.folder}/{layer.layer_aliases[0]}.*"


FILE_RULES = file_rules()


def _file_check_spec(rule: Rule, layer: Layer) -> dg.AssetCheckSpec:
    return check_spec(
        rule, dg.AssetKey(["raw", layer.table]), scope=f", for every delivered {layer.code} file"
    )


def _file_check_results(layer: Layer, results: pd.DataFrame) -> list[dg.AssetCheckResult]:
    checks = []
    for rule in FILE_RULES:
        mine = results[results["rule_id"] == rule.rule_id]
        refused = mine[mine["status"] == "failed"]
        checks.append(
            dg.AssetCheckResult(
                asset_key=dg.AssetKey(["raw", layer.table]),
                check_name=rule.check_name,
                passed=refused.empty,
                severity=check_severity(rule),
                metadata={
                    "rule_id": rule.rule_id,
                    "files": len(mine),
                    "files_refused": len(refused),
                    "files_not_evaluated": int((mine["status"] == "not_evaluated").sum()),
                    "refused": dg.MetadataValue.json(
                        dict(zip(refused["observed"], refused["reason"], strict=True))
                    ),
                    **clause_metadata(rule),
                },
                description="; ".join(refused["reason"].astype(str)) or None,
            )
        )
    return checks


def _raw_layer_asset(layer: Layer) -> dg.AssetsDefinition:
    @dg.asset(
        key=["raw", layer.table],
        group_name="raw",
        owners=owners("raw"),
        freshness_policy=ANNUAL_DELIVERY if layer.yearly else None,
        op_tags=REGION_STEP,
        kinds={"duckdb"},
        # yearly layers are survey-year partitions; project boundary layers are not per year
        partitions_def=survey_years if layer.yearly else None,
        backfill_policy=dg.BackfillPolicy.single_run() if layer.yearly else None,
        description=f"{layer.code} {layer.title_zh}: every `{_delivered_as(layer)}` delivery as read, "
        "with its file, row, load time and file hash.",
        check_specs=[_file_check_spec(rule, layer) for rule in FILE_RULES],
        # a hand-launched build with nothing new materializes nothing (orchestration/hand_launch.py)
        output_required=False,
    )
    def load(context: AssetExecutionContext, farmland: WarehouseResource):
        if nothing_new(context, farmland):
            # the files are those the file rules last judged: their checks say so again, from raw
            with farmland.open(read_only=True, spatial=False) as con:
                yield from _file_check_results(layer, file_results(delivered_files(con, layer), FILE_RULES))
            return
        # A run launched without survey years (the job from the UI, "Materialize all") loads every year
        # delivered: the loader skips files it already holds.
        partitioned = layer.yearly and (context.has_partition_key or context.has_partition_key_range)
        years = {int(key) for key in context.partition_keys} if partitioned else None
        refusal: DeliveryError | None = None
        with farmland.open() as con:
            try:
                report = load_layer(con, farmland.landing_folder, layer, region().crs_epsg, years=years)
            except DeliveryError as error:
                refusal = error
                report = getattr(error, "report", None)
            unaccounted = audit_loads(
                con, context.run.run_id, file_ledger(layer), report.audited if report else []
            )
            results = file_results(delivered_files(con, layer, years), FILE_RULES)
            record_file_results(con, results, context.run.run_id)
            rows = con.sql(f"select count(*) from raw.{layer.table}").fetchone()[0]
            rows_by_year = (
                dict(con.sql(f"select _survey_year, count(*) from raw.{layer.table} group by all").fetchall())
                if layer.yearly
                else {}
            )
        if unaccounted:
            raise dg.Failure(description=UNACCOUNTED + "\n".join(unaccounted))
        if refusal is not None:
            # The rest of the delivery is loaded; this file stays out until it is fixed and redelivered.
            yield from _file_check_results(layer, results)
            raise dg.Failure(description=str(refusal)) from refusal
        context.log.info(str(report))
        if layer.yearly and not partitioned:
            # Without survey years chosen every delivered year was loaded: the UI shows those years'
            # partitions as materialized, as a run over their range would have left them.
            for year in sorted(
                set(results["year"].dropna().astype(int).astype(str)) & set(survey_years.get_partition_keys())
            ):
                context.log_event(
                    dg.AssetMaterialization(
                        asset_key=context.asset_key,
                        partition=year,
                        metadata={"dagster/row_count": rows_by_year.get(int(year), 0)},
                    )
                )
        yield dg.MaterializeResult(metadata={"dagster/row_count": rows, "load_report": str(report)})
        yield from _file_check_results(layer, results)

    return load


# A run over several survey years loads them in one step (the single-run backfill policy, a deliberate
# choice). Dagster flags that parameter as beta on every load of the code, in the console of `make ui`:
# nothing an operator can act on.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message=".*`backfill_policy`.*", category=dg.BetaWarning)
    RAW_LAYER_ASSETS = [_raw_layer_asset(layer) for layer in LAYERS]
RAW_LAYER_KEYS = [dg.AssetKey(["raw", layer.table]) for layer in LAYERS]
