"""County partitions in DuckLakes catalogued in PostgreSQL, built by two processes at once.

Where several machines build counties, the partitions cannot be files beside one machine's warehouse:
each county's tables go into a DuckLake of its own, catalogued in one PostgreSQL database (a real
server, Debian's `postgresql`, started for this module). Conformance delivery C (two counties, 平湖市
and 桐乡市, no control layers) is built twice: into files, one step after another, and into the lakes
with two county builds at once. Every table must be the same.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.postgres import postgres_server
from warehouse.config import CountyLake
from warehouse.county_shards import existing_shards, stored_counties

from .compare import differences
from .test_legal_variants import PINGHU, TONGXIANG, delivery_c

pytestmark = pytest.mark.builds_warehouse


@dataclass
class LakeBuilds:
    files: Path
    lake_warehouse: Path
    lake: CountyLake
    results: tuple[object, object]


@pytest.fixture(scope="module")
def lake_builds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LakeBuilds]:
    from orchestration.run import run_build_job

    root = tmp_path_factory.mktemp("county_lake")
    landing = delivery_c().write(root / "landing")
    with postgres_server() as postgres:
        lake = CountyLake(postgres, str(root / "lake_data"))
        in_files = run_build_job(landing, root / "files" / "farmland.duckdb")
        in_lakes = run_build_job(landing, root / "lake" / "farmland.duckdb", parallel=2, county_lake=lake)
        yield LakeBuilds(
            root / "files" / "farmland.duckdb", root / "lake" / "farmland.duckdb", lake, (in_files, in_lakes)
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
    assert [result.success for result in lake_builds.results] == [True, True]


def test_the_two_counties_were_built_at_once_by_two_processes_into_their_lakes(
    lake_builds: LakeBuilds,
) -> None:
    spans = _county_build_spans(lake_builds.results[1])
    assert sorted(spans) == [f"county_partitions.build_county[{c}]" for c in sorted((PINGHU, TONGXIANG))]
    (start_a, end_a, pid_a), (start_b, end_b, pid_b) = spans.values()
    assert pid_a != pid_b
    assert start_a < end_b and start_b < end_a, "the two county builds did not overlap"
    assert stored_counties(lake_builds.lake_warehouse, lake_builds.lake) == sorted((PINGHU, TONGXIANG))
    assert existing_shards(lake_builds.lake_warehouse) == {}  # nothing left beside the warehouse


def test_building_through_the_lakes_in_parallel_equals_building_files_serially(
    lake_builds: LakeBuilds,
) -> None:
    compared, lines = differences(lake_builds.lake_warehouse, lake_builds.files, lake_builds.lake)
    assert compared > 60, f"only {compared} relations compared"
    assert not lines, "\n".join(lines)
