"""`farmland`: build the warehouse from a landing folder, or generate and build the demo.

farmland build --landing DIR --warehouse FILE [--parallel N] [--force] [--verbose]
farmland demo  [--landing data/landing] [--warehouse warehouse/farmland.duckdb] [--scale N] [--parallel N]
farmland summary [--warehouse FILE]
farmland sql [--warehouse FILE] [--mode MODE] ["SELECT …"]
farmland report [--warehouse FILE] [--year Y] [--admin CODE ...] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path

from orchestration.sql_shell import OUTPUT_MODES
from sources.demo.size import DEFAULT_SCALE, DEFAULT_SEED
from warehouse.config import REPO_ROOT, CountyLake, published_path

DEFAULT_LANDING = REPO_ROOT / "data" / "landing"
DEFAULT_WAREHOUSE = REPO_ROOT / "warehouse" / "farmland.duckdb"


def run_build(
    landing: Path,
    warehouse: Path,
    parallel: int = 1,
    *,
    force: bool = False,
    county_lake: CountyLake | None = None,
    verbose: bool = False,
) -> bool:
    """Run the build job, unless the snapshot is already built from this landing folder (`force`
    rebuilds anyway); True when every step succeeded or there was nothing to do. The console shows the
    build's progress, the log file beside the warehouse every line of its log (`verbose`: the console
    too)."""
    if not landing.is_dir():
        raise SystemExit(f"landing folder {landing} does not exist")
    from warehouse.build_state import up_to_date

    if not force and up_to_date(landing, warehouse):
        print(
            f"Up to date: the published snapshot was built from {landing} as it is now, with this code; "
            "nothing to do (--force rebuilds)."
        )
        return True
    from orchestration.build_log import BuildLog, new_log_path
    from orchestration.watched_run import watched_build

    log = BuildLog(new_log_path(warehouse))
    print(f"Building {warehouse} from {landing}; the build's log: {log.path}", flush=True)
    try:
        result = watched_build(
            landing, warehouse, log, parallel=parallel, county_lake=county_lake, verbose=verbose
        )
    except ValueError as error:
        log.write(str(error))
        raise SystemExit(str(error)) from error
    finally:
        log.close()
    if not result.success:
        from orchestration.progress import failure_message

        print("\nThe build did not complete. Failed steps:", file=sys.stderr)
        for event in result.all_events:
            if event.is_step_failure:
                message = failure_message(event.step_failure_data.error)
                print(f"  {event.step_key}: {message}", file=sys.stderr)
        print("The published snapshot was left at its last good state.", file=sys.stderr)
        print(f"The build's log: {log.path}", file=sys.stderr)
    else:
        print(f"The build's log: {log.path}")
    return result.success


def write_demo(landing: Path, scale: int | None = None, seed: int | None = None) -> tuple[dict, bool]:
    """The demo's deliveries in `landing`: generated, unless the folder already holds the demo of this
    scale and seed written by this code, whose files are then kept as they are (rewriting them would
    make the next build see new deliveries and rebuild everything). (manifest, whether written)."""
    import json

    from sources.demo.generate import generate
    from sources.demo.manifest import MANIFEST_NAME, write_manifest
    from warehouse.build_state import project_code_version

    scale, seed = scale or DEFAULT_SCALE, seed or DEFAULT_SEED
    code = project_code_version()
    path = landing / MANIFEST_NAME
    if path.is_file():  # written last: a folder with it holds a whole demo
        kept = json.loads(path.read_text(encoding="utf-8"))
        if (kept.get("scale"), kept.get("seed"), kept.get("code_version")) == (scale, seed, code):
            return kept, False
    manifest = generate(landing, scale=scale, seed=seed)
    manifest["code_version"] = code
    write_manifest(landing, manifest)
    return manifest, True


def print_summary(warehouse: Path) -> None:
    from orchestration.summary import summary_table

    published = published_path(warehouse.resolve())
    if not published.exists():
        print(f"no published snapshot at {published} yet")
        return
    print(f"\nWarehouse: {warehouse.resolve()}\nPublished snapshot for analysts: {published}\n")
    print(summary_table(published))


def write_report_files(warehouse: Path, year: int | None, admins: list[str] | None, out: Path | None) -> int:
    from warehouse.report import NoSuchPage, write_reports

    published = published_path(warehouse.resolve())
    if not published.exists():
        print(f"no published snapshot at {published}: build first (farmland build or farmland demo)")
        return 1
    try:
        reports = write_reports(published, year=year, admins=admins, folder=out)
    except NoSuchPage as error:
        print(f"no report written: {error}")
        return 2
    for report in reports:
        print(f"{report.admin_code} {report.admin_name} {report.year}: {report.page}")
        print(f"{' ' * len(report.admin_code)} {report.findings} findings in {report.workbook}")
    return 0


def quiet_warnings() -> None:
    """Silence the warnings a build raises that nobody running it can act on; Python's default filters
    show none of them, these keep `-W default` (or PYTHONWARNINGS) readable too."""
    # sqlglotrs, which dbt's SQL parser sqlglot imports when it is installed, announces its own
    # deprecation; it comes pinned with dbt in requirements.lock
    warnings.filterwarnings("ignore", message="sqlglotrs is deprecated", category=DeprecationWarning)
    # dbt replaces its file logger (dbt.log) on every in-process invocation without closing the last
    # one; the file is closed when collected
    warnings.filterwarnings(
        "ignore", message=r"unclosed file .*dbt\.log", category=ResourceWarning, module="dbt_common"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="farmland", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("build", "build from a landing folder"),
        ("demo", "generate the 嘉兴 demo and build"),
    ):
        command = commands.add_parser(name, help=text, description=text)
        command.add_argument(
            "--landing",
            type=Path,
            default=DEFAULT_LANDING,
            help="the landing folder the deliveries are in"
            + (", where the demo's are written" if name == "demo" else "")
            + " (default: %(default)s)",
        )
        command.add_argument(
            "--warehouse",
            type=Path,
            default=DEFAULT_WAREHOUSE,
            help="the working DuckDB file; analysts read the snapshot published beside it, "
            "<name>_published.duckdb (default: %(default)s)",
        )
        command.add_argument(
            "--parallel",
            type=int,
            default=1,
            help="county partitions built at once, each in a process of its own (default: %(default)s, "
            "the whole run in this process)",
        )
        command.add_argument(
            "--county-lake",
            metavar="POSTGRES",
            help="keep the county partitions in a DuckLake per county catalogued in this PostgreSQL "
            "database (a libpq connection string), for builds spread over machines (default: files "
            "beside the warehouse)",
        )
        command.add_argument(
            "--county-lake-data",
            metavar="DIR",
            help="where the county lakes keep their Parquet files, a folder every machine reaches "
            "(needed with --county-lake)",
        )
        command.add_argument(
            "--force",
            action="store_true",
            help="rebuild even when the snapshot was built from this landing folder with this code "
            "(default: such a build does nothing)",
        )
        command.add_argument(
            "--verbose",
            action="store_true",
            help="stream the build's whole log, every Dagster event and dbt line, to the console as well "
            "(default: the console shows the build's progress; the log goes to a file beside the "
            "warehouse, logs/<warehouse name>-<time>.log, whose path is printed)",
        )
        if name == "demo":
            command.add_argument(
                "--scale",
                type=int,
                default=DEFAULT_SCALE,
                help="base-year parcels (DLTB) per county (default: %(default)s)",
            )
            command.add_argument(
                "--seed",
                type=int,
                default=DEFAULT_SEED,
                help="the generator's seed: one scale and seed always give the same deliveries "
                "(default: %(default)s)",
            )
    summary = commands.add_parser(
        "summary",
        help="print the summary of the published snapshot",
        description="print the summary "
        "of the published snapshot: each county's figures against its targets, and its findings",
    )
    summary.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help="the working DuckDB file whose published snapshot is read (default: %(default)s)",
    )
    sql = commands.add_parser(
        "sql",
        help="query the published snapshot in the DuckDB shell, read-only, with spatial loaded",
        description="query the published snapshot (schemas marts, quality, reference) in the DuckDB shell, "
        "read-only, with spatial loaded: run the query given and print its result, or open the "
        "interactive shell; docs/analysts.md has worked queries",
    )
    sql.add_argument(
        "query",
        nargs="?",
        help="SQL to run and print, then exit (default: the interactive shell; SQL piped into it runs "
        "as a script)",
    )
    sql.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help="the working DuckDB file whose published snapshot is opened (default: %(default)s)",
    )
    sql.add_argument(
        "--mode",
        choices=OUTPUT_MODES,
        default="duckbox",
        help="how results are printed: duckbox shows the first and last rows of a long result, csv and "
        "json every row (default: %(default)s)",
    )
    report = commands.add_parser(
        "report",
        help="write the officials' report pages and findings workbooks from the published snapshot",
        description="write, from the published snapshot, one self-contained HTML page (charts, tables "
        "and a map; no network needed to view it) and one Excel workbook of the findings per city or "
        "county and survey year",
    )
    report.add_argument(
        "--warehouse",
        type=Path,
        default=DEFAULT_WAREHOUSE,
        help="the working DuckDB file whose published snapshot is read (default: %(default)s)",
    )
    report.add_argument(
        "--year", type=int, help="the survey year (default: the latest survey year the snapshot holds)"
    )
    report.add_argument(
        "--admin",
        action="append",
        metavar="CODE",
        help="a city or county code; repeat for several (default: the city and each of its counties)",
    )
    report.add_argument(
        "--out",
        type=Path,
        help="the folder written to (default: <snapshot name>_reports/ beside the snapshot, where the "
        "build writes them too)",
    )
    args = parser.parse_args(argv)
    quiet_warnings()

    if args.command == "report":
        return write_report_files(args.warehouse, args.year, args.admin, args.out)

    if args.command == "sql":
        from orchestration.sql_shell import run_sql

        return run_sql(published_path(args.warehouse.resolve()), args.query, args.mode)
    if args.command == "summary":
        print_summary(args.warehouse)
        return 0
    lake = None
    if args.county_lake:
        if not args.county_lake_data:
            parser.error("--county-lake needs --county-lake-data")
        lake = CountyLake(args.county_lake, args.county_lake_data)
    from warehouse.run_lock import BuildRunning, exclusive_run

    # the whole command holds the warehouse, the demo's writing of its deliveries included
    try:
        with exclusive_run(
            args.warehouse, "farmland " + " ".join(argv if argv is not None else sys.argv[1:])
        ):
            # holding the warehouse, any run of it still shown in progress is dead: it would hold the
            # instance's run queue, even when this build finds nothing to do
            from orchestration.abandoned_runs import fail_abandoned_runs_of

            for run_id in fail_abandoned_runs_of(args.warehouse):
                print(f"Run {run_id} of this warehouse was abandoned (its process ended); marked failed.")
            if args.command == "demo":
                manifest, written = write_demo(args.landing, args.scale, args.seed)
                print(
                    f"demo deliveries for {manifest['region_code']} "
                    f"{'written to' if written else 'kept in'} {args.landing} "
                    f"({len(manifest['planted'])} planted violations listed in demo_manifest.json)"
                )
            ok = run_build(
                args.landing,
                args.warehouse,
                args.parallel,
                force=args.force,
                county_lake=lake,
                verbose=args.verbose,
            )
    except BuildRunning as running:
        print(str(running), file=sys.stderr)
        return 3
    print_summary(args.warehouse)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
