"""The data dictionary (数据字典): every table and column of the published snapshot carries its description
as a DuckDB comment, written once where the table is declared; the contracts the README points to are in
the repository; dbt's documentation site builds from a built warehouse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb
import pytest
import yaml

from quality.tables import create_quality_tables
from warehouse.config import REPO_ROOT, TRANSFORMS_DIR
from warehouse.connection import connect, warehouse
from warehouse.dictionary import (
    PYTHON_TABLE_FILES,
    TableDescription,
    comment_tables,
    described_in,
    descriptions,
    undescribed,
)
from warehouse.publish import PUBLISHED_SCHEMAS, publish

CULTIVATED_LAND_YAML = TRANSFORMS_DIR / "models" / "marts" / "cultivated_land.yml"


def query(path: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = connect(path, read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def yaml_entry(path: Path, section: str, name: str) -> dict:
    """The entry `name` of a dbt YAML file's `section` (models, seeds, or the tables of its sources), or
    of the `tables:` of a Python table file."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    if section == "sources":
        entries = [table for source in document["sources"] for table in source["tables"]]
    else:
        entries = document[section]
    return next(entry for entry in entries if entry["name"] == name)


def comments(published: Path) -> tuple[dict[str, str | None], dict[str, str | None]]:
    """The snapshot's comments: by `schema.table`, and by `schema.table.column`."""
    tables = query(
        published,
        "select schema_name || '.' || table_name, comment from duckdb_tables() "
        "where database_name = current_database()",
    )
    columns = query(
        published,
        "select schema_name || '.' || table_name || '.' || column_name, comment from duckdb_columns() "
        "where database_name = current_database() and not internal",
    )
    return dict(tables), dict(columns)


# ---------------------------------------------------------------------------------------- the snapshot


def test_every_table_and_column_of_the_snapshot_has_a_comment(demo_build):
    tables, columns = comments(demo_build.published)
    assert {name.split(".")[0] for name in tables} == set(PUBLISHED_SCHEMAS)
    assert [name for name, text in tables.items() if not (text or "").strip()] == []
    assert [name for name, text in columns.items() if not (text or "").strip()] == []
    assert len(columns) > 300  # every mart, seed and quality table: no schema was left out


CHOSEN_DESCRIPTIONS = [
    # (snapshot table, the YAML that describes it, its section there, its name there)
    ("marts.cultivated_land", "transforms/models/marts/cultivated_land.yml", "models", "cultivated_land"),
    ("marts.county_scorecard", "transforms/models/marts/findings/county_scorecard.yml", "models",
     "county_scorecard"),
    ("reference.ref_land_classes", "transforms/seeds/_seeds.yml", "seeds", "ref_land_classes"),
    ("quality.violations", "transforms/models/staging/__sources.yml", "sources", "violations"),
    ("quality.rule_results", "transforms/models/marts/findings/__quality_sources.yml", "sources",
     "rule_results"),
    ("quality.rule_catalog", "quality/tables.yml", "tables", "quality.rule_catalog"),
    ("quality.published_build", "warehouse/tables.yml", "tables", "quality.published_build"),
]  # fmt: skip


@pytest.mark.parametrize(("table", "path", "section", "name"), CHOSEN_DESCRIPTIONS)
def test_a_comment_is_the_description_its_yaml_gives(demo_build, table, path, section, name):
    entry = yaml_entry(REPO_ROOT / path, section, name)
    tables, columns = comments(demo_build.published)
    assert tables[table] == entry["description"].strip()
    described = {c["name"]: c["description"].strip() for c in entry["columns"]}
    published = {key.rsplit(".", 1)[1]: text for key, text in columns.items() if key.startswith(table + ".")}
    assert {column: published[column] for column in described} == described


def test_each_published_table_is_described_in_one_place():
    twice = {
        f"{schema}.{table}": [d.written_in for d in found]
        for (schema, table), found in described_in().items()
        if schema in PUBLISHED_SCHEMAS and len(found) > 1
    }
    assert twice == {}


def test_the_quality_tables_python_creates_are_described_column_by_column():
    con = duckdb.connect()
    try:
        con.execute("CREATE SCHEMA quality")
        create_quality_tables(con)
        assert undescribed(con, "memory", descriptions()) == []
    finally:
        con.close()


def test_the_python_table_files_describe_tables_and_columns_in_full():
    for path in PYTHON_TABLE_FILES:
        for table in yaml.safe_load(path.read_text(encoding="utf-8"))["tables"]:
            assert table["name"].split(".")[0] in PUBLISHED_SCHEMAS, path
            assert table["description"].strip(), table["name"]
            assert all(c["description"].strip() for c in table["columns"]), table["name"]


def test_publishing_comments_what_is_described_and_reports_the_rest(tmp_path):
    working = tmp_path / "farmland.duckdb"
    with warehouse(working) as con:  # the schemas and the quality tables, empty
        con.execute("CREATE TABLE marts.cultivated_land (admin_code VARCHAR, a_column_nobody_described INT)")
        con.execute("CREATE TABLE marts.a_table_nobody_described (x INTEGER)")
    published = tmp_path / "farmland_published.duckdb"
    publish(working, published)  # never fails for a missing description

    tables, columns = comments(published)
    entry = yaml_entry(CULTIVATED_LAND_YAML, "models", "cultivated_land")
    assert tables["marts.cultivated_land"] == entry["description"].strip()
    assert columns["marts.cultivated_land.admin_code"]
    assert not columns["marts.cultivated_land.a_column_nobody_described"]
    assert not tables["marts.a_table_nobody_described"]
    con = connect(published, read_only=True)
    try:
        missing = undescribed(con, "farmland_published", descriptions())
    finally:
        con.close()
    assert missing == [
        "marts.a_table_nobody_described",
        "marts.a_table_nobody_described.x",
        "marts.cultivated_land.a_column_nobody_described",
    ]


def test_a_comment_keeps_quotes_and_line_breaks():
    con = duckdb.connect()
    try:
        con.execute('CREATE TABLE t ("odd ""name" INTEGER)')
        text = "a county's 耕地\nin 亩"
        described = {("main", "t"): TableDescription(text, {'odd "name': text}, "here")}
        assert comment_tables(con, "memory", described) == []
        for catalog_function in ("duckdb_tables", "duckdb_columns"):
            found = con.execute(f"select comment from {catalog_function}() where table_name = 't'").fetchall()
            assert found == [(text,)]
    finally:
        con.close()


# ----------------------------------------------------------------------------------------- the documents

MARKDOWN = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").rglob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
REFERENCE_LINK = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.MULTILINE)
PATH_IN_CODE = re.compile(r"`([\w.\-]*/[\w./\-]*\.md)`")  # a path to a document written as code
FENCED = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)


def _inside_repository(path: Path) -> bool:
    return path.resolve().is_relative_to(REPO_ROOT)


def broken_links(document: Path) -> list[str]:
    """The relative links of a markdown file, and the document paths it quotes as code, that do not
    lead to a file or folder of the repository."""
    text = FENCED.sub("", document.read_text(encoding="utf-8"))
    broken = []
    for target in LINK.findall(text) + REFERENCE_LINK.findall(text):
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target, re.IGNORECASE):  # a URL, or a heading of this page
            continue
        path = document.parent / target.split("#", 1)[0]
        if not (path.exists() and _inside_repository(path)):
            broken.append(target)
    for quoted in PATH_IN_CODE.findall(text):
        # written from the document's folder or from the repository's root
        candidates = (document.parent / quoted, REPO_ROOT / quoted)
        if not any(path.is_file() and _inside_repository(path) for path in candidates):
            broken.append(quoted)
    return broken


@pytest.mark.parametrize("document", MARKDOWN, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_leads_into_the_repository(document):
    assert broken_links(document) == []
    assert "../shared" not in document.read_text(encoding="utf-8")


def test_a_broken_link_is_found(tmp_path):
    # the check itself: a missing file, a file outside the repository, a quoted path that is nowhere
    probe = tmp_path / "probe.md"
    (tmp_path / "beside.md").write_text("outside the repository\n", encoding="utf-8")
    probe.write_text(
        "[a](docs/spec/INDICATORS.md) [b](beside.md) [c](https://example.org) [d](#top) "
        "`docs/nowhere.md` `docs/scale.md`\n",
        encoding="utf-8",
    )
    assert broken_links(probe) == ["docs/spec/INDICATORS.md", "beside.md", "docs/nowhere.md"]


def test_the_contracts_are_in_the_repository():
    for name in ("SOURCES.md", "INDICATORS.md", "POLICY_RULES.md"):
        assert (REPO_ROOT / "docs" / "spec" / name).stat().st_size > 1000, name
    index = (REPO_ROOT / "docs" / "policy_documents.md").read_text(encoding="utf-8")
    documents = query_seed_documents()
    assert all(document in index for document in documents)


def query_seed_documents() -> list[str]:
    """The policy documents' file names in the seed ref_policy_documents."""
    import csv

    with (TRANSFORMS_DIR / "seeds" / "ref_policy_documents.csv").open(encoding="utf-8", newline="") as f:
        return [row["source_doc"] for row in csv.DictReader(f) if row["document_kind"] == "policy"]


# ------------------------------------------------------------------------------------- dbt's docs site


def test_dbt_docs_build_from_a_built_warehouse(demo_build, tmp_path):
    from orchestration.docs import generate_docs

    page = generate_docs(demo_build.warehouse, tmp_path / "docs")
    assert page == tmp_path / "docs" / "static_index.html"
    catalog = json.loads((page.parent / "catalog.json").read_text(encoding="utf-8"))
    manifest = json.loads((page.parent / "manifest.json").read_text(encoding="utf-8"))
    # the columns come from the warehouse, the descriptions from the YAML
    columns = catalog["nodes"]["model.farmland.cultivated_land"]["columns"]
    assert {"admin_code", "year", "cultivated_mu"} <= set(columns)
    assert catalog["sources"]["source.farmland.quality.violations"]["columns"]
    entry = yaml_entry(CULTIVATED_LAND_YAML, "models", "cultivated_land")
    assert manifest["nodes"]["model.farmland.cultivated_land"]["description"] == entry["description"]
    assert page.stat().st_size > 1_000_000  # the page embeds dbt's app, the manifest and the catalog
