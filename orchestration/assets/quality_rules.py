"""The rule catalog at work in the pipeline: quarantine, the delivery gate, and policy findings.

- `raw/rejects`: the row-level DQ rules on the raw deliveries; failing rows are quarantined.
- `quality/survey_reconciliation`: DQ09 on the replayed survey state; a year that does not reconcile
  is blocked from the marts and stops the run.
- `quality/violations`: the PR rules on the marts; failures are findings, the run goes on.
Every evaluated rule is also an asset check on the asset it guards, with the catalog's severity and the
rule's entities in its metadata, so an operator sees in the Dagster UI what failed, where, and how much
it matters (orchestration/rule_checks.py).
"""

import json

import dagster as dg
import pandas as pd
from dagster import AssetExecutionContext

from orchestration.assets.dbt_models import indicator_marts
from orchestration.assets.raw_layers import RAW_LAYER_KEYS
from orchestration.assets.raw_records import RAW_RECORD_KEYS
from orchestration.catalogue import owners
from orchestration.concurrency import REGION_STEP
from orchestration.resources import WarehouseResource
from orchestration.rule_checks import check_severity, check_spec, clause_metadata
from quality.catalog import SUBJECT_SCHEMA, Rule, load_catalog, publish_catalog, rules_with
from quality.runner import RuleOutcome, evaluate_rules, quarantine, record_outcomes
from warehouse.connection import transaction

QUARANTINE_RULES = rules_with("quarantine_row")
GATE_RULES = rules_with("block_year")
FINDING_RULES = rules_with("finding")


def subject_keys(rules: list[Rule]) -> list[dg.AssetKey]:
    """The rules' subject models: each check rests on its subject, and through it, in the dbt graph, on
    every model and delivery the rule reads."""
    return [dg.AssetKey([SUBJECT_SCHEMA, rule.subject]) for rule in rules if rule.subject]


REFERENCE_KEYS = [
    dg.AssetKey(["reference", name])
    for name in ("ref_land_classes", "ref_region", "ref_attribute_domains", "ref_targets")
]


def check_name(rule: Rule) -> str:
    return rule.check_name


def _check_spec(rule: Rule, asset: list[str], *, blocking: bool = False) -> dg.AssetCheckSpec:
    return check_spec(rule, dg.AssetKey(asset), blocking=blocking)


def _check_result(outcome: RuleOutcome, asset: list[str]) -> dg.AssetCheckResult:
    entities = outcome.entity_ids()
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(asset),
        check_name=check_name(outcome.rule),
        passed=outcome.passed,
        severity=check_severity(outcome.rule),
        metadata={
            "rule_id": outcome.rule.rule_id,
            "rule_severity": outcome.rule.severity,
            "evaluated_rows": outcome.evaluated_count,
            "violations": outcome.violation_count,
            "entities": dg.MetadataValue.json(entities[:200]),
            # admin units left out because they did not deliver an input the rule needs
            "not_evaluated": dg.MetadataValue.json(outcome.not_evaluated),
            **clause_metadata(outcome.rule),
        },
        # the UI renders a description as Markdown, where `survey/<year>/…` would lose its <year> as a tag
        description=(
            f"not evaluated for {len(outcome.not_evaluated)} admin unit(s) lacking an input: "
            + "; ".join(f"{code}: {why}" for code, why in list(outcome.not_evaluated.items())[:10])
            .replace("<", "&lt;")
            .replace(">", "&gt;")
            if outcome.not_evaluated
            else None
        ),
    )


REJECTS_KEY = ["raw", "rejects"]


@dg.asset(
    key=REJECTS_KEY,
    group_name="row_quarantine",
    owners=owners("row_quarantine"),
    op_tags=REGION_STEP,
    kinds={"duckdb", "great_expectations"},
    deps=[*RAW_LAYER_KEYS, *RAW_RECORD_KEYS, *REFERENCE_KEYS, *subject_keys(QUARANTINE_RULES)],
    check_specs=[_check_spec(r, REJECTS_KEY) for r in QUARANTINE_RULES],
    description="Quarantine (隔离): raw rows failing a row-level DQ rule, each with its file, row and "
    "reason. Staging models exclude them.",
)
def quarantined_rows(context: AssetExecutionContext, farmland: WarehouseResource):
    with farmland.open() as con:
        publish_catalog(con)
        outcomes = evaluate_rules(con, [r.rule_id for r in QUARANTINE_RULES])
        with transaction(con):
            quarantine(con, outcomes)
            record_outcomes(con, outcomes, context.run_id)
        total = con.sql("select count(*) from raw.rejects").fetchone()[0]
    for outcome in outcomes:
        context.log.info(f"{outcome.rule.rule_id}: {outcome.violation_count} rows quarantined")
    yield dg.MaterializeResult(
        metadata={
            "rejects_total": total,
            **{o.rule.rule_id: o.violation_count for o in outcomes},
        }
    )
    for outcome in outcomes:
        yield _check_result(outcome, REJECTS_KEY)


GATE_KEY = ["quality", "survey_reconciliation"]


def gate_message(violations: pd.DataFrame, blocked: list[int]) -> str:
    """What the operator reads when DQ09 blocks years: the missing years of broken chains, then the
    county-classes that do not reconcile, largest first, each with the layers its figures come from."""
    detail = violations["detail"].map(json.loads)
    lines = []
    gaps = violations[detail.map(lambda d: d.get("missing_change_year") is not None)]
    for row, d in zip(gaps.itertuples(), detail[gaps.index], strict=True):
        lines.append(
            f"  county {row.admin_code}: the change survey of {d['missing_change_year']} was not delivered, "
            f"so {row.year} cannot be applied to it; deliver survey/{d['missing_change_year']}/DLTBGX and "
            "DLTBGXGC for the county"
        )
    off = violations.drop(index=gaps.index)
    if not off.empty:
        off = off.assign(abs_diff=pd.to_numeric(off["observed"], errors="coerce").abs())
        for row in off.sort_values("abs_diff", ascending=False).head(10).itertuples():
            county, land_class = row.entity_id.split(":")
            lines.append(
                f"  county {county} class {land_class} {row.year}: the {row.year} state (DLTB, or the "
                f"previous state with DLTBGX) differs from the previous state plus the DLTBGXGC flows by "
                f"{row.observed} m²"
            )
    return (
        f"DQ09: change survey does not reconcile for year(s) {blocked}; those years are kept out of the "
        "marts:\n"
        + "\n".join(lines)
        + "\nCorrect the county's layers of that year named above and redeliver them."
    )


@dg.asset(
    key=GATE_KEY,
    group_name="delivery_gate",
    owners=owners("delivery_gate"),
    op_tags=REGION_STEP,
    kinds={"duckdb", "great_expectations"},
    deps=subject_keys(GATE_RULES),
    check_specs=[_check_spec(r, GATE_KEY, blocking=True) for r in GATE_RULES],
    description="Delivery gate (DQ09): each change-survey year must reconcile per county and land "
    "class before it reaches the marts; writes quality.survey_year_status.",
)
def survey_reconciliation(context: AssetExecutionContext, farmland: WarehouseResource):
    with farmland.open() as con:
        outcomes = evaluate_rules(con, [r.rule_id for r in GATE_RULES])

        failing_years = {int(y) for o in outcomes for y in o.violations["year"].dropna().unique()}
        with transaction(con):
            record_outcomes(con, outcomes, context.run_id)
            con.execute("DELETE FROM quality.survey_year_status")
            # A year rests on the state of the year before: one that fails blocks every later year too.
            con.execute(
                """INSERT INTO quality.survey_year_status
                   SELECT year, len(list_filter(?::INTEGER[], failing -> failing <= year)) = 0, now(), ?
                   FROM (SELECT DISTINCT survey_year AS year FROM intermediate.int_survey__land_use_state)""",
                [sorted(failing_years), context.run_id],
            )
        status = con.sql("select year, reconciled from quality.survey_year_status order by year").fetchall()
    blocked = [year for year, ok in status if not ok]
    outcome = outcomes[0]
    if blocked:
        context.log.error(gate_message(outcome.violations, blocked))
    yield dg.MaterializeResult(metadata={"years": str([y for y, _ in status]), "blocked_years": str(blocked)})
    yield _check_result(outcome, GATE_KEY)


MART_KEYS = sorted((key for key in indicator_marts.keys if key.path[0] == "marts"), key=lambda key: key.path)
FINDINGS_KEY = ["quality", "violations"]


@dg.asset(
    key=FINDINGS_KEY,
    group_name="findings",
    owners=owners("findings"),
    op_tags=REGION_STEP,
    kinds={"duckdb", "great_expectations"},
    deps=[*MART_KEYS, *subject_keys(FINDING_RULES)],
    check_specs=[_check_spec(r, FINDINGS_KEY) for r in FINDING_RULES],
    description="Policy findings (PR rules) on the marts: each names the county, project, approval or "
    "parcel and the clause it breaks. quality.violations also holds the DQ rules' violations.",
)
def policy_findings(context: AssetExecutionContext, farmland: WarehouseResource):
    with farmland.open() as con:
        outcomes = evaluate_rules(con, [r.rule_id for r in FINDING_RULES])
        with transaction(con):
            record_outcomes(con, outcomes, context.run_id)
        total = con.sql("select count(*) from quality.violations").fetchone()[0]
    yield dg.MaterializeResult(
        metadata={"violations_total": total, **{o.rule.rule_id: o.violation_count for o in outcomes}}
    )
    for outcome in outcomes:
        yield _check_result(outcome, FINDINGS_KEY)


# Written by the rule runner in each of the steps above (and the file rules of the raw layers), read by
# the scorecard: no step of its own, so Dagster shows it as an external asset of the findings stage.
RULE_RESULTS = dg.AssetSpec(
    key=["quality", "rule_results"],
    group_name="findings",
    owners=owners("findings"),
    kinds={"duckdb"},
    description="Every run's rule results per admin unit and year: passed, failed, or not evaluated with "
    "the reason (quality/tables.py).",
)

QUALITY_ASSETS = [quarantined_rows, survey_reconciliation, policy_findings, RULE_RESULTS]
__all__ = ["QUALITY_ASSETS", "load_catalog"]
