"""The whole path on the demo: deliveries → raw → quarantine → dbt models → rules → published snapshot."""

from __future__ import annotations

import dagster as dg

from tests.catalog_rules import for_each_catalog_rule, rules_tested_by
from tests.conftest import planted
from warehouse.connection import connect

SURVEY_ENTITY_TYPES = {
    "parcel", "change_record", "pbf_polygon", "reserve_polygon", "high_standard_project", "grain_zone",
    "county", "city", "county_class", "pbf_patch",
}  # fmt: skip


def query(path, sql, params=None):
    con = connect(path, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def test_the_build_job_succeeds_and_materializes_every_asset(demo_build):
    from orchestration.definitions import defs

    result = demo_build.result
    assert result.success
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    graph = defs.resolve_asset_graph()
    expected = {key for key in graph.get_all_asset_keys() if graph.get(key).is_materializable}
    assert expected <= materialized, sorted(map(str, expected - materialized))


def test_a_build_is_recorded_in_the_instance_the_ui_opens(demo_build):
    """A build started from the command line keeps its history in the project's Dagster instance
    (DAGSTER_HOME; the tests give theirs a folder of their own): an operator opening the UI finds the
    run, every asset it materialized and every check result, as the run itself reported them."""
    import os

    result = demo_build.result
    with dg.DagsterInstance.from_config(os.environ["DAGSTER_HOME"]) as instance:
        run = instance.get_run_by_id(result.run_id)
        assert run is not None and run.status == dg.DagsterRunStatus.SUCCESS
        stored = {
            kind: instance.all_logs(result.run_id, of_type=kind)
            for kind in (
                dg.DagsterEventType.ASSET_MATERIALIZATION,
                dg.DagsterEventType.ASSET_CHECK_EVALUATION,
            )
        }
    materialized = {e.asset_key for e in result.get_asset_materialization_events()}
    assert {
        r.dagster_event.asset_key for r in stored[dg.DagsterEventType.ASSET_MATERIALIZATION]
    } == materialized
    checked = {
        (e.asset_check_evaluation_data.check_name, e.asset_check_evaluation_data.passed)
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    assert (
        checked
        and {
            (
                r.dagster_event.asset_check_evaluation_data.check_name,
                r.dagster_event.asset_check_evaluation_data.passed,
            )
            for r in stored[dg.DagsterEventType.ASSET_CHECK_EVALUATION]
        }
        == checked
    )


def test_the_catalogue_shows_each_tables_rows_columns_and_a_preview_of_the_marts(demo_build):
    """Each dbt table's materialization carries the row count and the DuckDB column types the warehouse
    holds after the run (what the UI shows as the asset's rows and schema), its columns described as
    dbt documents them; each mart also a few of its rows. Views carry their columns only."""
    events = {
        e.asset_key: e.materialization.metadata for e in demo_build.result.get_asset_materialization_events()
    }
    counted = {key: md for key, md in events.items() if "dagster/row_count" in md and key.path[0] != "raw"}
    assert len(counted) >= 30 and dg.AssetKey(["marts", "land_use_area"]) in counted
    for key, md in counted.items():
        schema, name = key.path
        assert (
            query(demo_build.warehouse, f'select count(*) from "{schema}"."{name}"')[0][0]
            == md["dagster/row_count"].value
        ), key
        columns = query(
            demo_build.warehouse,
            "select column_name, data_type from duckdb_columns() where schema_name = ? and table_name = ? "
            "order by column_index",
            [schema, name],
        )
        shown = [(c.name, c.type) for c in md["dagster/column_schema"].schema.columns]
        assert shown == columns, key
    land_use = events[dg.AssetKey(["marts", "land_use_area"])]
    described = {c.name: c.description for c in land_use["dagster/column_schema"].schema.columns}
    assert described["area_m2"]
    preview = land_use["preview"]
    assert 0 < len(preview.records) <= 5 and set(preview.records[0].data) == set(described)
    view = events[dg.AssetKey(["staging", "stg_survey__parcels"])]
    assert "dagster/column_schema" in view and "dagster/row_count" not in view


def test_marts_reproduce_the_generators_own_area_truth(demo_build):
    truth = {
        (t["admin_code"], t["year"], t["land_class"]): t["area_m2"]
        for t in demo_build.manifest["truth"]["land_use_area"]
    }
    rows = query(
        demo_build.warehouse,
        "select admin_code, year, land_class, area_m2 from marts.land_use_area where admin_level = 'county'",
    )
    found = {(a, y, c): float(m2) for a, y, c, m2 in rows}
    assert set(found) == set(truth)
    off = {k: (found[k], truth[k]) for k in truth if abs(found[k] - truth[k]) > 0.01}
    assert not off


def test_city_rows_are_the_sum_of_their_counties(demo_build):
    for mart, value in (
        ("land_use_area", "area_m2"), ("cultivated_land", "cultivated_mu"), ("in_out_balance", "out_mu"),
        ("permanent_farmland", "pbf_mu"),
    ):  # fmt: skip
        rows = query(
            demo_build.warehouse,
            f"""select c.year, c.{value}, s.total
                from marts.{mart} c
                join (select year, {"land_class," if mart == "land_use_area" else ""} sum({value}) as total
                      from marts.{mart} where admin_level = 'county' group by all) s
                  on s.year = c.year {"and s.land_class = c.land_class" if mart == "land_use_area" else ""}
                where c.admin_level = 'city' and c.admin_code = '330400'""",
        )
        assert rows, mart
        assert all(abs(float(city) - float(total)) < 1e-6 for _, city, total in rows), mart


def expected_cases(manifest: dict, rule_id: str) -> tuple[set, set]:
    """(survey entities with their year, record entities) the generator planted for a rule; a record
    plant of a survey entity (PR10's change records, planted by the red lines) counts as a survey one."""
    survey = set(planted(manifest, rule_id))
    records = set()
    for p in manifest["records"]["planted"]:
        if p["rule_id"] == rule_id:
            if p["entity_type"] in SURVEY_ENTITY_TYPES:
                survey.add((str(p["entity_id"]), p.get("year")))
            else:
                records.add(str(p["entity_id"]))
    return survey, records


@for_each_catalog_rule
def test_each_rule_finds_exactly_the_planted_cases(demo_build, rule_id):
    violations = query(
        demo_build.warehouse,
        "select entity_id, year, entity_type from quality.violations where rule_id = ?",
        [rule_id],
    )
    rows = [(e, y, "survey" if t in SURVEY_ENTITY_TYPES else "records") for e, y, t in violations]
    survey, records = expected_cases(demo_build.manifest, rule_id)
    assert survey or records, f"the demo plants no {rule_id} case"
    # precision and recall 1.0, entity by entity (survey entities with their year)
    assert {(str(e), y) for e, y, kind in rows if kind == "survey"} == survey
    assert {str(e) for e, _, kind in rows if kind == "records"} == records


@for_each_catalog_rule
def test_each_record_rule_finds_exactly_the_planted_cases(demo_build, rule_id):
    expected = {e for e, _ in planted(demo_build.manifest, rule_id, "records")}
    assert expected, f"the demo plants no {rule_id} case"
    rows = query(
        demo_build.warehouse, "select entity_id from quality.violations where rule_id = ?", [rule_id]
    )
    assert {str(e) for (e,) in rows} == expected  # precision and recall 1.0, entity by entity


@for_each_catalog_rule
def test_row_rules_quarantine_the_planted_rows_with_a_reason(demo_build, rule_id):
    from sources.layers import LAYERS_BY_CODE

    expected = {e for e, _ in planted(demo_build.manifest, rule_id)}
    rows = query(
        demo_build.warehouse,
        """select json_extract_string(record, '$.BSM'), reason, source_file, source_row
           from raw.rejects where rule_id = ? and layer in ?""",
        [rule_id, list(LAYERS_BY_CODE)],
    )
    assert {r[0] for r in rows} == expected
    assert all(reason and source_file and source_row for _, reason, source_file, source_row in rows)


@for_each_catalog_rule
def test_record_rules_quarantine_exactly_the_planted_rows(demo_build, rule_id):
    expected = {
        (p["layer"], p["detail"]["source_file"], p["detail"]["source_row"], p["detail"].get("sheet"))
        for p in demo_build.manifest["records"]["planted"]
        if p["rule_id"] == rule_id
    }
    rows = query(
        demo_build.warehouse,
        """select layer, source_file, source_row, json_extract_string(record, '$._sheet')
           from raw.rejects where rule_id = ? and layer not in ?""",
        [rule_id, ["DLTB", "DLTBGX", "DLTBGXGC", "YJJBNT", "YJJBNTCBQ", "GBZNT", "LSGNQ"]],
    )
    assert expected and set(rows) == expected


def test_quarantined_parcels_never_reach_staging(demo_build):
    leaked = query(
        demo_build.warehouse,
        """select count(*) from staging.stg_survey__parcels p
           join raw.rejects r on r.source_file = p.source_file and r.source_row = p.source_row""",
    )[0][0]
    assert leaked == 0


def test_every_rule_is_an_asset_check_reporting_exactly_its_planted_cases(demo_build):
    evaluations = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in demo_build.result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    for rule_id in rules_tested_by(test_every_rule_is_an_asset_check_reporting_exactly_its_planted_cases):
        name = next(n for n in evaluations if n.startswith(rule_id + "_"))
        check = evaluations[name]
        expected = sorted(
            {e for e, _ in planted(demo_build.manifest, rule_id)}
            | {e for e, _ in planted(demo_build.manifest, rule_id, "records")}
        )
        assert check.metadata["entities"].value == expected, rule_id
        assert check.passed == (not expected), rule_id
    dq09 = next(v for n, v in evaluations.items() if n.startswith("DQ09_"))
    assert dq09.passed and dq09.severity == dg.AssetCheckSeverity.ERROR


def test_every_rule_check_carries_the_catalogs_severity_before_and_after_it_runs(demo_build):
    """An operator reads how much a rule matters on the check's page before any run (its description and
    metadata), and on every result: error → ERROR, warn → WARN, as the rule catalog says."""
    from orchestration.definitions import defs
    from quality.catalog import load_catalog

    catalog = load_catalog()
    expected = {"error": dg.AssetCheckSeverity.ERROR, "warn": dg.AssetCheckSeverity.WARN}
    rules_by_check = {rule.check_name: rule for rule in catalog.values()}
    graph = defs.resolve_asset_graph()
    specs = [graph.get_check_spec(key) for key in graph.asset_check_keys if key.name in rules_by_check]
    assert {spec.name for spec in specs} == {
        rule.check_name for rule in catalog.values() if rule.enforced_by != "planned"
    }
    for spec in specs:
        rule = rules_by_check[spec.name]
        assert f"Severity: {rule.severity}." in spec.description, rule.rule_id
        assert spec.metadata["severity"] == rule.severity, rule.rule_id
    evaluations = [
        e.asset_check_evaluation_data
        for e in demo_build.result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and e.asset_check_evaluation_data.check_name in rules_by_check
    ]
    assert {evaluation.severity for evaluation in evaluations} == set(expected.values())
    for evaluation in evaluations:
        rule = rules_by_check[evaluation.check_name]
        assert evaluation.severity == expected[rule.severity], rule.rule_id


def test_violations_name_the_clause_and_the_numbers(demo_build):
    rows = query(
        demo_build.warehouse,
        """select rule_id, observed, expected, source_doc, source_clause, detail
           from quality.violations where rule_id in ('PR01', 'PR02', 'PR08')""",
    )
    assert rows
    for rule_id, observed, expected, doc, clause, detail in rows:
        assert observed and expected and doc.endswith(".txt") and clause, rule_id
        assert detail


def test_rule_catalog_holds_every_rule_with_its_clause(demo_build):
    rows = query(demo_build.published, "select rule_id, source_doc, source_clause from quality.rule_catalog")
    ids = {r[0] for r in rows}
    assert ids == {f"DQ{i:02d}" for i in range(1, 16)} | {f"PR{i:02d}" for i in range(1, 26)}
    assert all(doc and clause for _, doc, clause in rows)


def test_published_snapshot_holds_marts_and_quality_but_no_raw_data(demo_build):
    schemas = {
        r[0]
        for r in query(demo_build.published, "select distinct table_schema from information_schema.tables")
    }
    assert {"marts", "quality", "reference"} <= schemas
    assert not schemas & {"raw", "staging", "intermediate"}


def test_targets_and_findings_agree_with_the_generator(demo_build):
    pr01 = {e for e, _ in planted(demo_build.manifest, "PR01")}
    rows = query(
        demo_build.warehouse,
        "select admin_code from marts.cultivated_land where meets_target = false",
    )
    assert {r[0] for r in rows} == pr01


def test_the_summary_lists_every_county_and_the_city(demo_build, capsys):
    from orchestration.cli import main
    from warehouse.region import region

    assert main(["summary", "--warehouse", str(demo_build.warehouse)]) == 0
    out = capsys.readouterr().out
    for code in [*region().counties, region().code]:
        assert code in out
    for county in {e for e, _ in planted(demo_build.manifest, "PR01")}:
        line = next(line for line in out.splitlines() if line.startswith(county))
        assert "NO" in line and "PR01×1" in line


def test_project_boundary_layers_reach_staging_keyed_by_their_record(demo_build):
    # keyed by a delivered record (which may itself be quarantined: its boundary is still delivered)
    approvals = query(
        demo_build.warehouse,
        """select count(*), count(*) filter (where approval_no not in
                  (select "批准文号" from raw.land_approvals))
           from staging.stg_projects__approval_boundaries""",
    )[0]
    projects = query(
        demo_build.warehouse,
        """select count(*), count(*) filter (where project_no not in
                  (select "项目编号" from raw.supplement_projects))
           from staging.stg_projects__supplement_boundaries""",
    )[0]
    assert approvals[0] > 0 and approvals[1] == 0
    assert projects[0] > 0 and projects[1] == 0


def test_a_run_parses_the_dbt_project_once_per_profile_target(demo_build):
    """Every dbt step and county build of a run runs dbt in the run's process, with the same vars and
    profile as the first with its profile target (the region's, or a county's), so only that first one
    parses the project; the county builds learn their county from the environment, not from a var that
    would make each parse anew."""
    from warehouse.config import TRANSFORMS_DIR

    run = demo_build.result.run_id[:7]
    logs = sorted(
        (TRANSFORMS_DIR / "target").glob(f"*-{run}-*/dbt.log"), key=lambda path: path.stat().st_mtime
    )
    assert {path.parent.name.split("-", 1)[0] for path in logs} == {
        "reference_seeds",
        "county_inputs",
        "build_county",
        "survey_models",
        "indicator_marts",
        "finding_marts",
    }
    for profile_target in ("dev", "county"):
        steps = [path for path in logs if f"-{run}-{profile_target}-" in path.parent.name]
        later = [path.read_text(encoding="utf-8") for path in steps[1:]]
        assert len(later) >= 5, profile_target
        assert all("PASS=" in log for log in later), profile_target
        assert not [log for log in later if "partial parsing" in log.lower() or "full parse" in log], (
            profile_target
        )
