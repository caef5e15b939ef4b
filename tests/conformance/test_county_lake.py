"""County partitions in DuckLakes catalogued in PostgreSQL, built by two processes at once.

Where several machines build counties, the partitions cannot be files beside one machine's warehouse:
each county's tables go into a DuckLake of its own, catalogued in one PostgreSQL database (a real
server, Debian's `postgresql`, started for this module). Conformance delivery A (three counties: 南湖区,
秀洲区 and 嘉善县) is built twice: into files, one step after another (`farmland build`'s build, which
the command line's tests read too: tests/conftest.py), and into the lakes with two county builds at
once. Every table must be the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import pytest

from tests.postgres import postgres_server
from warehouse.config import CountyLake
from warehouse.county_shards import existing_shards, stored_counties

from .compare import differences
from .test_legal_variants import JIASHAN, NANHU, XIUZHOU

pytestmark = pytest.mark.builds_warehouse


@dataclass
class LakeBuilds:
    files: Path
    lake_warehouse: Path
    lake: CountyLake
    files_built: bool
    in_lakes: object  # dagster ExecuteJobResult


@pytest.fixture(scope="module")
def lake_builds(delivery_a_cli_build, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeBuilds]:
    from orchestration.run import run_build_job

    root = tmp_path_factory.mktemp("county_lake")
    in_files = delivery_a_cli_build
    with postgres_server() as postgres:
        lake = CountyLake(postgres, str(root / "lake_data"))
        lake_warehouse = root / "lake" / "farmland.duckdb"
        in_lakes = run_build_job(in_files.landing, lake_warehouse, parallel=2, county_lake=lake)
        yield LakeBuilds(
            in_files.warehouse, lake_warehouse, lake, in_files.completed.returncode == 0, in_lakes
        )


def _county_build_spans(result) -> dict[str, tuple[int, int, int]]:
    """Per county build step: (position of its start, position of its success in the run's events,
    process id)."""
    spans: dict[str, list] = {}
    for position, event in enumerate(result.all_events):
        if not event.step_key or not event.step_key.startswith("county_partitions.build_county["):
            continue
        span = spans.setdefault(event.step_key, [None, None, None])
        if event.event_type_value == "STEP_START":
            span[0], span[2] = position, event.pid
        elif event.event_type_value == "STEP_SUCCESS":
            span[1] = position
    return {key: tuple(value) for key, value in spans.items()}


def test_both_builds_succeed(lake_builds: LakeBuilds) -> None:
    assert [lake_builds.files_built, lake_builds.in_lakes.success] == [True, True]


def test_the_counties_were_built_two_at_once_by_two_processes_into_their_lakes(
    lake_builds: LakeBuilds,
) -> None:
    spans = _county_build_spans(lake_builds.in_lakes)
    counties = sorted((NANHU, XIUZHOU, JIASHAN))
    assert sorted(spans) == [f"county_partitions.build_county[{c}]" for c in counties]
    at_once = [(a, b) for a, b in combinations(spans.values(), 2) if a[0] < b[1] and b[0] < a[1]]
    assert at_once, "no two county builds overlapped"
    assert all(pid_a != pid_b for (_, _, pid_a), (_, _, pid_b) in at_once), "two at once in one process"
    # three builds overlapping pairwise would all have run at one moment: two at most
    assert len(at_once) < 3, "three county builds ran at once"
    assert stored_counties(lake_builds.lake_warehouse, lake_builds.lake) == counties
    assert existing_shards(lake_builds.lake_warehouse) == {}  # nothing left beside the warehouse


def test_building_through_the_lakes_in_parallel_equals_building_files_serially(
    lake_builds: LakeBuilds,
) -> None:
    compared, lines = differences(lake_builds.lake_warehouse, lake_builds.files, lake_builds.lake)
    assert compared > 60, f"only {compared} relations compared"
    assert not lines, "\n".join(lines)
