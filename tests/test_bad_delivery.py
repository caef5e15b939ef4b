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
