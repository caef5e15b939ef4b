"""Every delivered row is accounted for: the load audit (quality.load_audit) says per file what was read,
loaded, rejected, replaced or skipped, counts the loaded rows again from raw, and names a file whose rows
read are not all loaded or rejected."""

from __future__ import annotations

import shutil
from pathlib import Path

from quality.load_audit import audit_loads
from sources.extract.load import LayerLoadError, file_ledger, load_layer
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
COLUMNS = "source_file, outcome, rows_read, rows_loaded, rows_rejected, rows_replaced, accounted"


def _audit_dltb(con, landing: Path, run_id: str) -> list[str]:
    try:
        report = load_layer(con, landing, DLTB, REGION)
    except LayerLoadError as refused:
        report = refused.report
    return audit_loads(con, run_id, file_ledger(DLTB), report.audited)


def _rows(con, run_id: str) -> list[tuple]:
    return con.execute(
        f"SELECT {COLUMNS} FROM quality.load_audit WHERE run_id = ? ORDER BY source_file", [run_id]
    ).fetchall()


def test_each_file_says_what_was_read_loaded_rejected_replaced_and_skipped(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    # a quality grade that is not a number rejects its row only
    write_layer(
        landing / "survey/2023/DLTB_330402.parquet", *parcels(4, gddb=["5", "十二", "7", "8"]), REGION
    )
    write_layer(landing / "survey/2023/DLTB_330411.parquet", *parcels(2, first_bsm=10), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        assert _audit_dltb(con, landing, "first") == []
        first = _rows(con, "first")
        held = con.execute("SELECT count(*) FROM raw.dltb").fetchone()[0]

        assert _audit_dltb(con, landing, "unchanged") == []
        unchanged = _rows(con, "unchanged")

        write_layer(landing / "survey/2023/DLTB_330411.parquet", *parcels(3, first_bsm=10), REGION)
        assert _audit_dltb(con, landing, "corrected") == []
        corrected = _rows(con, "corrected")

    assert first == [
        ("survey/2023/DLTB_330402.parquet", "loaded", 4, 3, 1, 0, True),
        ("survey/2023/DLTB_330411.parquet", "loaded", 2, 2, 0, 0, True),
    ]
    assert held == 5
    assert unchanged == [
        ("survey/2023/DLTB_330402.parquet", "skipped", 0, 0, 0, 0, True),
        ("survey/2023/DLTB_330411.parquet", "skipped", 0, 0, 0, 0, True),
    ]
    assert corrected[1] == ("survey/2023/DLTB_330411.parquet", "replaced", 3, 3, 0, 2, True)


def _raw_parcels(con) -> list[tuple]:
    return con.execute(
        "SELECT _source_file, BSM, DLBM, TBMJ, ST_AsText(geom) FROM raw.dltb ORDER BY BSM"
    ).fetchall()


def test_the_same_delivery_twice_from_another_folder_and_under_another_name_is_held_once(
    tmp_path: Path,
) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        assert _audit_dltb(con, landing, "first") == []
        first = _raw_parcels(con)

        # the same files delivered again, copied to another folder: nothing read, nothing added
        moved = tmp_path / "delivered again"
        shutil.copytree(landing, moved)
        assert _audit_dltb(con, moved, "again") == []
        again = _raw_parcels(con)

        # the same file under another name: loaded under the new one, withdrawn under the old one
        (moved / "survey/2023/DLTB.parquet").rename(moved / "survey/2023/DLTB_330402.parquet")
        assert _audit_dltb(con, moved, "renamed") == []
        renamed = _raw_parcels(con)
        rows = {run: _rows(con, run) for run in ("first", "again", "renamed")}

    assert len(first) == 3 and again == first
    assert renamed == [("survey/2023/DLTB_330402.parquet", *row[1:]) for row in first]
    assert rows == {
        "first": [("survey/2023/DLTB.parquet", "loaded", 3, 3, 0, 0, True)],
        "again": [("survey/2023/DLTB.parquet", "skipped", 0, 0, 0, 0, True)],
        "renamed": [
            ("survey/2023/DLTB.parquet", "withdrawn", 0, 0, 0, 3, True),
            ("survey/2023/DLTB_330402.parquet", "loaded", 3, 3, 0, 0, True),
        ],
    }


def test_rows_rejected_at_load_count_with_the_rows_read(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_csv(
        landing / "projects/违法用地案件.csv",
        [CASE_HEADER, case_row("WF-1"), case_row("WF-2", found="15/01/2023"), case_row("WF-3", area="壹亩")],
    )
    with warehouse(tmp_path / "w.duckdb") as con:
        try:
            report = load_records(con, landing, CASES)
        except Exception as refused:  # rows refused at load are reported, the rest loaded
            report = refused.report
        assert audit_loads(con, "run", record_ledger(CASES), report.files) == []
        rows = _rows(con, "run")
        rejected = con.execute("SELECT count(*) FROM raw.rejects WHERE source_row IS NOT NULL").fetchone()[0]
    ((source_file, outcome, read, loaded, rejected_rows, replaced, accounted),) = rows
    assert (source_file, outcome, read, replaced, accounted) == (
        "projects/违法用地案件.csv",
        "loaded",
        3,
        0,
        True,
    )
    assert loaded + rejected_rows == 3 and rejected_rows == rejected >= 1


def test_a_file_refused_whole_is_audited_with_what_it_removed(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        _audit_dltb(con, landing, "first")
        # a copy beside it: both refused, and what the first one loaded leaves raw
        write_layer(landing / "survey/2023/DLTB_copy.parquet", *parcels(3), REGION)
        assert _audit_dltb(con, landing, "doubled") == []
        rows = _rows(con, "doubled")
    assert [(r[0], r[1], r[2], r[3], r[5], r[6]) for r in rows] == [
        ("survey/2023/DLTB.parquet", "failed", 0, 0, 3, True),
        ("survey/2023/DLTB_copy.parquet", "failed", 0, 0, 0, True),
    ]


def test_rows_lost_between_reading_and_raw_are_named(tmp_path: Path, monkeypatch) -> None:
    landing = tmp_path / "landing"
    write_layer(landing / "survey/2023/DLTB.parquet", *parcels(3), REGION)
    with warehouse(tmp_path / "w.duckdb") as con:
        report = load_layer(con, landing, DLTB, REGION)
        con.execute("DELETE FROM raw.dltb WHERE BSM = 2")  # as a loader that dropped a row would leave it
        unaccounted = audit_loads(con, "run", file_ledger(DLTB), report.files)
        ((*_, accounted),) = _rows(con, "run")
    assert unaccounted == ["survey/2023/DLTB.parquet: 3 rows read, 2 in raw.dltb, 0 rejected"]
    assert accounted is False


def test_every_file_of_the_demo_is_audited_and_accounted_for(demo_build) -> None:
    from sources.extract.discover import discover
    from sources.extract.records import discover_records
    from tests.test_pipeline import query

    run_id = demo_build.result.run_id
    audited = query(
        demo_build.published,
        "select raw_table, source_file, outcome, rows_read, rows_loaded, rows_rejected, accounted "
        f"from quality.load_audit where run_id = '{run_id}'",
    )
    delivered = {d.source_file for d in discover(demo_build.landing)}
    delivered |= {f.source_file for f in discover_records(demo_build.landing)}
    assert {row[1] for row in audited} == delivered
    assert [row for row in audited if not row[6] or row[3] != row[4] + row[5]] == []
    assert {row[2] for row in audited} == {"loaded"}
    # what the audit says was loaded is what raw holds
    loaded: dict[str, int] = {}
    for raw_table, _, _, _, rows_loaded, _, _ in audited:
        loaded[raw_table] = loaded.get(raw_table, 0) + rows_loaded
    for raw_table, rows in loaded.items():
        assert query(demo_build.warehouse, f"select count(*) from raw.{raw_table}")[0][0] == rows, raw_table


def test_results_of_a_run_that_did_not_finish_or_publish_stay_out_of_the_snapshot(
    demo_build, tmp_path
) -> None:
    import shutil

    from tests.test_pipeline import query
    from warehouse.connection import connect
    from warehouse.county_shards import shard_folder
    from warehouse.publish import publish

    working = tmp_path / "farmland.duckdb"
    shutil.copy(demo_build.warehouse, working)
    if shard_folder(demo_build.warehouse).exists():
        shutil.copytree(shard_folder(demo_build.warehouse), shard_folder(working))
    con = connect(working)
    try:
        # what a run killed after its rule step and its loads leaves behind in the working file
        con.execute(
            "INSERT INTO quality.rule_results (run_id, rule_id, admin_code, year, passed, status) "
            "VALUES ('killed-run', 'PR01', '330402', 2025, false, 'failed')"
        )
        con.execute(
            "INSERT INTO quality.load_audit (run_id, source_file, outcome, rows_read, rows_loaded, "
            "rows_rejected, accounted) "
            "VALUES ('killed-run', 'survey/2025/DLTBGX.gpkg', 'loaded', 5, 4, 0, false)"
        )
    finally:
        con.close()
    published = tmp_path / "snapshot.duckdb"
    publish(working, published, run_id="next-run")

    runs = {run for (run,) in query(published, "select run_id from quality.published_runs")}
    assert runs == {demo_build.result.run_id, "next-run"}
    for table in ("rule_results", "load_audit"):
        kept = {run for (run,) in query(published, f"select distinct run_id from quality.{table}")}
        assert "killed-run" not in kept and demo_build.result.run_id in kept, (table, kept)

    # a run killed while it wrote its snapshot had listed itself as publishing in the working file; the
    # snapshot it was writing never replaced the published one, so the next run's snapshot leaves it out
    con = connect(working)
    try:
        con.execute("INSERT INTO quality.published_runs VALUES ('killed-publishing', now()::TIMESTAMP)")
        con.execute(
            "INSERT INTO quality.rule_results (run_id, rule_id, admin_code, year, passed, status) "
            "VALUES ('killed-publishing', 'PR01', '330402', 2025, false, 'failed')"
        )
    finally:
        con.close()
    publish(working, published, run_id="third-run")
    runs = {run for (run,) in query(published, "select run_id from quality.published_runs")}
    assert runs == {demo_build.result.run_id, "next-run", "third-run"}
    kept = {run for (run,) in query(published, "select distinct run_id from quality.rule_results")}
    assert "killed-publishing" not in kept and "third-run" not in kept  # the third judged nothing
