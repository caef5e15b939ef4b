"""The `quality` schema: the rule catalog, each run's results, and the violations behind them.

`quality.rule_results.status` is 'passed', 'failed' or 'not_evaluated'; a rule is not evaluated for a
county that did not deliver an input the rule needs (`reason` names it), and `passed` is then NULL.
"""

from __future__ import annotations

import duckdb

# the runs that published a snapshot (warehouse/publish.py), which creates it too: a working file built
# before it existed is published all the same
PUBLISHED_RUNS_DDL = (
    "CREATE TABLE IF NOT EXISTS quality.published_runs (run_id VARCHAR PRIMARY KEY, published_at TIMESTAMP)"
)

QUALITY_DDL = (
    """
    CREATE TABLE IF NOT EXISTS quality.rule_catalog (
      rule_id VARCHAR PRIMARY KEY, kind VARCHAR, title_zh VARCHAR, title_en VARCHAR, grain VARCHAR,
      severity VARCHAR, consequence VARCHAR, parameters JSON, source_doc VARCHAR, source_clause VARCHAR,
      evaluated BOOLEAN, enforced_by VARCHAR, clause VARCHAR, citation VARCHAR
    )
    """,
    # The clause as a reader quotes it, its documents by title (and with issuer and date): a warehouse
    # built before gets the columns in place.
    "ALTER TABLE quality.rule_catalog ADD COLUMN IF NOT EXISTS clause VARCHAR",
    "ALTER TABLE quality.rule_catalog ADD COLUMN IF NOT EXISTS citation VARCHAR",
    """
    CREATE TABLE IF NOT EXISTS quality.rule_results (
      run_id VARCHAR, rule_id VARCHAR, evaluated_at TIMESTAMP, admin_code VARCHAR, year INTEGER,
      passed BOOLEAN, observed VARCHAR, threshold VARCHAR, violation_count BIGINT, evaluated_count BIGINT,
      status VARCHAR, reason VARCHAR
    )
    """,
    # A warehouse built before results told "not evaluated" from "passed" gets the columns in place;
    # its earlier rows keep status NULL.
    "ALTER TABLE quality.rule_results ADD COLUMN IF NOT EXISTS status VARCHAR",
    "ALTER TABLE quality.rule_results ADD COLUMN IF NOT EXISTS reason VARCHAR",
    """
    CREATE TABLE IF NOT EXISTS quality.violations (
      run_id VARCHAR, rule_id VARCHAR, severity VARCHAR, admin_code VARCHAR, year INTEGER,
      entity_type VARCHAR, entity_id VARCHAR, observed VARCHAR, expected VARCHAR, detail JSON,
      source_doc VARCHAR, source_clause VARCHAR
    )
    """,
    # what each run's loaders did with each delivered file (quality/load_audit.py)
    """
    CREATE TABLE IF NOT EXISTS quality.load_audit (
      run_id VARCHAR, audited_at TIMESTAMP, raw_table VARCHAR, layer VARCHAR, source_file VARCHAR,
      file_sha256 VARCHAR, outcome VARCHAR, rows_read BIGINT, rows_loaded BIGINT, rows_rejected BIGINT,
      rows_replaced BIGINT, accounted BOOLEAN, message VARCHAR
    )
    """,
    PUBLISHED_RUNS_DDL,
    """
    CREATE TABLE IF NOT EXISTS quality.survey_year_status (
      year INTEGER PRIMARY KEY, reconciled BOOLEAN, checked_at TIMESTAMP, run_id VARCHAR
    )
    """,
)


def create_quality_tables(con: duckdb.DuckDBPyConnection) -> None:
    for ddl in QUALITY_DDL:
        con.execute(ddl)
