"""A build with nothing new to read does nothing: the snapshot records what it was built from."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from orchestration.cli import run_build
from warehouse.build_state import FINGERPRINT_TAG, landing_fingerprint, published_fingerprint, up_to_date
from warehouse.config import published_path


def _landing(root: Path) -> Path:
    (root / "survey" / "2023").mkdir(parents=True)
    (root / "survey" / "2023" / "DLTB.parquet").write_bytes(b"parcels")
    (root / "funds" / "2024").mkdir(parents=True)
    (root / "funds" / "2024" / "耕地保护补偿资金发放明细_2024.csv").write_text(
        "村代码,实发金额\n", encoding="utf-8"
    )
    return root


def test_the_landing_fingerprint_follows_every_delivered_file_records_included(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    first = landing_fingerprint(landing)
    assert landing_fingerprint(landing) == first

    ledger = landing / "funds" / "2024" / "耕地保护补偿资金发放明细_2024.csv"
    ledger.write_text("村代码,实发金额\n330402001001,100\n", encoding="utf-8")
    second = landing_fingerprint(landing)
    assert second != first

    (landing / "stats" / "2024").mkdir(parents=True)
    (landing / "stats" / "2024" / "土地供应.xlsx").write_bytes(b"supply")
    assert landing_fingerprint(landing) != second


def test_the_landing_fingerprint_does_not_follow_symbolic_links(tmp_path: Path) -> None:
    landing = _landing(tmp_path / "landing")
    before = landing_fingerprint(landing)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "DLTB.parquet").write_bytes(b"somebody else's parcels")
    os.symlink(outside, landing / "survey" / "2024")
    os.symlink(outside / "DLTB.parquet", landing / "survey" / "2023" / "DLTBGX.parquet")
    assert landing_fingerprint(landing) == before


def test_a_build_of_the_same_deliveries_with_the_same_code_does_nothing(demo_build, tmp_path, capsys) -> None:
    assert demo_build.result.success
    assert published_fingerprint(demo_build.published) is not None
    assert up_to_date(demo_build.landing, demo_build.warehouse)

    snapshot_written = demo_build.published.stat().st_mtime_ns
    assert run_build(demo_build.landing, demo_build.warehouse)
    assert "Up to date" in capsys.readouterr().out
    assert demo_build.published.stat().st_mtime_ns == snapshot_written


def test_a_changed_or_added_delivery_file_makes_the_next_build_run(demo_build, tmp_path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(demo_build.landing, landing)  # copies keep their modification times
    warehouse = tmp_path / "farmland.duckdb"
    shutil.copy(demo_build.published, published_path(warehouse))
    assert up_to_date(landing, warehouse)

    ledger = next((landing / "funds").rglob("*.xlsx"))
    os.utime(ledger, ns=(ledger.stat().st_atime_ns, ledger.stat().st_mtime_ns + 1_000_000_000))
    assert not up_to_date(landing, warehouse)


def test_the_annual_schedule_skips_deliveries_the_snapshot_is_built_from(demo_build, tmp_path) -> None:
    import dagster as dg

    from orchestration.jobs import annual_survey_build
    from orchestration.resources import WarehouseResource

    def schedule_on(landing: Path):
        farmland = WarehouseResource(landing=str(landing), warehouse=str(demo_build.warehouse))
        with dg.instance_for_test() as instance:
            with dg.build_schedule_context(instance=instance, resources={"farmland": farmland}) as context:
                return annual_survey_build(context)

    assert isinstance(schedule_on(demo_build.landing), dg.SkipReason)

    landing = tmp_path / "landing"
    shutil.copytree(demo_build.landing, landing)
    ledger = next((landing / "funds").rglob("*.xlsx"))
    os.utime(ledger, ns=(ledger.stat().st_atime_ns, ledger.stat().st_mtime_ns + 1_000_000_000))
    request = schedule_on(landing)
    assert isinstance(request, dg.RunRequest)
    assert request.tags[FINGERPRINT_TAG]


def test_the_demo_is_written_once_per_scale_seed_and_code(tmp_path) -> None:
    """`farmland demo` run again keeps the demo it wrote, so the build after it has nothing new to read."""
    from orchestration.cli import write_demo

    landing = tmp_path / "landing"
    _, written = write_demo(landing, scale=60, seed=7)
    assert written
    before = landing_fingerprint(landing)

    manifest, written = write_demo(landing, scale=60, seed=7)
    assert not written and manifest["scale"] == 60
    assert landing_fingerprint(landing) == before

    _, written = write_demo(landing, scale=60, seed=8)
    assert written
    assert landing_fingerprint(landing) != before
