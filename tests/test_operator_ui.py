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
from orchestration.partitions import delivered_years, survey_years
from quality.catalog import load_catalog
from sources.extract.discover import discover
from tests.browser import BrowserMissing, Page, artifacts_dir, chromium
from tests.conformance import reference
from tests.conformance.delivery import Delivery
from tests.conformance.test_legal_variants import M2_TOLERANCE, delivery_a
from tests.ports import free_port, stop_process_group
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
            stop_process_group(server, 60)


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

    def events(self, kind: str, run_id: str | None = None) -> list[dict[str, Any]]:
        """A run's events of one GraphQL type (e.g. MaterializationEvent), as the run's page reads them;
        the launched build's unless another run is named."""
        found, cursor = [], None
        while True:
            page = self.server.query(RUN_EVENTS, runId=run_id or self.run_id, cursor=cursor)["logsForRun"]
            assert page["__typename"] == "EventConnection", page
            found += [event for event in page["events"] if event["__typename"] == kind]
            if not page["hasMore"]:
                return found
            cursor = page["cursor"]

    def failures(self) -> list[str]:
        return self.run_failures(self.run_id)

    def run_failures(self, run_id: str) -> list[str]:
        return [
            f"{event['stepKey']}: {event['error']['message'][:300]}"
            for event in self.events("ExecutionStepFailureEvent", run_id)
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

    _assert_land_use_area(launched)


def _assert_land_use_area(launched: LaunchedBuild) -> None:
    """The land-use areas published agree with those recomputed from the delivery's parcels."""
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


def test_the_yearly_raw_layers_offer_every_survey_year_and_show_the_delivered_ones_loaded(launched):
    """On a fresh instance, before any sensor or command has run, the UI offers the yearly raw layers'
    partitions (the launchpad's and a backfill's choice of years): every survey year of the calendar,
    the delivered ones among them. After the job launched with no year chosen, the years in which a layer
    was delivered show as materialized, and no other."""
    nodes = launched.server.query(
        "{ assetNodes { assetKey { path } groupName partitionDefinition { type } partitionKeys } }"
    )["assetNodes"]
    yearly = {_key(node): node["partitionKeys"] for node in nodes if node["partitionDefinition"]}
    assert "raw/dltb" in yearly, "the base survey layer is not partitioned by survey year"
    assert {node["groupName"] for node in nodes if _key(node) in yearly} == {"raw"}, sorted(yearly)
    calendar = survey_years.get_partition_keys()
    assert all(keys == calendar for keys in yearly.values()), yearly
    assert set(delivered_years(launched.landing)) == {"2023", "2024", "2025"} <= set(calendar)

    by_layer: dict[str, set[str]] = {}
    for delivered in discover(launched.landing):
        if delivered.year is not None:
            by_layer.setdefault(f"raw/{delivered.layer.table}", set()).add(str(delivered.year))
    loaded: dict[str, set[str]] = {}
    for event in launched.events("MaterializationEvent"):
        if event["partition"] is not None:
            loaded.setdefault(_key(event), set()).add(event["partition"])
    assert loaded == by_layer
    stats = launched.server.query("{ assetNodes { assetKey { path } partitionStats { numMaterialized } } }")
    shown = {
        _key(n): n["partitionStats"]["numMaterialized"] for n in stats["assetNodes"] if _key(n) in yearly
    }
    assert shown == {asset: len(by_layer.get(asset, ())) for asset in yearly}


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
    # a path of the input contract reads as written, not with its <year> taken for a tag
    if "not delivered" in text:
        assert "survey/<year>/" in text and "survey//" not in text, text[:2000]
    outcome = "Succeeded" if evaluation["success"] else "Failed"
    assert re.search(rf"Evaluation result\s+{outcome}\b", text), (outcome, text[:2000])


TERMINATE_RUN = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId, terminatePolicy: MARK_AS_CANCELED_IMMEDIATELY) {
    __typename
    ... on TerminateRunSuccess { run { runId } }
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}
"""


def test_a_run_launched_in_the_ui_waits_behind_a_build_from_the_command_line(launched):
    """`farmland build` of the same warehouse records its run in the instance the UI shows: a run the
    operator launches meanwhile waits in the queue. The build killed, its run would hold the queue for
    ever: the next `farmland build` marks it abandoned (tests/test_run_lock.py), or the operator ends it
    from its run's page ("Terminate", for a run whose process is gone: mark it canceled), and the
    waiting run goes."""
    from tests.test_fault_matrix import STEP_STARTED, Build

    home = launched.landing.parent / "dagster_home"
    build = Build(launched.landing, launched.warehouse, home)
    try:
        build.reach(STEP_STARTED.split("{}")[0])  # a step has started: its run is in progress
        os.kill(build.process.pid, signal.SIGSTOP)
        waiting = _launch_assets(launched, [dg.AssetKey(["marts", "land_use_area"])])
        # the daemon looks at the queue every few seconds; the run stays queued however long it looks
        for _ in range(5):
            time.sleep(2)
            assert launched.server.client.get_run_status(waiting) == dg.DagsterRunStatus.QUEUED
    finally:
        build.kill()
    time.sleep(4)
    assert launched.server.client.get_run_status(waiting) == dg.DagsterRunStatus.QUEUED

    with dg.DagsterInstance.from_config(str(home)) as instance:
        (killed,) = [run.run_id for run in instance.get_runs() if run.status == dg.DagsterRunStatus.STARTED]
    ended = launched.server.query(TERMINATE_RUN, runId=killed)["terminateRun"]
    assert ended["__typename"] == "TerminateRunSuccess", ended
    assert _wait(launched.server.client, waiting) == dg.DagsterRunStatus.SUCCESS, launched.run_failures(
        waiting
    )
    assert launched.server.client.get_run_status(killed) == dg.DagsterRunStatus.CANCELED
    _assert_land_use_area(launched)


# --------------------------------------------------------------------------- the UI's other launches
#
# "Materialize all" on the global graph and a backfill of one survey year are launched one after the
# other without waiting, as an operator may: the daemon, which looks at backfills every 30 s, takes up
# both, and the run queue (one run at a time: DuckDB has one writer) runs their runs in turn.


LAUNCH_BACKFILL = """
mutation Backfill($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message }
    ... on InvalidStepError { invalidStepKey }
    ... on UnauthorizedError { message }
    ... on PartitionSetNotFoundError { message }
    ... on InvalidSubsetError { message }
  }
}
"""

BACKFILL = """
query Backfill($id: String!) {
  partitionBackfillOrError(backfillId: $id) {
    __typename
    ... on PartitionBackfill { status runs(limit: 50) { runId status } error { message } }
    ... on PythonError { message }
  }
}
"""

BACKFILL_DONE = {"COMPLETED", "COMPLETED_SUCCESS", "COMPLETED_FAILED", "FAILED", "CANCELED"}


@dataclass
class Backfills:
    """The two backfills, finished, as their page reads them: status, runs, error."""

    materialize_all: dict[str, Any]
    one_year: dict[str, Any]
    yearly: list[dg.AssetKey]  # the yearly raw layers the year's backfill chose


def _launch_backfill(launched: LaunchedBuild, params: dict[str, Any]) -> str:
    """Launch a backfill as the UI's dialog does; its id."""
    answer = launched.server.query(LAUNCH_BACKFILL, params=params)["launchPartitionBackfill"]
    assert answer["__typename"] == "LaunchBackfillSuccess", answer
    return answer["backfillId"]


def _finished(launched: LaunchedBuild, backfill_id: str) -> dict[str, Any] | None:
    """The backfill once the daemon has finished it and every run of it has finished, else None."""
    backfill = launched.server.query(BACKFILL, id=backfill_id)["partitionBackfillOrError"]
    assert backfill["__typename"] == "PartitionBackfill", backfill
    finished = {status.value for status in FINISHED}
    if backfill["status"] in BACKFILL_DONE and all(run["status"] in finished for run in backfill["runs"]):
        return backfill
    return None


@pytest.fixture(scope="module")
def backfills(launched: LaunchedBuild) -> Backfills:
    """After the first run and the tests of what it left: "Materialize all", with every partition chosen
    in its dialog, and a backfill of the yearly layers for 2024, both finished."""
    from orchestration.assets.raw_layers import RAW_LAYER_ASSETS
    from orchestration.definitions import defs

    every_asset = sorted(defs.resolve_asset_graph().materializable_asset_keys)
    yearly = sorted(key for asset in RAW_LAYER_ASSETS if asset.partitions_def for key in asset.keys)
    launches = [
        _launch_backfill(launched, {"assetSelection": _asset_keys(every_asset), "allPartitions": True}),
        _launch_backfill(launched, {"assetSelection": _asset_keys(yearly), "partitionNames": ["2024"]}),
    ]
    minutes = 20
    deadline = time.monotonic() + minutes * 60
    finished: dict[str, dict[str, Any] | None] = dict.fromkeys(launches)
    while not all(finished.values()):
        assert time.monotonic() < deadline, f"backfills not finished after {minutes} minutes: {launches}"
        time.sleep(3)
        finished = {backfill: state or _finished(launched, backfill) for backfill, state in finished.items()}
    materialize_all, one_year = (finished[backfill] for backfill in launches)
    return Backfills(materialize_all, one_year, yearly)


def _succeeded(launched: LaunchedBuild, backfill: dict[str, Any]) -> list[str]:
    """The runs of a backfill that completed with every run a success."""
    failed = [run["runId"] for run in backfill["runs"] if run["status"] != "SUCCESS"]
    assert backfill["status"] in {"COMPLETED", "COMPLETED_SUCCESS"} and not failed, (
        backfill,
        [launched.run_failures(run_id) for run_id in failed],
    )
    return [run["runId"] for run in backfill["runs"]]


def _materialized(launched: LaunchedBuild, run_ids: list[str]) -> dict[str, set[str | None]]:
    """Asset → the partitions (None: the asset as a whole) the runs materialized."""
    found: dict[str, set[str | None]] = {}
    for run_id in run_ids:
        for event in launched.events("MaterializationEvent", run_id):
            found.setdefault(_key(event), set()).add(event["partition"])
    return found


def _asset_keys(keys: list[dg.AssetKey]) -> list[dict[str, list[str]]]:
    return [{"path": list(key.path)} for key in keys]


def test_materialize_all_from_the_asset_graph_builds_every_asset_over_every_survey_year(launched, backfills):
    """ "Materialize all" on the global graph, with every partition chosen in its dialog, is a backfill
    of every asset: the daemon runs it one run after another, each year of the calendar is loaded
    (the undelivered years load nothing), and the figures are those of the delivery."""
    from orchestration.definitions import defs

    materialized = _materialized(launched, _succeeded(launched, backfills.materialize_all))
    every_asset = defs.resolve_asset_graph().materializable_asset_keys
    assert set(materialized) == {key.to_user_string() for key in every_asset}
    assert materialized["raw/dltbgx"] == set(survey_years.get_partition_keys())
    assert materialized["marts/land_use_area"] == {None}
    # the marts as this backfill left them: the year's backfill beside it reloads raw layers alone
    _assert_land_use_area(launched)


def test_a_backfill_of_one_survey_year_reloads_that_years_layers_alone(launched, backfills):
    """A backfill of the yearly layers for 2024 materializes their 2024 partitions only."""
    runs = _succeeded(launched, backfills.one_year)
    assert _materialized(launched, runs) == {key.to_user_string(): {"2024"} for key in backfills.yearly}


def test_materializing_one_mart_from_its_page_builds_that_mart_alone(launched):
    """An asset page's "Materialize" on one mart runs its dbt model (and its tests) and nothing else."""
    run_id = _launch_assets(launched, [dg.AssetKey(["marts", "land_use_area"])])
    status = _wait(launched.server.client, run_id)
    assert status == dg.DagsterRunStatus.SUCCESS, launched.run_failures(run_id)
    assert _materialized(launched, [run_id]) == {"marts/land_use_area": {None}}
    _assert_land_use_area(launched)


LAUNCH_RUN = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


def _launch_assets(launched: LaunchedBuild, keys: list[dg.AssetKey]) -> str:
    """Launch the materialization of `keys` as an asset page's "Materialize" button does."""
    params = {
        "selector": {**REPOSITORY, "jobName": "__ASSET_JOB", "assetSelection": _asset_keys(keys)},
        "runConfigData": {},
        "mode": "default",
    }
    answer = launched.server.query(LAUNCH_RUN, params=params)["launchRun"]
    assert answer["__typename"] == "LaunchRunSuccess", answer
    return answer["run"]["runId"]
