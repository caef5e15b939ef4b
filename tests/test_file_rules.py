"""File-level rules are rules too: every delivered layer file gets a DQ14 (CRS) and a DQ15 (fields) result
in quality.rule_results per run, passed when it was loaded and failed with the extractor's reason when it
was refused, and each is an asset check on its layer that fails for a refused file."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest
import shapely

from sources.formats import read_layer, write_layer
from tests.conftest import build
from tests.test_pipeline import query


def _check_evaluations(result) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    evaluations = [
        e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    return {(check.asset_key.to_user_string(), check.check_name): check for check in evaluations}


@pytest.fixture(scope="module")
def refused_files(demo_landing, tmp_path_factory):
    """The demo deliveries with the 储备区 shapefile's .prj removed (DQ14) and the grain zones delivered
    without their area field GNQMJ (DQ15), built."""
    source, _ = demo_landing
    root = tmp_path_factory.mktemp("refused_files")
    landing = root / "landing"
    shutil.copytree(source, landing)
    next((landing / "control").rglob("YJJBNTCBQ.prj")).unlink()
    zones = next((landing / "control").rglob("LSGNQ.parquet"))
    data = read_layer(zones)
    geometries = list(shapely.from_wkb(data.wkb.to_numpy(zero_copy_only=False)))
    zones.unlink()
    write_layer(zones, data.table.drop_columns(["GNQMJ"]), geometries, 4528)
    warehouse = root / "farmland.duckdb"
    result = build(landing, warehouse)
    return result, warehouse


def _file_results(warehouse, run_id: str) -> dict[tuple[str, str], tuple]:
    rows = query(
        warehouse,
        """select rule_id, observed, year, passed, status, reason from quality.rule_results
           where run_id = ? and rule_id in ('DQ14', 'DQ15')""",
        [run_id],
    )
    return {(rule, file): tuple(rest) for rule, file, *rest in rows}


def test_a_layer_without_a_prj_has_a_failed_dq14_result_naming_the_file(refused_files):
    result, warehouse = refused_files
    assert not result.success

    results = _file_results(warehouse, result.run_id)

    year, passed, status, reason = results[("DQ14", "control/2025/YJJBNTCBQ.shp")]
    assert (year, passed, status) == (2025, False, "failed")
    assert "YJJBNTCBQ.shp declares no coordinate reference system" in reason
    # refused for its CRS, its fields were never read
    assert results[("DQ15", "control/2025/YJJBNTCBQ.shp")][1:3] == (None, "not_evaluated")


def test_a_layer_lacking_a_required_field_has_a_failed_dq15_result(refused_files):
    result, warehouse = refused_files

    results = _file_results(warehouse, result.run_id)

    year, passed, status, reason = results[("DQ15", "control/2025/LSGNQ.parquet")]
    assert (year, passed, status) == (2025, False, "failed")
    assert "GNQMJ" in reason
    assert results[("DQ14", "control/2025/LSGNQ.parquet")][1:3] == (None, "not_evaluated")
    # the files that loaded pass both rules
    assert results[("DQ14", "survey/2022/DLTB.parquet")][1:3] == (True, "passed")
    assert results[("DQ15", "control/2025/YJJBNT.gpkg")][1:3] == (True, "passed")


def test_the_refused_files_fail_their_layers_asset_checks_with_error_severity(refused_files):
    result, _ = refused_files

    checks = _check_evaluations(result)

    crs = checks[("raw/yjjbntcbq", "DQ14_layer_crs")]
    assert not crs.passed and crs.severity == dg.AssetCheckSeverity.ERROR
    assert "control/2025/YJJBNTCBQ.shp" in crs.metadata["refused"].value
    fields = checks[("raw/lsgnq", "DQ15_layer_fields")]
    assert not fields.passed and fields.severity == dg.AssetCheckSeverity.ERROR
    assert checks[("raw/lsgnq", "DQ14_layer_crs")].passed
    assert checks[("raw/dltb", "DQ14_layer_crs")].passed and checks[("raw/dltb", "DQ15_layer_fields")].passed
    failed_steps = {e.step_key for e in result.all_events if e.is_step_failure}
    assert failed_steps == {"raw__yjjbntcbq", "raw__lsgnq"}


def test_every_file_of_the_demo_passes_dq14_and_dq15_once_per_run(demo_build):
    results = _file_results(demo_build.warehouse, demo_build.result.run_id)
    delivered = {
        file
        for (file,) in query(
            demo_build.warehouse,
            """select distinct _source_file from raw.dltb union select distinct _source_file from raw.yjjbnt
               union select distinct _source_file from raw.approval_boundaries""",
        )
    }

    assert delivered <= {file for _, file in results}
    assert {(rule, status) for (rule, _), (_, _, status, _) in results.items()} == {
        ("DQ14", "passed"),
        ("DQ15", "passed"),
    }
    checks = _check_evaluations(demo_build.result)
    file_checks = {key: check for key, check in checks.items() if key[1].startswith(("DQ14_", "DQ15_"))}
    assert {asset for asset, _ in file_checks} >= {"raw/dltb", "raw/dltbgxgc", "raw/yjjbnt", "raw/lsgnq"}
    assert all(check.passed for check in file_checks.values())
    published = query(
        demo_build.published, "select count(*) from quality.rule_results where rule_id = 'DQ14'"
    )
    assert published[0][0] == len({file for rule, file in results if rule == "DQ14"})
