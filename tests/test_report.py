"""The report officials read: per city and county and survey year, one HTML page that opens with no
network (charts and map as static SVG) and an Excel workbook of the findings that runs no formula, both
written by every build beside the published snapshot and on demand by `farmland report`."""

from __future__ import annotations

import re
import shutil
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

import polars as pl
import pytest

from orchestration.cli import main
from tests.browser import BrowserMissing, artifacts_dir, chromium
from tests.test_cli import _help, _options
from tests.test_pipeline import query
from warehouse.connection import connect
from warehouse.report import charts, reports_folder, write_reports

CHARTS = ("cultivated_land", "permanent_farmland", "in_out", "land_transition", "quota_balances")
# what a page draws: the indicator charts, the findings per rule and the map
DRAWN = (*CHARTS, "findings_by_rule", "map")
FORMULA_START = ("=", "+", "-", "@")


def _city(snapshot: Path) -> str:
    return query(snapshot, "select admin_code from reference.ref_region where admin_level = 'city'")[0][0]


def _latest_year(snapshot: Path) -> int:
    return query(snapshot, "select max(year) from marts.cultivated_land")[0][0]


class _Tables(HTMLParser):
    """The text of each table cell of an HTML page, per section id and row."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, list[list[str]]] = {}
        self._section: str | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "section":
            self._section = dict(attrs).get("id")
        elif tag == "tr" and self._section:
            self.rows.setdefault(self._section, []).append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._section:
            self.rows[self._section][-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def _tables(page: Path) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.rows


def _mu(text: str) -> float | None:
    return None if text == "—" else float(text.replace(",", ""))


# ------------------------------------------------------------------------------------------- the build


def test_every_build_writes_a_page_and_a_workbook_for_the_city_and_each_county(demo_build):
    year = _latest_year(demo_build.published)
    codes = [code for (code,) in query(demo_build.published, "select admin_code from reference.ref_region")]
    folder = reports_folder(demo_build.published)
    for code in codes:
        assert (folder / f"{code}_{year}.html").stat().st_size > 0, code
        assert (folder / f"{code}_{year}_findings.xlsx").stat().st_size > 0, code
    materialized = demo_build.result.asset_materializations_for_node("warehouse__reports")
    assert materialized and materialized[0].metadata["pages"].value == len(codes)


def test_the_page_shows_the_snapshots_figures_and_every_finding_of_the_year_by_rule(demo_build):
    snapshot = demo_build.published
    year = _latest_year(snapshot)
    city = _city(snapshot)
    tables = _tables(reports_folder(snapshot) / f"{city}_{year}.html")

    shown = {row[0]: row for row in tables["headline"][1:]}
    cultivated = dict(
        query(snapshot, f"select admin_code, cultivated_mu from marts.cultivated_land where year = {year}")
    )
    assert set(shown) == set(cultivated)
    for code, mu in cultivated.items():
        assert _mu(shown[code][3]) == round(mu), code

    counted = dict(
        query(
            snapshot,
            f"select rule_id, count(*) from quality.violations where year = {year} group by rule_id",
        )
    )
    listed = {row[0]: int(row[3]) for row in tables["findings"][1:]}
    assert listed == counted
    # each rule names its clause and, where the rule cites a policy document, the document's title
    titles = dict(
        query(
            snapshot,
            "select c.rule_id, d.title from quality.rule_catalog c "
            "left join reference.ref_policy_documents d using (source_doc)",
        )
    )
    for row in tables["findings"][1:]:
        assert row[4], f"{row[0]} shows no clause"
        assert row[5] == (titles[row[0]] or "—"), row


def test_every_chart_and_the_map_render_in_a_browser_with_nothing_fetched(demo_build):
    snapshot = demo_build.published
    year = _latest_year(snapshot)
    city = _city(snapshot)
    counties = [
        name
        for (name,) in query(
            snapshot, "select admin_name from reference.ref_region where admin_level = 'county'"
        )
    ]
    page_file = reports_folder(snapshot) / f"{city}_{year}.html"
    try:
        with chromium(width=1300, height=1000) as tab:
            tab.goto(page_file.as_uri())
            loaded = tab.wait_until("document.readyState === 'complete'", timeout=60, settle=0.5)
            screenshot = tab.screenshot(artifacts_dir() / f"report-{city}_{year}.png", full_page=True)
            assert loaded, f"{page_file} did not load (screenshot: {screenshot})"
            drawn = tab.evaluate(
                """Object.fromEntries([...document.querySelectorAll('figure.chart')].map(figure => {
                     const svg = figure.querySelector('svg');
                     if (!svg) return [figure.dataset.chart, null];
                     const box = svg.getBoundingClientRect();
                     const marks = [...svg.querySelectorAll('g.role-mark')]
                       .filter(g => !g.closest('.role-axis, .role-legend, .role-title'))
                       .reduce((n, g) => n + g.querySelectorAll('path, text').length, 0);
                     return [figure.dataset.chart, {width: box.width, height: box.height, marks}];
                   }))"""
            )
            fetched = tab.evaluate("performance.getEntriesByType('resource').map(entry => entry.name)")
            scripts = tab.evaluate("document.scripts.length")
            map_labels = tab.evaluate(
                "[...document.querySelectorAll('figure.map svg text')].map(text => text.textContent)"
            )
    except BrowserMissing as missing:
        pytest.fail(str(missing), pytrace=False)

    for key in DRAWN:
        assert drawn.get(key), f"{key} not drawn (screenshot: {screenshot}): {drawn}"
        assert drawn[key]["width"] > 100 and drawn[key]["height"] > 100, (key, drawn[key])
        assert drawn[key]["marks"] > 0, f"{key} has no marks (screenshot: {screenshot})"
    assert fetched == [] and scripts == 0, (fetched, scripts)
    # the map names each county where it lies
    assert set(counties) <= set(map_labels), map_labels


def test_a_county_that_delivered_nothing_is_shown_as_not_reported_never_as_zero(one_county_build):
    snapshot = one_county_build.published
    year = _latest_year(snapshot)
    silent = query(
        snapshot,
        "select admin_code from reference.ref_region where admin_level = 'county' and admin_code not in "
        f"(select admin_code from marts.cultivated_land where year = {year}) order by 1 limit 1",
    )[0][0]
    city = _city(snapshot)
    row = next(
        r for r in _tables(reports_folder(snapshot) / f"{city}_{year}.html")["headline"] if r[0] == silent
    )
    assert row[2] == "未报送" and row[3] == "—" and row[6] == "—", row

    folder = reports_folder(snapshot)
    county_page = (folder / f"{silent}_{year}.html").read_text(encoding="utf-8")
    for key in CHARTS:
        figure = re.search(rf'data-chart="{key}">(.*?)</figure>', county_page, re.S)
        assert figure and "<svg" not in figure.group(1) and "未报送或未评估" in figure.group(1), key


# ------------------------------------------------------------------------------------------ the workbook


def _sheets(workbook: Path) -> dict[str, pl.DataFrame]:
    return pl.read_excel(workbook, sheet_id=0, raise_if_empty=False)


def _cells(workbook: Path) -> tuple[list[tuple[str, str, ElementTree.Element, str]], list[bool]]:
    """(sheet file, cell ref, cell element, text) of every cell of the workbook, read from its XML, and
    for each cell style whether it carries Excel's quote prefix."""
    ns = {"x": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
    with zipfile.ZipFile(workbook) as book:
        shared = [
            "".join(t.text or "" for t in item.iter(f"{{{ns['x']}}}t"))
            for item in ElementTree.fromstring(book.read("xl/sharedStrings.xml")).findall("x:si", ns)
        ]
        cells = []
        for name in book.namelist():
            if not name.startswith("xl/worksheets/sheet"):
                continue
            for cell in ElementTree.fromstring(book.read(name)).iter(f"{{{ns['x']}}}c"):
                value = cell.find("x:v", ns)
                text = shared[int(value.text)] if cell.get("t") == "s" and value is not None else ""
                cells.append((name, cell.get("r"), cell, text))
        styles = ElementTree.fromstring(book.read("xl/styles.xml"))
    quoted = [xf.get("quotePrefix") == "1" for xf in styles.find("x:cellXfs", ns).findall("x:xf", ns)]
    return cells, quoted


def test_the_workbook_lists_each_countys_findings_and_runs_no_formula_from_delivered_text(
    demo_build, tmp_path
):
    snapshot = tmp_path / "farmland_published.duckdb"
    shutil.copy(demo_build.published, snapshot)
    year = _latest_year(snapshot)
    county, name = query(
        snapshot,
        f"select v.admin_code, r.admin_name from quality.violations v join reference.ref_region r "
        f"using (admin_code) where v.year = {year} and r.admin_level = 'county' order by 1 limit 1",
    )[0]
    hostile = ['=HYPERLINK("http://example.invalid/x","点我")', "+1+1", "-2+3", "@SUM(A1:A9)"]
    con = connect(snapshot)
    try:
        # delivered text that looks like formulas, as a record id and as what was observed and expected
        con.execute(
            "update quality.violations set entity_id = ?, observed = ?, expected = ? where rowid = ("
            "select min(rowid) from quality.violations where admin_code = ? and year = ?)",
            [hostile[0], hostile[1], hostile[2], county, year],
        )
        con.execute(
            "update quality.violations set entity_id = ? where rowid = (select max(rowid) from "
            "quality.violations where admin_code = ? and year = ?)",
            [hostile[3], county, year],
        )
    finally:
        con.close()
    report = write_reports(snapshot, admins=[county], folder=tmp_path / "out")[0]

    expected = query(
        snapshot, f"select count(*) from quality.violations where admin_code = '{county}' and year = {year}"
    )[0][0]
    sheets = _sheets(report.workbook)
    sheet = next(frame for title, frame in sheets.items() if title.startswith(name))
    assert sheet.height == expected
    assert set(hostile) <= set(sheet["对象编号"].to_list()) | set(sheet["观测值"].to_list()) | set(
        sheet["期望值"].to_list()
    )

    cells, quoted = _cells(report.workbook)
    formulas = [(name, ref) for name, ref, cell, _ in cells if cell.find("{*}f") is not None]
    assert formulas == [], formulas
    risky = [(name, ref, cell, text) for name, ref, cell, text in cells if text.startswith(FORMULA_START)]
    assert {text for *_, text in risky} >= set(hostile)
    unquoted = [(name, ref, text) for name, ref, cell, text in risky if not quoted[int(cell.get("s", 0))]]
    assert unquoted == [], f"text cells Excel would turn into formulas when edited: {unquoted}"


# --------------------------------------------------------------------------------------------- the CLI


def test_farmland_report_writes_the_asked_unit_and_year_and_names_what_the_snapshot_holds(
    demo_build, tmp_path, capsys
):
    years = [
        y
        for (y,) in query(demo_build.published, "select distinct year from marts.cultivated_land order by 1")
    ]
    county = query(
        demo_build.published, "select min(admin_code) from reference.ref_region where admin_level = 'county'"
    )
    county = county[0][0]
    out = tmp_path / "out"
    arguments = ["report", "--warehouse", str(demo_build.warehouse), "--out", str(out)]

    assert main([*arguments, "--admin", county, "--year", str(years[0])]) == 0
    assert sorted(path.name for path in out.iterdir()) == [
        f"{county}_{years[0]}.html",
        f"{county}_{years[0]}_findings.xlsx",
    ]
    capsys.readouterr()

    assert main([*arguments, "--year", "2099"]) == 2
    said = capsys.readouterr().out
    assert "2099 is not a survey year" in said and ", ".join(map(str, years)) in said
    assert main([*arguments, "--admin", "999999"]) == 2
    assert "999999 is not a unit of the region" in capsys.readouterr().out


def test_every_report_option_says_what_it_defaults_to(capsys):
    options = _options(_help(capsys, "report"))
    assert set(options) == {"--warehouse", "--year", "--admin", "--out"}
    for option, words in options.items():
        assert "(default: " in words, f"report {option}: {words}"


def test_every_chart_is_valid_vega_lite():
    """The renderer is given the charts unvalidated (validating costs more than drawing): here they are."""
    bars = [{"label": "甲县", "sort_key": "1", "cultivated_mu": 10.0, "cultivated_target_mu": 9.0}]
    specs = [
        charts.against_target(bars, "cultivated_mu", "cultivated_target_mu", "耕地", "县"),
        charts.in_out(
            [{"label": "甲县", "sort_key": "1", "direction": "进（流入耕地）", "area_mu": 1.0}], "县"
        ),
        charts.land_transition([{"from_group": "01 耕地", "to_group": "02 园地", "area_mu": 1.0}]),
        charts.quota_balances([{"county": "甲县", "event_date": "2024-01-01", "balance_quantity_mu": 1.0}]),
        charts.findings_by_rule([{"rule": "PR01 x", "findings": 1, "severity": "error"}]),
        charts.findings_map(
            [
                {
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [0, 0]},
                    "properties": {"layer": "问题图斑", "label": None, "x": 0, "y": 0},
                }
            ]
        ),
    ]
    for spec in specs:
        spec.to_dict(validate=True)
