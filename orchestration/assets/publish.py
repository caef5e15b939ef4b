"""The last step of a run: swap in the analysts' read-only snapshot."""

import dagster as dg

from orchestration.assets.dbt_models import finding_marts
from orchestration.assets.quality_rules import FINDINGS_KEY, MART_KEYS
from orchestration.catalogue import ANNUAL_DELIVERY, owners
from orchestration.concurrency import REGION_STEP
from orchestration.hand_launch import run_fingerprint
from orchestration.resources import WarehouseResource
from warehouse.config import published_path
from warehouse.map_exports import export_maps, maps_folder
from warehouse.publish import publish
from warehouse.report import reports_folder, write_reports


@dg.asset(
    key=["warehouse", "published_snapshot"],
    group_name="publish",
    owners=owners("publish"),
    freshness_policy=ANNUAL_DELIVERY,
    op_tags=REGION_STEP,
    kinds={"duckdb"},
    deps=[*MART_KEYS, dg.AssetKey(FINDINGS_KEY), *sorted(finding_marts.keys, key=lambda key: key.path)],
    description="Read-only copy of reference, marts and quality for analysts, replaced atomically at the "
    "end of a successful run (never a half-finished state, never a write lock on readers).",
)
def published_snapshot(
    context: dg.AssetExecutionContext, farmland: WarehouseResource
) -> dg.MaterializeResult:
    target = published_path(farmland.warehouse_file)
    # a run knows what it read (its launcher's tag, or the decision of a hand-launched build's first
    # step); the snapshot keeps it, so that a build of the same deliveries with the same code does nothing
    fingerprint = run_fingerprint(context)
    counts = publish(
        farmland.warehouse_file,
        target,
        limits=farmland.limits,
        fingerprint=fingerprint,
        run_id=context.run.run_id,
    )
    return dg.MaterializeResult(metadata={"path": str(target), "tables": len(counts), **counts})


@dg.asset(
    key=["warehouse", "map_layers"],
    group_name="publish",
    owners=owners("publish"),
    op_tags=REGION_STEP,
    kinds={"parquet", "duckdb"},
    deps=[published_snapshot],
    description="Every spatial table of the published snapshot as GeoParquet (CRS in its geo metadata) and "
    "GeoPackage, <schema>.<table>.parquet and .gpkg in <snapshot>_maps/ beside it, for QGIS and ArcGIS; "
    "swapped in whole.",
)
def map_layers(context: dg.AssetExecutionContext, farmland: WarehouseResource) -> dg.MaterializeResult:
    snapshot = published_path(farmland.warehouse_file)
    counts = export_maps(snapshot)
    return dg.MaterializeResult(
        metadata={"folder": str(maps_folder(snapshot)), "layers": len(counts), **counts}
    )


@dg.asset(
    key=["warehouse", "reports"],
    group_name="publish",
    owners=owners("publish"),
    op_tags=REGION_STEP,
    kinds={"html", "excel"},
    deps=[published_snapshot],
    description="年度耕地保护报告 for officials, from the published snapshot, for the latest survey year: "
    "per city and county one self-contained HTML page (耕地 and 永农 against target, 进出, the land "
    "transition matrix, quota balances, findings by rule with their clauses, a map of the findings and "
    "the small 永农 patches; static SVG, no network needed) and an Excel workbook of the findings, in "
    "<snapshot>_reports/.",
)
def reports(context: dg.AssetExecutionContext, farmland: WarehouseResource) -> dg.MaterializeResult:
    snapshot = published_path(farmland.warehouse_file)
    written = write_reports(snapshot)
    pages = "\n".join(
        f"| {r.admin_code} | {r.admin_name} | {r.year} | {r.findings} | `{r.page.name}` | "
        f"`{r.workbook.name}` |"
        for r in written
    )
    return dg.MaterializeResult(
        metadata={
            "folder": dg.MetadataValue.path(str(reports_folder(snapshot))),
            "pages": len(written),
            "reports": dg.MetadataValue.md(
                "| code | name | year | findings | page | workbook |\n|---|---|---|---|---|---|\n" + pages
            ),
        }
    )
