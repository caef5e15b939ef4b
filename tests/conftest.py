"""Shared fixtures: one demo build per test session (dbt and Dagster start-up cost seconds)."""

from __future__ import annotations

import json
import os
import shutil
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
    {"demo_landing", "small_demo_landing", "one_county_build", "built", "refused", "gap", "record_build"}
)


def pytest_configure(config: pytest.Config) -> None:
    # The Dagster definitions are built from dbt's manifest: parse the project as it is now, once.
    from orchestration.dbt_project import prepare_dbt_project

    prepare_dbt_project()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if BUILDING_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.builds_warehouse)


# Small enough to build in well under a minute, large enough for every planted case.
TEST_SCALE = 80


@dataclass
class DemoBuild:
    landing: Path
    warehouse: Path
    manifest: dict
    result: object  # dagster ExecuteInProcessResult

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
    landing, manifest = demo_landing
    warehouse = tmp_path_factory.mktemp("warehouse") / "farmland.duckdb"
    demo = DemoBuild(landing, warehouse, manifest, build(landing, warehouse))
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
