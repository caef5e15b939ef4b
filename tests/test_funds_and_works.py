"""marts.consolidation_progress and marts.funds_summary on the demo build, and rules PR16, PR18, PR19, PR20
and PR21 evaluated on it: each finds exactly the entities the demo generator planted (precision and
recall 1.0), with the year and the entity type, evaluated directly with the rule runner on the catalog's
entries."""

from __future__ import annotations

import pytest

from quality.catalog import load_catalog
from quality.expectations import Validator
from quality.runner import evaluate_rule
from tests.catalog_rules import for_each_catalog_rule
from tests.conftest import planted
from warehouse.connection import connect

RULES = load_catalog()


@pytest.fixture(scope="module")
def con(demo_build):
    connection = connect(demo_build.warehouse, read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def validator() -> Validator:
    return Validator()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


@for_each_catalog_rule
def test_rule_finds_exactly_the_planted_entities(con, validator, demo_build, rule_id):
    outcome = evaluate_rule(con, RULES[rule_id], validator)
    assert outcome.evaluated_count > 0
    found = {(str(v.entity_id), int(v.year)) for v in outcome.violations.itertuples()}
    expected = planted(demo_build.manifest, rule_id, "records")
    assert expected, rule_id
    assert found == expected, rule_id  # precision and recall 1.0


def test_each_planted_entity_type_is_found(con, validator, demo_build):
    """PR19 and PR21 have two kinds of entity; both kinds are found under their own entity type."""
    for rule_id in ("PR19", "PR21"):
        outcome = evaluate_rule(con, RULES[rule_id], validator)
        found = {(v.entity_type, str(v.entity_id)) for v in outcome.violations.itertuples()}
        expected = {
            (e["entity_type"], str(e["entity_id"]))
            for e in demo_build.manifest["records"]["planted"]
            if e["rule_id"] == rule_id
        }
        assert found == expected, rule_id


def test_consolidation_progress_has_target_and_work_rows(con, demo_build):
    targets = rows(
        con,
        """select count(distinct target_key), count(distinct month), count(*)
           from marts.consolidation_progress where row_kind = 'target'""",
    )[0]
    assert targets == (7, 36, 7 * 36)
    works = rows(
        con,
        """select count(distinct work_id), count(*) from marts.consolidation_progress
           where row_kind = 'work'""",
    )[0]
    assert works[0] > 0 and works[1] > works[0]
    # The pace is target × months since 2023-01 / 60; December 2025 is month 36.
    december = dict(
        rows(
            con,
            """select target_key, planned from marts.consolidation_progress
               where row_kind = 'target' and month = date '2025-12-01'""",
        )
    )
    assert december["工程数量"] == pytest.approx(65 * 36 / 60)
    assert december["永农集中连片整治亩"] == pytest.approx(100_000 * 36 / 60)
    # The mart agrees with the generator's monthly truth (quarantined DQ11 rows left out).
    truth = demo_build.manifest["records"]["truth"]["consolidation"]["monthly"]
    got = {
        (t, m.strftime("%Y-%m")): c
        for t, m, c in rows(
            con,
            "select target_key, month, completed from marts.consolidation_progress where row_kind = 'target'",
        )
    }
    for r in truth:
        assert got[(r["target"], r["month"])] == pytest.approx(r["progress_without_dq_rows"], abs=0.02), r


def test_funds_summary_rows_and_city_is_the_sum_of_counties(con, demo_build):
    counties = rows(
        con,
        """select count(*), count(distinct year) from marts.funds_summary
           where admin_level = 'county' and compensation_due_yuan > 0""",
    )[0]
    assert counties == (7 * 3, 3)
    measures = (
        "compensation_due_yuan",
        "compensation_paid_yuan",
        "villages_paid",
        "villages_with_open_cases_paid_in_full",
        "reclamation_fee_due_yuan",
        "reclamation_fee_paid_yuan",
    )
    sums = ", ".join(f"sum({m}) filter (where admin_level = 'county')" for m in measures)
    cities = ", ".join(f"sum({m}) filter (where admin_level = 'city')" for m in measures)
    mins = "min(maintenance_yuan_per_mu_min) filter (where admin_level = 'county')"
    city_min = "min(maintenance_yuan_per_mu_min) filter (where admin_level = 'city')"
    found = rows(
        con, f"select year, {sums}, {cities}, {mins}, {city_min} from marts.funds_summary group by year"
    )
    assert found
    n = len(measures)
    for row in found:
        year, county_sums, city_values = row[0], row[1 : 1 + n], row[1 + n : 1 + 2 * n]
        for measure, county_sum, city_value in zip(measures, county_sums, city_values, strict=True):
            assert city_value == pytest.approx(county_sum, abs=0.01), (year, measure)
        assert row[-1] == row[-2], year  # the city's lowest maintenance funding is its counties' lowest
    # PR18's planted village shows in the mart's count of villages paid in full with an open case.
    pr18 = planted(demo_build.manifest, "PR18", "records")
    in_mart = rows(
        con,
        """select year, villages_with_open_cases_paid_in_full from marts.funds_summary
           where admin_level = 'city' and villages_with_open_cases_paid_in_full > 0""",
    )
    assert {(y, n) for y, n in in_mart} == {(y, 1) for _, y in pr18}
    # PR16's planted under-funded project pulls its county's minimum below 1000 元/亩.
    low = rows(
        con,
        """select admin_code, year from marts.funds_summary
           where admin_level = 'county' and maintenance_yuan_per_mu_min < 1000""",
    )
    under_funded = [
        (e["admin_code"], e["year"])
        for e in demo_build.manifest["records"]["planted"]
        if e["rule_id"] == "PR16" and "1000" in e["detail"]["problem"]
    ]
    assert set(low) == set(under_funded)
