"""The rule subject models (transforms/models/quality), compiled by dbt, for tests that evaluate rules
on hand-made raw rows in a warehouse dbt never built.

The pipeline creates these views with dbt; here dbt compiles them once per session (the catalog's
parameters as --vars, exactly as the pipeline passes them) and the test creates them in its own file.
dbt qualifies every relation with the catalog it compiled against, which is renamed to the test's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import duckdb

from orchestration.resources import WarehouseResource
from quality.catalog import SUBJECT_SCHEMA, dbt_vars, load_catalog
from warehouse.config import TRANSFORMS_DIR

_COMPILED_CATALOG = "rule_subjects_compiled"


@cache
def compiled_subjects(scratch: Path) -> dict[str, str]:
    """{subject model: compiled SELECT} for every evaluated rule of the catalog."""
    scratch.mkdir(parents=True, exist_ok=True)
    scratch_warehouse = WarehouseResource(warehouse=str(scratch / f"{_COMPILED_CATALOG}.duckdb"))
    env = {**os.environ, **scratch_warehouse.dbt_profile_env()}
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt), "compile", "--quiet", "--profiles-dir", str(TRANSFORMS_DIR), "--target-path",
        str(scratch / "target"), "--select", "path:models/quality", "--vars", dbt_vars(),
    ]  # fmt: skip
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"dbt compile failed:\n{completed.stdout}\n{completed.stderr}")
    compiled = scratch / "target" / "compiled" / "farmland" / "models" / "quality"
    return {path.stem: path.read_text(encoding="utf-8") for path in compiled.rglob("*.sql")}


def create_rule_subjects(con: duckdb.DuckDBPyConnection, rule_ids: list[str], scratch: Path) -> None:
    """Create the subject views of the given rules in the connection's warehouse."""
    catalog = con.execute("select current_database()").fetchone()[0]
    subjects = compiled_subjects(scratch)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {SUBJECT_SCHEMA}")
    for rule_id in rule_ids:
        name = load_catalog()[rule_id].subject
        sql = subjects[name].replace(f'"{_COMPILED_CATALOG}".', f'"{catalog}".')
        con.execute(f"CREATE OR REPLACE VIEW {SUBJECT_SCHEMA}.{name} AS {sql}")
