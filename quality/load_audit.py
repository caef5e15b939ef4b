"""The load audit (入库核对): per run and delivered file, what the loader read, loaded, rejected, replaced
or skipped, and whether every row read is accounted for.

The rows loaded are counted again from raw, not taken from the loader's own tally, so a row lost between
reading and inserting shows as an unaccounted file: read = loaded + rejected, or the run stops before
anything is published.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import duckdb

from sources.extract.ledger import FileLedger
from sources.extract.outcome import FileOutcome

# what stops a run whose loader lost rows between reading and inserting: nothing of it may be published
UNACCOUNTED = "rows read are missing from raw and from raw.rejects (quality.load_audit has the figures):\n"
# a file's new rows are in raw after these outcomes; a skipped file's were loaded by an earlier run
_TAKEN_IN = ("loaded", "replaced")


def audit_loads(
    con: duckdb.DuckDBPyConnection, run_id: str, ledger: FileLedger, outcomes: Sequence[FileOutcome]
) -> list[str]:
    """Record each outcome of one raw table's load in quality.load_audit for run `run_id`; the files
    whose rows read are not all loaded or rejected, each with its figures (none: all accounted for)."""
    now = datetime.now()
    unaccounted = []
    rows = []
    for outcome in outcomes:
        taken_in = outcome.status in _TAKEN_IN
        loaded = ledger.held(con, outcome.source_file, outcome.file_sha256) if taken_in else 0
        accounted = outcome.rows_read == loaded + outcome.rows_rejected
        if not accounted:
            unaccounted.append(
                f"{outcome.source_file}: {outcome.rows_read} rows read, {loaded} in raw.{ledger.table}, "
                f"{outcome.rows_rejected} rejected"
            )
        rows.append(
            (run_id, now, ledger.table, ledger.layer, outcome.source_file, outcome.file_sha256,
             outcome.status, outcome.rows_read, loaded, outcome.rows_rejected, outcome.rows_replaced,
             accounted, outcome.message or None)
        )  # fmt: skip
    if rows:
        con.executemany("INSERT INTO quality.load_audit VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
    return unaccounted
