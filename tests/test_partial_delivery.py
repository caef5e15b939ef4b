"""A landing folder may hold only some layers and years — one county's base survey, no control
layers — and must still build."""

from __future__ import annotations

import pyarrow.compute as pc
import shapely

from sources.formats import read_layer, write_layer
from tests.conftest import build
from warehouse.config import published_path
from warehouse.connection import connect


def test_one_countys_base_survey_without_control_layers_builds(demo_landing, tmp_path):
    source, manifest = demo_landing
    landing = tmp_path / "landing"
    (landing / "survey" / "2022").mkdir(parents=True)
    base = read_layer(source / "survey" / "2022" / "DLTB.parquet")
    keep = pc.starts_with(base.table["ZLDWDM"], "330402")
    geometries = list(shapely.from_wkb(pc.filter(base.wkb, keep).to_numpy(zero_copy_only=False)))
    write_layer(landing / "survey" / "2022" / "DLTB.gpkg", base.table.filter(keep), geometries, 4528)

    result = build(landing, tmp_path / "farmland.duckdb")

    assert result.success
    con = connect(published_path(tmp_path / "farmland.duckdb"), read_only=True)
    try:
        rows = con.sql(
            "select admin_code, year, cultivated_mu, target_mu from marts.cultivated_land order by 1"
        ).fetchall()
        pbf = con.sql("select count(*) from marts.permanent_farmland").fetchone()[0]
    finally:
        con.close()
    truth = {
        t["admin_code"]: t["cultivated_mu"]
        for t in manifest["truth"]["cultivated_mu"]
        if t["year"] == 2022 and t["admin_code"] == "330402"
    }
    assert [(code, year) for code, year, _, _ in rows] == [("330400", 2022), ("330402", 2022)]
    assert all(abs(mu - truth["330402"]) < 1e-6 for _, _, mu, _ in rows)
    assert all(target is None for *_, target in rows)  # the targets are for 2025
    assert pbf == 0
