"""Overlay benchmark: each spatial overlay model against GeoPandas and against the shapely floor.

    python -m benchmarks.overlays [--parcels 150000] [--seed 20250] [--repeat 3] [--only MODEL,...]

1. Setup (not timed): generate one synthetic county (benchmarks/county.py), write it as deliveries,
   load them with the project's extractors into a scratch warehouse, `dbt seed` + `dbt run` the
   overlays and everything upstream, `dbt compile` the overlays (a county-partitioned one as a county
   build compiles it), turn the staging views they read into tables (every implementation then reads
   its inputs ready: the time is the overlay's, not the staging's), and export each overlay's inputs
   (the relations the model reads, after its non-spatial filters) to Parquet for the Python references.
2. Measure: every implementation of every overlay runs in a child process of its own (`--run`):
   - duckdb: the model's compiled SQL, `CREATE TABLE … AS (<compiled SQL>)` in the scratch warehouse
     like dbt's table materialisation, once pinned to 1 thread (the comparison with the one-core
     floor) and once at DuckDB's default (all cores);
   - geopandas, floor: benchmarks/references.py.
   Wall time covers the overlay only. Peak memory is the child's peak RSS minus that of a baseline child
   that does everything but the overlay (imports, opens the warehouse and reads the model's upstream
   relations into DuckDB's buffers / reads the Parquet inputs into geometries).
3. Check: the three answers agree (areas to 0.01 m², patch membership identical); print the table and
   write it as JSON under benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.provenance import commit, machine

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks" / "results"
DEFAULT_WORKDIR = REPO / "benchmarks" / ".work"
DATABASE = "bench.duckdb"  # the compiled SQL names its catalog after the file: "bench"
BENCH_SCHEMA = "bench_out"
AIM_FLOOR_RATIO = 1.5
TOLERANCE_M2 = 0.01

# The model's inputs, after the model's own non-spatial filters, as the Python references read them.
INPUT_SQL: dict[str, str] = {
    "cultivated_parcels": """
        select v.parcel_version_id, v.county_code, v.land_class_area_m2::double as land_class_area_m2,
               st_aswkb(v.geom) as geom
        from intermediate.int_survey__parcel_versions as v
        inner join reference.ref_land_classes as l on l.land_class = v.land_class and l.is_cultivated
        where v.geom is not null""",
    "protection_polygons": """
        select layer, polygon_id, county_code, control_year, st_aswkb(geom) as geom
        from intermediate.int_control__polygons
        union all
        select layer, polygon_id, county_code, control_year, st_aswkb(geom)
        from intermediate.int_control__protected_core""",
    "control_polygons": """
        select layer, polygon_id, county_code, control_year, delivered_area_m2::double as delivered_area_m2,
               planar_area_m2, st_aswkb(geom) as geom
        from intermediate.int_control__polygons""",
    "pbf_in_force": """
        select f.year, p.polygon_id, p.county_code, st_aswkb(p.geom) as geom
        from intermediate.int_control__polygons_in_force as f
        inner join intermediate.int_control__polygons as p
            on p.layer = f.layer and p.polygon_id = f.polygon_id and p.control_year = f.control_year
        where f.layer = 'permanent_farmland'""",
    "loss_pieces": """
        select p.change_year, p.piece_id, coalesce(p.before_county_code, p.after_county_code) as county_code,
               p.before_land_class_area_m2::double as cultivated_m2, st_aswkb(p.geom) as geom
        from staging.stg_survey__change_pieces as p
        inner join reference.ref_land_classes as b on b.land_class = p.before_land_class and b.is_cultivated
        inner join reference.ref_land_classes as a
            on a.land_class = p.after_land_class and not a.is_cultivated
        where p.geom is not null""",
    "construction_pieces": """
        select change_year, piece_id, county_code, updated_on, cultivated_m2::double as cultivated_m2,
               piece_planar_m2, st_aswkb(geom) as geom
        from intermediate.int_enforcement__cultivated_loss_pieces
        where loss_kind = 'construction'""",
    "red_lines": """
        select a.approval_no, a.county_code, a.land_use_type, a.approved_on, st_aswkb(b.geom) as geom
        from staging.stg_projects__approval_boundaries as b
        inner join staging.stg_records__land_approvals as a on a.approval_no = b.approval_no
        where b.geom is not null""",
    "approval_parcels": """
        select v.parcel_version_id, v.county_code, v.valid_from, v.valid_to, v.land_class, l.is_cultivated,
               v.land_class_area_m2::double as land_class_area_m2, st_aswkb(v.geom) as geom
        from intermediate.int_survey__parcel_versions as v
        inner join reference.ref_land_classes as l on l.land_class = v.land_class
        where v.geom is not null and (l.is_cultivated or v.land_class = '1202')""",
    "survey_years": "select year from intermediate.int_survey__survey_years",
}


@dataclass(frozen=True)
class Overlay:
    model: str
    label: str
    inputs: tuple[str, ...]
    key: tuple[str, ...]
    values: tuple[str, ...]
    result_sql: str  # the model's output reduced to key + values; {table} is the output table


OVERLAYS: tuple[Overlay, ...] = (
    Overlay(
        "int_control__cultivated_overlay",
        "耕地 × 永农/高标准/功能区/core",
        ("cultivated_parcels", "protection_polygons"),
        ("parcel_version_id", "layer", "polygon_id"),
        ("overlap_planar_m2", "overlap_cultivated_m2"),
        "select parcel_version_id, layer, polygon_id, overlap_planar_m2::double as overlap_planar_m2, "
        "overlap_cultivated_m2::double as overlap_cultivated_m2 from {table}",
    ),
    Overlay(
        "int_control__layer_overlaps",
        "高标准/功能区 × 永农, 高标准 × 功能区",
        ("control_polygons",),
        ("layer", "polygon_id", "over_layer", "over_polygon_id"),
        ("overlap_planar_m2", "overlap_m2"),
        "select layer, polygon_id, over_layer, over_polygon_id, "
        "overlap_planar_m2::double as overlap_planar_m2, overlap_m2::double as overlap_m2 from {table}",
    ),
    Overlay(
        "int_control__permanent_farmland_patches",
        "永农 5 m connectivity + components",
        ("control_polygons",),
        ("members",),
        ("patch_area_m2", "polygon_count"),
        "select array_to_string(polygon_ids, ',') as members, patch_id, polygon_count, "
        "patch_area_m2::double as patch_area_m2 from {table}",
    ),
    Overlay(
        "int_enforcement__cultivated_loss_pieces",
        "change pieces × 永农 in force",
        ("loss_pieces", "pbf_in_force"),
        ("change_year", "piece_id"),
        ("inside_pbf_planar_m2", "inside_pbf_cultivated_m2"),
        "select change_year, piece_id, inside_pbf_planar_m2::double as inside_pbf_planar_m2, "
        "inside_pbf_cultivated_m2::double as inside_pbf_cultivated_m2 from {table}",
    ),
    Overlay(
        "int_enforcement__occupation_cover",
        "construction pieces − red lines in time",
        ("construction_pieces", "red_lines"),
        ("change_year", "piece_id"),
        ("uncovered_planar_m2", "uncovered_cultivated_m2"),
        "select change_year, piece_id, uncovered_planar_m2::double as uncovered_planar_m2, "
        "uncovered_cultivated_m2::double as uncovered_cultivated_m2 from {table}",
    ),
    Overlay(
        "int_enforcement__approval_ground",
        "临时/设施 red lines × 耕地/1202",
        ("red_lines", "approval_parcels", "survey_years"),
        ("approval_no", "year"),
        ("cultivated_inside_m2", "facility_inside_m2"),
        "select approval_no, year, cultivated_inside_m2::double as cultivated_inside_m2, "
        "facility_inside_m2::double as facility_inside_m2 from {table}",
    ),
)
BY_MODEL = {o.model: o for o in OVERLAYS}


def connect_distance_m() -> float:
    """PR13's connection distance from the rule catalog, the value the pipeline passes to dbt."""
    from quality.catalog import load_catalog

    return float(load_catalog()["PR13"].parameters["connect_distance_m"])


# ------------------------------------------------------------------------------------------------ setup


def _dbt(workdir: Path, *args: str) -> None:
    from orchestration.resources import WarehouseResource
    from warehouse.config import TRANSFORMS_DIR

    env = {
        **os.environ,
        **WarehouseResource(warehouse=str(workdir / DATABASE)).dbt_profile_env(),
        # dbt's artefacts go to the scratch folder, not transforms/target of the checkout
        "DBT_TARGET_PATH": str(workdir / "dbt_target"),
        "DBT_LOG_PATH": str(workdir / "dbt_logs"),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    executable = Path(sys.executable).with_name("dbt")
    command = [
        str(executable) if executable.exists() else "dbt",
        *args,
        "--profiles-dir",
        str(TRANSFORMS_DIR),
    ]
    completed = subprocess.run(command, cwd=TRANSFORMS_DIR, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(
            f"dbt {' '.join(args)} failed:\n{completed.stdout[-4000:]}\n{completed.stderr[-2000:]}"
        )


def _compile_overlays(workdir: Path, vars_: str) -> dict[str, dict[str, Any]]:
    """Each overlay's SQL as the pipeline runs it, with the relations it reads. Always recompiled (all
    overlays, so that setup.json serves any later child): the model SQL may have changed since the
    warehouse was built.

    A county-partitioned overlay is compiled as a county build compiles it (FARMLAND_COUNTY_PARTITION:
    the benchmark's county, one spatial join); compiled region-wide it would carry a branch for each
    of the region's seven counties, six of them empty here, which the pipeline never runs."""
    from benchmarks.county import COUNTY_CODE
    from warehouse.config import scoped_environment
    from warehouse.county_shards import PARTITION_TAG

    compiled: dict[str, dict[str, Any]] = {}
    for county in ("", COUNTY_CODE):
        with scoped_environment({"FARMLAND_COUNTY_PARTITION": county}):
            _dbt(workdir, "compile", "--quiet", "--vars", vars_, "--select", *BY_MODEL)
        manifest = json.loads((workdir / "dbt_target" / "manifest.json").read_text())
        for node in manifest["nodes"].values():
            partitioned = PARTITION_TAG in node["config"].get("tags", [])
            if node["name"] in BY_MODEL and partitioned == bool(county):
                upstream = [manifest["nodes"][u]["relation_name"] for u in node["depends_on"]["nodes"]]
                compiled[node["name"]] = {"sql": node["compiled_code"], "upstream": upstream}
    return {model: compiled[model] for model in BY_MODEL}


def _materialize_views(con: Any, relations: list[str]) -> list[str]:
    """Turn the views among the overlays' inputs (the staging models, which type and filter the raw
    deliveries as they are read) into tables of the same rows, so that a measured overlay reads its
    inputs ready, as GeoPandas and the floor read theirs from Parquet: the time is the overlay's, not
    the staging's. Returns the views it turned into tables."""
    views = {
        f'"{database}"."{schema}"."{name}"'
        for database, schema, name in con.execute(
            "select database_name, schema_name, view_name from duckdb_views() where not internal"
        ).fetchall()
    }
    staged = sorted(views & set(relations))
    for relation in staged:
        held = relation[:-1] + '__rows"'
        con.execute(f"create or replace table {held} as select * from {relation}")
        con.execute(f"drop view {relation}")
        con.execute(f"alter table {held} rename to {relation.rsplit('.', 1)[1]}")
    return staged


def setup(workdir: Path, parcels: int, seed: int, reuse: bool) -> dict[str, Any]:
    """Build the scratch warehouse and the Python inputs; returns what the children need (setup.json)."""
    from benchmarks.county import generate, write_deliveries
    from sources.demo.region import CRS_EPSG
    from sources.extract.discover import discover
    from sources.extract.load import load_layer
    from sources.extract.records import load_all_records
    from sources.layers import LAYERS
    from warehouse.connection import warehouse

    stamp = workdir / "setup.json"
    from quality.catalog import dbt_vars

    distance = connect_distance_m()
    vars_ = dbt_vars()  # the rule catalog's parameters, as the pipeline passes them
    previous = json.loads(stamp.read_text()) if stamp.exists() else None
    fresh = not (reuse and previous and previous["parcels"] == parcels and previous["seed"] == seed)
    started = time.perf_counter()
    if fresh:
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        county = generate(parcels, seed)
        write_deliveries(county, workdir / "landing")
        with warehouse(workdir / DATABASE) as con:
            deliveries = discover(workdir / "landing")
            for layer in LAYERS:
                load_layer(con, workdir / "landing", layer, CRS_EPSG, deliveries=deliveries)
            load_all_records(con, workdir / "landing")
        _dbt(workdir, "seed", "--quiet")
        # Every overlay's upstream, and the overlays themselves: occupation_cover reads loss_pieces.
        _dbt(workdir, "run", "--quiet", "--vars", vars_, "--select", *[f"+{m}" for m in BY_MODEL])
        run_results = json.loads((workdir / "dbt_target" / "run_results.json").read_text())
        dbt_seconds = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in run_results["results"]}
        stats = county.stats
    else:
        # Rebuild the overlays alone: one overlay reads another (occupation_cover reads loss_pieces,
        # cultivated_overlay the core cut from layer_overlaps), and their SQL may have changed.
        _dbt(workdir, "run", "--quiet", "--vars", vars_, "--select", *BY_MODEL, "int_control__protected_core")
        dbt_seconds, stats = previous["dbt_run_seconds"], previous["county"]
    compiled = _compile_overlays(workdir, vars_)
    from warehouse.connection import connect

    inputs = workdir / "inputs"
    inputs.mkdir(exist_ok=True)
    con = connect(workdir / DATABASE)
    try:
        staged = _materialize_views(con, [r for model in compiled.values() for r in model["upstream"]])
        for name, sql in INPUT_SQL.items():
            con.execute(f"COPY ({sql}) TO '{inputs / (name + '.parquet')}' (FORMAT parquet)")
    finally:
        con.close()
    meta = {
        "parcels": parcels,
        "seed": seed,
        "county": stats,
        "connect_distance_m": distance,
        "dbt_run_seconds": dbt_seconds,
        # a reused warehouse has them as tables already
        "staging_views_materialized": staged or (previous or {}).get("staging_views_materialized", []),
        "models": compiled,
        "setup_seconds": round(time.perf_counter() - started, 1),
    }
    stamp.write_text(json.dumps(meta, ensure_ascii=False, indent=1))
    return meta


# ------------------------------------------------------------------------------------------------ child


def _output_table(model: str, threads: int) -> str:
    return f"{BENCH_SCHEMA}.{model}__{f'{threads}t' if threads else 'default'}"


def _peak_mb() -> float:
    """This process's peak resident set, MiB.

    VmHWM, not getrusage's ru_maxrss: on Linux a child's ru_maxrss starts at its parent's RSS at fork
    (it survives the exec), so every child would report at least the parent's few hundred MB.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _read_inputs(workdir: Path, names: tuple[str, ...], kind: str) -> dict[str, Any]:
    import pyarrow.parquet as pq
    import shapely

    data: dict[str, Any] = {}
    for name in names:
        table = pq.read_table(workdir / "inputs" / f"{name}.parquet")
        wkb = table["geom"].to_numpy(zero_copy_only=False) if "geom" in table.column_names else None
        rest = table.drop_columns(["geom"]) if wkb is not None else table
        if kind == "geopandas":
            import geopandas as gpd

            frame = rest.to_pandas()
            data[name] = (
                frame
                if wkb is None
                else gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries.from_wkb(wkb), crs="EPSG:4528")
            )
        else:
            columns = {c: rest[c].to_numpy(zero_copy_only=False) for c in rest.column_names}
            if wkb is not None:
                columns["geom"] = shapely.from_wkb(wkb)
            data[name] = columns
    return data


class _Stopwatch:
    """Wall and CPU seconds of a block. CPU time is the steadier figure on a shared machine: other
    processes stretch the wall time of a one-thread run but not its CPU time."""

    wall: float = 0.0
    cpu: float = 0.0

    def __enter__(self) -> _Stopwatch:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall, self.cpu = time.perf_counter() - self.wall, time.process_time() - self.cpu


def _operators_cpu(con: Any, statement: str, output: Path) -> float:
    """The statement run again under DuckDB's profiler: the CPU time of its operators, the overlay's own
    work without what any statement costs whatever its data (parsing, binding, planning, committing)."""
    con.execute("PRAGMA enable_profiling = 'json'")
    con.execute(f"PRAGMA profiling_output = '{output}'")
    try:
        con.execute(statement)
    finally:
        con.execute("PRAGMA disable_profiling")
    seconds = json.loads(output.read_text())["cpu_time"]
    output.unlink()
    return seconds


def run_child(workdir: Path, impl: str, model: str, threads: int, baseline: bool) -> dict[str, Any]:
    """One measurement, in this (child) process: the overlay's wall and CPU time and the peak RSS."""
    meta = json.loads((workdir / "setup.json").read_text())
    overlay = BY_MODEL[model]
    clock = plan = operators = None
    if impl == "duckdb":
        from warehouse.connection import connect

        con = connect(workdir / DATABASE)
        if threads:  # 0: DuckDB's default, one thread per core
            con.execute(f"SET threads = {threads}")
        # Read the model's upstream relations once, so their pages sit in the buffer pool in both the
        # baseline and the measured child: the difference is the overlay's working memory.
        for relation in meta["models"][model]["upstream"]:
            con.execute(f"select sum(hash(t)) from {relation} as t").fetchall()
        if not baseline:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {BENCH_SCHEMA}")
            sql = meta["models"][model]["sql"]
            # Parsing, binding and optimising alone (PREPARE; part of the measured time too): the fixed
            # cost of a query, which does not grow with the data. (EXPLAIN would add the rendering of
            # the plan.)
            with _Stopwatch() as plan:
                con.execute(f"PREPARE planned AS {sql}")
            con.execute("DEALLOCATE planned")
            create = f"CREATE OR REPLACE TABLE {_output_table(model, threads)} AS (\n{sql}\n)"
            with _Stopwatch() as clock:
                con.execute(create)
        peak = _peak_mb()  # before the profiled run: its memory is not the measured run's
        if not baseline:
            operators = _operators_cpu(con, create, workdir / f"operators-{os.getpid()}.json")
        con.close()
    else:
        from benchmarks import references

        data = _read_inputs(workdir, overlay.inputs, impl)
        extra = [meta["connect_distance_m"]] if model == "int_control__permanent_farmland_patches" else []
        if not baseline:
            if impl == "geopandas":
                with _Stopwatch() as clock:
                    frame = references.GEOPANDAS[model](data, *extra)
            else:
                compute, to_frame = references.FLOOR[model]
                with _Stopwatch() as clock:
                    result = compute(data, *extra)
                frame = to_frame(data, result)
        peak = _peak_mb()
        if not baseline:
            (workdir / "out").mkdir(exist_ok=True)
            frame.to_parquet(workdir / "out" / f"{model}__{impl}.parquet")
    return {
        "seconds": clock.wall if clock else None,
        "cpu_seconds": clock.cpu if clock else None,
        "plan_seconds": plan.wall if plan else None,
        "operators_cpu_seconds": operators,
        "peak_mb": peak,
    }


# ----------------------------------------------------------------------------------------------- parent


def _child(workdir: Path, impl: str, model: str, threads: int = 1, baseline: bool = False) -> dict[str, Any]:
    command = [
        sys.executable,
        "-m",
        "benchmarks.overlays",
        "--run",
        impl,
        "--overlay",
        model,
        "--workdir",
        str(workdir),
        "--threads",
        str(threads),
    ]
    if baseline:
        command.append("--baseline")
    # One core for the Python references: no BLAS/OpenMP pools behind numpy or scipy.
    env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    completed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True)
    if completed.returncode != 0:
        raise RuntimeError(f"{impl} {model} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


# (label, implementation, DuckDB threads: 0 = DuckDB's default)
IMPLEMENTATIONS = (
    ("duckdb_1t", "duckdb", 1),
    ("duckdb_default", "duckdb", 0),
    ("geopandas", "geopandas", 1),
    ("floor", "floor", 1),
)


def measure(workdir: Path, model: str, repeat: int) -> dict[str, dict[str, float]]:
    """Per implementation: the best wall and CPU time over `repeat` children and their largest peak RSS
    minus the baseline child's. The implementations take turns round by round, so that a burst of
    load from other processes on a shared machine hits all of them rather than one."""
    base = {
        label: _child(workdir, impl, model, threads, baseline=True)
        for label, impl, threads in IMPLEMENTATIONS
    }
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _, _ in IMPLEMENTATIONS}
    for _ in range(repeat):
        for label, impl, threads in IMPLEMENTATIONS:
            runs[label].append(_child(workdir, impl, model, threads))
    measured = {}
    for label, got in runs.items():
        best = min(got, key=lambda r: r["seconds"])
        measured[label] = {
            "seconds": round(best["seconds"], 3),
            "cpu_seconds": round(min(r["cpu_seconds"] for r in got), 3),
            **({"plan_seconds": round(best["plan_seconds"], 3)} if best["plan_seconds"] is not None else {}),
            **(
                {"operators_cpu_seconds": round(min(r["operators_cpu_seconds"] for r in got), 4)}
                if best.get("operators_cpu_seconds") is not None
                else {}
            ),
            "mb": round(max(r["peak_mb"] for r in got) - base[label]["peak_mb"], 1),
            "child_peak_mb": round(max(r["peak_mb"] for r in got), 1),
            "baseline_peak_mb": round(base[label]["peak_mb"], 1),
        }
    return measured


def _results(workdir: Path, overlay: Overlay, impls: list[str]) -> dict[str, pd.DataFrame]:
    from warehouse.connection import connect

    frames = {}
    con = connect(workdir / DATABASE, read_only=True)
    try:
        for impl in impls:
            if impl.startswith("duckdb"):
                table = _output_table(overlay.model, 1 if impl == "duckdb_1t" else 0)
                frames[impl] = con.sql(overlay.result_sql.format(table=table)).df()
            else:
                frames[impl] = pd.read_parquet(workdir / "out" / f"{overlay.model}__{impl}.parquet")
    finally:
        con.close()
    return frames


def agreement(overlay: Overlay, reference: pd.DataFrame, other: pd.DataFrame) -> dict[str, Any]:
    """Rows matched on the model's key; per value column the largest row difference and the total's."""
    key = list(overlay.key)
    ref = reference[key + list(overlay.values)]
    oth = other[key + list(overlay.values)]
    merged = ref.merge(oth, on=key, how="outer", suffixes=("_ref", "_other"), indicator=True)
    result: dict[str, Any] = {
        "rows": len(ref),
        "only_model": int((merged["_merge"] == "left_only").sum()),
        "only_other": int((merged["_merge"] == "right_only").sum()),
    }
    ok = result["only_model"] == 0 and result["only_other"] == 0
    both = merged[merged["_merge"] == "both"]
    for value in overlay.values:
        mine = np.round(both[f"{value}_other"].to_numpy(dtype=float), 4)
        theirs = both[f"{value}_ref"].to_numpy(dtype=float)
        row = float(np.abs(mine - theirs).max()) if len(both) else 0.0
        total = float(
            abs(np.round(oth[value].to_numpy(dtype=float), 4).sum() - ref[value].to_numpy(dtype=float).sum())
        )
        result[value] = {"max_row_diff": row, "total_diff": total}
        ok &= row <= TOLERANCE_M2 and total <= TOLERANCE_M2
    result["agrees"] = bool(ok)
    return result


def _operator_lines(node: dict[str, Any], depth: int = 0) -> list[str]:
    name = node.get("operator_name") or node.get("operator_type") or "QUERY"
    rows = node.get("operator_cardinality")
    lines = []
    # Operators that saw no rows are the empty branches of the other counties: left out.
    if rows != 0 or depth == 0:
        info = node.get("extra_info") or {}
        detail = (
            info.get("Conditions")
            or info.get("Expression")
            or info.get("Table")
            or info.get("Projections")
            or ""
        )
        lines.append(
            f"{'  ' * depth}{name}  {node.get('operator_timing', 0):.3f}s  rows={rows}  {str(detail)[:160]}"
        )
    for child in node.get("children", []):
        lines += _operator_lines(child, depth + 1)
    return lines


def profile(workdir: Path, model: str, threads: int = 1) -> str:
    """The model's compiled SQL run once under DuckDB's profiler: each operator with its time and rows."""
    from warehouse.connection import connect

    meta = json.loads((workdir / "setup.json").read_text())
    output = workdir / f"profile-{model}.json"
    con = connect(workdir / DATABASE, read_only=True)
    try:
        con.execute(f"SET threads = {threads}")
        con.execute("PRAGMA enable_profiling = 'json'")
        con.execute(f"PRAGMA profiling_output = '{output}'")
        started = time.perf_counter()
        con.execute(f"CREATE OR REPLACE TEMP TABLE profiled AS (\n{meta['models'][model]['sql']}\n)")
        seconds = time.perf_counter() - started
        con.execute("PRAGMA disable_profiling")
    finally:
        con.close()
    tree = json.loads(output.read_text())
    return "\n".join([f"{model}: {seconds:.3f}s at {threads} thread(s)", *_operator_lines(tree)])


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def report(rows: list[dict[str, Any]]) -> str:
    header = (
        "overlay",
        "duckdb s",
        "duckdb MB",
        "geopandas s",
        "MB",
        "floor s",
        "MB",
        "duckdb/floor",
        "duckdb/geopandas",
        "cpu duckdb/floor",
        "operators cpu/floor",
        "duckdb 2T s",
        "2T MB",
        "plan s",
        "aim",
        "agree",
    )
    lines = [" | ".join(header), " | ".join("---" for _ in header)]
    for r in rows:
        m = r["measured"]
        lines.append(
            " | ".join(
                str(x)
                for x in (
                    r["model"].split("__", 1)[1],
                    m["duckdb_1t"]["seconds"],
                    m["duckdb_1t"]["mb"],
                    m["geopandas"]["seconds"],
                    m["geopandas"]["mb"],
                    m["floor"]["seconds"],
                    m["floor"]["mb"],
                    r["duckdb_over_floor"],
                    r["duckdb_over_geopandas"],
                    r["cpu_duckdb_over_floor"],
                    r["operators_over_floor"],
                    m["duckdb_default"]["seconds"],
                    m["duckdb_default"]["mb"],
                    m["duckdb_1t"].get("plan_seconds"),
                    "yes" if r["meets_aim"] else "NO",
                    "yes" if r["all_agree"] else "NO",
                )
            )
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parcels", type=int, default=150_000)
    parser.add_argument("--seed", type=int, default=20250)
    parser.add_argument(
        "--repeat", type=int, default=3, help="children per measurement; the best time counts"
    )
    parser.add_argument("--only", default="", help="comma-separated model names (default: all overlays)")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the scratch warehouse of an identical setup"
    )
    parser.add_argument("--profile", metavar="MODEL", help="print the operator tree of one overlay and stop")
    # child mode (used by the benchmark itself)
    parser.add_argument("--run", choices=("duckdb", "geopandas", "floor"), help=argparse.SUPPRESS)
    parser.add_argument("--overlay", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = (args.workdir or DEFAULT_WORKDIR / f"{args.parcels}-{args.seed}").resolve()

    if args.run:
        print(json.dumps(run_child(workdir, args.run, args.overlay, args.threads, args.baseline)))
        return 0

    import duckdb
    import geopandas
    import shapely

    models = [m for m in args.only.split(",") if m] or ([args.profile] if args.profile else list(BY_MODEL))
    unknown = set(models) - set(BY_MODEL)
    if unknown:
        parser.error(f"unknown overlay(s): {', '.join(sorted(unknown))}")
    print(f"setting up {args.parcels} parcels (seed {args.seed}) in {workdir} …", flush=True)
    meta = setup(workdir, args.parcels, args.seed, args.reuse)
    if args.profile:
        print(profile(workdir, args.profile))
        return 0
    print(f"  {meta['county']} ({meta['setup_seconds']} s)", flush=True)
    cores = os.cpu_count() or 1
    rows = []
    for model in models:
        overlay = BY_MODEL[model]
        measured = measure(workdir, model, args.repeat)
        frames = _results(workdir, overlay, ["duckdb_1t", "duckdb_default", "geopandas", "floor"])
        agree = {
            "duckdb_default": agreement(overlay, frames["duckdb_1t"], frames["duckdb_default"]),
            "geopandas": agreement(overlay, frames["duckdb_1t"], frames["geopandas"]),
            "floor": agreement(overlay, frames["duckdb_1t"], frames["floor"]),
        }
        d, g, f = (measured[k]["seconds"] for k in ("duckdb_1t", "geopandas", "floor"))
        row = {
            "model": model,
            "computes": overlay.label,
            "measured": measured,
            "duckdb_over_floor": _ratio(d, f),
            "duckdb_over_geopandas": _ratio(d, g),
            # the overlay's operators alone (DuckDB's profiler), without the fixed cost of a statement,
            # which does not grow with the data
            "operators_over_floor": _ratio(
                measured["duckdb_1t"]["operators_cpu_seconds"], measured["floor"]["cpu_seconds"]
            ),
            "cpu_duckdb_over_floor": _ratio(
                measured["duckdb_1t"]["cpu_seconds"], measured["floor"]["cpu_seconds"]
            ),
            "meets_aim": bool(d <= AIM_FLOOR_RATIO * f and d < g),
            "agreement": agree,
            "all_agree": all(a["agrees"] for a in agree.values()),
            "dbt_run_seconds": meta["dbt_run_seconds"].get(model),
        }
        rows.append(row)
        summary = "; ".join(
            f"{k}: {a['rows']} rows, {'agrees' if a['agrees'] else 'DISAGREES'} "
            f"(missing {a['only_model']}/{a['only_other']}, "
            + ", ".join(
                f"{v} max Δ {a[v]['max_row_diff']:.4f} Σ Δ {a[v]['total_diff']:.4f}" for v in overlay.values
            )
            + ")"
            for k, a in agree.items()
        )
        print(f"{model}: duckdb {d}s (1 thread), geopandas {g}s, floor {f}s — {summary}", flush=True)

    table = report(rows)
    print()
    print(
        f"{args.parcels} parcels; duckdb = model SQL pinned to 1 thread; duckdb 2T = DuckDB's default "
        f"({cores} threads on this machine); MB = peak RSS above a baseline child that loaded the same inputs"
    )
    print(table)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"overlays-{args.parcels}-{stamp}.json"
    document = {
        "parcels": args.parcels,
        "seed": args.seed,
        "repeat": args.repeat,
        "commit": commit(),
        "machine": machine(),
        "versions": {
            "duckdb": duckdb.__version__,
            "shapely": shapely.__version__,
            "geos": shapely.geos_version_string,
            "geopandas": geopandas.__version__,
        },
        "county": meta["county"],
        "aim": f"duckdb (1 thread) ≤ {AIM_FLOOR_RATIO} × floor and faster than geopandas",
        "rows": rows,
        "table": table,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1))
    print(f"\nwritten {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
