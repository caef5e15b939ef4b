"""An operator's first run from the Dagster UI: the real webserver and daemon (`dagster dev`, as `make ui`
starts them) on a fresh instance, driven through the GraphQL API the UI itself speaks, and the UI's pages
rendered in a headless Chromium (tests/browser.py).

The tests share one server and one launched build (the build takes minutes): conformance delivery A,
written from the input contract by tests/conformance/delivery.py, whose land-use areas are recomputed
from its parcels in plain Python (tests/conformance/reference.py)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import dagster as dg
import pytest
from dagster_graphql import DagsterGraphQLClient

from orchestration.instance import INSTANCE_CONFIG
from orchestration.partitions import delivered_years
from quality.catalog import load_catalog
from tests.browser import BrowserMissing, Page, artifacts_dir, chromium
from tests.conformance import reference
from tests.conformance.delivery import Delivery
from tests.conformance.test_legal_variants import M2_TOLERANCE, delivery_a
from tests.ports import free_port
from warehouse.config import LANDING_ENV, WAREHOUSE_ENV
from warehouse.connection import connect

pytestmark = pytest.mark.builds_warehouse

LOCATION = "orchestration.definitions"  # the code location `make ui` loads
REPOSITORY = {"repositoryLocationName": LOCATION, "repositoryName": "__repository__"}
FINISHED = {dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED}
SEVERITIES = {"error": "ERROR", "warn": "WARN"}
RENDER_SECONDS = 90  # a first load of the UI's scripts on a busy 2-core machine takes a few seconds
# What the UI shows instead of a page it could not load.
UI_ERRORS = (
    "An unexpected error occurred",
    "An error occurred",
    "Unexpected GraphQL error",
    "Asset not found",
)


@dataclass
class Webserver:
    """A running `dagster dev`: its address, and the GraphQL API behind the UI."""

    url: str
    client: DagsterGraphQLClient

    def query(self, query: str, **variables: Any) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/graphql",
            data=json.dumps({"query": query, "variables": variables}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=120) as response:
            answer = json.load(response)
        assert not answer.get("errors"), answer["errors"]
        return answer["data"]


@contextmanager
def dagster_dev(home: Path, landing: Path, warehouse: Path) -> Iterator[Webserver]:
    """`dagster dev` on loopback with a fresh DAGSTER_HOME, pointed at a landing folder and a warehouse."""
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(INSTANCE_CONFIG)
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        LANDING_ENV: str(landing),
        WAREHOUSE_ENV: str(warehouse),
    }
    dagster = Path(sys.executable).with_name("dagster")
    with open(home / "dagster_dev.log", "w") as log:
        server = subprocess.Popen(
            [str(dagster), "dev", "-m", LOCATION, "-h", "127.0.0.1", "-p", str(port)],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                    break
                except OSError:
                    assert server.poll() is None, (home / "dagster_dev.log").read_text()[-3000:]
                    assert time.monotonic() < deadline, "dagster dev did not answer within 3 minutes"
                    time.sleep(1)
            yield Webserver(f"http://127.0.0.1:{port}", DagsterGraphQLClient("127.0.0.1", port_number=port))
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)


def _wait(client: DagsterGraphQLClient, run_id: str, minutes: int = 15) -> dg.DagsterRunStatus:
    deadline = time.monotonic() + minutes * 60
    while (status := client.get_run_status(run_id)) not in FINISHED:
        assert time.monotonic() < deadline, f"run {run_id} still {status} after {minutes} minutes"
        time.sleep(2)
    return status


RUN_EVENTS = """
query RunEvents($runId: ID!, $cursor: String) {
  logsForRun(runId: $runId, afterCursor: $cursor) {
    __typename
    ... on EventConnection {
      hasMore
      cursor
      events {
        __typename
        ... on MaterializationEvent { assetKey { path } partition }
        ... on AssetCheckEvaluationEvent {
          evaluation { checkName assetKey { path } severity success }
        }
        ... on ExecutionStepFailureEvent { stepKey error { message } }
      }
    }
    ... on PythonError { message }
  }
}
"""


@dataclass
class LaunchedBuild:
    """The build job launched from the UI on a fresh instance, finished."""

    server: Webserver
    run_id: str
    status: dg.DagsterRunStatus
    delivery: Delivery
    landing: Path
    warehouse: Path

    def events(self, kind: str) -> list[dict[str, Any]]:
        """The run's events of one GraphQL type (e.g. MaterializationEvent), as the run's page reads them."""
        found, cursor = [], None
        while True:
            page = self.server.query(RUN_EVENTS, runId=self.run_id, cursor=cursor)["logsForRun"]
            assert page["__typename"] == "EventConnection", page
            found += [event for event in page["events"] if event["__typename"] == kind]
            if not page["hasMore"]:
                return found
            cursor = page["cursor"]

    def failures(self) -> list[str]:
        return [
            f"{event['stepKey']}: {event['error']['message'][:300]}"
            for event in self.events("ExecutionStepFailureEvent")
        ]


@pytest.fixture(scope="module")
def launched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LaunchedBuild]:
    """Launched as the launchpad launches it, with no survey year chosen and no executor config."""
    root = tmp_path_factory.mktemp("operator_ui")
    delivery = delivery_a()
    landing = delivery.write(root / "landing")
    warehouse = root / "farmland.duckdb"
    with dagster_dev(root / "dagster_home", landing, warehouse) as server:
        run_id = server.client.submit_job_execution("build_warehouse", repository_location_name=LOCATION)
        status = _wait(server.client, run_id)
        yield LaunchedBuild(server, run_id, status, delivery, landing, warehouse)


def _key(event: dict[str, Any]) -> str:
    return "/".join(event["assetKey"]["path"])


def test_the_build_job_launched_on_a_fresh_instance_materializes_every_asset(launched):
    """Every delivered year is loaded, the steps run one after another, every asset is materialized, and
    the land-use areas the run published agree with those recomputed from the delivery's parcels."""
    from orchestration.definitions import defs

    assert launched.status == dg.DagsterRunStatus.SUCCESS, launched.failures()
    materialized = {_key(event) for event in launched.events("MaterializationEvent")}
    every_asset = {key.to_user_string() for key in defs.resolve_asset_graph().materializable_asset_keys}
    assert materialized == every_asset, sorted(every_asset - materialized)

    expected = reference.land_use_area(launched.delivery)
    con = connect(launched.warehouse, read_only=True)
    try:
        rows = con.execute("select admin_code, year, land_class, area_m2 from marts.land_use_area").fetchall()
    finally:
        con.close()
    actual = {(admin, year, land_class): float(m2) for admin, year, land_class, m2 in rows}
    assert actual.keys() == expected.keys()
    off = {key: (actual[key], m2) for key, m2 in expected.items() if abs(actual[key] - m2) > M2_TOLERANCE}
    assert not off, off


def test_the_yearly_raw_layers_offer_the_delivered_survey_years_as_partitions(launched):
    """On a fresh instance, before any sensor or command has run, the UI offers the yearly raw layers'
    partitions (the launchpad's and a backfill's choice of years): the survey years delivered."""
    nodes = launched.server.query(
        "{ assetNodes { assetKey { path } groupName partitionDefinition { type } partitionKeys } }"
    )["assetNodes"]
    yearly = {_key(node): node["partitionKeys"] for node in nodes if node["partitionDefinition"]}
    assert "raw/dltb" in yearly, "the base survey layer is not partitioned by survey year"
    assert {node["groupName"] for node in nodes if _key(node) in yearly} == {"raw"}, sorted(yearly)
    delivered = delivered_years(launched.landing)
    assert delivered == ["2023", "2024", "2025"]
    offered = {asset: keys for asset, keys in yearly.items() if keys != delivered}
    assert not offered, f"the survey years delivered are {delivered}; partitions offered instead: {offered}"


CHECKS = """
{
  assetNodes {
    assetKey { path }
    assetChecksOrError { __typename ... on AssetChecks { checks { name description } } }
  }
}
"""


def test_every_rule_check_carries_the_catalogs_severity_in_the_ui_and_in_the_launched_run(launched):
    """What a rule's check page says before any run (its description) and what every result of the run
    says (its severity) is the catalog's severity: error → ERROR, warn → WARN. Every catalogued rule
    that is enforced has its check, and each of them reported in the run."""
    rules = {rule.check_name: rule for rule in load_catalog().values()}
    enforced = {name for name, rule in rules.items() if rule.enforced_by != "planned"}
    described = {}
    for node in launched.server.query(CHECKS)["assetNodes"]:
        checks = node["assetChecksOrError"]
        assert checks["__typename"] == "AssetChecks", (_key(node), checks)
        for check in checks["checks"]:
            if check["name"] in rules:
                described[(_key(node), check["name"])] = check["description"]
    assert {name for _, name in described} == enforced
    for (asset, name), description in described.items():
        assert f"Severity: {rules[name].severity}." in description, (asset, name, description)

    evaluations = [event["evaluation"] for event in launched.events("AssetCheckEvaluationEvent")]
    of_rules = [evaluation for evaluation in evaluations if evaluation["checkName"] in rules]
    assert {(_key(evaluation), evaluation["checkName"]) for evaluation in of_rules} == described.keys()
    wrong = [
        (_key(evaluation), evaluation["checkName"], evaluation["severity"])
        for evaluation in of_rules
        if evaluation["severity"] != SEVERITIES[rules[evaluation["checkName"]].severity]
    ]
    assert not wrong, wrong
    # both severities occur, so a mapping that gave every check one severity cannot pass
    assert {evaluation["severity"] for evaluation in of_rules} == set(SEVERITIES.values())


def test_the_annual_schedule_and_the_delivery_sensor_say_what_they_do(launched):
    """The automation page lists the annual build and the new-delivery sensor, each with its description."""
    answer = launched.server.query(
        """query Automation($repository: RepositorySelector!) {
          schedulesOrError(repositorySelector: $repository) {
            __typename ... on Schedules { results { name description } }
          }
          sensorsOrError(repositorySelector: $repository) {
            __typename ... on Sensors { results { name description } }
          }
        }""",
        repository=REPOSITORY,
    )
    schedules, sensors = answer["schedulesOrError"], answer["sensorsOrError"]
    assert schedules["__typename"] == "Schedules" and sensors["__typename"] == "Sensors", answer
    described = {item["name"]: item["description"] for item in schedules["results"] + sensors["results"]}
    for name in ("annual_survey_build", "new_delivery_sensor"):
        assert name in described, sorted(described)
        assert (described[name] or "").strip(), f"{name} has no description"


# ---------------------------------------------------------------------------------------- in a browser


@pytest.fixture
def page(launched: LaunchedBuild) -> Iterator[Page]:
    """A headless Chromium tab; missing Chromium fails the test (never skips it), saying how to get it."""
    # A fresh instance greets an operator on loopback with a community sign-up dialog over every page;
    # this is what its "Skip" button sends.
    launched.server.query("mutation { setNuxSeen }")
    try:
        with chromium() as tab:
            yield tab
    except BrowserMissing as missing:
        pytest.fail(str(missing), pytrace=False)


def _render(page: Page, url: str, ready: str, name: str) -> str:
    """Open `url`, wait until the JavaScript expression `ready` holds, keep a screenshot whatever
    happened, and return the page's text."""
    page.goto(url)
    try:
        rendered = page.wait_until(ready, timeout=RENDER_SECONDS)
    finally:
        screenshot = page.screenshot(artifacts_dir() / f"operator_ui-{name}.png")
    text = page.text()
    assert rendered, (
        f"{url} did not render within {RENDER_SECONDS} s (screenshot: {screenshot}); page exceptions: "
        f"{page.exceptions[:3]}; page text: {text[:1500]}"
    )
    shown = [error for error in UI_ERRORS if error in text]
    assert not shown, f"{url} shows {shown} (screenshot: {screenshot}): {text[:1500]}"
    return text


def test_the_global_asset_graph_draws_every_asset_group_in_a_browser(launched, page):
    """The Lineage page draws the global asset graph: a node for each asset group of the code location."""
    nodes = launched.server.query("{ assetNodes { groupName } }")["assetNodes"]
    groups = sorted({node["groupName"] for node in nodes})
    assert len(groups) > 1, groups
    # The graph's nodes are HTML inside the SVG (foreignObject); the sidebar lists the groups too, so
    # only the text inside the graph counts.
    drawn = (
        "new Set(Array.from(document.querySelectorAll('svg foreignObject *'))"
        ".filter(e => !e.children.length).map(e => e.textContent.trim()))"
    )
    _render(
        page,
        f"{launched.server.url}/asset-groups",
        f"{json.dumps(groups)}.every(g => {drawn}.has(g))",
        "asset_graph",
    )


def test_a_rule_checks_page_shows_the_rule_its_severity_and_the_runs_result_in_a_browser(launched, page):
    """An asset's Checks tab, with PR10's check chosen: the check's name, the rule it enforces (its title
    in Chinese and English, its severity) and the launched run's result of it."""
    rule = load_catalog()["PR10"]
    evaluation = next(
        event["evaluation"]
        for event in launched.events("AssetCheckEvaluationEvent")
        if event["evaluation"]["checkName"] == rule.check_name
    )
    path = "/".join(evaluation["assetKey"]["path"])
    query = urllib.parse.urlencode({"view": "checks", "checkDetail": rule.check_name})
    url = f"{launched.server.url}/assets/{path}?{query}"
    # the check list on the left names the check too: wait for the detail pane's latest execution
    ready = (
        f"document.body.innerText.includes({json.dumps(rule.check_name)})"
        " && document.body.innerText.includes('Evaluation result')"
    )
    text = _render(page, url, ready, f"check-{rule.check_name}")
    for shown in (rule.title_zh, rule.title_en, f"Severity: {rule.severity}."):
        assert shown in text, (shown, text[:2000])
    outcome = "Succeeded" if evaluation["success"] else "Failed"
    assert re.search(rf"Evaluation result\s+{outcome}\b", text), (outcome, text[:2000])
