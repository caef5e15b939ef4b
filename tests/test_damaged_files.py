"""The fault matrix of damaged deliveries: a file damaged in any of the ways real deliveries were found
damaged — cut short, not what its suffix says, a Shapefile missing a part, a geodatabase table cut, no
CRS, the wrong CRS, an encoding its .cpg contradicts, a required field missing, a CSV in an encoding we
do not read or cut inside a character — is refused by name with the fix, none of its rows loaded, every
row of it accounted for in the load audit. The bureau's fixed file, handed in under the same name, then
leaves raw and its rejects exactly as a clean load of it does, compared row by row."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from quality.load_audit import audit_loads
from sources.errors import DeliveryError
from sources.extract.load import file_ledger, load_layer
from sources.extract.records import file_ledger as record_ledger
from sources.extract.records import load_records
from sources.formats import write_layer
from sources.layers import LAYERS_BY_CODE
from sources.records import record_kind
from tests.test_extract import REGION, parcels
from tests.test_records import CASE_HEADER, case_row, write_csv
from warehouse.connection import warehouse

DLTB = LAYERS_BY_CODE["DLTB"]
CASES = record_kind("enforcement_cases")
ZONE_39 = 4527  # the neighbouring 3-degree zone: the coordinates are zone 40's


def _good_parcels(path: Path, **options) -> Path:
    return write_layer(path, *parcels(3), REGION, **options)


def _cut(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def _without_gddb(path: Path) -> None:
    table, geometries = parcels(3)
    write_layer(path, table.drop_columns(["GDDB"]), geometries, REGION)


def _contradicting_cpg(path: Path) -> None:
    write_layer(path, *parcels(3), REGION, dbf_encoding="GBK")
    path.with_suffix(".cpg").write_text("UTF-8")


def _cut_feature_table(gdb: Path) -> None:
    _good_parcels(gdb)
    # the feature class's own table: the one with a spatial index beside it
    _cut(next(index.with_suffix(".gdbtable") for index in gdb.glob("*.spx")))


def _without(suffix: str) -> Callable[[Path], None]:
    return lambda path: (_good_parcels(path), path.with_suffix(suffix).unlink())


def _declared(crs_epsg: int | None) -> Callable[[Path], None]:
    return lambda path: write_layer(path, *parcels(3), crs_epsg)


def _cut_part(suffix: str) -> Callable[[Path], None]:
    return lambda path: (_good_parcels(path), _cut(path.with_suffix(suffix)))


# case → (the delivered file, how it is damaged, a word the refusal says)
LAYER_CASES: dict[str, tuple[str, Callable[[Path], None], str]] = {
    "GeoParquet cut short": ("DLTB.parquet", _cut_part(".parquet"), "DLTB.parquet"),
    "GeoPackage that is not one": ("DLTB.gpkg", lambda p: p.write_bytes(b"PK\x03\x04 a zip"), "DLTB.gpkg"),
    "GeoPackage cut short": ("DLTB.gpkg", _cut_part(".gpkg"), "DLTB.gpkg"),
    "Shapefile without its .dbf": ("DLTB.shp", _without(".dbf"), "DLTB"),
    "Shapefile's .shp cut short": ("DLTB.shp", _cut_part(".shp"), "cut short"),
    "Shapefile's .dbf cut short": ("DLTB.shp", _cut_part(".dbf"), "cut short"),
    "FileGDB's feature table cut short": ("DLTB.gdb", _cut_feature_table, "cut short"),
    "Shapefile without .prj (no CRS)": ("DLTB.shp", _declared(None), "DLTB"),
    "zone 40 coordinates declared as zone 39": ("DLTB.gpkg", _declared(ZONE_39), "4528"),
    "GBK .dbf with a .cpg saying UTF-8": ("DLTB.shp", _contradicting_cpg, "DLTB"),
    "GDDB missing": ("DLTB.parquet", _without_gddb, "GDDB"),
}  # fmt: skip


def _held(con, table: str) -> tuple[list, list]:
    """The raw table's rows (without when they were loaded and the file's hash) and its rejects."""
    rows = con.execute(
        f"SELECT * EXCLUDE (_loaded_at, _file_sha256) FROM raw.{table} ORDER BY _source_file, _source_row"
    ).fetchall()
    rejects = con.execute("SELECT source_file, source_row, rule_id FROM raw.rejects ORDER BY ALL").fetchall()
    return [tuple(map(str, row)) for row in rows], rejects


def _load_dltb(con, landing: Path, run_id: str) -> tuple[list[str], list[str]]:
    """Load the landing's DLTB: the refusals' messages and the files not accounted for."""
    try:
        report, refused = load_layer(con, landing, DLTB, REGION), []
    except DeliveryError as error:
        report, refused = error.report, [str(error)]
    return refused, audit_loads(con, run_id, file_ledger(DLTB), report.audited)


def _audit(con, run_id: str) -> list[tuple]:
    return con.execute(
        "SELECT source_file, outcome, rows_read, rows_loaded, rows_rejected, accounted "
        "FROM quality.load_audit WHERE run_id = ?",
        [run_id],
    ).fetchall()


@pytest.mark.parametrize("case", LAYER_CASES)
def test_a_damaged_layer_is_refused_by_name_and_its_fix_converges_to_a_clean_load(
    tmp_path: Path, case
) -> None:
    name, damage, named = LAYER_CASES[case]
    landing = tmp_path / "landing"
    delivered = landing / "survey" / "2023" / name
    delivered.parent.mkdir(parents=True)
    damage(delivered)
    with warehouse(tmp_path / "w.duckdb") as con:
        refused, unaccounted = _load_dltb(con, landing, "damaged")
        assert len(refused) == 1 and named in refused[0], refused
        assert unaccounted == []
        (audited,) = _audit(con, "damaged")
        assert audited[1] == "failed" and audited[3] == 0 and audited[5], audited
        assert con.execute("SELECT count(*) FROM raw.dltb").fetchone()[0] == 0
        reason = con.execute("SELECT reason FROM raw.rejects WHERE source_row IS NULL").fetchall()
        assert len(reason) == 1 and reason[0][0]

        # the fixed file, under the same name
        for old in list(delivered.parent.iterdir()):
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        _good_parcels(delivered)
        refused, unaccounted = _load_dltb(con, landing, "fixed")
        assert refused == [] and unaccounted == []
        assert [(row[1], row[2], row[3]) for row in _audit(con, "fixed")] == [("replaced", 3, 3)]
        fixed = _held(con, "dltb")

    clean_landing = tmp_path / "clean"
    _good_parcels(clean_landing / "survey" / "2023" / name)
    with warehouse(tmp_path / "clean.duckdb") as con:
        _load_dltb(con, clean_landing, "clean")
        clean = _held(con, "dltb")
    assert fixed == clean and len(clean[0]) == 3 and clean[1] == []


RECORD_CASES: dict[str, Callable[[Path], None]] = {
    "a CSV in UTF-16": lambda p: write_csv(p, [CASE_HEADER, case_row("WF-1")], encoding="utf-16"),
    "a CSV cut inside a character": lambda p: _cut_inside(
        write_csv(p, [CASE_HEADER, case_row("WF-1")], "gbk"), "执法"
    ),
}


def _cut_inside(path: Path, text: str) -> None:
    """Cut the GBK file after the first byte of the last `text` in it."""
    data = path.read_bytes()
    path.write_bytes(data[: data.rindex(text.encode("gbk")) + 1])


@pytest.mark.parametrize("case", RECORD_CASES)
def test_a_damaged_record_file_is_refused_by_name_and_its_fix_converges(tmp_path: Path, case) -> None:
    landing = tmp_path / "landing"
    delivered = landing / "projects" / "违法用地案件.csv"
    good = [CASE_HEADER, case_row("WF-1"), case_row("WF-2")]
    RECORD_CASES[case](delivered)
    with warehouse(tmp_path / "w.duckdb") as con:
        with pytest.raises(DeliveryError) as refused:
            load_records(con, landing, CASES)
        assert "违法用地案件.csv" in str(refused.value)
        assert audit_loads(con, "damaged", record_ledger(CASES), refused.value.report.audited) == []
        assert con.execute("SELECT count(*) FROM raw.enforcement_cases").fetchone()[0] == 0

        write_csv(delivered, good, encoding="gbk")
        report = load_records(con, landing, CASES)
        assert audit_loads(con, "fixed", record_ledger(CASES), report.audited) == []
        fixed = _held(con, "enforcement_cases")

    write_csv(tmp_path / "clean" / "projects" / "违法用地案件.csv", good, encoding="gbk")
    with warehouse(tmp_path / "clean.duckdb") as con:
        load_records(con, tmp_path / "clean", CASES)
        clean = _held(con, "enforcement_cases")
    assert fixed == clean and len(clean[0]) == 2 and clean[1] == []


def test_the_matrix_covers_every_format_the_input_contract_allows() -> None:
    suffixes = {Path(name).suffix for name, _, _ in LAYER_CASES.values()}
    assert suffixes == {".parquet", ".gpkg", ".shp", ".gdb"}
