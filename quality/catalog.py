"""The rule catalog as data: `rules/catalog.yml`, loaded into `quality.rule_catalog`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

CATALOG_FILE = Path(__file__).parent / "rules" / "catalog.yml"
RISK_INDEX_FILE = Path(__file__).parent / "rules" / "risk_index.yml"
# The dbt schema of the rule subject models (transforms/models/quality, one view per rule).
SUBJECT_SCHEMA = "rule_subjects"


@dataclass(frozen=True)
class Expectation:
    """One great-expectations expectation of a rule, with `$parameter` references unresolved."""

    type: str
    kwargs: dict[str, Any]
    value_set_sql: str | None = None


@dataclass(frozen=True)
class Rule:
    rule_id: str
    kind: str  # DQ | PR
    title_zh: str
    title_en: str
    grain: str
    severity: str  # error | warn
    consequence: str  # quarantine_row | reject_delivery | block_year | finding
    parameters: dict[str, Any]
    source_doc: str
    source_clause: str
    subject: str | None = None
    expectations: tuple[Expectation, ...] = field(default_factory=tuple)
    enforcer: str | None = None  # who enforces a rule without a check: 'extractor'
    # raw tables a county must have delivered for the rule to judge it (a missing one: not evaluated)
    inputs: tuple[str, ...] = ()
    asset_check: str | None = None  # check name of a file-level rule the extractor enforces
    # Pointers `<path>::<function>`: the extractor code enforcing a file rule, the demo code planting
    # the rule's cases (or, for a rule the demo cannot plant, the test code that does), the tests
    # that find them.
    enforced_in: str | None = None
    plant: str | None = None
    tests: tuple[str, ...] = ()

    @property
    def enforced_by(self) -> str:
        """'rule_runner', 'extractor', or 'planned' (catalogued, not yet enforced)."""
        return "rule_runner" if self.subject else (self.enforcer or "planned")

    @property
    def check_name(self) -> str:
        """The rule's asset check in Dagster: the id and the subject (or the file check's name)."""
        if self.subject:
            return f"{self.rule_id}_{self.subject.split('_', 1)[1]}"
        return f"{self.rule_id}_{self.asset_check or 'rule'}"

    @property
    def evaluated(self) -> bool:
        return self.subject is not None

    @property
    def subject_relation(self) -> str:
        """The view dbt builds from the rule's subject model (transforms/models/quality/…/<subject>.sql)."""
        if self.subject is None:
            raise ValueError(f"{self.rule_id} has no subject model yet")
        return f"{SUBJECT_SCHEMA}.{self.subject}"


def _rule(entry: dict[str, Any]) -> Rule:
    check = entry.get("check") or {}
    expectations = []
    for spec in check.get("expectations", []):
        spec = dict(spec)
        kind = spec.pop("type")
        value_set_sql = spec.pop("value_set_sql", None)
        expectations.append(Expectation(kind, spec, value_set_sql))
    return Rule(
        rule_id=entry["rule_id"],
        kind=entry["kind"],
        title_zh=entry["title_zh"],
        title_en=entry["title_en"],
        grain=entry["grain"],
        severity=entry["severity"],
        consequence=entry["consequence"],
        parameters=dict(entry.get("parameters") or {}),
        source_doc=entry["source_doc"],
        source_clause=str(entry["source_clause"]),
        subject=check.get("subject"),
        expectations=tuple(expectations),
        enforcer=entry.get("enforced_by"),
        inputs=tuple(entry.get("inputs") or ()),
        asset_check=entry.get("asset_check"),
        enforced_in=entry.get("enforced_in"),
        plant=entry.get("plant"),
        tests=tuple(entry.get("tests") or ()),
    )


@cache
def load_catalog(path: Path = CATALOG_FILE) -> dict[str, Rule]:
    """Every catalogued rule by id, in catalog order."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    rules = [_rule(entry) for entry in entries]
    ids = [r.rule_id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate rule ids in {path}")
    return {r.rule_id: r for r in rules}


@cache
def load_risk_index(path: Path = RISK_INDEX_FILE) -> dict[str, Any]:
    """The 违法用地风险指数 definition (formula in the file's comments, weights under `parameters`)."""
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def file_rules() -> list[Rule]:
    """The catalogued rules the extractor enforces on whole delivered files (DQ14, DQ15), in catalog order."""
    return [r for r in load_catalog().values() if r.enforced_by == "extractor" and r.asset_check]


def rules_with(consequence: str) -> list[Rule]:
    """The evaluated rules that have the given consequence, in catalog order."""
    return [r for r in load_catalog().values() if r.evaluated and r.consequence == consequence]


def publish_catalog(con: duckdb.DuckDBPyConnection) -> int:
    """Replace `quality.rule_catalog` with the catalog file's rules; returns how many."""
    rules = list(load_catalog().values())
    con.execute("DELETE FROM quality.rule_catalog")
    con.executemany(
        "INSERT INTO quality.rule_catalog VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                r.rule_id, r.kind, r.title_zh, r.title_en, r.grain, r.severity, r.consequence,
                json.dumps(r.parameters, ensure_ascii=False), r.source_doc, r.source_clause, r.evaluated,
                r.enforced_by,
            )
            for r in rules
        ],
    )  # fmt: skip
    return len(rules)


def dbt_vars() -> str:
    """Every rule's parameters from the rule catalog (the models read them with `rule_parameter`), and the
    risk index's weights, as dbt --vars (the catalog governs; dbt_project.yml only holds defaults for
    hand runs)."""
    rule_parameters = {
        rule_id: rule.parameters for rule_id, rule in load_catalog().items() if rule.parameters
    }
    risk = load_risk_index()["parameters"]
    return json.dumps(
        {
            "rule_parameters": rule_parameters,
            "risk_index_weights": risk["weights"],
            "risk_index_scale": risk["scale"],
        },
        ensure_ascii=False,
    )
