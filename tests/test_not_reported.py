"""Not delivered is not violated: a rule whose input a county did not deliver reports the county as not
evaluated (with the missing delivery as the reason), never as a violation, and the scorecard leaves its
pass column empty rather than false."""

from __future__ import annotations

import pytest

from quality.catalog import load_catalog
from quality.runner import Coverage
from tests.conftest import build, copy_build, planted
from tests.test_pipeline import query
from warehouse.config import published_path

COUNTIES = ("330402", "330411", "330421", "330424", "330481", "330482", "330483")


@pytest.fixture(scope="module")
def without_field_chiefs(demo_build, tmp_path_factory):
    """The demo deliveries without the field-chief register (projects/田长名册.csv), built: the demo's
    build, copied, then built again with the register withdrawn."""
    root = tmp_path_factory.mktemp("no_field_chiefs")
    landing, warehouse = copy_build(demo_build.warehouse, demo_build.landing, root)
    (landing / "projects" / "田长名册.csv").unlink()
    result = build(landing, warehouse)
    return result, warehouse, demo_build.manifest


def _latest_results(warehouse, rule_id: str) -> list[tuple]:
    return query(
        warehouse,
        """select admin_code, year, passed, status, reason from quality.rule_results
           where rule_id = ? and run_id = (select arg_max(run_id, evaluated_at) from quality.rule_results
                                           where rule_id = ?)
           order by admin_code""",
        [rule_id, rule_id],
    )


def test_without_the_field_chief_register_pr21_is_not_evaluated_and_names_the_file(without_field_chiefs):
    result, warehouse, _ = without_field_chiefs
    assert result.success

    rows = _latest_results(warehouse, "PR21")

    assert {admin for admin, *_ in rows} == {*COUNTIES, "330400"}
    for admin, year, passed, status, reason in rows:
        assert (passed, status, year) == (None, "not_evaluated", None), admin
        assert "田长名册.csv not delivered" in reason, admin
    assert query(warehouse, "select count(*) from quality.violations where rule_id = 'PR21'") == [(0,)]


def test_without_the_field_chief_register_the_scorecard_leaves_pr21_empty_not_failed(without_field_chiefs):
    _, warehouse, manifest = without_field_chiefs

    rows = query(
        published_path(warehouse), "select admin_code, year, pr21_pass, pr01_pass from marts.county_scorecard"
    )

    assert rows
    assert all(pr21 is None for _, _, pr21, _ in rows)
    # the other rules are still judged: PR01 fails exactly where the demo planted it (and so the city)
    planted_pr01 = planted(manifest, "PR01")
    assert planted_pr01
    expected = planted_pr01 | {("330400", year) for _, year in planted_pr01}
    assert {(admin, year) for admin, year, _, pr01 in rows if pr01 is False} == expected
    published = query(
        published_path(warehouse),
        "select count(*) from quality.rule_results where rule_id = 'PR21' and status = 'not_evaluated'",
    )
    assert published[0][0] == len(COUNTIES) + 1


def test_the_other_rules_keep_their_findings_and_their_status(without_field_chiefs):
    _, warehouse, _ = without_field_chiefs

    rows = _latest_results(warehouse, "PR01")

    assert {status for *_, status, _ in rows} == {"passed", "failed"}
    assert all((passed is True) == (status == "passed") for _, _, passed, status, _ in rows)
    assert all(reason is None for *_, reason in rows)


def test_the_demo_evaluates_every_policy_rule_for_every_county(demo_build):
    """The demo delivers everything, so nothing is left out: no county is ever 'not evaluated' there."""
    rows = query(
        demo_build.warehouse,
        "select rule_id, admin_code, reason from quality.rule_results where status = 'not_evaluated'",
    )
    assert rows == []


def _coverage(delivered: dict[str, set[str]]) -> Coverage:
    cities = dict.fromkeys(COUNTIES, "330400")
    return Coverage(
        cities=cities,
        delivered={table: frozenset(counties) for table, counties in delivered.items()},
        delivered_as={"dltb": "survey/<year>/DLTB.*", "field_chiefs": "projects/田长名册.csv"},
    )


def test_a_county_lacking_an_input_and_the_city_above_it_are_left_out_with_the_reason():
    coverage = _coverage({"dltb": {"330402", "330411"}, "field_chiefs": set(COUNTIES)})

    missing = coverage.missing(("dltb", "field_chiefs"))

    assert set(missing) == {"330421", "330424", "330481", "330482", "330483", "330400"}
    assert missing["330421"] == "survey/<year>/DLTB.* not delivered"
    assert missing["330400"].startswith("survey/<year>/DLTB.* delivered by 2 of 7 counties (not by 330421")
    assert coverage.missing(("field_chiefs",)) == {}


def test_a_region_wide_file_missing_leaves_every_county_out():
    coverage = _coverage({"dltb": set(COUNTIES), "field_chiefs": set()})

    missing = coverage.missing(("field_chiefs",))

    assert missing == dict.fromkeys([*COUNTIES, "330400"], "projects/田长名册.csv not delivered")


def test_every_policy_rule_names_the_deliveries_it_needs_and_they_exist():
    import csv

    from warehouse.config import SEEDS_DIR

    with (SEEDS_DIR / "ref_delivery_sources.csv").open(encoding="utf-8") as handle:
        sources = {row["raw_table"] for row in csv.DictReader(handle)}
    for rule in load_catalog().values():
        if rule.kind == "PR":
            assert rule.inputs, rule.rule_id
        assert set(rule.inputs) <= sources, rule.rule_id
