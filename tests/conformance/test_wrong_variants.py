"""Wrong deliveries are refused or blocked with a message naming the file and the fix; nothing of them is
published.

Two builds of delivery A of test_legal_variants, each damaged the way real deliveries were found damaged:

refused — five files that cannot be loaded right, each refused whole: the base DLTB without GDDB and
    ZZSXDM (DQ15), the 2024 DLTBGX with TBDLMJ under an unknown name (DQ15), 永农 with zone-40
    coordinates declared as zone 39, EPSG:4527 (DQ14), 功能区 without GNQMJ (DQ15), and the 2025 DLTBGX
    whose place names are UTF-8 read as GBK under a clean header (mojibake, LOAD).
gap — the 2024 change survey not delivered between 2023 and 2025: 2025 cannot be applied to 2023, so
    the DQ09 gate blocks it, naming the missing year.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from pyproj import CRS
from pyproj.enums import WktVersion

from .test_legal_variants import delivery_a


@dataclass
class Failed:
    landing: Path
    warehouse: Path
    result: object  # dagster ExecuteInProcessResult

    def step_failures(self) -> str:
        lines = []
        for event in self.result.all_events:
            if event.event_type_value == "STEP_FAILURE":
                error = event.step_failure_data.error
                lines.append(f"{event.step_key}: {error.message if error else event.message}")
        return "\n".join(lines)

    def query(self, sql: str) -> list[tuple]:
        from warehouse.connection import connect

        con = connect(self.warehouse, read_only=True)
        try:
            return con.sql(sql).fetchall()
        finally:
            con.close()

    @property
    def published(self) -> Path:
        from warehouse.config import published_path

        return published_path(self.warehouse)


def _build(landing: Path, root: Path) -> Failed:
    from tests.conftest import build

    warehouse = root / "farmland.duckdb"
    return Failed(landing, warehouse, build(landing, warehouse))


def _misread_place_names(parquet: Path) -> None:
    """Rewrite a GeoParquet file's ZLDWMC as a vendor's export does after reading UTF-8 as GBK."""
    table = pq.read_table(parquet)
    index = table.schema.get_field_index("ZLDWMC")
    names = [v.encode("utf-8").decode("gbk", errors="replace") for v in table.column(index).to_pylist()]
    table = table.set_column(index, "ZLDWMC", pa.array(names))
    pq.write_table(table, parquet)


@pytest.fixture(scope="module")
def refused(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Failed]:
    delivery = delivery_a()
    base, first, last = delivery.base_year, delivery.changes[0].year, delivery.changes[-1].year
    delivery.omit[("survey", base, "DLTB")] = {"GDDB", "ZZSXDM"}
    delivery.rename[("survey", first, "DLTBGX")] = {"TBDLMJ": "TBDLMJ_1"}
    delivery.formats[("survey", last, "DLTBGX")] = "parquet"
    delivery.formats[("control", first, "YJJBNT")] = "shp"
    delivery.omit[("control", first, "LSGNQ")] = {"GNQMJ"}
    root = tmp_path_factory.mktemp("wrong_refused")
    landing = delivery.write(root / "landing")
    # zone-40 coordinates (x ≈ 40 5xx xxx) declared as CGCS2000 zone 39
    (landing / f"control/{first}/YJJBNT.prj").write_text(CRS.from_epsg(4527).to_wkt(WktVersion.WKT1_ESRI))
    _misread_place_names(landing / f"survey/{last}/DLTBGX.parquet")
    yield _build(landing, root)


def test_every_refused_file_is_named_with_its_rule_and_nothing_is_published(refused: Failed) -> None:
    assert not refused.result.success
    file_rejects = {
        (Path(source_file).stem, source_file.split("/")[1], rule_id)
        for source_file, rule_id in refused.query(
            "select source_file, rule_id from raw.rejects where source_row is null"
        )
    }
    assert file_rejects == {
        ("DLTB", "2023", "DQ15"),
        ("DLTBGX", "2024", "DQ15"),
        ("DLTBGX", "2025", "LOAD"),
        ("YJJBNT", "2024", "DQ14"),
        ("LSGNQ", "2024", "DQ15"),
    }
    assert not refused.published.exists()


def test_each_refusal_says_what_is_wrong_and_how_to_fix_it(refused: Failed) -> None:
    reasons = {
        source_file: reason
        for source_file, reason in refused.query(
            "select source_file, reason from raw.rejects where source_row is null"
        )
    }
    by_layer = {
        path.split("/")[1] + "/" + path.split("/")[-1].split(".")[0]: r for path, r in reasons.items()
    }
    assert "GDDB" in by_layer["2023/DLTB"] and "ZZSXDM" in by_layer["2023/DLTB"]
    assert "lacks the field(s) TBDLMJ" in by_layer["2024/DLTBGX"] and "TBDLMJ_1" in by_layer["2024/DLTBGX"]
    assert "GNQMJ" in by_layer["2024/LSGNQ"]
    assert "EPSG:4527" in by_layer["2024/YJJBNT"] and "declare EPSG:4528" in by_layer["2024/YJJBNT"]
    assert "field ZLDWMC" in by_layer["2025/DLTBGX"] and "mojibake" in by_layer["2025/DLTBGX"]
    failures = refused.step_failures()
    for source_file in reasons:
        assert source_file in failures, f"{source_file} is not named by any failed step:\n{failures}"


def test_the_loadable_rest_is_kept_in_raw_and_reaches_no_model(refused: Failed) -> None:
    loaded = dict(refused.query("select _survey_year, count(*) from raw.dltbgxgc group by all"))
    assert set(loaded) == {2024, 2025}
    assert refused.query("select count(*) from raw.dltb") == [(0,)]
    schemas = {r[0] for r in refused.query("select distinct schema_name from duckdb_tables()")}
    assert "marts" not in schemas


@pytest.fixture(scope="module")
def gap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Failed]:
    delivery = delivery_a()
    root = tmp_path_factory.mktemp("wrong_gap")
    landing = delivery.write(root / "landing")
    missing = delivery.changes[0].year
    shutil.rmtree(landing / f"survey/{missing}")
    yield _build(landing, root)


def test_a_missing_change_year_blocks_the_years_after_it_naming_it(gap: Failed) -> None:
    assert not gap.result.success
    status = dict(gap.query("select year, reconciled from quality.survey_year_status"))
    assert status == {2023: True, 2025: False}
    missing = gap.query(
        """select distinct admin_code, json_extract_string(detail, '$.missing_change_year')
           from quality.violations where rule_id = 'DQ09' and entity_type = 'county_year'"""
    )
    assert missing and {year for _, year in missing} == {"2024"}
    assert not gap.published.exists()
