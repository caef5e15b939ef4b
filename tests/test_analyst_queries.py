"""The analysts' entry points: every worked query of docs/analysts.md runs on the published snapshot of
the demo build, returns the columns it documents and, where the demo planted the answer, that answer; and
`farmland sql` opens a snapshot through the DuckDB shell, read-only, with spatial."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from tests.conftest import planted
from warehouse.config import REPO_ROOT, published_path
from warehouse.connection import connect

DOC = REPO_ROOT / "docs" / "analysts.md"

# A named SQL block, then the line documenting its columns.
QUERY = re.compile(r"^```sql (?P<name>\w+)\n(?P<sql>.*?)^```\n+Columns: (?P<columns>[^\n]+)$", re.M | re.S)


def documented_queries() -> dict[str, tuple[str, list[str]]]:
    """Each query of the doc by name: (its SQL, the columns it documents)."""
    text = DOC.read_text(encoding="utf-8")
    queries = {}
    for found in QUERY.finditer(text):
        columns = re.findall(r"`(\w+)`", found["columns"])
        assert found["name"] not in queries, f"two queries named {found['name']}"
        queries[found["name"]] = (found["sql"], columns)
    # every SQL block is a named, documented query: none escapes the test
    assert len(queries) == text.count("```sql"), "a ```sql block without a name or a Columns: line"
    return queries


QUERIES = documented_queries()


def run(path: Path, sql: str) -> tuple[list[dict], list[str]]:
    con = connect(path, read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], names
    finally:
        con.close()


def test_the_doc_has_a_dozen_queries_each_with_both_languages_and_a_source():
    assert len(QUERIES) >= 12
    text = DOC.read_text(encoding="utf-8")
    sections = re.split(r"^## \d+\. ", text, flags=re.M)[1:]
    assert len(sections) == len(QUERIES)
    for section in sections:
        title = section.splitlines()[0]
        assert re.search(r"[\u4e00-\u9fff]", title) and re.search(r"[A-Za-z]{3}", title), title
        assert re.search(r"^Source: 00[0-4] §", section, re.M), title
        assert "**Demo" in section, title


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_each_query_returns_rows_with_its_documented_columns(demo_build, name):
    sql, documented = QUERIES[name]
    rows, columns = run(demo_build.published, sql)
    assert columns == documented
    assert rows, f"{name} returns nothing on the demo"


# ------------------------------------------------------------------- the answers the demo planted
def _records(rule_id: str) -> Callable[[dict], set]:
    return lambda manifest: {entity for entity, _ in planted(manifest, rule_id, "records")}


def _county_years(rule_id: str, section: str = "survey") -> Callable[[dict], set]:
    return lambda manifest: planted(manifest, rule_id, section)


def _open_findings(manifest: dict) -> set:
    cases = manifest["records"]["truth"]["case_lifecycle"]
    last = max(int(year) for case in cases for year in case["colours"])
    return {
        (case["rule_id"], case["entity_id"], case["colours"][str(last)])
        for case in cases
        if case["colours"].get(str(last), "green") != "green"
    }


def _new_high_standard_outside(manifest: dict) -> set:
    return {
        (p["admin_code"], p["year"])
        for p in manifest["planted"]
        if p["rule_id"] == "PR12" and p["detail"]["jslx"] == "新建"
    }


def _targets_behind(manifest: dict) -> set:
    targets = [
        p for p in manifest["records"]["planted"] if p["rule_id"] == "PR19" and p["entity_type"] == "target"
    ]
    last = max(p["year"] for p in targets)
    return {p["entity_id"] for p in targets if p["year"] == last}


def _county_rows(key: Callable[[dict], object]) -> Callable[[dict], object]:
    """Only the county rows count: the city row sums them (a county's code never ends in 00)."""
    return lambda row: None if row["admin_code"].endswith("00") else key(row)


# query → (the answer the manifest gives, the same from one row of the query's result)
EXPECTED: dict[str, tuple[Callable[[dict], set], Callable[[dict], object]]] = {
    "cultivated_land_target": (_county_years("PR01"), lambda r: (r["admin_code"], r["year"])),
    "permanent_farmland_target": (_county_years("PR02"), lambda r: (r["admin_code"], r["year"])),
    "paddy_unbalanced": (_records("PR04"), lambda r: r["approval_no"]),
    "quantity_capacity_unbalanced": (
        lambda m: _records("PR03")(m) | _records("PR05")(m),
        lambda r: r["approval_no"],
    ),
    "supply_before_occupation": (_records("PR06"), lambda r: r["approval_no"]),
    "reclamation_fee_underpaid": (_records("PR07"), lambda r: r["approval_no"]),
    "in_out_unbalanced": (_county_years("PR08"), lambda r: (r["admin_code"], r["year"])),
    "villages_paid_in_full_with_open_case": (
        _county_years("PR18", "records"),
        lambda r: (r["village_code"], r["year"]),
    ),
    "pbf_patches_under_20mu": (_county_years("PR13"), lambda r: (r["patch_id"], r["control_year"])),
    "open_survey_findings": (_open_findings, lambda r: (r["rule_id"], r["entity_id"], r["colour"])),
    "new_high_standard_outside_pbf": (
        _new_high_standard_outside,
        _county_rows(lambda r: (r["admin_code"], r["year"])),
    ),
    "quota_overdrawn": (_records("PR15"), lambda r: f"{r['county_code']}:{r['event_date']}"),
    "consolidation_behind_pace": (_targets_behind, lambda r: r["target_key"]),
    "quality_grade_decline": (_county_years("PR22"), lambda r: (r["admin_code"], r["year"])),
}


def test_every_expectation_names_a_documented_query():
    assert set(EXPECTED) <= set(QUERIES), sorted(set(EXPECTED) - set(QUERIES))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_query_finds_exactly_what_the_demo_planted(demo_build, name):
    expected, key = EXPECTED[name]
    rows, _ = run(demo_build.published, QUERIES[name][0])
    found = {key(row) for row in rows} - {None}
    assert found == expected(demo_build.manifest)


def test_the_small_patches_are_a_map_layer_of_their_outlines(demo_build):
    """Each patch under 20 亩 comes with its outline, whose area is the patch's; two small polygons 3 m apart
    make one patch above 20 亩, not listed."""
    sql = QUERIES["pbf_patches_under_20mu"][0].strip().rstrip(";")
    rows, _ = run(
        demo_build.published,
        "select patch_id, patch_mu, ST_GeometryType(geom) as kind, ST_Area(geom) / (10000 / 15) as area_mu "
        f"from ({sql})",
    )
    assert rows
    for row in rows:
        assert row["kind"] in ("POLYGON", "MULTIPOLYGON") and row["patch_mu"] < 20, row
        assert abs(row["area_mu"] - float(row["patch_mu"])) < 0.01, row
    connected = {str(bsm) for bsm in demo_build.manifest["pbf_patches"]["connected_pair"]}
    assert not {row["patch_id"] for row in rows} & connected


def test_the_villages_listed_were_paid_in_full(demo_build):
    rows, _ = run(demo_build.published, QUERIES["villages_paid_in_full_with_open_case"][0])
    assert rows and all(row["paid_yuan"] == row["due_yuan"] > 0 and row["case_nos"] for row in rows)


def test_the_risk_index_ranks_every_county_once(demo_build):
    rows, _ = run(demo_build.published, QUERIES["risk_index_latest_quarter"][0])
    counties = {t["admin_code"] for t in demo_build.manifest["truth"]["land_use_area"]}
    assert {row["county_code"] for row in rows} == counties
    assert len(rows) == len(counties) and len({row["quarter"] for row in rows}) == 1
    assert sorted(row["rank"] for row in rows) == list(range(1, len(counties) + 1))


# ------------------------------------------------------------------------------------- farmland sql
def farmland_sql(warehouse: Path, *arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`farmland sql` as an analyst runs it, in a process of its own."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "sql", "--warehouse", str(warehouse), *arguments],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )


@pytest.fixture
def snapshot(tmp_path: Path) -> Path:
    """A small published snapshot: the working file's name, and one table beside it."""
    warehouse = tmp_path / "farmland.duckdb"
    con = duckdb.connect(str(published_path(warehouse)))
    con.execute("CREATE SCHEMA marts; CREATE TABLE marts.answer AS SELECT 42 AS answer")
    con.close()
    return warehouse


def _csv(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


def test_sql_prints_the_result_through_the_duckdb_shell_of_the_engines_version(snapshot):
    done = farmland_sql(snapshot, "--mode", "csv", "select answer, version() as engine from marts.answer")
    assert done.returncode == 0, done.stderr
    # the shell of the duckdb-cli wheel, which reports its version as the engine's
    assert _csv(done.stdout) == [{"answer": "42", "engine": f"v{duckdb.__version__}"}]
    plain = farmland_sql(snapshot, "select 42")
    assert plain.returncode == 0 and re.search(r"\b42\b", plain.stdout), plain.stdout


def test_sql_loads_spatial_from_the_projects_extension_directory_and_fetches_nothing(snapshot):
    from warehouse.connection import ensure_extensions_installed

    done = farmland_sql(
        snapshot,
        "--mode",
        "csv",
        "select ST_AsText(ST_Point(1, 2)) as point, current_setting('extension_directory') as directory, "
        "current_setting('autoinstall_known_extensions') as autoinstall, "
        "current_setting('autoload_known_extensions') as autoload",
    )
    assert done.returncode == 0, done.stderr
    assert _csv(done.stdout) == [
        {
            "point": "POINT (1 2)",
            "directory": str(ensure_extensions_installed()),
            "autoinstall": "false",
            "autoload": "false",
        }
    ]


@pytest.mark.parametrize(
    "script",
    [
        "create table x(i int);",
        "create table marts.x(i int);",
        "insert into marts.answer values (43);",
        # reopening the file from inside the shell, or attaching it again, must not make it writable
        ".open {snapshot}\ncreate table x(i int);",
        "attach '{snapshot}' as again;\ncreate table again.x(i int);",
        "attach '{elsewhere}' as other;\ncreate table other.x(i int);",
    ],
)
def test_sql_cannot_write(snapshot, script):
    published = published_path(snapshot)
    elsewhere = snapshot.with_name("elsewhere.duckdb")
    script = script.format(snapshot=published, elsewhere=elsewhere)
    if "\n" in script:
        done = farmland_sql(snapshot, stdin=script + "\n")
    else:
        done = farmland_sql(snapshot, script)
    assert done.returncode != 0
    assert re.search(r"read-only|safe mode|-safe|disabled", done.stderr), done.stderr
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute("select table_schema, table_name from information_schema.tables").fetchall() == [
            ("marts", "answer")
        ]
        assert con.execute("select * from marts.answer").fetchall() == [(42,)]
    finally:
        con.close()
    assert not elsewhere.exists()


def test_the_sql_help_says_what_each_option_is_and_defaults_to(capsys):
    from orchestration.cli import DEFAULT_WAREHOUSE, main

    with pytest.raises(SystemExit) as stopped:
        main(["sql", "--help"])
    assert stopped.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert f"(default: {DEFAULT_WAREHOUSE})" in text and "(default: duckbox)" in text
    assert "(default: the interactive shell" in text


def test_sql_without_a_snapshot_says_to_build_first(tmp_path: Path):
    done = farmland_sql(tmp_path / "farmland.duckdb", "select 42")
    assert done.returncode != 0
    assert "run farmland build first" in done.stderr
    assert str(published_path(tmp_path / "farmland.duckdb")) in done.stderr


def test_sql_runs_a_documented_query_on_the_demo_snapshot_as_python_does(demo_build):
    sql, columns = QUERIES["cultivated_land_target"]
    done = farmland_sql(demo_build.warehouse, "--mode", "csv", sql)
    assert done.returncode == 0, done.stderr
    rows, _ = run(demo_build.published, sql)
    shown = _csv(done.stdout)
    assert list(shown[0]) == columns
    assert [row["admin_code"] for row in shown] == [row["admin_code"] for row in rows]
