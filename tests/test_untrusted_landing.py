"""The landing folder is not trusted: the loaders read its layout only (SOURCES.md "Landing zone layout"),
never follow a link out of it or into a loop, open no file over the size limit, unpack no archive, and
refuse two files delivering one layer for one year. Each refusal names the file, what is wrong and the
fix, goes the way of every refused file (raw.rejects, the layer's failure, its file rule results), and the
rest of the delivery loads."""

from __future__ import annotations

import os
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

import sources.extract.discover
import sources.extract.ledger
import sources.extract.load
import sources.extract.records
from quality.file_rules import delivered_files, file_results
from sources.extract.discover import discover
from sources.extract.load import LayerLoadError, load_layer
from sources.extract.records import RecordsLoadError, ensure_record_tables, load_all_records
from sources.formats import write_layer
from sources.layers import LAYERS_BY_CODE
from tests.test_extract import REGION, parcels
from tests.test_records import CASE_HEADER, FEE_HEADER, case_row, write_csv
from warehouse.config import MAX_FILE_SIZE_ENV, max_file_size
from warehouse.connection import warehouse

DLTB = LAYERS_BY_CODE["DLTB"]
CASES = "projects/违法用地案件.csv"


@pytest.fixture
def opened(monkeypatch) -> list[Path]:
    """Every path the loaders read from, fingerprint or open (resolved): what was read, wherever it lies."""
    paths: list[Path] = []

    def spy(module, name: str) -> None:
        real = getattr(module, name)

        def reading(path, *args, **kwargs):
            paths.append(Path(path).resolve())
            return real(path, *args, **kwargs)

        monkeypatch.setattr(module, name, reading)

    spy(sources.extract.ledger, "file_sha256")
    spy(sources.extract.load, "open_layer")
    spy(sources.extract.discover, "list_layer_names")
    spy(sources.extract.records, "read_records")
    return paths


def load_dltb(tmp_path: Path) -> tuple[LayerLoadError | None, list[tuple], list[tuple], list[tuple]]:
    """Load the landing folder's DLTB: (the refusal or None, (file, rows) loaded, rejects, file rule
    results)."""
    with warehouse(tmp_path / "w.duckdb") as con:
        try:
            load_layer(con, tmp_path / "landing", DLTB, REGION)
            refusal = None
        except LayerLoadError as error:
            refusal = error
        loaded = con.execute("SELECT _source_file, count(*) FROM raw.dltb GROUP BY 1 ORDER BY 1").fetchall()
        rejects = con.execute(
            "SELECT source_file, source_row, rule_id, reason FROM raw.rejects ORDER BY 1"
        ).fetchall()
        results = file_results(delivered_files(con, DLTB))
    checks = sorted(results[["observed", "rule_id", "status", "reason"]].itertuples(index=False, name=None))
    return refusal, loaded, rejects, checks


@pytest.fixture
def records() -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(":memory:")
    ensure_record_tables(con)
    yield con
    con.close()


def _record_rejects(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT source_file, layer, rule_id, reason FROM raw.rejects ORDER BY 1, 2").fetchall()


# ------------------------------------------------------------------------------------------------- links


def test_a_link_to_a_folder_outside_is_refused_and_nothing_outside_is_read(tmp_path: Path, opened) -> None:
    outside = tmp_path / "elsewhere"
    write_layer(outside / "DLTB.parquet", *parcels(3), REGION)
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *parcels(2), REGION)
    os.symlink(outside, landing / "survey/2023/南湖区")
    os.symlink(outside, landing / "survey/2024")  # a whole year folder

    refusal, loaded, rejects, checks = load_dltb(tmp_path)

    assert loaded == [("survey/2023/DLTB.parquet", 2)]
    assert [(f, row, rule) for f, row, rule, _ in rejects] == [
        ("survey/2023/南湖区/", None, "LOAD"),
        ("survey/2024/", None, "LOAD"),
    ]
    in_year, year_folder = rejects[0][3], rejects[1][3]
    assert in_year == (
        f"survey/2023/南湖区/ is a link to {outside}, outside the landing folder: links out of it are not "
        "followed. Copy its files into survey/2023/ instead of linking to it"
    )
    assert year_folder.startswith(f"survey/2024/ is a link to {outside}: links to folders are not followed")
    assert "copy the files into it" in year_folder
    assert refusal is not None and "survey/2023/南湖区/ is a link to" in str(refusal)
    assert not [path for path in opened if path.is_relative_to(outside)]
    # the operator sees the refusal in the layer's file rule results too
    assert ("survey/2024/", "DQ14", "not_evaluated", f"refused by LOAD first: {year_folder}") in checks


def test_a_link_loop_is_refused_once_and_the_layer_loads_once(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3), REGION)
    os.symlink("..", landing / "survey/2023/loop")
    os.symlink("loop2", landing / "survey/2023/loop1")  # links that lead back to themselves
    os.symlink("loop1", landing / "survey/2023/loop2")

    found = [(d.layer.code, d.source_file, d.problem is None) for d in discover(landing)]
    _, loaded, rejects, _ = load_dltb(tmp_path)

    assert ("DLTB", "survey/2023/DLTB.parquet", True) in found
    assert loaded == [("survey/2023/DLTB.parquet", 3)]
    assert [(f, reason) for f, _, _, reason in rejects] == [
        (
            "survey/2023/loop/",
            "survey/2023/loop/ is a link to the folder ..: links to folders are not followed (they can lead "
            "back into themselves). Copy its files into survey/2023/",
        )
    ]


def test_a_link_to_a_system_file_is_refused_unopened_as_a_layer_and_as_a_record(
    tmp_path: Path, opened, records
) -> None:
    landing = tmp_path / "landing"
    (landing / "survey/2023").mkdir(parents=True)
    (landing / "projects").mkdir(parents=True)
    os.symlink("/etc/passwd", landing / "survey/2023/DLTB.parquet")
    os.symlink("/etc/passwd", landing / CASES)

    refusal, loaded, rejects, _ = load_dltb(tmp_path)
    with pytest.raises(RecordsLoadError) as record_refusal:
        load_all_records(records, landing)

    assert loaded == [] and refusal is not None
    assert rejects == [
        (
            "survey/2023/DLTB.parquet",
            None,
            "LOAD",
            "survey/2023/DLTB.parquet is a link to /etc/passwd, outside the landing folder: links out of it "
            "are not followed. Copy the file into survey/2023/ instead of linking to it",
        )
    ]
    assert _record_rejects(records) == [
        (
            CASES,
            "enforcement_cases",
            "LOAD",
            f"{CASES} is a link to /etc/passwd, outside the landing folder: links out of it are not "
            "followed. Copy the file into projects/ instead of linking to it",
        )
    ]
    assert f"{CASES} is a link to /etc/passwd" in str(record_refusal.value)
    assert Path("/etc/passwd").resolve() not in opened


def test_a_link_to_a_file_inside_the_landing_folder_is_followed(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "incoming/DLTB_2023.parquet", *parcels(3), REGION)
    (landing / "survey/2023").mkdir(parents=True)
    os.symlink("../../incoming/DLTB_2023.parquet", landing / "survey/2023/DLTB.parquet")

    refusal, loaded, rejects, _ = load_dltb(tmp_path)

    assert (refusal, loaded, rejects) == (None, [("survey/2023/DLTB.parquet", 3)], [])


def test_a_shapefile_read_with_a_linked_dbf_from_outside_is_refused(tmp_path: Path, opened) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.shp", *parcels(2), REGION)
    dbf = landing / "survey/2023/DLTB.dbf"
    outside = tmp_path / "elsewhere.dbf"
    dbf.rename(outside)
    os.symlink(outside, dbf)

    _, loaded, rejects, _ = load_dltb(tmp_path)

    assert loaded == []
    [(source_file, _, rule_id, reason)] = rejects
    assert (source_file, rule_id) == ("survey/2023/DLTB.shp", "LOAD")
    assert reason.startswith(
        f"survey/2023/DLTB.shp cannot be read: survey/2023/DLTB.dbf is a link to {outside}, outside the "
        "landing folder"
    )
    assert outside not in opened


# ----------------------------------------------------------------------------------- two files, one layer


@pytest.mark.parametrize(
    "second",
    ["DLTB_copy.parquet", "DLTB_v2.parquet", "DLTB.gpkg", "dltb_330402.parquet", "DLTB_2023.parquet"],
)
def test_two_files_for_one_layer_and_year_are_both_refused_naming_both_and_the_fix(
    tmp_path: Path, second: str
) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB_330402.parquet", *parcels(3), REGION)
    write_layer(landing / f"survey/2023/{second}", *parcels(3, first_bsm=10), REGION)
    write_layer(landing / "survey/2024/DLTB.parquet", *parcels(2), REGION)  # another year, one file

    refusal, loaded, rejects, _ = load_dltb(tmp_path)

    assert loaded == [("survey/2024/DLTB.parquet", 2)]
    pair = sorted(["survey/2023/DLTB_330402.parquet", f"survey/2023/{second}"])
    assert sorted(f for f, *_ in rejects) == pair
    message = (
        f"2 files deliver DLTB for 2023: {', '.join(pair)}. Neither is loaded: loading all would count DLTB "
        "more than once, and no name says which one is meant. Keep one file per layer and year (remove the "
        "others), or, for a layer delivered county by county, name each county's file by its county code: "
        "DLTB_<county code>"
    )
    assert all(rule == "LOAD" and reason.startswith(message) for _, _, rule, reason in rejects)
    assert refusal is not None and all(name in str(refusal) for name in pair)


def test_one_file_per_county_loads_and_the_refused_pair_loads_once_one_is_removed(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB_330402.parquet", *parcels(3), REGION)
    write_layer(landing / "survey/2023/DLTB_330411.gpkg", *parcels(2, first_bsm=10), REGION)
    assert load_dltb(tmp_path)[:3] == (
        None,
        [("survey/2023/DLTB_330402.parquet", 3), ("survey/2023/DLTB_330411.gpkg", 2)],
        [],
    )

    copy = landing / "survey/2023/DLTB_330411_v2.gpkg"
    write_layer(copy, *parcels(2, first_bsm=20), REGION)
    refusal, loaded, rejects, _ = load_dltb(tmp_path)
    # a file that names no county of its own could be any county's, or the whole region's: none is loaded
    assert refusal is not None and loaded == []
    assert sorted(f for f, *_ in rejects) == [
        "survey/2023/DLTB_330402.parquet",
        "survey/2023/DLTB_330411.gpkg",
        "survey/2023/DLTB_330411_v2.gpkg",
    ]

    copy.unlink()  # the operator keeps one file per county
    refusal, loaded, rejects, _ = load_dltb(tmp_path)
    assert (refusal, rejects) == (None, [])
    assert loaded == [("survey/2023/DLTB_330402.parquet", 3), ("survey/2023/DLTB_330411.gpkg", 2)]


# ------------------------------------------------------------------------------------- size, folders, zips


def test_the_size_limit_is_read_from_the_environment(monkeypatch) -> None:
    monkeypatch.delenv(MAX_FILE_SIZE_ENV, raising=False)
    assert max_file_size() == 20 * 10**9
    monkeypatch.setenv(MAX_FILE_SIZE_ENV, "500MB")
    assert max_file_size() == 500 * 10**6
    monkeypatch.setenv(MAX_FILE_SIZE_ENV, "1GiB")
    assert max_file_size() == 2**30
    monkeypatch.setenv(MAX_FILE_SIZE_ENV, "a lot")
    with pytest.raises(ValueError, match="FARMLAND_MAX_FILE_SIZE='a lot' is not a size: write it like 20GB"):
        max_file_size()


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    tmp_path: Path, monkeypatch, opened, records
) -> None:
    landing = tmp_path / "landing"
    big = write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3), REGION)
    write_csv(landing / CASES, [CASE_HEADER, case_row("WF-1")])
    size = big.stat().st_size
    monkeypatch.setenv(MAX_FILE_SIZE_ENV, str(size - 1))

    _, loaded, rejects, _ = load_dltb(tmp_path)
    load_all_records(records, landing)  # the case file is well under the limit

    assert loaded == []
    [(_, _, rule_id, reason)] = rejects
    assert rule_id == "LOAD" and reason.startswith(
        f"survey/2023/DLTB.parquet is {size / 1000:.1f} kB, over the {(size - 1) / 1000:.1f} kB a delivered "
        "file may have (FARMLAND_MAX_FILE_SIZE); it was not opened."
    )
    assert big.resolve() not in opened
    assert records.execute("SELECT count(*) FROM raw.enforcement_cases").fetchone() == (1,)


def test_files_in_a_folder_below_the_layout_are_refused_by_name_not_loaded(tmp_path: Path, records) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/南湖区/DLTB.parquet", *parcels(3), REGION)
    (landing / "survey/2023/原始资料").mkdir()
    (landing / "survey/2023/原始资料/说明.txt").write_text("readme")
    fees = "funds/2024/旧/耕地开垦费缴纳_2024.csv"
    write_csv(landing / fees, [FEE_HEADER, ["JK-1", "浙土字[2024]1号", "某公司", "100", "2024-03-05"]])

    _, loaded, rejects, _ = load_dltb(tmp_path)
    with pytest.raises(RecordsLoadError):
        load_all_records(records, landing)

    assert loaded == []
    assert [(f, reason) for f, _, _, reason in rejects] == [
        (
            "survey/2023/南湖区/DLTB.parquet",
            "survey/2023/南湖区/DLTB.parquet lies in a folder inside survey/2023/, which is not read: the "
            "layout (SOURCES.md) takes the files directly in survey/2023/. Move it into survey/2023/",
        )
    ]
    assert [(f, kind) for f, kind, _, _ in _record_rejects(records)] == [(fees, "reclamation_fees")]
    assert records.execute("SELECT count(*) FROM raw.reclamation_fees").fetchone() == (0,)


def test_an_archive_is_refused_not_unpacked(tmp_path: Path, opened) -> None:
    landing = tmp_path / "landing"
    inner = write_layer(tmp_path / "DLTB.parquet", *parcels(3), REGION)
    (landing / "survey/2023").mkdir(parents=True)
    with zipfile.ZipFile(landing / "survey/2023/DLTB.zip", "w") as archive:
        archive.write(inner, "DLTB.parquet")

    _, loaded, rejects, _ = load_dltb(tmp_path)

    assert loaded == []
    assert rejects == [
        (
            "survey/2023/DLTB.zip",
            None,
            "LOAD",
            "survey/2023/DLTB.zip is an archive, archives are not unpacked: unpack it and deliver its files "
            "in survey/2023/",
        )
    ]
    assert opened == [] and sorted(p.name for p in (landing / "survey/2023").iterdir()) == ["DLTB.zip"]


def test_a_linked_records_folder_is_refused_for_every_kind_it_could_hold(tmp_path: Path, records) -> None:
    outside = tmp_path / "elsewhere"
    write_csv(
        outside / "耕地开垦费缴纳_2024.csv", [FEE_HEADER, ["JK-1", "浙土字[2024]1号", "某", "1", "2024-3-5"]]
    )
    landing = tmp_path / "landing"
    write_csv(landing / CASES, [CASE_HEADER, case_row("WF-1")])
    (landing / "funds").mkdir()
    os.symlink(outside, landing / "funds/2024")

    with pytest.raises(RecordsLoadError) as refusal:
        load_all_records(records, landing)

    assert records.execute("SELECT count(*) FROM raw.reclamation_fees").fetchone() == (0,)
    assert records.execute("SELECT count(*) FROM raw.enforcement_cases").fetchone() == (1,)
    refused = {(f, kind) for f, kind, _, _ in _record_rejects(records)}
    assert refused == {
        ("funds/2024/", "compensation_payments"),
        ("funds/2024/", "reclamation_fees"),
        ("funds/2024/", "farmland_maintenance"),
    }
    assert f"funds/2024/ is a link to {outside}: links to folders are not followed" in str(refusal.value)
