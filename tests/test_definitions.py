"""The Dagster definitions an operator sees: assets, checks, job, schedule and sensor."""

from __future__ import annotations

import datetime
import json
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.jobs import annual_survey_build, new_delivery_sensor
from orchestration.partitions import RANGE_END, RANGE_START, delivered_range_tags, survey_years
from orchestration.resources import WarehouseResource


def _keys() -> set[str]:
    return {"/".join(k.path) for k in defs.resolve_asset_graph().get_all_asset_keys()}


def test_every_layer_model_gate_and_mart_is_an_asset():
    keys = _keys()
    for layer in ("dltb", "dltbgx", "dltbgxgc", "yjjbnt", "yjjbntcbq", "gbznt", "lsgnq"):
        assert f"raw/{layer}" in keys
    for mart in (
        "land_use_area",
        "land_transition",
        "cultivated_land",
        "permanent_farmland",
        "in_out_balance",
    ):
        assert f"marts/{mart}" in keys
    assert {"raw/rejects", "quality/survey_reconciliation", "quality/violations"} <= keys
    assert "warehouse/published_snapshot" in keys


def test_raw_layers_are_partitioned_by_survey_year_and_models_are_not():
    graph = defs.resolve_asset_graph()
    assert graph.get(dg.AssetKey(["raw", "dltbgx"])).partitions_def == survey_years
    assert graph.get(dg.AssetKey(["marts", "cultivated_land"])).partitions_def is None


def test_a_fresh_instance_knows_every_survey_year_without_registering_any():
    """The UI's launchpad and backfills offer the years on an instance no sensor has run on: from the
    third national survey's 2019 to the last year whose standard time point (12-31) has passed."""
    with dg.instance_for_test() as instance:
        job = defs.resolve_job_def("build_warehouse")
        keys = job.partitions_def.get_partition_keys(dynamic_partitions_store=instance)
    assert keys[0] == "2019" and "2025" in keys
    assert keys[-1] == str(datetime.datetime.now(ZoneInfo("Asia/Shanghai")).year - 1)


def test_a_year_folder_that_holds_no_survey_year_is_refused_with_the_fix(tmp_path):
    for year in ("2024", "2018", "2099"):
        folder = tmp_path / "survey" / year
        folder.mkdir(parents=True)
        (folder / "DLTBGX.gpkg").write_bytes(b"")
    with pytest.raises(ValueError, match=r"year folder\(s\) 2018, 2099 hold no survey year.*Move the files"):
        delivered_range_tags(tmp_path)
    resources = {"farmland": WarehouseResource(landing=str(tmp_path))}
    with dg.instance_for_test() as instance:
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            skipped = new_delivery_sensor(context)
    assert isinstance(skipped, dg.SkipReason) and "2099" in skipped.skip_message


def test_rules_are_asset_checks_with_the_clause_in_their_description():
    checks = {key.name: key for key in defs.resolve_asset_graph().asset_check_keys}
    for rule_id in ("DQ01", "DQ05", "DQ07", "DQ09", "PR01", "PR02", "PR08"):
        name = next(n for n in checks if n.startswith(rule_id + "_"))
        assert checks[name].asset_key.path[0] in ("raw", "quality")


def test_the_schedule_and_the_sensor_say_what_they_do():
    """The UI shows a schedule's and a sensor's description on their pages; without one it says
    "Standard sensor"."""
    sensor = defs.resolve_sensor_def(new_delivery_sensor.name)
    schedule = defs.resolve_schedule_def(annual_survey_build.name)
    assert "landing folder" in sensor.description and "survey years delivered" in sensor.description
    assert "1 March" in schedule.description and "Beijing" in schedule.description


def test_the_sensor_requests_one_run_over_every_delivered_year(demo_landing):
    landing, _ = demo_landing
    resources = {"farmland": WarehouseResource(landing=str(landing))}
    with dg.instance_for_test() as instance:
        # a context with resources is a context manager: leaving it releases them and the instance
        with dg.build_sensor_context(instance=instance, resources=resources) as context:
            result = new_delivery_sensor(context)
        assert isinstance(result, dg.RunRequest)
        request = result
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2022", "2025")
        # the same deliveries again: nothing new to build
        with dg.build_sensor_context(
            instance=instance, cursor=request.run_key, resources=resources
        ) as context:
            again = new_delivery_sensor(context)
        assert isinstance(again, dg.SkipReason)


def test_the_annual_schedule_builds_every_delivered_year(demo_landing):
    landing, _ = demo_landing
    resources = {"farmland": WarehouseResource(landing=str(landing))}
    with dg.instance_for_test() as instance:
        with dg.build_schedule_context(instance=instance, resources=resources) as context:
            request = annual_survey_build(context)
        assert (request.tags[RANGE_START], request.tags[RANGE_END]) == ("2022", "2025")
    assert annual_survey_build.cron_schedule == "0 6 1 3 *"


def test_dbt_rule_parameter_defaults_match_the_rule_catalog():
    """dbt_project.yml's defaults (for hand runs) hold the catalog's values, and every parameter a model
    reads with rule_parameter has one."""
    import re

    import yaml

    from quality.catalog import dbt_vars
    from warehouse.config import TRANSFORMS_DIR

    defaults = yaml.safe_load((TRANSFORMS_DIR / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    passed = json.loads(dbt_vars())
    for rule_id, parameters in defaults["rule_parameters"].items():
        assert parameters.items() <= passed["rule_parameters"][rule_id].items(), rule_id
    used = {
        match
        for path in (TRANSFORMS_DIR / "models").rglob("*.sql")
        for match in re.findall(r"rule_parameter\('(\w+)', '(\w+)'\)", path.read_text(encoding="utf-8"))
    }
    assert used and all(name in defaults["rule_parameters"].get(rule_id, {}) for rule_id, name in used)
    assert {k: passed[k] for k in ("risk_index_weights", "risk_index_scale")}.items() <= defaults.items()


def test_every_policy_rule_is_evaluated_by_the_rule_runner():
    """The scorecard's pass columns mean 'checked and found nothing': no PR rule may be left unchecked."""
    from quality.catalog import load_catalog

    unchecked = [r.rule_id for r in load_catalog().values() if r.kind == "PR" and not r.evaluated]
    assert not unchecked


def test_each_rule_check_rests_on_its_subject_model_and_through_it_on_what_the_rule_reads():
    """Lineage comes from the dbt graph: the findings asset depends on each policy rule's subject view,
    and the view on the models its SQL refs."""
    from orchestration.assets.dbt_models import indicator_marts, reference_seeds
    from orchestration.assets.quality_rules import policy_findings, quarantined_rows

    findings_deps = {key.to_user_string() for key in policy_findings.asset_deps[policy_findings.key]}
    assert "rule_subjects/pr10_unapproved_occupation" in findings_deps
    pr10 = dg.AssetKey(["rule_subjects", "pr10_unapproved_occupation"])
    assert {key.to_user_string() for key in indicator_marts.asset_deps[pr10]} == {
        "intermediate/int_enforcement__occupation_cover",
        "quality/survey_reconciliation",  # the gate's reconciled years
    }
    rejects_deps = {key.to_user_string() for key in quarantined_rows.asset_deps[quarantined_rows.key]}
    assert "rule_subjects/dq06_parcel_overlap" in rejects_deps
    dq06 = dg.AssetKey(["rule_subjects", "dq06_parcel_overlap"])
    assert {key.to_user_string() for key in reference_seeds.asset_deps[dq06]} == {"raw/dltb"}


def test_a_build_does_not_parse_the_dbt_project_again_while_its_files_are_unchanged(monkeypatch):
    """Preparing the project finds the manifest stamped with the project's files as they are and leaves
    it (a parse costs seconds of every build)."""
    from orchestration.dbt_project import FARMLAND_DBT, prepare_dbt_project, project_files_version

    manifest = FARMLAND_DBT.manifest_path
    stamp = manifest.with_name(manifest.name + ".sources")
    real_prepare = FARMLAND_DBT.preparer.prepare
    parses: list[object] = []
    # The suite's builds run beside this test, each preparing the same target folder; one of them may
    # write the manifest between the two calls below. Three tries: only a parse of our own fails it.
    for _ in range(3):
        monkeypatch.setattr(FARMLAND_DBT.preparer, "prepare", real_prepare)
        prepare_dbt_project.__wrapped__()  # whatever ran before, the manifest now matches the files
        assert stamp.read_text().splitlines()[0] == project_files_version()
        written = manifest.stat().st_mtime_ns
        parses.clear()
        monkeypatch.setattr(FARMLAND_DBT.preparer, "prepare", parses.append)
        assert prepare_dbt_project.__wrapped__() == manifest
        if not parses or manifest.stat().st_mtime_ns == written:
            break  # no parse; or a parse though nobody else had written the manifest
    assert parses == [], "the project was parsed again though its files had not changed"


def test_the_lineage_of_groups_flows_along_the_datas_path():
    """Collapsed to its groups, the global asset graph reads left to right as a delivery travels: every
    edge between two groups goes from an earlier stage to a later one, and every asset has an owner."""
    from orchestration.catalogue import GROUPS

    order = list(GROUPS)
    graph = defs.resolve_asset_graph()
    backwards = set()
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in GROUPS, (key.to_user_string(), node.group_name)
        assert node.owners == [GROUPS[node.group_name].owner], key.to_user_string()
        for parent in node.parent_keys:
            if order.index(graph.get(parent).group_name) > order.index(node.group_name):
                backwards.add((parent.to_user_string(), key.to_user_string()))
    assert not backwards, sorted(backwards)[:10]
    assert graph.get(dg.AssetKey(["raw", "rejects"])).group_name == "row_quarantine"
    assert graph.get(dg.AssetKey(["intermediate", "int_survey__land_use_state"])).group_name == "intermediate"


def test_every_asset_says_what_it_is_made_with():
    graph = defs.resolve_asset_graph()
    unkinded = [key.to_user_string() for key in graph.get_all_asset_keys() if not graph.get(key).kinds]
    assert not unkinded


def test_the_annual_deliveries_and_the_snapshot_are_due_by_1_april():
    """Dagster flags a yearly layer or the published snapshot not materialized in the year before
    1 April (Beijing time): the change survey of 12-31 is delivered and built by then."""
    from orchestration.catalogue import ANNUAL_DELIVERY

    graph = defs.resolve_asset_graph()
    due = {key.to_user_string() for key in graph.get_all_asset_keys() if graph.get(key).freshness_policy}
    assert due == {"raw/dltb", "raw/dltbgx", "raw/dltbgxgc", "raw/yjjbnt", "raw/yjjbntcbq", "raw/gbznt",
                   "raw/lsgnq", "warehouse/published_snapshot"}  # fmt: skip
    assert graph.get(dg.AssetKey(["raw", "dltb"])).freshness_policy == ANNUAL_DELIVERY
    assert ANNUAL_DELIVERY.deadline_cron == "0 0 1 4 *" and ANNUAL_DELIVERY.timezone == "Asia/Shanghai"
