"""A landing folder may hold only some layers and years — one county's base survey, no control
layers — and must still build."""

from __future__ import annotations

from tests.conftest import ONE_COUNTY
from warehouse.connection import connect


def test_one_countys_base_survey_without_control_layers_builds(one_county_build):
    # the delivery is tests/conftest.py's one_county_build: the demo's 2022 DLTB of one county alone
    manifest = one_county_build.manifest

    assert one_county_build.result.success
    con = connect(one_county_build.published, read_only=True)
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
        if t["year"] == 2022 and t["admin_code"] == ONE_COUNTY
    }
    assert [(code, year) for code, year, _, _ in rows] == [("330400", 2022), (ONE_COUNTY, 2022)]
    assert all(abs(mu - truth[ONE_COUNTY]) < 1e-6 for _, _, mu, _ in rows)
    assert all(target is None for *_, target in rows)  # the targets are for 2025
    assert pbf == 0
