"""DQ09: a change survey that does not reconcile stops at the gate; the analysts' snapshot stays good."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc

from sources.formats import read_layer, write_layer
from tests.conftest import build, copy_build
from warehouse.config import published_path
from warehouse.connection import connect


def _snapshot_rows(path):
    con = connect(path, read_only=True)
    try:
        return con.sql("select * from marts.land_use_area order by all").fetchall()
    finally:
        con.close()


def _drop_one_class_changing_piece(path) -> int:
    """Rewrite a DLTBGXGC file without one piece whose land class changed; returns its row's index."""
    layer = read_layer(path)
    table = layer.table
    changed = pc.not_equal(table["BGQDLBM"], table["BGHDLBM"]).to_pylist()
    victim = changed.index(True)
    keep = pa.array([i != victim for i in range(table.num_rows)])
    import shapely

    geometries = shapely.from_wkb(pc.filter(layer.wkb, keep).to_numpy(zero_copy_only=False))
    if path.is_dir():
        shutil.rmtree(path)
    else:
        for sibling in path.parent.glob(path.stem + ".*"):
            sibling.unlink()
    write_layer(
        path, table.filter(keep), list(geometries), layer.crs_epsg, dbf_encoding=layer.encoding or "UTF-8"
    )
    return victim


def test_a_missing_change_piece_blocks_the_year_and_reloading_the_fix_converges(
    delivery_a_cli_build, tmp_path
):
    # Start from the last good state: a copy of conformance delivery A's build (its working file, county
    # files and published snapshot) and of the landing folder it was built from.
    landing, warehouse = copy_build(delivery_a_cli_build.warehouse, delivery_a_cli_build.landing, tmp_path)
    published = published_path(warehouse)
    good_rows = _snapshot_rows(published)

    change_file = next((landing / "survey" / "2024").glob("DLTBGXGC.*"))
    original = tmp_path / "original"
    shutil.copytree(landing / "survey" / "2024", original)
    _drop_one_class_changing_piece(change_file)

    result = build(landing, warehouse)
    assert not result.success
    checks = {
        e.asset_check_evaluation_data.check_name: e.asset_check_evaluation_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    }
    dq09 = next(v for n, v in checks.items() if n.startswith("DQ09_"))
    assert not dq09.passed
    con = connect(warehouse, read_only=True)
    try:
        status = dict(con.sql("select year, reconciled from quality.survey_year_status").fetchall())
        failing = con.sql("select distinct year from quality.violations where rule_id = 'DQ09'").fetchall()
    finally:
        con.close()
    assert status[2023] is True and status[2024] is False
    assert all(reconciled is False for year, reconciled in status.items() if year > 2024)
    assert failing == [(2024,)]
    # the analysts' snapshot was not touched by the failed run
    assert _snapshot_rows(published) == good_rows

    # redeliver the original year: the warehouse converges to the clean result
    shutil.rmtree(landing / "survey" / "2024")
    shutil.copytree(original, landing / "survey" / "2024")
    result = build(landing, warehouse)
    assert result.success
    assert _snapshot_rows(published) == good_rows


def test_the_gate_message_names_the_missing_year_and_the_classes_that_do_not_reconcile():
    import json

    import pandas as pd

    from orchestration.assets.quality_rules import gate_message

    violations = pd.DataFrame(
        [
            {"admin_code": "330402", "year": 2025, "entity_id": "330402:2025", "observed": "2024",
             "detail": json.dumps({"missing_change_year": "2024"})},
            {"admin_code": "330411", "year": 2023, "entity_id": "330411:0101", "observed": "-812.5",
             "detail": json.dumps({"missing_change_year": None, "diff_m2": "-812.5"})},
        ]
    )  # fmt: skip

    message = gate_message(violations, [2023, 2024, 2025])

    assert "county 330402: the change survey of 2024 was not delivered, so 2025 cannot be applied" in message
    assert "county 330411 class 0101 2023" in message and "-812.5 m²" in message and "DLTBGXGC" in message
