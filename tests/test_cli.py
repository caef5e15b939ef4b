"""What an operator meets first at the command line: `farmland --help`, and the Dagster home `make ui`
opens."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from orchestration.cli import main


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
