"""Building by county partitions gives the same warehouse, however it is built.

The delivery is conformance delivery A (three counties, a parcel moved from one county to another,
approvals with red lines), written by tests/conformance/delivery.py, not by the demo generator.

- **full**: a cold build, one step after another in one process (`farmland build`'s, which the command
  line's tests read too: tests/conftest.py);
- **incremental and parallel**: a cold build of the delivery without two approvals (one of 南湖区, one
  of 秀洲区), then the whole delivery built into the same warehouse with two processes: the two
  counties whose approvals arrived are rebuilt, at once, and 嘉善县 is not.

The two warehouses must hold the same rows in every model, mart, finding and reject (the times and run
ids of the build aside).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from warehouse.connection import connect
from warehouse.county_shards import existing_shards, shard_path

from .compare import differences
from .test_legal_variants import JIASHAN, NANHU, XIUZHOU, delivery_a

pytestmark = pytest.mark.builds_warehouse

LATE_APPROVALS = {"浙土字〔2024〕101号", "浙土字〔2025〕7号"}  # 南湖区, 秀洲区


@dataclass
class Builds:
    full: Path
    incremental: Path
    rebuilt_at: dict[str, object]  # county → built_at of its file before and after the second build
    kept_at: dict[str, object]
    success: tuple[bool, bool, bool]
    failures: list[str]


def _built_at(warehouse: Path, county: str):
    con = duckdb.connect(str(shard_path(warehouse, county)), read_only=True)
    try:
        return con.execute("select built_at from main.county_partition_build").fetchone()[0]
    finally:
        con.close()


@pytest.fixture(scope="module")
def builds(delivery_a_cli_build, tmp_path_factory: pytest.TempPathFactory) -> Builds:
    from orchestration.run import run_build_job

    root = tmp_path_factory.mktemp("county_partitions")
    delivery = delivery_a()
    full, full_landing = delivery_a_cli_build.completed, delivery_a_cli_build.landing

    delivery.approvals = [a for a in delivery.approvals if a.number not in LATE_APPROVALS]
    early_landing = delivery.write(root / "incremental" / "landing")
    warehouse = root / "incremental" / "farmland.duckdb"
    early = run_build_job(early_landing, warehouse)
    before = {county: _built_at(warehouse, county) for county in (NANHU, XIUZHOU, JIASHAN)}
    # the late approvals arrive: the bureau re-delivers the approvals and their red lines
    shutil.rmtree(early_landing / "projects")
    shutil.copytree(full_landing / "projects", early_landing / "projects")
    late = run_build_job(early_landing, warehouse, parallel=2)
    after = {county: _built_at(warehouse, county) for county in (NANHU, XIUZHOU, JIASHAN)}
    return Builds(
        delivery_a_cli_build.warehouse,
        warehouse,
        rebuilt_at={county: (before[county], after[county]) for county in (NANHU, XIUZHOU)},
        kept_at={JIASHAN: (before[JIASHAN], after[JIASHAN])},
        success=(full.returncode == 0, early.success, late.success),
        failures=[full.stderr[-3000:]]
        + [
            f"{event.step_key}: {event.step_failure_data.error}"
            for result in (early, late)
            for event in result.all_events
            if event.is_step_failure
        ],
    )


def test_every_build_succeeds(builds: Builds) -> None:
    assert builds.success == (True, True, True), "\n".join(builds.failures)


def test_only_the_counties_whose_inputs_changed_are_rebuilt(builds: Builds) -> None:
    for county, (before, after) in builds.rebuilt_at.items():
        assert after > before, f"county {county} was not rebuilt"
    for county, (before, after) in builds.kept_at.items():
        assert after == before, f"county {county} was rebuilt though nothing it reads changed"
    assert sorted(existing_shards(builds.incremental)) == sorted([NANHU, XIUZHOU, JIASHAN])


def test_an_incremental_parallel_build_equals_a_full_serial_build_table_by_table(builds: Builds) -> None:
    compared, lines = differences(builds.incremental, builds.full)
    assert compared > 60, f"only {compared} relations compared"
    assert not lines, "\n".join(lines)


def test_the_late_approvals_reached_the_findings(builds: Builds) -> None:
    # the comparison above could pass on two warehouses that both missed the late delivery
    con = connect(builds.incremental, read_only=True)
    try:
        approvals = {
            row[0]
            for row in con.execute(
                "select approval_no from intermediate.int_enforcement__approval_red_lines"
            ).fetchall()
        }
    finally:
        con.close()
    assert LATE_APPROVALS <= approvals
