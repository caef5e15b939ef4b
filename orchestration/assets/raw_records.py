"""One asset per delivered record kind (SOURCES.md §2–§4): every file of that kind in the landing folder,
loaded into its raw table.

Unlike the spatial layers these are not partitioned by survey year: project and case records, fund
ledgers and statistics are delivered on their own calendar (some in `<year>` folders, some not), and
`load_records` always mirrors everything of the kind that is delivered. A kind with nothing delivered
loads nothing and succeeds: not every bureau sends every file.
"""

import dagster as dg
from dagster import AssetExecutionContext

from orchestration.catalogue import owners
from orchestration.concurrency import REGION_STEP
from orchestration.hand_launch import nothing_new
from orchestration.resources import WarehouseResource
from quality.load_audit import UNACCOUNTED, audit_loads
from sources.errors import DeliveryError
from sources.extract.records import file_ledger, load_records
from sources.records import RECORD_KINDS, RecordKind


def _delivered_as(kind: RecordKind) -> str:
    pattern = kind.file_pattern.replace("\\.", ".").replace(r"(?P<year>\d{4})", "<year>")
    pattern = pattern.replace(r"(?P<month>\d{2})", "<MM>")
    return f"{kind.folder.replace('{year}', '<year>')}/{pattern}"


def _raw_record_asset(kind: RecordKind) -> dg.AssetsDefinition:
    personal = (
        f" Holds personal data ({', '.join(sorted(kind.personal))}): masked in raw.rejects, never selected "
        "by staging, never published."
        if kind.personal
        else ""
    )

    @dg.asset(
        key=["raw", kind.table],
        group_name="raw",
        owners=owners("raw"),
        op_tags=REGION_STEP,
        kinds={"duckdb"},
        description=f"{kind.title_zh}: every `{_delivered_as(kind)}` delivery as read, with its file, row, "
        f"load time and file hash.{personal}",
        # a hand-launched build with nothing new materializes nothing (orchestration/hand_launch.py)
        output_required=False,
    )
    def load(context: AssetExecutionContext, farmland: WarehouseResource):
        if nothing_new(context, farmland):
            return
        with farmland.open() as con:
            try:
                report = load_records(con, farmland.landing_folder, kind)
            except DeliveryError as error:
                # The rest of the delivery is loaded; the refused file or sheet stays out (its reason is in
                # raw.rejects) until it is fixed and redelivered.
                partial = getattr(error, "report", None)
                unaccounted = audit_loads(
                    con, context.run.run_id, file_ledger(kind), partial.audited if partial else []
                )
                raise dg.Failure(
                    description="\n".join([str(error), *unaccounted]),
                    metadata=partial.as_metadata() if partial is not None else None,
                ) from error
            unaccounted = audit_loads(con, context.run.run_id, file_ledger(kind), report.audited)
            if unaccounted:
                raise dg.Failure(description=UNACCOUNTED + "\n".join(unaccounted))
            rows = con.sql(f"select count(*) from raw.{kind.table}").fetchone()[0]
        context.log.info(str(report))
        yield dg.MaterializeResult(metadata={"dagster/row_count": rows, **report.as_metadata()})

    return load


RAW_RECORD_ASSETS = [_raw_record_asset(kind) for kind in RECORD_KINDS]
RAW_RECORD_KEYS = [dg.AssetKey(["raw", kind.table]) for kind in RECORD_KINDS]
