"""Bad rows in a real delivery: each is quarantined with its reason, nothing else of the delivery is
lost, and redelivering the fixed file converges to the clean result."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import shapely

from quality.runner import evaluate_rules, quarantine
from sources.extract.load import load_layer
from sources.formats import read_layer, write_layer
from sources.layers import LAYERS_BY_CODE
from tests.conftest import planted
from tests.rule_subjects import create_rule_subjects
from tests.test_rule_runner import _load_reference
from warehouse.connection import warehouse

ROW_RULES = ["DQ01", "DQ02", "DQ05", "DQ07"]


def _load_and_quarantine(con, landing) -> None:
    load_layer(con, landing, LAYERS_BY_CODE["DLTB"], 4528)
    quarantine(con, evaluate_rules(con, ROW_RULES))


def _rejected(con, rule_id: str) -> set[str]:
    rows = con.execute(
        "select json_extract_string(record, '$.BSM') from raw.rejects where rule_id = ?", [rule_id]
    ).fetchall()
    return {r[0] for r in rows}


def test_bad_rows_are_quarantined_and_a_fixed_redelivery_converges(landing_copy, tmp_path, tmp_path_factory):
    landing, manifest = landing_copy
    base = landing / "survey" / "2022" / "DLTB.parquet"
    delivered = read_layer(base)

    with warehouse(tmp_path / "w.duckdb") as con:
        _load_reference(con)
        create_rule_subjects(con, ROW_RULES, tmp_path_factory.getbasetemp() / "rule_subjects")
        _load_and_quarantine(con, landing)
        # every delivered row is kept: loaded into raw, and the bad ones also listed as rejects
        assert con.sql("select count(*) from raw.dltb").fetchone()[0] == delivered.table.num_rows
        for rule_id in ("DQ01", "DQ02", "DQ05"):  # only DLTB is loaded here
            assert _rejected(con, rule_id) == {e for e, _ in planted(manifest, rule_id, layer="DLTB")}
        reasons = con.sql("select reason from raw.rejects where rule_id = 'DQ01'").fetchall()
        assert all("0199" in r[0] or "9999" in r[0] for r in reasons)

        # the bureau fixes the unknown land classes and, by mistake, repeats one parcel
        unknown = {int(e) for e, _ in planted(manifest, "DQ01")}
        is_unknown = pc.is_in(delivered.table["BSM"], pa.array(sorted(unknown), pa.int64()))
        fixed_class = pc.if_else(is_unknown, pa.scalar("0301"), delivered.table["DLBM"])
        table = delivered.table.set_column(
            delivered.table.schema.get_field_index("DLBM"), "DLBM", fixed_class
        )
        table = table.set_column(
            table.schema.get_field_index("DLMC"),
            "DLMC",
            pc.if_else(is_unknown, pa.scalar("乔木林地"), table["DLMC"]),
        )
        table = table.set_column(
            table.schema.get_field_index("GDDB"),
            "GDDB",
            pc.if_else(is_unknown, pa.scalar(None, pa.int64()), table["GDDB"]),
        )
        repeated = table.slice(0, 1)
        geometries = list(shapely.from_wkb(delivered.wkb.to_numpy(zero_copy_only=False)))
        write_layer(base, pa.concat_tables([table, repeated]), geometries + geometries[:1], 4528)

        _load_and_quarantine(con, landing)
        assert _rejected(con, "DQ01") == set()
        assert _rejected(con, "DQ07") == {str(repeated["BSM"][0].as_py())}
        # the other rules' quarantine is unchanged, and the repeated parcel's first delivery is kept
        assert _rejected(con, "DQ02") == {e for e, _ in planted(manifest, "DQ02")}
        rows = con.sql(
            "select _source_row from raw.dltb where BSM = ? order by 1", params=[repeated["BSM"][0].as_py()]
        ).fetchall()
        assert len(rows) == 2
        rejected_row = con.sql("select source_row from raw.rejects where rule_id = 'DQ07'").fetchone()[0]
        assert rejected_row == rows[-1][0]


def _dq05_landing(root, geometries) -> None:
    from tests.test_extract import REGION, parcels

    table, _ = parcels(len(geometries))
    write_layer(root / "survey" / "2023" / "DLTB.parquet", table, geometries, REGION)


def _held(con) -> tuple[list, list]:
    parcels = con.execute("select BSM, DLBM, TBMJ, ST_AsText(geom) from raw.dltb order by BSM").fetchall()
    rejects = con.execute(
        "select source_file, source_row, rule_id, reason from raw.rejects order by all"
    ).fetchall()
    return parcels, rejects


def test_every_geometry_case_is_quarantined_with_its_reason_and_the_fix_converges(tmp_path, tmp_path_factory):
    from tests.test_extract import X0, Y0

    square = shapely.box(X0, Y0, X0 + 100, Y0 + 100)
    cases = {
        "polygon invalid": shapely.Polygon([(X0, Y0), (X0 + 100, Y0 + 100), (X0 + 100, Y0), (X0, Y0 + 100)]),
        "geometry empty": shapely.Polygon(),
        "geometry is POINT, not a polygon": shapely.Point(X0, Y0),
        "geometry is LINESTRING, not a polygon": shapely.LineString([(X0, Y0), (X0 + 100, Y0)]),
        "geometry missing": None,
    }
    good = [shapely.box(X0 + 200 * i, Y0, X0 + 200 * i + 100, Y0 + 100) for i in range(len(cases) + 1)]
    subjects = tmp_path_factory.getbasetemp() / "rule_subjects"

    delivered = tmp_path / "delivered"
    _dq05_landing(delivered, [square, *cases.values()])
    with warehouse(tmp_path / "w.duckdb") as con:
        _load_reference(con)
        create_rule_subjects(con, ROW_RULES, subjects)
        _load_and_quarantine(con, delivered)
        # every row kept in raw; each bad shape quarantined by DQ05 naming its row and what is wrong
        assert con.sql("select count(*) from raw.dltb").fetchone()[0] == len(cases) + 1
        quarantined = con.execute(
            "select source_row, reason from raw.rejects where rule_id = 'DQ05' order by source_row"
        ).fetchall()
        assert [row for row, _ in quarantined] == list(range(2, len(cases) + 2))
        for (_, reason), problem in zip(quarantined, cases, strict=True):
            assert problem in reason
        assert con.sql("select count(*) from raw.rejects where rule_id <> 'DQ05'").fetchone()[0] == 0

        # the bureau redelivers every parcel with a good polygon: the warehouse holds what a clean load does
        _dq05_landing(delivered, good)
        _load_and_quarantine(con, delivered)
        fixed = _held(con)

    clean_landing = tmp_path / "clean"
    _dq05_landing(clean_landing, good)
    with warehouse(tmp_path / "clean.duckdb") as con:
        _load_reference(con)
        create_rule_subjects(con, ROW_RULES, subjects)
        _load_and_quarantine(con, clean_landing)
        clean = _held(con)
    assert fixed == clean and clean[1] == []
