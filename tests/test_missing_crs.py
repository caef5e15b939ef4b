"""DQ14 in the pipeline: a layer delivered without a CRS fails its asset with a message an operator
can act on; the rest of the delivery is loaded and the analysts' snapshot is not touched."""

from __future__ import annotations

from tests.conftest import build
from warehouse.config import published_path
from warehouse.connection import connect


def test_a_shapefile_without_prj_fails_its_layer_and_keeps_the_rest(landing_copy, tmp_path):
    landing, _ = landing_copy
    prj = next((landing / "control").rglob("YJJBNTCBQ.prj"))
    prj.unlink()
    warehouse = tmp_path / "farmland.duckdb"

    result = build(landing, warehouse)

    assert not result.success
    failures = {e.step_key: e.step_failure_data.error.message for e in result.all_events if e.is_step_failure}
    assert list(failures) == ["raw__yjjbntcbq"]
    message = failures["raw__yjjbntcbq"]
    assert "YJJBNTCBQ.shp declares no coordinate reference system" in message and "EPSG:4528" in message
    con = connect(warehouse, read_only=True)
    try:
        assert con.sql("select count(*) from raw.yjjbntcbq").fetchone()[0] == 0
        assert con.sql("select count(*) from raw.dltb").fetchone()[0] > 0
        assert con.sql("select count(*) from raw.yjjbnt").fetchone()[0] > 0
        reject = con.sql("select rule_id, source_row from raw.rejects where layer = 'YJJBNTCBQ'").fetchall()
    finally:
        con.close()
    assert reject == [("DQ14", None)]
    assert not published_path(warehouse).exists()
