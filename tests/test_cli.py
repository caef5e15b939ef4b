"""What an operator meets at the command line: `farmland --help`, the Dagster home `make ui` opens, and
what a build prints: its progress, where its log is, the summary."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import main
from tests.conftest import LOG_LINE, CliBuild


def _help(capsys: pytest.CaptureFixture[str], *command: str) -> str:
    with pytest.raises(SystemExit) as stopped:
        main([*command, "--help"])
    assert stopped.value.code == 0
    return capsys.readouterr().out


def _options(text: str) -> dict[str, str]:
    """Each option of a help text with the words that explain it."""
    options: dict[str, str] = {}
    current = None
    for line in text.split("options:", 1)[1].splitlines():
        found = re.match(r"\s{2}(--[\w-]+)(?: [A-Z_]+)?\s*(.*)", line)
        if found:
            current = found.group(1)
            options[current] = found.group(2)
        elif current and line.strip():
            options[current] += " " + line.strip()
    options.pop("--help", None)
    return options


@pytest.mark.parametrize("command", ["build", "demo", "summary"])
def test_every_option_says_what_it_is_and_what_it_defaults_to(command, capsys):
    options = _options(_help(capsys, command))
    assert options, command
    for option, words in options.items():
        assert words, f"{command} {option} has no help"
        assert "(default: " in words or "(needed with " in words, f"{command} {option}: {words}"


def test_the_demo_help_names_the_generators_size_and_seed(capsys):
    from sources.demo.size import DEFAULT_SCALE, DEFAULT_SEED

    options = _options(_help(capsys, "demo"))
    assert f"(default: {DEFAULT_SCALE})" in options["--scale"]
    assert f"(default: {DEFAULT_SEED})" in options["--seed"]


def test_the_ui_home_has_telemetry_off_and_keeps_an_operators_own_config(tmp_path: Path):
    def prepare(home: Path) -> Path:
        completed = subprocess.run(
            [sys.executable, "-m", "orchestration.instance"],
            env={**os.environ, "DAGSTER_HOME": str(home)},
            capture_output=True,
            text=True,
            check=True,
        )
        return Path(completed.stdout.strip())

    fresh = prepare(tmp_path / "fresh")
    assert fresh == (tmp_path / "fresh").resolve()
    with dg.DagsterInstance.from_config(str(fresh)) as instance:
        assert instance.telemetry_enabled is False
    own = tmp_path / "own"
    own.mkdir()
    (own / "dagster.yaml").write_text("telemetry:\n  enabled: true\n")
    prepare(own)
    assert (own / "dagster.yaml").read_text() == "telemetry:\n  enabled: true\n"


def test_loading_the_pipeline_warns_an_operator_of_nothing():
    """`make ui` loads the definitions in a code server whose console the operator reads: with Python's
    default warning filters, loading them prints no warning."""
    completed = subprocess.run(
        [sys.executable, "-c", "import orchestration.definitions"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Warning" not in completed.stderr, completed.stderr[-2000:]


# ------------------------------------------------------------------------------------- a build's output


def test_the_step_count_takes_one_step_per_county_the_fan_out_hands_out():
    """The total is the plan's steps, the county fan-out counted as it resolves ("+" until then)."""
    from dagster._core.events import DagsterEvent, StepFailureData
    from dagster._core.execution.api import create_execution_plan
    from dagster._core.execution.plan.objects import StepSuccessData
    from dagster._core.execution.plan.outputs import StepOutputData, StepOutputHandle
    from dagster._core.snap import snapshot_from_execution_plan
    from dagster._utils.error import SerializableErrorInfo

    from orchestration.progress import StepTally
    from orchestration.run import build_warehouse_job

    job = build_warehouse_job()
    config = {"resources": {"farmland": {"config": {"warehouse": "/w/farmland.duckdb", "landing": "/l"}}}}
    plan = snapshot_from_execution_plan(create_execution_plan(job, config), job.get_job_snapshot_id())
    static = [step.key for step in plan.steps if not step.key.endswith("[?]")]

    def event(kind: str, step: str, data=None) -> DagsterEvent:
        return DagsterEvent(kind, job.name, step_key=step, event_specific_data=data)

    tally = StepTally()
    tally.plan(plan)
    assert tally.count == f"0/{len(static)}+"
    fan_out, county = "county_partitions.counties_with_new_inputs", "county_partitions.build_county"
    for code in ("330402", "330411"):
        tally.see(event("STEP_OUTPUT", fan_out, StepOutputData(StepOutputHandle(fan_out, "result", code))))
    assert tally.see(event("STEP_SUCCESS", fan_out, StepSuccessData(1.0))) is None
    assert tally.count == f"1/{len(static) + 2}"
    tally.see(event("STEP_START", f"{county}[330402]"))
    assert tally.running == [f"{county}[330402]"]
    error = SerializableErrorInfo("dbt could not build the county\nsecond line", [], "Failure")
    failure = event("STEP_FAILURE", f"{county}[330402]", StepFailureData(error, None))
    assert tally.see(failure) == "dbt could not build the county"
    assert (tally.count, tally.failed, tally.running) == (f"2/{len(static) + 2}", [f"{county}[330402]"], [])


ANSI_ESCAPE = "\x1b"


@pytest.fixture
def cli_build(delivery_a_cli_build: CliBuild) -> CliBuild:
    """Conformance delivery A (three counties, written from the input contract) built by `farmland
    build`, its output not a terminal (tests/conftest.py: one build for the session)."""
    return delivery_a_cli_build


@pytest.mark.builds_warehouse
def test_a_build_not_on_a_terminal_prints_a_few_plain_lines_and_names_its_log(cli_build):
    out, err = cli_build.completed.stdout, cli_build.completed.stderr
    assert cli_build.completed.returncode == 0, (out + err)[-3000:]
    assert err == "", err[-3000:]  # no warning, no log line of Dagster's or dbt's
    assert ANSI_ESCAPE not in out
    lines = out.splitlines()
    assert len(lines) < 40, out
    # the log's path, at the start and at the end; beside the warehouse
    assert len(LOG_LINE.findall(out)) == 2 and len(set(LOG_LINE.findall(out))) == 1, out
    assert cli_build.log.parent == cli_build.warehouse.parent / "logs" and cli_build.log.is_file()
    assert lines[0].endswith(f"the build's log: {cli_build.log}")
    done = next(line for line in lines if "built: " in line)
    assert re.search(r"built: (\d+)/\1 steps done$", done), done
    # the summary follows
    assert "Published snapshot for analysts" in out and "violations by rule" in out


@pytest.mark.builds_warehouse
def test_the_build_log_holds_the_runs_dagster_events_and_dbt_lines(cli_build):
    text = cli_build.log.read_text(encoding="utf-8")
    assert ANSI_ESCAPE not in text
    for dagster_line in ("STEP_START", "STEP_SUCCESS", "ASSET_MATERIALIZATION", "PIPELINE_SUCCESS"):
        assert f" - {dagster_line} - " in text, dagster_line
    steps = re.findall(r" - ([\w.\[\]]+) - STEP_SUCCESS - ", text)
    assert "county_partitions.build_county[330402]" in steps and "warehouse__published_snapshot" in steps
    for dbt_line in ("Running with dbt=", "Done. PASS="):
        assert dbt_line in text, dbt_line


# `--verbose`, streaming the whole log to the console, is tested on a build of tests/test_fault_matrix.py
# (each build costs a minute).
