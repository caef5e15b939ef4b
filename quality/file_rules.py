"""The rules the extractor enforces on whole files (DQ14 CRS, DQ15 fields) as rule results.

The extractor (sources/extract/load.py) refuses a file by writing a file-level row to `raw.rejects`
(source_row NULL, rule_id DQ14, DQ15 or LOAD) and loads nothing of it. Read back from `raw.rejects` and
the raw table's `_source_file`, every delivered file of a layer gets one `quality.rule_results` row per
file rule and run: passed when the file was loaded, failed with the extractor's reason when the rule
refused it, and not evaluated when another refusal stopped the file first (an unreadable file's CRS is
never looked at).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

import duckdb
import pandas as pd

from quality.catalog import Rule, file_rules
from sources.extract.discover import year_folder
from sources.layers import Layer

REJECTED_BY_EXTRACTOR = "extractor"
RESULT_COLUMNS = [
    "rule_id", "admin_code", "year", "passed", "observed", "threshold", "violation_count",
    "evaluated_count", "status", "reason",
]  # fmt: skip


def _county(layer: Layer) -> str:
    """SQL for the county a raw row of the layer lies in (NULL for layers keyed by a record)."""
    if "ZLDWDM" in layer.fields:
        return 'left(trim("ZLDWDM"), 6)'
    if "BGQZLDWDM" in layer.fields:
        return 'left(trim(coalesce("BGQZLDWDM", "BGHZLDWDM")), 6)'
    if "XZQDM" in layer.fields:
        return 'left(trim("XZQDM"), 6)'
    return "NULL::VARCHAR"


def delivered_files(
    con: duckdb.DuckDBPyConnection, layer: Layer, years: Collection[int] | None = None
) -> pd.DataFrame:
    """Every file of the layer the extractor saw (in `years`, if given): source_file, year, admin_code
    (the county when all its rows lie in one), and the rule and reason of a file-level refusal."""
    files = con.execute(
        f"""
        with loaded as (
            select
                _source_file                                    as source_file,
                min(_survey_year)                               as year,
                if(count(distinct {_county(layer)}) = 1, any_value({_county(layer)}), null)
                                                                as admin_code
            from raw.{layer.table}
            group by _source_file
        ),
        refused as (
            select
                source_file,
                arg_max(rule_id, rejected_at)                   as refused_by,
                arg_max(reason, rejected_at)                    as reason
            from raw.rejects
            where layer = $layer and rejected_by = $by and source_row is null
            group by source_file
        ),
        rows_rejected as (
            -- a file whose every row was refused is delivered too, though nothing of it was loaded
            select distinct source_file from raw.rejects
            where layer = $layer and rejected_by = $by and source_row is not null
        ),
        files as (
            select source_file from loaded
            union select source_file from refused
            union select source_file from rows_rejected
        )
        select files.source_file, loaded.year, loaded.admin_code, refused.refused_by, refused.reason
        from files
        left join loaded using (source_file)
        left join refused using (source_file)
        order by files.source_file
        """,
        {"layer": layer.code, "by": REJECTED_BY_EXTRACTOR},
    ).df()
    files["year"] = [
        int(y) if pd.notna(y) else year_folder(f)
        for y, f in zip(files["year"], files["source_file"], strict=True)
    ]
    if years is not None and layer.yearly:
        files = files[files["year"].isin(list(years))]
    return files.reset_index(drop=True)


def file_results(files: pd.DataFrame, rules: list[Rule] | None = None) -> pd.DataFrame:
    """One row per delivered file and file rule, in the columns of quality.rule_results."""
    records = []
    for rule in rules if rules is not None else file_rules():
        for file in files.itertuples():
            refused_by = file.refused_by if isinstance(file.refused_by, str) else None
            if refused_by is None:
                status, reason = "passed", None
            elif refused_by == rule.rule_id:
                status, reason = "failed", file.reason
            else:
                status, reason = "not_evaluated", f"refused by {refused_by} first: {file.reason}"
            records.append(
                {
                    "rule_id": rule.rule_id,
                    "admin_code": file.admin_code if isinstance(file.admin_code, str) else None,
                    "year": file.year,
                    "passed": {"passed": True, "failed": False}.get(status),
                    "observed": file.source_file,
                    "threshold": rule.title_en,
                    "violation_count": int(status == "failed"),
                    "evaluated_count": int(status != "not_evaluated"),
                    "status": status,
                    "reason": reason,
                }
            )
    frame = pd.DataFrame.from_records(records, columns=RESULT_COLUMNS)
    return frame.astype({"year": "Int64", "passed": "object"})


def record_file_results(con: duckdb.DuckDBPyConnection, results: pd.DataFrame, run_id: str) -> None:
    """Append the files' results to quality.rule_results (every run adds its own, like the other rules)."""
    if results.empty:
        return
    con.register("file_results", results.assign(run_id=run_id, evaluated_at=datetime.now()))
    try:
        con.execute(
            """INSERT INTO quality.rule_results BY NAME
               SELECT run_id, rule_id, evaluated_at, cast(admin_code AS VARCHAR) AS admin_code,
                      cast(year AS INTEGER) AS year, cast(passed AS BOOLEAN) AS passed, observed, threshold,
                      violation_count, evaluated_count, status, reason
               FROM file_results"""
        )
    finally:
        con.unregister("file_results")
