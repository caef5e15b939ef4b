"""The rule catalog as data: `rules/catalog.yml`, loaded into `quality.rule_catalog`, each rule citing a
document of the seed `ref_policy_documents` by title."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import yaml

from quality.parameters import checked_parameters, is_number
from warehouse.config import SEEDS_DIR

CATALOG_FILE = Path(__file__).parent / "rules" / "catalog.yml"
# The documents rules cite, by the file name they cite; dbt loads the same file into the warehouse
# (reference.ref_policy_documents).
POLICY_DOCUMENTS_FILE = SEEDS_DIR / "ref_policy_documents.csv"
RISK_INDEX_FILE = Path(__file__).parent / "rules" / "risk_index.yml"
# The dbt schema of the rule subject models (transforms/models/quality, one view per rule).
SUBJECT_SCHEMA = "rule_subjects"


@dataclass(frozen=True)
class PolicyDocument:
    """A document rules cite: a policy document (政策文件) or the project's source data contract."""

    source_doc: str  # the file name rules cite, e.g. 000_f5ee36e5f3da67cd.txt
    kind: str  # policy | data_contract
    title: str
    issuer: str
    issued_on: date | None  # None unless the document gives the day
    issued_as: str | None  # the date as the document writes it, e.g. 2023年8月×日
    document_number: str | None  # 文号
    status: str | None  # issued | draft_for_comment (征求意见稿)

    @property
    def short_ref(self) -> str | None:
        """The three digits a clause names another policy document by ('004' in "004 §二")."""
        found = re.fullmatch(r"(\d{3})_\w+\.txt", self.source_doc)
        return found.group(1) if found else None

    @property
    def cited_as(self) -> str:
        """The document's name in a clause, ahead of its section: 《title》 for a policy document (the data
        contract's title is English, so it goes without the brackets)."""
        return f"《{self.title}》" if self.kind == "policy" else f"{self.title} "

    @property
    def particulars(self) -> str:
        """Issuer, 文号, date and draft status: what tells the document from others of a similar title."""
        parts = [self.issuer, self.document_number]
        parts.append(self.issued_on.isoformat() if self.issued_on else self.issued_as)
        parts.append("征求意见稿" if self.status == "draft_for_comment" else None)
        return ", ".join(part for part in parts if part)


@cache
def policy_documents(path: Path = POLICY_DOCUMENTS_FILE) -> dict[str, PolicyDocument]:
    """Every document of `transforms/seeds/ref_policy_documents.csv` by the file name rules cite."""
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    documents = {
        row["source_doc"]: PolicyDocument(
            source_doc=row["source_doc"],
            kind=row["document_kind"],
            title=row["title"],
            issuer=row["issuer"],
            issued_on=date.fromisoformat(row["issued_on"]) if row["issued_on"] else None,
            issued_as=row["issued_as"] or None,
            document_number=row["document_number"] or None,
            status=row["status"] or None,
        )
        for row in rows
    }
    short_refs = [d.short_ref for d in documents.values() if d.short_ref]
    if len(documents) != len(rows) or len(short_refs) != len(set(short_refs)):
        raise ValueError(f"{path} lists a document twice (by file name or by its three-digit prefix)")
    return documents


# Another document named inside a clause: its file name, or a policy document's three digits ("004 §二").
_DOCUMENT_REFERENCE = re.compile(r"(?<![\w.])(\d{3}(?:_\w+\.txt)?|[\w-]+\.(?:txt|md))\s*(?=§)")


def _named_by_title(
    rule_id: str, document: PolicyDocument, clause: str, documents: dict[str, PolicyDocument], source: Path
) -> tuple[str, str]:
    """The rule's clause with its document and every other document it names named by title instead of
    file name; and the same with each title followed by the document's issuer and date."""
    by_reference = {d.source_doc: d for d in documents.values()}
    by_reference |= {d.short_ref: d for d in documents.values() if d.short_ref}

    def named(cite: bool) -> str:
        def name(cited: PolicyDocument) -> str:
            return f"{cited.cited_as}({cited.particulars}) " if cite else cited.cited_as

        def title(match: re.Match[str]) -> str:
            cited = by_reference.get(match.group(1))
            if cited is None:
                raise ValueError(
                    f"rule {rule_id} refers in its clause {clause!r} to document {match.group(1)}, which is "
                    f"not in {source}"
                )
            return name(cited)

        return name(document) + _DOCUMENT_REFERENCE.sub(title, clause)

    return named(cite=False), named(cite=True)


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
    source_clause: str  # as the catalog writes it; another document in it is named by file name
    document: PolicyDocument  # the one source_doc names
    # The clause with its documents named by title: 《嘉兴市创建耕地保护示范市实施方案》§一 总体目标
    clause: str
    # The same with each document's issuer and date, for a reader who does not know the documents:
    # 《title》(issuer, date) §clause
    citation: str
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
    def source_title(self) -> str:
        return self.document.title

    @property
    def evaluated(self) -> bool:
        return self.subject is not None

    @property
    def subject_relation(self) -> str:
        """The view dbt builds from the rule's subject model (transforms/models/quality/…/<subject>.sql)."""
        if self.subject is None:
            raise ValueError(f"{self.rule_id} has no subject model yet")
        return f"{SUBJECT_SCHEMA}.{self.subject}"


def _rule(entry: dict[str, Any], documents: dict[str, PolicyDocument], documents_path: Path) -> Rule:
    rule_id = entry["rule_id"]
    document = documents.get(entry["source_doc"])
    if document is None:
        raise ValueError(
            f"rule {rule_id} cites {entry['source_doc']}, which is not in {documents_path}: add the "
            "document's row there (title, issuer, date) or correct the rule's source_doc"
        )
    source_clause = str(entry["source_clause"])
    clause, citation = _named_by_title(rule_id, document, source_clause, documents, documents_path)
    check = entry.get("check") or {}
    expectations = []
    for spec in check.get("expectations", []):
        spec = dict(spec)
        kind = spec.pop("type")
        value_set_sql = spec.pop("value_set_sql", None)
        expectations.append(Expectation(kind, spec, value_set_sql))
    return Rule(
        rule_id=rule_id,
        kind=entry["kind"],
        title_zh=entry["title_zh"],
        title_en=entry["title_en"],
        grain=entry["grain"],
        severity=entry["severity"],
        consequence=entry["consequence"],
        parameters=checked_parameters(rule_id, dict(entry.get("parameters") or {})),
        source_doc=entry["source_doc"],
        source_clause=source_clause,
        document=document,
        clause=clause,
        citation=citation,
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
def load_catalog(path: Path = CATALOG_FILE, documents_path: Path = POLICY_DOCUMENTS_FILE) -> dict[str, Rule]:
    """Every catalogued rule by id, in catalog order; a rule citing a document that `documents_path`
    does not list is refused."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8"))
    documents = policy_documents(documents_path)
    rules = [_rule(entry, documents, documents_path) for entry in entries]
    ids = [r.rule_id for r in rules]
    if len(ids) != len(set(ids)):
        raise ValueError(f"duplicate rule ids in {path}")
    return {r.rule_id: r for r in rules}


@cache
def load_risk_index(path: Path = RISK_INDEX_FILE) -> dict[str, Any]:
    """The 违法用地风险指数 definition (formula in the file's comments, weights under `parameters`); its
    weights and scale reach the model's SQL as dbt vars, so each must be a number."""
    definition = yaml.safe_load(path.read_text(encoding="utf-8"))
    parameters = definition["parameters"]
    for name, value in [*parameters["weights"].items(), ("scale", parameters["scale"])]:
        if not is_number(value):
            raise ValueError(f"{path}: risk index parameter {name} = {value!r} must be a number")
    return definition


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
        """INSERT INTO quality.rule_catalog (rule_id, kind, title_zh, title_en, grain, severity, consequence,
           parameters, source_doc, source_clause, evaluated, enforced_by, clause, citation)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [
            (
                r.rule_id, r.kind, r.title_zh, r.title_en, r.grain, r.severity, r.consequence,
                json.dumps(r.parameters, ensure_ascii=False), r.source_doc, r.source_clause, r.evaluated,
                r.enforced_by, r.clause, r.citation,
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
