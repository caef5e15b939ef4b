"""Two warehouses built from the same deliveries hold the same rows: the comparison, table by table."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.config import CountyLake
from warehouse.connection import connect

COMPARED_SCHEMAS = ("reference", "staging", "intermediate", "marts", "quality")
# what differs between two builds of the same data by construction: when (the *_at timestamps), and
# by which run
RUN_COLUMN = "run_id"
# the records of what each run did (which files it loaded or skipped, which runs published), not of the
# data: two builds reaching the same rows by different paths keep different ones
RUN_RECORDS = {("quality", "load_audit"), ("quality", "published_runs")}


def _relations(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    rows = con.execute(
        "select table_schema, table_name from information_schema.tables "
        "where table_catalog = current_database() and table_schema in ? order by 1, 2",
        [list(COMPARED_SCHEMAS)],
    ).fetchall()
    return [row for row in rows if row not in RUN_RECORDS] + [("raw", "rejects")]


def differences(first: Path, second: Path, county_lake: CountyLake | None = None) -> tuple[int, list[str]]:
    """How many relations were compared, and a line for each one whose rows differ (`first` may
    keep its county partitions in `county_lake`)."""
    con = connect(first, read_only=True, county_lake=county_lake)
    con.execute(f"ATTACH '{second}' AS second_build (READ_ONLY)")
    lines = []
    try:
        relations = _relations(con)
        for schema, table in relations:
            columns = [
                name
                for name, data_type in con.execute(
                    "select column_name, data_type from information_schema.columns where table_catalog = "
                    "current_database() and table_schema = ? and table_name = ? order by ordinal_position",
                    [schema, table],
                ).fetchall()
                if name != RUN_COLUMN and not (name.endswith("_at") and data_type.startswith("TIMESTAMP"))
            ]
            listed = ", ".join(f'"{name}"' for name in columns)
            if schema == "raw":  # a reject's record keeps the row as loaded, with its load time
                listed = listed.replace('"record"', """json_merge_patch(record, '{"_loaded_at": null}')""")
            mine = f'select {listed} from {schema}."{table}"'
            theirs = f'select {listed} from second_build.{schema}."{table}"'
            if schema == "quality" and table == "rule_results":  # every run adds its own results
                latest = "where run_id = (select run_id from {0} order by evaluated_at desc limit 1)"
                mine += " " + latest.format(f'{schema}."{table}"')
                theirs += " " + latest.format(f'second_build.{schema}."{table}"')
            only_mine = con.execute(f"select count(*) from ({mine} except all {theirs})").fetchone()[0]
            only_theirs = con.execute(f"select count(*) from ({theirs} except all {mine})").fetchone()[0]
            if only_mine or only_theirs:
                lines.append(
                    f"{schema}.{table}: {only_mine} rows only in the first, {only_theirs} only in the second"
                )
    finally:
        con.close()
    return len(relations), lines
