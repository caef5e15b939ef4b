"""Shared fixtures: one demo build per test session, or per worker under pytest-xdist (dbt and Dagster
start-up cost seconds)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

# Fixtures that generate the demo or build a warehouse (the whole Dagster job, about a minute each): a test
# that needs one, directly or through another fixture, is in the builds_warehouse tier, which
# `make test-fast` leaves out.
BUILDING_FIXTURES = frozenset(
    {
        "demo_landing",
        "small_demo_landing",
        "one_county_build",
        "built",
        "refused",
        "gap",
        "record_build",
        "delivery_a_cli_build",
    }
)

TEST_DAGSTER_HOME = pytest.StashKey[Path]()


def pytest_configure(config: pytest.Config) -> None:
    if _is_xdist_controller(config):
        # The controller runs no test; the workers' groups of tests come to it through this folder.
        config.stash[GROUPS_FOLDER] = Path(tempfile.mkdtemp(prefix="farmland-test-groups-"))
        return
    # Builds record their runs in the project's Dagster instance (DAGSTER_HOME, else .dagster/ in the
    # repository): the tests' runs go to an instance of their own, never the operator's.
    config.stash[TEST_DAGSTER_HOME] = Path(tempfile.mkdtemp(prefix="farmland-test-dagster-"))
    os.environ["DAGSTER_HOME"] = str(config.stash[TEST_DAGSTER_HOME])
    # The Dagster definitions are built from dbt's manifest: parse the project as it is now, once (under
    # pytest-xdist in each worker: dagster-dbt's file lock lets one parse while the others wait for it).
    from orchestration.dbt_project import prepare_dbt_project

    prepare_dbt_project()


def pytest_unconfigure(config: pytest.Config) -> None:
    for folder in (GROUPS_FOLDER, TEST_DAGSTER_HOME):
        if folder in config.stash:
            shutil.rmtree(config.stash[folder], ignore_errors=True)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BUILDING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.builds_warehouse)


# ------------------------------------------------------------------------------------------ pytest-xdist
# `make test` runs the tests on two workers (pytest-xdist, --dist loadgroup). A session or module fixture
# is made in every worker that runs a test needing it, so the tests sharing a build run on one worker:
# those of the demo build, of the one-county build, of delivery A built by `farmland build` and of each
# conformance delivery form a group each, and every other test goes with its module, whose module
# fixtures it may share. xdist's own loadgroup tells the controller a test's group by renaming the test,
# which pytest 9.2 no longer allows; here each worker writes the groups of what it collected to a file the
# controller's scheduler reads.

SHARED_BUILDS = ("demo_build", "one_county_build", "delivery_a_cli_build")
# The groups that take longest, longest first: the demo build's (the demo and every test reading it),
# delivery A's (built by `farmland build`, then again by hand, incrementally, into county lakes) and the
# operator UI's (`dagster dev`, a build launched from it and the launches after it).
LONGEST_GROUPS = ("demo_build", "delivery_a_cli_build", "tests/test_operator_ui.py")
GROUPS_INPUT = "farmland_test_groups"
GROUPS_FOLDER = pytest.StashKey[Path]()


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


def shared_group(item: pytest.Item) -> str:
    """The tests that must run on the same worker as this one share its group."""
    names = set(getattr(item, "fixturenames", ()))
    for fixture in SHARED_BUILDS:
        if fixture in names:
            return fixture
    params = getattr(getattr(item, "callspec", None), "params", {})
    if "built" in names and "built" in params:
        return f"built-{params['built']}"
    return item.nodeid.split("::", 1)[0]


@pytest.hookimpl(tryfirst=True)  # before the xdist worker sends the controller its collection
def pytest_collection_finish(session: pytest.Session) -> None:
    folder = getattr(session.config, "workerinput", {}).get(GROUPS_INPUT)
    if not folder:
        return

    # The longest groups first (LONGEST_GROUPS), the other builds next, the quick tests (the generator's
    # among them: they only read a small demo) last: a worker takes the next group when it is done with
    # one, so each starts on a long one and the quick tests fill in at the end, evening out the two
    # workers' loads. A stable sort: the order pytest gave for the fixtures is kept within each.
    def order(item: pytest.Item) -> tuple[int, bool]:
        builds = item.get_closest_marker("builds_warehouse") and "small_demo_landing" not in item.fixturenames
        group = shared_group(item)
        return LONGEST_GROUPS.index(group) if group in LONGEST_GROUPS else len(LONGEST_GROUPS), not builds

    session.items.sort(key=order)
    groups = json.dumps({item.nodeid: shared_group(item) for item in session.items})
    path = Path(folder) / f"{session.config.workerinput['workerid']}.json"
    path.with_suffix(".tmp").write_text(groups, encoding="utf-8")
    path.with_suffix(".tmp").replace(path)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    node.workerinput[GROUPS_INPUT] = str(node.config.stash[GROUPS_FOLDER])


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    folder = config.stash[GROUPS_FOLDER]
    # the groups in the workers' order, not largest first
    config.option.loadscopereorder = False

    class SharedBuildScheduling(LoadScopeScheduling):
        """xdist's scope scheduling with the workers' groups as the scopes."""

        groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.groups is None:  # first asked once every worker has collected (and written)
                self.groups = {}
                for path in sorted(folder.glob("*.json")):
                    self.groups.update(json.loads(path.read_text(encoding="utf-8")))
            return self.groups.get(nodeid) or super()._split_scope(nodeid)

    return SharedBuildScheduling(config, log)


# Small enough to build in well under a minute, large enough for every planted case.
TEST_SCALE = 80


@dataclass
class DemoBuild:
    landing: Path
    warehouse: Path
    manifest: dict
    result: object  # dagster ExecuteInProcessResult
    log: Path | None = None  # the build's log file, when it was built as `farmland build` builds

    @property
    def published(self) -> Path:
        from warehouse.config import published_path

        return published_path(self.warehouse)


def build(landing: Path, warehouse: Path):
    """Run the build job in-process on a landing folder into a warehouse file."""
    from orchestration.run import run_build_job

    return run_build_job(landing, warehouse)


@contextmanager
def held_open(*paths: Path) -> Iterator[None]:
    """Hold a read-only connection to each built file that exists, for as long as a fixture shares it.

    The tests open a build's file once per query; DuckDB gives a second connection to a file already
    open in the process the same database, so those opens skip loading spatial (a fifth of a second
    each, hundreds of queries a session). Only for files no test writes to."""
    from warehouse.connection import connect

    connections = [connect(path, read_only=True) for path in paths if path.exists()]
    try:
        yield
    finally:
        for con in connections:
            con.close()


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    from sources.demo.generate import generate

    landing = tmp_path_factory.mktemp("demo") / "landing"
    manifest = generate(landing, scale=TEST_SCALE)
    return landing, manifest


# The generator's own tests read a smaller demo, generated once for all of them.
GENERATOR_TEST_SCALE = 60


@pytest.fixture(scope="session")
def small_demo_landing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from sources.demo.generate import generate

    root = tmp_path_factory.mktemp("small_demo")
    generate(root, scale=GENERATOR_TEST_SCALE)
    return root


@pytest.fixture(scope="session")
def demo_build(demo_landing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBuild]:
    from orchestration.build_log import BuildLog, new_log_path
    from orchestration.watched_run import watched_build

    landing, manifest = demo_landing
    warehouse = tmp_path_factory.mktemp("warehouse") / "farmland.duckdb"
    # watched as `farmland build` watches a run: the tests read its log file too
    log = BuildLog(new_log_path(warehouse))
    try:
        result = watched_build(landing, warehouse, log)
    finally:
        log.close()
    demo = DemoBuild(landing, warehouse, manifest, result, log.path)
    with held_open(demo.warehouse, demo.published):
        yield demo


# The county whose base survey alone makes the one-county delivery.
ONE_COUNTY = "330402"


@pytest.fixture(scope="session")
def one_county_build(demo_landing, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DemoBuild]:
    """南湖区's 2022 base survey (DLTB, as GeoPackage) and nothing else — no change survey, no control
    layer, no record — built. The tests of partial deliveries and of delivery coverage only read it."""
    import pyarrow.compute as pc
    import shapely

    from sources.formats import read_layer, write_layer

    source, manifest = demo_landing
    root = tmp_path_factory.mktemp("one_county")
    landing = root / "landing"
    (landing / "survey" / "2022").mkdir(parents=True)
    base = read_layer(source / "survey" / "2022" / "DLTB.parquet")
    keep = pc.starts_with(base.table["ZLDWDM"], ONE_COUNTY)
    geometries = list(shapely.from_wkb(pc.filter(base.wkb, keep).to_numpy(zero_copy_only=False)))
    write_layer(landing / "survey" / "2022" / "DLTB.gpkg", base.table.filter(keep), geometries, 4528)
    warehouse = root / "farmland.duckdb"
    one_county = DemoBuild(landing, warehouse, manifest, build(landing, warehouse))
    with held_open(one_county.warehouse, one_county.published):
        yield one_county


@pytest.fixture
def landing_copy(demo_landing, tmp_path: Path) -> tuple[Path, dict]:
    """A private copy of the demo deliveries a test may damage."""
    landing, manifest = demo_landing
    copy = tmp_path / "landing"
    shutil.copytree(landing, copy)
    return copy, json.loads(json.dumps(manifest))


def planted(
    manifest: dict, rule_id: str, section: str = "survey", layer: str | None = None
) -> set[tuple[str, int | None]]:
    """The (entity, year) pairs the generator planted for a rule: in the survey layers, or in the
    project / fund / statistics records (section "records"); only those of one `layer` if given."""
    entries = manifest["planted"] if section == "survey" else manifest["records"]["planted"]
    return {
        (str(p["entity_id"]), p.get("year"))
        for p in entries
        if p["rule_id"] == rule_id and layer in (None, p.get("layer"))
    }


# ------------------------------------------------------------------------ delivery A by `farmland build`

LOG_LINE = re.compile(r"the build's log: (\S+\.log)$", re.MULTILINE | re.IGNORECASE)


@dataclass
class CliBuild:
    landing: Path
    warehouse: Path
    home: Path
    completed: subprocess.CompletedProcess

    @property
    def log(self) -> Path:
        return Path(LOG_LINE.findall(self.completed.stdout)[-1])


def farmland_build(landing: Path, warehouse: Path, home: Path, *options: str) -> subprocess.CompletedProcess:
    """`farmland build` in a process of its own, its output captured: not a terminal."""
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", "build", "--landing", str(landing),
         "--warehouse", str(warehouse), *options],
        env={**os.environ, "DAGSTER_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=900,
    )  # fmt: skip


@pytest.fixture(scope="session")
def delivery_a_cli_build(tmp_path_factory: pytest.TempPathFactory) -> CliBuild:
    """Conformance delivery A (three counties, written from the input contract) built by `farmland
    build`, its output not a terminal: the command line's tests read its output, and the tests of later
    builds start from a copy of it (a build takes minutes)."""
    from tests.conformance.test_legal_variants import delivery_a

    root = tmp_path_factory.mktemp("cli_build")
    landing = delivery_a().write(root / "landing")
    warehouse, home = root / "farmland.duckdb", root / "dagster"
    return CliBuild(landing, warehouse, home, farmland_build(landing, warehouse, home))


def copy_build(warehouse: Path, landing: Path, root: Path) -> tuple[Path, Path]:
    """A private copy under `root` of a built warehouse (its county files and published snapshot) and of
    the landing folder it was built from, whose files keep their modification times: to the copy, the
    snapshot is built from its landing folder as it is. The copy's landing folder and warehouse."""
    from warehouse.config import published_path
    from warehouse.county_shards import shard_folder

    copied = root / warehouse.name  # the same file name: dbt's views name their catalog after it
    shutil.copytree(landing, root / "landing")
    shutil.copy2(warehouse, copied)
    shutil.copy2(published_path(warehouse), published_path(copied))
    shutil.copytree(shard_folder(warehouse), shard_folder(copied))
    return root / "landing", copied
