"""The rule runner on hand-made rows: great-expectations names the failing entities, thresholds come
from the catalog, and row rules quarantine exactly the failing raw rows."""

from __future__ import annotations

import dataclasses

import pytest

from quality.catalog import load_catalog, rules_with
from quality.expectations import Validator
from quality.runner import evaluate_rule, evaluate_rules, quarantine
from tests.rule_subjects import create_rule_subjects
from warehouse.config import SEEDS_DIR
from warehouse.connection import warehouse

SQUARE = "POLYGON((40500000 3400000, 40500100 3400000, 40500100 3400100, 40500000 3400100, 40500000 3400000))"


def _load_reference(con) -> None:
    con.execute("CREATE SCHEMA IF NOT EXISTS reference")
    for name in ("ref_land_classes", "ref_region", "ref_attribute_domains"):
        con.execute(
            f"CREATE TABLE reference.{name} AS SELECT * FROM read_csv(?, all_varchar = true, header = true)",
            [str(SEEDS_DIR / f"{name}.csv")],
        )
    con.execute("ALTER TABLE reference.ref_land_classes ALTER is_cultivated TYPE BOOLEAN")


def _parcel(con, row: int, bsm: int, dlbm: str, *, zldwdm="3304020010010000000", tbmj=10000.0, kcxs=None,
            kcmj=0.0, gddb=None, zzsxdm=None, gdpdjb=None, wkt=SQUARE, year=2022) -> None:  # fmt: skip
    tbdlmj = tbmj - (kcmj or 0.0)
    con.execute(
        """insert into raw.dltb (BSM, DLBM, ZLDWDM, TBMJ, KCXS, KCMJ, TBDLMJ, GDDB, ZZSXDM, GDPDJB, geom,
                                 _survey_year, _source_file, _source_row, _loaded_at, _file_sha256)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ST_GeomFromText(?), ?,
                   'survey/2022/DLTB.parquet', ?, now(), 'x')""",
        [bsm, dlbm, zldwdm, tbmj, kcxs, kcmj, tbdlmj, gddb, zzsxdm, gdpdjb, wkt, year, row],
    )


# The rules whose subjects read only raw deliveries and the reference seeds.
ROW_RULES = [rule.rule_id for rule in rules_with("quarantine_row")]


@pytest.fixture
def con(tmp_path, tmp_path_factory):
    with warehouse(tmp_path / "w.duckdb") as connection:
        _load_reference(connection)
        create_rule_subjects(connection, ROW_RULES, tmp_path_factory.getbasetemp() / "rule_subjects")
        yield connection


def test_an_unknown_land_class_is_found_and_quarantined_with_its_reason(con):
    _parcel(con, 1, 101, "0301")
    _parcel(con, 2, 102, "0199")
    [outcome] = evaluate_rules(con, ["DQ01"])
    assert outcome.entity_ids() == ["102"]
    violation = outcome.violations.iloc[0]
    assert violation["observed"] == "0199" and "code in {" in violation["expected"]
    assert quarantine(con, [outcome]) == 1
    reason, row = con.sql("select reason, source_row from raw.rejects where rule_id = 'DQ01'").fetchone()
    assert row == 2 and "0199" in reason
    # evaluating again replaces the rule's quarantine instead of adding to it
    quarantine(con, evaluate_rules(con, ["DQ01"]))
    assert con.sql("select count(*) from raw.rejects").fetchone()[0] == 1


def test_a_repeated_bsm_keeps_the_first_delivery_and_quarantines_the_rest(con):
    _parcel(con, 1, 7, "0301")
    _parcel(con, 2, 7, "0301")
    _parcel(con, 3, 8, "0301")
    [outcome] = evaluate_rules(con, ["DQ07"])
    assert outcome.violations["source_row"].tolist() == [2]


def test_thresholds_come_from_the_catalog_parameters(con):
    # 耕地 with KCMJ off by 0.5 m²: wrong at the catalog's 0.01 m², fine if an officer allowed 1 m².
    _parcel(con, 1, 201, "0101", kcxs=0.1, kcmj=1000.5, gddb=5, zzsxdm="LS")
    rule = load_catalog()["DQ04"]
    validator = Validator()
    assert evaluate_rule(con, rule, validator).entity_ids() == ["201"]
    relaxed = dataclasses.replace(rule, parameters={"tolerance_m2": 1.0})
    assert evaluate_rule(con, relaxed, validator).passed


def test_cultivated_attributes_only_on_cultivated_land(con):
    _parcel(con, 1, 301, "0101", kcxs=0.0, gddb=5, zzsxdm="LS", gdpdjb="1")
    _parcel(con, 2, 302, "0301", gddb=5)  # a grade on forest land
    _parcel(con, 3, 303, "0101", kcxs=0.0, gddb=16, zzsxdm="LS", gdpdjb="1")  # grade outside 1–15
    _parcel(con, 4, 304, "0201", zzsxdm="JKHF")  # restorable orchard: allowed
    [outcome] = evaluate_rules(con, ["DQ08"])
    assert outcome.entity_ids() == ["302", "303"]


def test_invalid_geometry_is_reported_and_not_measured(con):
    bowtie = (
        "POLYGON((40500000 3400000, 40500100 3400100, 40500100 3400000, 40500000 3400100, 40500000 3400000))"
    )
    _parcel(con, 1, 401, "0301", wkt=bowtie)
    _parcel(con, 2, 402, "0301", tbmj=10100.0)  # 1% larger than its polygon
    dq05, dq03 = evaluate_rules(con, ["DQ05", "DQ03"])
    assert dq05.entity_ids() == ["401"]
    assert dq03.entity_ids() == ["402"]


def test_results_are_counted_per_county_and_year(con):
    _parcel(con, 1, 501, "0301")
    _parcel(con, 2, 502, "0199", zldwdm="3304110010010000000")
    [outcome] = evaluate_rules(con, ["DQ01"])
    results = {
        r.admin_code: (r.evaluated_count, r.violation_count, r.passed) for r in outcome.results.itertuples()
    }
    assert results == {"330402": (1, 0, True), "330411": (1, 1, False)}


def test_a_county_larger_than_a_chunk_is_validated_in_bounded_chunks_with_the_same_findings(con, monkeypatch):
    import quality.runner

    codes = ["0301", "0199", "0101", "9999", "0301", "0201", "0000"]
    for row, code in enumerate(codes, start=1):
        county = "3304020010010000000" if row <= 5 else "3304110010010000000"
        _parcel(con, row, 600 + row, code, zldwdm=county, gddb=5, zzsxdm="LS", gdpdjb="1")
    [whole] = evaluate_rules(con, ["DQ01"])
    seen: list[int] = []
    validate = Validator.validate
    monkeypatch.setattr(quality.runner, "CHUNK_ROWS", 2)
    monkeypatch.setattr(
        Validator, "validate", lambda self, frame, *a: seen.append(len(frame)) or validate(self, frame, *a)
    )
    [chunked] = evaluate_rules(con, ["DQ01"])
    # 330402's five parcel rows in chunks of 2, 2 and 1; 330411's two in one, all expectations at once
    assert sorted(seen) == [1, 2, 2, 2]
    assert chunked.entity_ids() == whole.entity_ids() == ["602", "604", "607"]
    key = ["admin_code", "year", "evaluated_count", "violation_count"]
    assert (
        chunked.results[key].sort_values(key).values.tolist()
        == whole.results[key].sort_values(key).values.tolist()
    )


def test_each_expectation_of_a_rule_reports_its_own_failing_rows():
    """A rule's expectations are validated together; each failure is still told apart by expectation."""
    import pandas as pd

    frame = pd.DataFrame(
        {
            "_row": [10, 11, 12, 13, 14],
            "area": [5.0, None, -1.0, None, 2.0],
            "kind": ["x", "x", "y", "y", "z"],
        }
    )
    expectations = [
        ("expect_column_values_to_be_in_set", {"column": "kind", "value_set": ["x", "y"]}),
        ("expect_column_values_to_not_be_null", {"column": "area", "row_condition": 'kind=="x"'}),
        ("expect_column_values_to_be_between", {"column": "area", "min_value": 0}),
        ("expect_column_values_to_not_be_null", {"column": "area", "row_condition": 'kind=="y"'}),
    ]
    outcomes = Validator().validate(frame, expectations)
    assert [(o.name, o.failed_rows) for o in outcomes] == [
        ("expect_column_values_to_be_in_set", (14,)),
        ("expect_column_values_to_not_be_null", (11,)),
        ("expect_column_values_to_be_between", (12,)),
        ("expect_column_values_to_not_be_null", (13,)),
    ]
    assert [o.success for o in outcomes] == [False, False, False, False]


def test_a_rule_run_does_not_keep_the_frames_it_has_validated():
    """The run's memory is bounded by one chunk: a county validated earlier is not held while the next
    is checked."""
    import gc
    import tracemalloc

    import numpy as np
    import pandas as pd

    validator = Validator()
    rows = 200_000
    kwargs = {"column": "area", "min_value": 0}

    def chunk(first: int) -> pd.DataFrame:
        return pd.DataFrame({"_row": np.arange(first, first + rows), "area": np.ones(rows)})

    between = [("expect_column_values_to_be_between", kwargs)]
    validator.validate(chunk(0), between)  # GX's own first-use cost
    gc.collect()
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        for n in range(1, 11):
            [outcome] = validator.validate(chunk(n * rows), between)
            assert outcome.success
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    one_chunk = chunk(0).memory_usage(index=False).sum()  # 3.2 MB
    assert held < 2 * one_chunk, f"{held / one_chunk:.1f} chunks still held after validating 10"


def test_a_parcel_without_bsm_is_quarantined_by_dq07(con):
    _parcel(con, 1, 7, "0301")
    con.execute(
        "insert into raw.dltb (BSM, DLBM, ZLDWDM, _survey_year, _source_file, _source_row) "
        "values (NULL, '0301', '3304020010010000000', 2022, 'survey/2022/DLTB.parquet', 2)"
    )
    [outcome] = evaluate_rules(con, ["DQ07"])
    assert outcome.violations["source_row"].tolist() == [2]
    assert quarantine(con, [outcome]) == 1


def _approval(con, row: int, number: str, county: str | None, land_use_type: str | None) -> None:
    con.execute(
        """insert into raw.land_approvals
             ("批准文号", "县级行政区代码", "用地类型", _source_file, _source_row)
           values (?, ?, ?, 'projects/建设用地审批.csv', ?)""",
        [number, county, land_use_type, row],
    )


def test_records_of_a_county_outside_the_region_or_without_one_are_quarantined_by_dq02(con):
    _approval(con, 1, "浙土字[2024]1号", "330402", "建设用地")
    _approval(con, 2, "浙土字[2024]2号", "330102", "建设用地")  # 杭州 上城区: not 嘉兴
    _approval(con, 3, "浙土字[2024]3号", None, "建设用地")
    con.execute(
        """insert into raw.quota_trades ("交易编号", "调出县代码", "调入县代码", _source_file, _source_row)
           values ('JY-1', '330402', '330102', 'projects/指标调剂.csv', 1),
                  ('JY-2', '330102', '330411', 'projects/指标调剂.csv', 2),
                  ('JY-3', '330102', '330103', 'projects/指标调剂.csv', 3),
                  ('JY-4', '330402', NULL, 'projects/指标调剂.csv', 4)"""
    )
    [outcome] = evaluate_rules(con, ["DQ02"])
    failing = set(zip(outcome.violations["layer"], outcome.violations["source_row"], strict=True))
    # a trade with one side outside the region is lawful; neither side in it, or a side missing, is not
    assert failing == {("land_approvals", 2), ("land_approvals", 3), ("quota_trades", 3), ("quota_trades", 4)}


def test_an_approval_of_an_unknown_land_use_type_is_quarantined_by_dq08(con):
    _approval(con, 1, "浙土字[2024]1号", "330402", "建设用地")
    _approval(con, 2, "浙土字[2024]2号", "330402", "工业用地")
    _approval(con, 3, "浙土字[2024]3号", "330402", None)
    [outcome] = evaluate_rules(con, ["DQ08"])
    assert sorted(outcome.violations["source_row"].tolist()) == [2, 3]
    assert quarantine(con, [outcome]) == 2


def test_a_cultivated_parcel_without_grade_slope_or_planting_attribute_is_quarantined_by_dq08(con):
    _parcel(con, 1, 301, "0101", gddb=5, zzsxdm="LS", gdpdjb="1")
    _parcel(con, 2, 302, "0101", zzsxdm="LS")  # no 耕地等别, no 坡度级别
    _parcel(con, 3, 303, "0301")  # 林地 carries none of them, rightly
    [outcome] = evaluate_rules(con, ["DQ08"])
    assert outcome.entity_ids() == ["302"]
    assert (
        "GDDB" in outcome.violations.iloc[0]["observed"]
        and "GDPDJB" in outcome.violations.iloc[0]["observed"]
    )


def test_a_findings_detail_keeps_numbers_booleans_dates_and_lists_as_json_types():
    """A finding's detail is JSON a reader can compute with: PR18's yuan amounts are numbers at full
    precision (not "1.00355e+06"), its flag a boolean, a missing value null, a list an array."""
    import datetime
    import json
    from decimal import Decimal

    import numpy as np
    import pandas as pd

    from quality.expectations import ROW_ID
    from quality.runner import _violations

    frame = pd.DataFrame(
        {
            ROW_ID: [0, 1],
            "entity_type": ["village", "village"],
            "entity_id": ["330481005201", "330481005202"],
            "admin_code": ["330481", "330481"],
            "year": [2025, 2025],
            "amount_due_yuan": [1003553.37, 20.0],
            "amount_paid_yuan": [1003553.37, 20.0],
            "open_cases_at_year_end": [1, 2],
            "case_nos": [np.array(["WF330481-2025-007"]), None],
            "paid_in_full_with_open_case": [True, True],
            "discovered_on": [datetime.date(2025, 3, 1), None],
            "pbf_mu": [Decimal("450.0509"), float("nan")],
        }
    )
    flag = {"column": "paid_in_full_with_open_case", "value_set": [False]}
    outcomes = Validator().validate(frame, [("expect_column_values_to_be_in_set", flag)])
    found = _violations(load_catalog()["PR18"], frame, outcomes)
    first, second = (json.loads(detail) for detail in found["detail"])

    assert first["amount_due_yuan"] == 1003553.37 and first["amount_paid_yuan"] == 1003553.37
    assert first["open_cases_at_year_end"] == 1 and first["paid_in_full_with_open_case"] is True
    assert first["case_nos"] == ["WF330481-2025-007"] and first["discovered_on"] == "2025-03-01"
    assert first["pbf_mu"] == 450.0509
    assert second["amount_due_yuan"] == 20 and isinstance(second["amount_due_yuan"], int)
    assert second["case_nos"] is None and second["discovered_on"] is None and second["pbf_mu"] is None
