"""A catalog rule as a Dagster asset check (资产检查): named and described by the catalog, with the
catalog's severity and the clause it comes from (named by the document's title), which an operator reads
before the check has run (its description and metadata) and on every result."""

from __future__ import annotations

import dagster as dg

from quality.catalog import Rule

SEVERITIES = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}


def check_severity(rule: Rule) -> dg.AssetCheckSeverity:
    """The catalog's severity of the rule (error → ERROR, warn → WARN)."""
    return SEVERITIES[rule.severity]


def clause_metadata(rule: Rule) -> dict[str, str]:
    """The clause the rule comes from, named by its document's title (not the file name it is cited by),
    for a check's spec and every one of its results."""
    return {"clause": rule.clause, "document": rule.source_title}


def check_spec(
    rule: Rule, asset: dg.AssetKey, *, scope: str = "", blocking: bool = False
) -> dg.AssetCheckSpec:
    """The rule's check on `asset`; `scope` says what it is run on, when the asset does not say it."""
    return dg.AssetCheckSpec(
        name=rule.check_name,
        asset=asset,
        description=f"{rule.rule_id} {rule.title_zh} — {rule.title_en}{scope}. Source: {rule.citation}. "
        f"Severity: {rule.severity}.",
        blocking=blocking,
        metadata={
            "rule_id": rule.rule_id,
            "severity": rule.severity,
            "consequence": rule.consequence,
            **clause_metadata(rule),
        },
    )
