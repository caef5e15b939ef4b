"""The scope of every build is explicit: marts.delivery_coverage says which county delivered which layer
or record in which year, the city rows say how many counties they sum, and a county that delivered
nothing is "not reported" — never passing, never failing — in the marts, the scorecard and the summary."""

from __future__ import annotations

import csv

import pytest

from sources.layers import LAYERS
from sources.records import RECORD_KINDS
from tests.conftest import ONE_COUNTY
from tests.test_pipeline import query
from warehouse.config import SEEDS_DIR

REPORTING = ONE_COUNTY
NOT_REPORTING = ("330411", "330421", "330424", "330481", "330482", "330483")
CITY = "330400"


@pytest.fixture(scope="module")
def one_county(one_county_build):
    """南湖区's 2022 base survey and nothing else, built (tests/conftest.py); its published snapshot."""
    assert one_county_build.result.success
    return one_county_build.published


def test_coverage_names_what_each_county_delivered_and_what_it_did_not(one_county):
    rows = query(
        one_county,
        """select admin_code, year, delivered, rows, source_files from marts.delivery_coverage
           where source = 'DLTB' and admin_level = 'county' order by admin_code""",
    )

    assert [(admin, year, delivered) for admin, year, delivered, _, _ in rows] == [
        (REPORTING, 2022, True),
        *[(county, 2022, False) for county in NOT_REPORTING],
    ]
    assert rows[0][3] > 0 and rows[0][4] == ["survey/2022/DLTB.gpkg"]
    assert all(count == 0 and files == [] for _, _, _, count, files in rows[1:])
    # a source nobody delivered: one row per county, no year, not delivered
    chiefs = query(
        one_county,
        "select admin_code, year, delivered from marts.delivery_coverage where source = 'field_chiefs'",
    )
    assert sorted(chiefs) == sorted((admin, None, False) for admin in (REPORTING, *NOT_REPORTING, CITY))


def test_city_rows_say_they_sum_one_of_seven_counties(one_county):
    coverage = query(
        one_county,
        """select delivered, counties_reported, counties_expected from marts.delivery_coverage
           where admin_code = ? and source = 'DLTB' and year = 2022""",
        [CITY],
    )
    cultivated = query(
        one_county,
        """select counties_reported, counties_expected, meets_target, gap_mu from marts.cultivated_land
           where admin_level = 'city'""",
    )
    land_use = query(
        one_county,
        """select distinct counties_reported, counties_expected from marts.land_use_area
           where admin_level = 'city'""",
    )

    assert coverage == [(False, 1, 7)]
    assert cultivated == [(1, 7, None, None)]
    assert land_use == [(1, 7)]


def test_the_scorecard_lists_unreported_counties_with_empty_passes(one_county):
    columns = [f"pr{n:02d}_pass" for n in range(1, 26)]
    rows = query(
        one_county,
        f"""select admin_code, reported, counties_reported, counties_expected, {", ".join(columns)}
            from marts.county_scorecard where year = 2022 order by admin_code""",
    )
    by_admin = {admin: rest for admin, *rest in rows}

    assert set(by_admin) == {REPORTING, *NOT_REPORTING, CITY}
    for county in NOT_REPORTING:
        reported, _, _, *passes = by_admin[county]
        assert reported is False and passes == [None] * 25, county
    reported, _, _, *passes = by_admin[REPORTING]
    assert reported is True
    assert passes[0] is True and passes[21] is True  # PR01, PR22 read only DLTB: judged, nothing found
    assert passes[1] is None and passes[20] is None  # PR02 needs YJJBNT, PR21 the register: not delivered
    reported, counties_reported, counties_expected, *passes = by_admin[CITY]
    assert (reported, counties_reported, counties_expected) == (False, 1, 7)
    assert passes == [None] * 25
    assert query(one_county, "select count(*) from quality.violations where rule_id like 'PR%'") == [(0,)]


def test_rule_results_say_why_an_unreported_county_was_not_evaluated(one_county):
    rows = query(
        one_county,
        """select admin_code, passed, status, reason from quality.rule_results
           where rule_id = 'PR01' order by admin_code""",
    )

    not_evaluated = {admin: reason for admin, passed, status, reason in rows if status == "not_evaluated"}
    assert set(not_evaluated) == {*NOT_REPORTING, CITY}
    assert all(passed is None for admin, passed, *_ in rows if admin in not_evaluated)
    assert not_evaluated["330411"] == "survey/<year>/DLTB.* not delivered"
    assert not_evaluated[CITY].startswith("survey/<year>/DLTB.* delivered by 1 of 7 counties")


def test_the_summary_says_not_reported_rather_than_failing(one_county):
    from orchestration.summary import summary_table

    lines = summary_table(one_county).splitlines()

    for county in NOT_REPORTING:
        line = next(line for line in lines if line.startswith(county))
        assert "not reported" in line and "NO" not in line and "PR" not in line, line
    assert "yes" in next(line for line in lines if line.startswith(REPORTING))
    assert "1 of 7 counties" in next(line for line in lines if line.startswith(CITY))


def test_the_demo_delivers_every_source_for_every_county_and_publishes_the_coverage(demo_build):
    rows = query(
        demo_build.published,
        """select source, count(*) filter (where not delivered), count(distinct admin_code)
           from marts.delivery_coverage group by source""",
    )

    assert len(rows) == len(LAYERS) + len(RECORD_KINDS)
    assert all(missing == 0 and admins == 8 for _, missing, admins in rows)


def test_the_coverage_seed_lists_every_layer_and_record_kind():
    with (SEEDS_DIR / "ref_delivery_sources.csv").open(encoding="utf-8") as handle:
        seed = {row["raw_table"]: row for row in csv.DictReader(handle)}

    assert set(seed) == {layer.table for layer in LAYERS} | {kind.table for kind in RECORD_KINDS}
    assert {seed[layer.table]["source"] for layer in LAYERS} == {layer.code for layer in LAYERS}
    assert {row["scope"] for row in seed.values()} <= {"county", "region"}
