"""Generate the 嘉兴市 demo deliveries: survey layers 2022–2025, 2025 control layers, and the manifest of
planted violations and true figures.

    generate(Path("data/landing"), scale=300, seed=20251231) -> manifest dict
    python -m sources.demo --landing data/landing --scale 300 --seed 20251231

Deterministic for a seed. Each stage draws from its own random stream, so changing one stage does not
reshuffle the others.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sources.demo import checks
from sources.demo.base import build_base
from sources.demo.calibrate import calibrate
from sources.demo.change_plan import CHANGE_YEARS, loss_order, plan_changes
from sources.demo.change_records import build_year
from sources.demo.control import build_control, build_lsgnq
from sources.demo.control_plants import Plants, plan_survey_boxes
from sources.demo.findings import survey_entries
from sources.demo.frame import Table
from sources.demo.grade_update import plant_pr22_grade_declining
from sources.demo.ids import BsmAllocator, TbbhAllocator
from sources.demo.landclasses import CULTIVATED
from sources.demo.manifest import build_manifest, parcel_entries, pbf_entries, write_manifest
from sources.demo.output import write_control, write_survey
from sources.demo.planting import apply, choose
from sources.demo.records import build_records, write_records
from sources.demo.rects import of
from sources.demo.region import counties
from sources.demo.replay import replay
from sources.demo.size import DEFAULT_SCALE, DEFAULT_SEED
from sources.demo.target_plants import plant_pr01_cultivated_land_below_target, plant_pr08_restoration_short
from sources.demo.truth import cultivated_cents, in_out, land_use_area

MIN_SCALE = 50  # below this a single parcel is too large a share of a county to hit the planted outcomes


@dataclass
class Demo:
    """Everything generated, in memory (the tests replay from these as well as from the files)."""

    base: Table
    years: dict[int, tuple[Table, Table]]  # year → (DLTBGX, DLTBGXGC)
    states: list[Table]  # 2022, 2023, 2024, 2025
    quarantined_bsm: np.ndarray
    control: dict[str, Table]
    manifest: dict
    timings: dict[str, float] = field(default_factory=dict)
    control_stats: dict = field(default_factory=dict)  # per county: 永农 boxes, share over 耕地
    plants: Plants | None = None  # the designed survey/control cases (control_plants.py)


def build(scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED) -> Demo:
    """Generate the demo in memory (no files)."""
    if scale < MIN_SCALE:
        raise ValueError(f"scale must be at least {MIN_SCALE} parcels per county (got {scale})")
    timings: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        timings[name] = round(now - clock[0], 3)
        clock[0] = now

    def stream(stage: int) -> np.random.Generator:
        return np.random.default_rng([seed, stage])

    bsm, tbbh = BsmAllocator(), TbbhAllocator()
    pr01 = plant_pr01_cultivated_land_below_target()
    base = build_base(scale, stream(1), bsm, tbbh, pr01.base_margin)
    lap("base")
    losses = loss_order(base, stream(7))
    plans, touched = plan_changes(
        base, scale, stream(2), losses, pr01.extra_loss, plant_pr08_restoration_short()
    )
    years = {
        plan.year: build_year(base, plan, bsm, tbbh, stream(10 + position))
        for position, plan in enumerate(plans)
    }
    lap("changes")

    lsgnq = build_lsgnq(base, stream(3))
    planting = choose(base, touched, of(lsgnq), losses, stream(4))
    quarantined = np.zeros(len(base["BSM"]), dtype=bool)
    quarantined[planting.quarantined_rows()] = True
    quarantined_bsm = np.sort(base["BSM"][quarantined])
    quarantined_set = set(quarantined_bsm.tolist())

    # Calibrate 耕地 on the parcels nothing else touches, then plant (planting edits only its own rows).
    before = [
        cultivated_cents(land_use_area(survey_state, quarantined_set))
        for survey_state in replay(base, list(years.values()))
    ]
    free = ~touched
    free[planting.all_rows()] = False
    calibrate(base, before, free, stream(5), pr01.calibration_goal)
    notes = apply(base, planting)
    # The PR22 grade update moves no area, so it comes after calibration, on parcels still free.
    plant_pr22_grade_declining(base, years, free, quarantined_bsm, bsm, tbbh, stream(8))
    states = replay(base, list(years.values()))
    lap("calibrate+plant")

    # Control layers keep clear of pieces leaving 耕地 and of every planted / 非粮 parcel, but for the
    # polygons planted over some of them (control_plants.py).
    leaving = [
        np.isin(gc["BGQDLBM"].astype(str), CULTIVATED) & ~np.isin(gc["BGHDLBM"].astype(str), CULTIVATED)
        for _, gc in years.values()
    ]
    forbidden_parts = [of(gc, mask) for (_, gc), mask in zip(years.values(), leaving, strict=True)]
    forbidden_parts.append(of(base, planting.all_rows()))
    forbidden = tuple(np.concatenate([part[edge] for part in forbidden_parts]) for edge in range(4))
    bounds = {county.code: county.bounds for county in counties()}
    plants = plan_survey_boxes(base, years, planting.all_rows(), planting.pr11.pbf_box, bounds, stream(9))
    control = build_control(base, lsgnq, forbidden, quarantined, stream(6), bsm, plants, planting.dq05_box)
    lap("control")

    areas = {
        year: land_use_area(state, quarantined_set)
        for year, state in zip((2022, *CHANGE_YEARS), states, strict=True)
    }
    flows_in_out = {year: in_out(gc) for year, (_, gc) in years.items()}
    layers = {
        "YJJBNT": control.yjjbnt,
        "YJJBNTCBQ": control.cbq,
        "GBZNT": control.gbznt,
        "LSGNQ": control.lsgnq,
    }
    manifest = build_manifest(
        scale=scale,
        seed=seed,
        files=[],
        planted=parcel_entries(base, notes)
        + pbf_entries(control.yjjbnt)
        + survey_entries(states, years, base, quarantined_bsm, layers),
        areas=areas,
        in_out=flows_in_out,
        yjjbnt=control.yjjbnt,
        pbf_patches={
            "connected_pair": sorted(plants.pbf["PR13-connected"]),
            "separate_pair": sorted(plants.pbf["PR13-separate"]),
        },
    )
    checks.check_all(
        manifest, states, [gc for _, gc in years.values()], areas, quarantined_bsm, layers, plants,
        planting.pr11.expected(base),
    )  # fmt: skip
    lap("truth+checks")
    return Demo(base, years, states, quarantined_bsm, layers, manifest, timings, control.stats, plants)


def generate(
    landing: Path, *, scale: int = DEFAULT_SCALE, seed: int = DEFAULT_SEED, records: bool = True
) -> dict:
    """Write the demo deliveries under `landing` and return the manifest (also written as
    `<landing>/demo_manifest.json`). `scale` = parcels per county in the base year.

    With `records` (the default) the project, fund and statistics records of SOURCES.md §2–§4 are written
    too, consistent with the survey; the manifest lists them under `records` (files, planted, truth),
    leaving `files` and `planted` to the survey layers and their rules."""
    landing = Path(landing)
    demo = build(scale, seed)
    files = write_survey(landing, demo.base, demo.years)
    files += write_control(landing, demo.control)
    demo.manifest["files"] = sorted(files)
    if records:
        started = time.perf_counter()
        built = build_records(demo, seed)
        demo.manifest["records"] = {
            "files": write_records(landing, built),
            "planted": built.planted,
            "truth": built.truth,
        }
        demo.timings["records"] = round(time.perf_counter() - started, 3)
    write_manifest(landing, demo.manifest)
    return demo.manifest
