"""What an operator sees while a build runs: how many of the run's steps are done, which are running and
for how long. On a terminal a live bar (rich); written to a file, a pipe or a CI log, a plain line now
and then, without colour codes.

The run's steps are those its execution plan holds, and one per county for the county fan-out, which
the plan holds as one step not yet resolved: those are counted as the step before it hands out the
counties, and the total shows a "+" until then.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol, TextIO

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, Task, TextColumn, TimeElapsedColumn
from rich.table import Column
from rich.text import Text

if TYPE_CHECKING:
    import dagster as dg
    from dagster._core.snap import ExecutionPlanSnapshot
    from dagster._utils.error import SerializableErrorInfo

FINISHED = frozenset({"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"})


class StepTally:
    """The run's steps: expected, running, done, failed."""

    def __init__(self) -> None:
        self.expected: set[str] = set()
        self.running: list[str] = []
        self.done: set[str] = set()
        self.failed: list[str] = []
        # (step, dynamic output) -> the mapped steps it fans out to, by their key without "[?]"
        self._fanouts: dict[tuple[str, str], list[str]] = {}
        self._unresolved: set[str] = set()  # steps whose fan-out is not handed out yet

    def plan(self, snapshot: ExecutionPlanSnapshot) -> None:
        """The steps of the run's execution plan (a run's plan is read once, before its events)."""
        to_run = set(snapshot.step_keys_to_execute)
        steps = {step.key: step for step in snapshot.steps if step.key in to_run}
        dynamic = {
            (step.key, output.name)
            for step in steps.values()
            for output in step.outputs
            if output.properties is not None and output.properties.is_dynamic
        }
        for step in steps.values():
            if step.kind.value != "UNRESOLVED_MAPPED":
                self.expected.add(step.key)
                continue
            for step_input in step.inputs:
                for handle in step_input.upstream_output_handles:
                    if (handle.step_key, handle.output_name) in dynamic:
                        mapped = step.key.removesuffix("[?]")
                        self._fanouts.setdefault((handle.step_key, handle.output_name), []).append(mapped)
                        self._unresolved.add(handle.step_key)

    def see(self, event: dg.DagsterEvent) -> str | None:
        """Count one of the run's events; for a step's failure, its message's first line."""
        kind, key = event.event_type_value, event.step_key
        if kind == "STEP_OUTPUT":
            handle = event.step_output_data.step_output_handle
            if handle.mapping_key is not None:
                for mapped in self._fanouts.get((handle.step_key, handle.output_name), ()):
                    self.expected.add(f"{mapped}[{handle.mapping_key}]")
            return None
        if key is None or (kind != "STEP_START" and kind not in FINISHED):
            return None
        self.expected.add(key)
        if kind == "STEP_START":
            if key not in self.running:
                self.running.append(key)
            return None
        if key in self.running:
            self.running.remove(key)
        self.done.add(key)
        self._unresolved.discard(key)
        if kind != "STEP_FAILURE":
            return None
        self.failed.append(key)
        lines = failure_message(event.step_failure_data.error).splitlines()
        return lines[0] if lines else "(no message)"

    @property
    def count(self) -> str:
        """Steps done of the total, "12/33+" while a fan-out is not handed out."""
        return f"{len(self.done)}/{len(self.expected)}{'+' if self._unresolved else ''}"

    def status(self) -> str:
        failed = f", {len(self.failed)} failed" if self.failed else ""
        running = f"; running {_running(self.running)}" if self.running else ""
        if not self.done and not self.running:
            running = "; the run is starting"
        return f"{self.count} steps done{failed}{running}"


_DAGSTER_WRAPPERS = {"DagsterExecutionStepExecutionError", "DagsterResourceFunctionError"}


def failure_message(error: SerializableErrorInfo | None) -> str:
    """A step's error as an operator reads it: a `dagster.Failure` is the step's own account of what
    went wrong, its class's dotted path says nothing more; any other error keeps its class."""
    from dagster import Failure

    if error is None:
        return "(no message)"
    # Dagster wraps what a step raised ("Error occurred while executing op …"): the cause is the news
    while error.cause is not None and error.cls_name in _DAGSTER_WRAPPERS:
        error = error.cause
    message = error.message.strip()
    if error.cls_name != Failure.__name__:
        return message
    return message.removeprefix(f"{Failure.__module__}.{Failure.__name__}: ")


def _running(steps: Sequence[str]) -> str:
    return ", ".join(steps[:2]) + (f" and {len(steps) - 2} more" if len(steps) > 2 else "")


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    if minutes >= 60:
        return f"{minutes // 60}:{minutes % 60:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


class Display(Protocol):
    """Where the tally is shown; `note` prints a line of its own (a failure, or the log's lines with
    --verbose) above or between the progress lines."""

    def start(self) -> None: ...
    def update(self, tally: StepTally) -> None: ...
    def note(self, text: str, *, error: bool = False) -> None: ...
    def finish(self, tally: StepTally, outcome: str) -> None: ...


class PlainDisplay:
    """Progress for a file, a pipe or a CI log: a line when the tally changed and a while has passed
    since the last one (a minute at most while a long step runs), each failure as it happens, and the
    outcome."""

    EVERY_SECONDS = 10.0
    QUIET_AT_MOST_SECONDS = 60.0

    def __init__(self, stream: TextIO, started: float) -> None:
        self._stream, self._started = stream, started
        self._last_line, self._last_status = started, ""

    def _write(self, text: str) -> None:
        self._stream.write(text + "\n")
        self._stream.flush()

    def _line(self, status: str) -> None:
        now = time.monotonic()
        self._write(f"[{clock(now - self._started)}] {status}")
        self._last_line, self._last_status = now, status

    def start(self) -> None:
        pass

    def update(self, tally: StepTally) -> None:
        if not tally.expected:
            return
        status, since = tally.status(), time.monotonic() - self._last_line
        changed = status != self._last_status
        if (changed and since >= self.EVERY_SECONDS) or since >= self.QUIET_AT_MOST_SECONDS:
            self._line(status)

    def note(self, text: str, *, error: bool = False) -> None:
        self._write(text)

    def finish(self, tally: StepTally, outcome: str) -> None:
        self._line(f"{outcome}: {tally.status()}" if tally.expected else outcome)


class _OutcomeColumn(SpinnerColumn):
    """A spinner while the build runs, then ✓ or ✗ (a failed build never completes its bar)."""

    def render(self, task: Task) -> RenderableType:
        outcome = task.fields.get("outcome")
        if outcome:
            return Text(outcome, style="green" if outcome == "✓" else "red")
        return super().render(task)


class TerminalDisplay:
    """A live bar on a terminal: steps done of the total, elapsed time, the step(s) running."""

    def __init__(self, stream: TextIO, started: float) -> None:
        self._console = Console(file=stream)
        self._progress = Progress(
            _OutcomeColumn(),
            TextColumn("{task.description}"),
            BarColumn(bar_width=24),
            TextColumn("{task.fields[count]}"),
            TimeElapsedColumn(),
            TextColumn(
                "[dim]{task.fields[running]}",
                table_column=Column(no_wrap=True, overflow="ellipsis", min_width=10, ratio=1),
            ),
            console=self._console,
            refresh_per_second=4,
            # a stray print goes to the build's log file (orchestration/build_log.py), not here
            redirect_stdout=False,
            redirect_stderr=False,
            expand=True,
        )
        self._task = self._progress.add_task("building", total=None, count="", running="starting", outcome="")
        # the clock counts from the build's start, loading the pipeline included
        self._progress.tasks[0].start_time = self._progress.get_time() - (time.monotonic() - started)

    def start(self) -> None:
        self._progress.start()

    def update(self, tally: StepTally) -> None:
        self._progress.update(
            self._task,
            total=max(len(tally.expected), 1),
            completed=len(tally.done),
            count=f"{tally.count} steps" + (f", [red]{len(tally.failed)} failed[/]" if tally.failed else ""),
            running=escape(_running(tally.running)) or ("" if tally.done else "starting"),
        )

    def note(self, text: str, *, error: bool = False) -> None:
        self._console.print(text, markup=False, highlight=False, style="red" if error else None)

    def finish(self, tally: StepTally, outcome: str) -> None:
        self.update(tally)
        built = outcome == "built"
        self._progress.update(
            self._task,
            description=f"[{'green' if built else 'red'}]{outcome}[/]",
            running="",
            outcome="✓" if built else "✗",
        )
        self._progress.stop_task(self._task)
        self._progress.stop()


def display_for(stream: TextIO, started: float) -> Display:
    """The live bar when `stream` is a terminal, plain lines otherwise."""
    isatty = getattr(stream, "isatty", None)
    if isatty is not None and isatty():
        return TerminalDisplay(stream, started)
    return PlainDisplay(stream, started)
