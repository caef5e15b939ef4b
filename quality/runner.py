"""The rule runner: each catalogued rule's subject rows, validated by great-expectations.

A rule's subject is a dbt model (transforms/models/quality, a view in schema rule_subjects): one row
per entity with the values its expectations test. DuckDB computes the subject once; its rows go to
pandas through Arrow one admin unit (and at most CHUNK_ROWS rows) at a time, and GX validates every
expectation of the rule on each chunk, so the run holds no more than the largest county in Python.
A row that fails any expectation is a violation naming its entity (parcel BSM, county code, …), the
value observed, what was expected, and the clause. Results per admin unit and year go to
`quality.rule_results`; violations to `quality.violations`; for row-quarantine DQ rules the failing
raw rows also go to `raw.rejects`, which staging excludes.

A rule judges a county only on what the county delivered: a county lacking one of the rule's `inputs`
(per marts.delivery_coverage) is left out of the subject and gets a rule_results row with status
'not_evaluated' and the missing delivery as its reason, never a violation. The city is judged only
when every one of its counties delivered the inputs, since its figures sum them.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from quality.catalog import Rule, load_catalog
from quality.expectations import ROW_ID, ExpectationOutcome, Validator, unchecked

# Columns every subject query returns, besides the columns its expectations test.
ENTITY_COLUMNS = ("entity_type", "entity_id", "admin_code", "year")
# Row-level subjects also say where the row came from, so it can be quarantined.
LINEAGE_COLUMNS = ("layer", "source_file", "source_row", "source_sheet")  # sheet: workbooks only


@dataclass
class RuleOutcome:
    """What evaluating one rule found."""

    rule: Rule
    evaluated_count: int
    violations: pd.DataFrame  # one row per failing entity row of the subject
    results: pd.DataFrame  # one row per admin_code × year, and one per admin not evaluated
    expectations: list[ExpectationOutcome]
    not_evaluated: dict[str, str] = field(default_factory=dict)  # admin_code -> why

    @property
    def violation_count(self) -> int:
        return len(self.violations)

    @property
    def passed(self) -> bool:
        return self.violations.empty

    def entity_ids(self) -> list[str]:
        return sorted(set(self.violations["entity_id"].astype(str)))


def _resolve(value: Any, parameters: dict[str, Any]) -> Any:
    """`$name` and `-$name` in the catalog (also inside lists) refer to the rule's parameters."""
    if isinstance(value, list):
        return [_resolve(item, parameters) for item in value]
    if isinstance(value, str):
        match = re.fullmatch(r"(-?)\$(\w+)", value.strip())
        if match:
            resolved = parameters[match.group(2)]
            return -resolved if match.group(1) else resolved
    return value


@dataclass(frozen=True)
class Coverage:
    """Who delivered what (marts.delivery_coverage): the counties of the region and, per raw table, the
    counties that delivered it in any year."""

    cities: dict[str, str]  # county -> its city
    delivered: dict[str, frozenset[str]]  # raw table -> counties
    delivered_as: dict[str, str]  # raw table -> where it lands in the landing folder

    def missing(self, inputs: tuple[str, ...]) -> dict[str, str]:
        """{admin_code: why} for every county lacking one of `inputs`, and for a city any of whose
        counties lacks one."""
        unknown = [t for t in inputs if t not in self.delivered]
        if unknown:
            raise KeyError(f"inputs {unknown} are not sources of transforms/seeds/ref_delivery_sources.csv")
        missing: dict[str, str] = {}
        for county in sorted(self.cities):
            lacking = [t for t in inputs if county not in self.delivered[t]]
            if lacking:
                missing[county] = "; ".join(f"{self.delivered_as[t]} not delivered" for t in lacking)
        for city in sorted(set(self.cities.values())):
            counties = sorted(c for c, of in self.cities.items() if of == city)
            reasons = []
            for table in inputs:
                absent = [c for c in counties if c not in self.delivered[table]]
                if len(absent) == len(counties):
                    reasons.append(f"{self.delivered_as[table]} not delivered")
                elif absent:
                    reasons.append(
                        f"{self.delivered_as[table]} delivered by {len(counties) - len(absent)} of "
                        f"{len(counties)} counties (not by {', '.join(absent)})"
                    )
            if reasons:
                missing[city] = "; ".join(reasons)
        return missing


def delivery_coverage(con: duckdb.DuckDBPyConnection) -> Coverage:
    """The coverage the marts were built on; the marts (marts.delivery_coverage) must exist."""
    cities = dict(
        con.execute(
            "select admin_code, region_code from reference.ref_region where admin_level = 'county'"
        ).fetchall()
    )
    rows = con.execute(
        """select raw_table, any_value(delivered_as),
                  coalesce(list(distinct admin_code) filter (where delivered), [])
           from marts.delivery_coverage where admin_level = 'county' group by raw_table"""
    ).fetchall()
    return Coverage(
        cities=cities,
        delivered={table: frozenset(counties) for table, _, counties in rows},
        delivered_as={table: label for table, label, _ in rows},
    )


VIOLATION_COLUMNS = [
    "rule_id", "severity", "admin_code", "year", "entity_type", "entity_id", "observed", "expected",
    "detail", "source_doc", "source_clause", *LINEAGE_COLUMNS,
]  # fmt: skip

# Rows handed to great-expectations at once: a county larger than this is validated in several chunks.
CHUNK_ROWS = 200_000
# The subject rows of the rule being evaluated, computed once in DuckDB (spilling to disk if need be).
_SUBJECT_TABLE = "rule_subject_rows"


def _materialize_subject(con: duckdb.DuckDBPyConnection, rule: Rule, leave_out: Collection[str]) -> None:
    """Compute the rule's subject once into a temporary table, without the admin units left out."""
    excluded = sorted(leave_out)
    where = ""
    if excluded:
        where = " WHERE admin_code IS NULL OR cast(admin_code AS VARCHAR) <> ALL (?::VARCHAR[])"
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {_SUBJECT_TABLE} AS SELECT * FROM {rule.subject_relation}{where}",
        [excluded] if excluded else [],
    )


def subject_chunks(con: duckdb.DuckDBPyConnection) -> Iterator[pd.DataFrame]:
    """The materialized subject as pandas frames, one admin unit (split at CHUNK_ROWS) each, with a
    `_row` id column unique across the chunks."""
    units = con.execute(
        f"SELECT admin_code, count(*) FROM {_SUBJECT_TABLE} GROUP BY ALL ORDER BY admin_code NULLS LAST"
    ).fetchall()
    first_row = 0
    for admin_code, rows in units:
        # paging needs a stable order; a unit within one chunk is read as it is
        paging = " ORDER BY ALL LIMIT {limit} OFFSET {offset}" if rows > CHUNK_ROWS else ""
        for offset in range(0, rows, CHUNK_ROWS):
            query = f"SELECT * FROM {_SUBJECT_TABLE} WHERE admin_code IS NOT DISTINCT FROM ?" + paging.format(
                limit=CHUNK_ROWS, offset=offset
            )
            chunk = con.execute(query, [admin_code]).fetch_arrow_table().to_pandas()
            chunk.insert(0, ROW_ID, range(first_row, first_row + len(chunk)))
            first_row += len(chunk)
            yield chunk


def _evaluated_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Subject rows per admin unit and year: how many entities the rule checked."""
    return con.execute(
        f"""SELECT cast(admin_code AS VARCHAR) AS admin_code, cast(year AS BIGINT) AS year,
                   count(*) AS evaluated_count
            FROM {_SUBJECT_TABLE} GROUP BY ALL"""
    ).df()


def _value_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, float):
        return f"{value:.6g}"
    return str(value)


def _json_value(value: Any) -> Any:
    """A subject value as JSON keeps its type: numbers stay numbers at full precision (a reader sums
    and compares them), booleans booleans, lists arrays; dates are ISO text, missing values null.
    JSON has one number type, so a whole number is written without a fraction."""
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_json_value(item) for item in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating, Decimal)):
        number = float(value)
        if not math.isfinite(number):
            return None
        # an integer column with a NULL reaches pandas as floats: 2024.0 is the year 2024
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value)


def _observed(outcome: ExpectationOutcome, row: pd.Series) -> str:
    text = f"{outcome.column} = {_value_text(row[outcome.column])}"
    if outcome.other_column:
        text += f" vs {outcome.other_column} = {_value_text(row[outcome.other_column])}"
    return text


def _violations(rule: Rule, frame: pd.DataFrame, outcomes: list[ExpectationOutcome]) -> pd.DataFrame:
    failed_by_row: dict[int, list[ExpectationOutcome]] = {}
    for outcome in outcomes:
        for row in outcome.failed_rows:
            failed_by_row.setdefault(row, []).append(outcome)
    records = []
    indexed = frame.set_index(ROW_ID, drop=False)
    subject_columns = [c for c in frame.columns if c not in (ROW_ID, *ENTITY_COLUMNS)]
    for row_id, failed in sorted(failed_by_row.items()):
        row = indexed.loc[row_id]
        first = failed[0]
        observed = "; ".join(_observed(o, row) for o in failed)
        expected = "; ".join(o.description for o in failed)
        detail = {c: _json_value(row[c]) for c in subject_columns}
        detail["failed_checks"] = [o.description for o in failed]
        records.append(
            {
                "rule_id": rule.rule_id,
                "severity": rule.severity,
                "admin_code": _value_text(row["admin_code"]),
                "year": None if pd.isna(row["year"]) else int(row["year"]),
                "entity_type": row["entity_type"],
                "entity_id": str(row["entity_id"]),
                "observed": observed
                if len(failed) > 1 or first.other_column
                else _value_text(row[first.column]),
                "expected": expected,
                "detail": json.dumps(detail, ensure_ascii=False),
                "source_doc": rule.source_doc,
                "source_clause": rule.source_clause,
                **{c: (row[c] if c in row.index else None) for c in LINEAGE_COLUMNS},
            }
        )
    return pd.DataFrame.from_records(records, columns=VIOLATION_COLUMNS)


def _results(evaluated: pd.DataFrame, violations: pd.DataFrame, threshold: str) -> pd.DataFrame:
    """Per admin unit and year: how many subject rows were checked and how many failed."""
    keys = ["admin_code", "year"]
    if evaluated.empty:
        return pd.DataFrame(
            columns=[*keys, "evaluated_count", "violation_count", "passed", "observed", "status", "reason"]
        )
    key_types = {"admin_code": "string", "year": "Int64"}
    evaluated = evaluated.astype(key_types)
    if violations.empty:
        failed = pd.DataFrame(columns=[*keys, "violation_count"]).astype(key_types)
    else:
        v = violations[keys].astype({"admin_code": "string"}).assign(year=violations["year"].astype("Int64"))
        failed = v.value_counts(dropna=False).rename("violation_count").reset_index()
    merged = evaluated.merge(failed, on=keys, how="left")
    merged["violation_count"] = merged["violation_count"].fillna(0).astype(int)
    merged["passed"] = merged["violation_count"] == 0
    merged["observed"] = [
        f"{v} of {e} failing"
        for v, e in zip(merged["violation_count"], merged["evaluated_count"], strict=True)
    ]
    merged["threshold"] = threshold
    merged["status"] = merged["passed"].map({True: "passed", False: "failed"})
    merged["reason"] = None
    return merged


def _not_evaluated(missing: dict[str, str], threshold: str) -> pd.DataFrame:
    """One row per admin code the rule could not judge; the year is NULL: no year of it was judged."""
    return pd.DataFrame(
        {
            "admin_code": pd.Series(list(missing), dtype="string"),
            "year": pd.Series([pd.NA] * len(missing), dtype="Int64"),
            "evaluated_count": 0,
            "violation_count": 0,
            "passed": pd.Series([None] * len(missing), dtype="object"),
            "observed": "not evaluated",
            "threshold": threshold,
            "status": "not_evaluated",
            "reason": list(missing.values()),
        }
    )


def evaluate_rule(
    con: duckdb.DuckDBPyConnection, rule: Rule, validator: Validator, coverage: Coverage | None = None
) -> RuleOutcome:
    """Validate every expectation of the rule on its subject, chunk by chunk, leaving out the admin
    units that did not deliver the rule's inputs (`coverage` defaults to marts.delivery_coverage)."""
    missing: dict[str, str] = {}
    if rule.inputs:
        missing = (coverage or delivery_coverage(con)).missing(rule.inputs)
    expectations = []
    for expectation in rule.expectations:
        kwargs = {k: _resolve(v, rule.parameters) for k, v in expectation.kwargs.items()}
        if expectation.value_set_sql:
            kwargs["value_set"] = [r[0] for r in con.execute(expectation.value_set_sql).fetchall()]
        expectations.append((expectation.type, kwargs))
    _materialize_subject(con, rule, missing)
    try:
        evaluated = _evaluated_counts(con)
        found, outcomes = [], []
        for chunk in subject_chunks(con):
            chunk_outcomes = validator.validate(chunk, expectations)
            found.append(_violations(rule, chunk, chunk_outcomes))
            outcomes.append(chunk_outcomes)
    finally:
        con.execute(f"DROP TABLE IF EXISTS {_SUBJECT_TABLE}")
    if outcomes:
        summary = [_combined(per_chunk) for per_chunk in zip(*outcomes, strict=True)]
    else:
        summary = [unchecked(kind, kwargs) for kind, kwargs in expectations]
    found = [frame for frame in found if not frame.empty]
    violations = pd.concat(found, ignore_index=True) if found else pd.DataFrame(columns=VIOLATION_COLUMNS)
    threshold = "; ".join(o.description for o in summary)
    results = _results(evaluated, violations, threshold)
    if missing:
        parts = [r for r in (results, _not_evaluated(missing, threshold)) if not r.empty]
        results = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return RuleOutcome(rule, int(evaluated["evaluated_count"].sum()), violations, results, summary, missing)


def _combined(per_chunk: tuple[ExpectationOutcome, ...]) -> ExpectationOutcome:
    """One expectation's outcome over every chunk of the subject."""
    first = per_chunk[0]
    return dataclasses.replace(
        first,
        success=all(o.success for o in per_chunk),
        failed_rows=tuple(row for o in per_chunk for row in o.failed_rows),
    )


def evaluate_rules(con: duckdb.DuckDBPyConnection, rule_ids: list[str]) -> list[RuleOutcome]:
    """Evaluate the given rules in catalog order."""
    catalog = load_catalog()
    unknown = [r for r in rule_ids if r not in catalog]
    if unknown:
        raise KeyError(f"rules not in the catalog: {unknown}")
    validator = Validator()
    coverage = delivery_coverage(con) if any(catalog[r].inputs for r in rule_ids) else None
    return [evaluate_rule(con, catalog[r], validator, coverage) for r in rule_ids]


def record_outcomes(con: duckdb.DuckDBPyConnection, outcomes: list[RuleOutcome], run_id: str) -> None:
    """Append results to quality.rule_results; make quality.violations hold these rules' current findings."""
    now = datetime.now()
    for outcome in outcomes:
        rule_id = outcome.rule.rule_id
        con.execute("DELETE FROM quality.violations WHERE rule_id = ?", [rule_id])
        if not outcome.violations.empty:
            v = outcome.violations.drop(columns=list(LINEAGE_COLUMNS)).assign(run_id=run_id)
            con.register("new_violations", v)
            con.execute(
                """INSERT INTO quality.violations BY NAME
                   SELECT run_id, rule_id, severity, admin_code, cast(year AS INTEGER) AS year, entity_type,
                          entity_id, observed, expected, cast(detail AS JSON) AS detail, source_doc,
                          source_clause
                   FROM new_violations"""
            )
            con.unregister("new_violations")
        if not outcome.results.empty:
            r = outcome.results.assign(run_id=run_id, rule_id=rule_id, evaluated_at=now)
            con.register("new_results", r)
            con.execute(
                """INSERT INTO quality.rule_results BY NAME
                   SELECT run_id, rule_id, evaluated_at, cast(admin_code AS VARCHAR) AS admin_code,
                          cast(year AS INTEGER) AS year, cast(passed AS BOOLEAN) AS passed, observed,
                          threshold, violation_count, evaluated_count, status, reason
                   FROM new_results"""
            )
            con.unregister("new_results")


def _raw_record_query(layer: str) -> tuple[str, bool]:
    """(SELECT of the layer's raw rows as reject records, whether rows carry a sheet): spatial layers
    without their geometry, record files with their personal-data columns masked as the extractor does."""
    from sources.layers import LAYERS_BY_CODE
    from sources.records import RECORD_KINDS_BY_TABLE

    if layer in LAYERS_BY_CODE:
        return f"SELECT * EXCLUDE (geom) FROM raw.{LAYERS_BY_CODE[layer].table}", False
    kind = RECORD_KINDS_BY_TABLE[layer]
    masked = ", ".join(f"'***' AS \"{column}\"" for column in sorted(kind.personal))
    replace = f" REPLACE ({masked})" if masked else ""
    return f"SELECT *{replace} FROM raw.{kind.table}", kind.has_sheet


def quarantine(con: duckdb.DuckDBPyConnection, outcomes: list[RuleOutcome]) -> int:
    """Put the raw rows behind row-level DQ violations into raw.rejects (replacing earlier rule rejects).

    The quarantine is recomputed from the current raw rows on every run, so fixing and reloading a file
    releases its rows. Returns the number of reject rows written.
    """
    written = 0
    for outcome in outcomes:
        rule_id = outcome.rule.rule_id
        con.execute("DELETE FROM raw.rejects WHERE rule_id = ? AND rejected_by = 'rule_runner'", [rule_id])
        if outcome.violations.empty:
            continue
        rows = outcome.violations.dropna(subset=["source_file", "source_row"])
        rows = rows.assign(
            reason=outcome.rule.title_en
            + ": "
            + rows["observed"].fillna("empty").astype(str)
            + " (expected "
            + rows["expected"]
            + ")"
        )
        rows = rows.drop_duplicates(subset=["layer", "source_file", "source_row", "source_sheet"])
        for layer_code, group in rows.groupby("layer"):
            delivered, has_sheet = _raw_record_query(str(layer_code))
            # a workbook's row numbers repeat on every sheet: the sheet is part of the row's address
            same_sheet = " AND r._sheet = q.source_sheet" if has_sheet else ""
            address = ["layer", "source_file", "source_row", "source_sheet", "reason"]
            con.register("quarantined", group[address])
            con.execute(
                f"""INSERT INTO raw.rejects
                      (source_file, source_row, layer, rule_id, reason, record, file_sha256, rejected_at,
                       rejected_by)
                    SELECT q.source_file, q.source_row, q.layer, ?, q.reason, to_json(r), r._file_sha256,
                           now(), 'rule_runner'
                    FROM quarantined q
                    JOIN ({delivered}) r
                      ON r._source_file = q.source_file AND r._source_row = q.source_row{same_sheet}""",
                [rule_id],
            )
            con.unregister("quarantined")
            written += len(group)
    return written
