"""Run a command in a child process and sample its whole process tree: CPU and resident memory over time.

The pipeline's work is spread over processes: the Python process running the Dagster job, and the dbt
processes it starts and waits for. A child's own rusage misses the living descendants, and RSS is per
process, so the tree is sampled: every `interval` seconds, the RSS of every living process of the tree
summed, and the CPU time (user + system) of every living process plus what each has collected from the
children it has reaped. The total CPU of the run is exact (the parent's RUSAGE_CHILDREN after the child
is reaped); the samples place it in time.
"""

from __future__ import annotations

import resource
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil


@dataclass(frozen=True)
class Sample:
    """The tree at one moment: epoch seconds, cumulative CPU seconds, RSS bytes summed, process count."""

    at: float
    cpu_seconds: float
    rss_bytes: int
    processes: int


@dataclass(frozen=True)
class SampledRun:
    """A finished child: its return code, start and end (epoch seconds), exact CPU, and the samples."""

    returncode: int
    started_at: float
    ended_at: float
    cpu_seconds: float
    samples: list[Sample]

    @property
    def wall_seconds(self) -> float:
        return self.ended_at - self.started_at

    @property
    def peak_rss_bytes(self) -> int:
        return max((s.rss_bytes for s in self.samples), default=0)


def _process_usage(process: psutil.Process) -> tuple[float, int]:
    """CPU seconds (own and reaped children's) and RSS of one process; zeros once it is gone."""
    try:
        with process.oneshot():
            cpu = process.cpu_times()
            rss = process.memory_info().rss
    except (psutil.NoSuchProcess, psutil.ZombieProcess, psutil.AccessDenied):
        return 0.0, 0
    return cpu.user + cpu.system + cpu.children_user + cpu.children_system, rss


def sample_tree(root: psutil.Process) -> Sample:
    """One sample of `root` and all its living descendants."""
    try:
        members = [root, *root.children(recursive=True)]
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        members = [root]
    usages = [_process_usage(member) for member in members]
    return Sample(time.time(), sum(u[0] for u in usages), sum(u[1] for u in usages), len(members))


def _children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _monotonic(samples: list[Sample]) -> list[Sample]:
    """Cumulative CPU never decreases. A process that has exited but is not reaped yet drops out of a
    sample, and its CPU reappears in its parent's once reaped; keep the running maximum across that gap."""
    out, highest = [], 0.0
    for sample in samples:
        highest = max(highest, sample.cpu_seconds)
        out.append(Sample(sample.at, highest, sample.rss_bytes, sample.processes))
    return out


def run_sampled(
    command: list[str], *, cwd: Path, env: dict[str, str], log: Path, interval: float = 0.2
) -> SampledRun:
    """Run `command` to its end, sampling its process tree every `interval` seconds; stdout and stderr
    go to `log`. Run one at a time: the exact CPU total is this process's reaped-children delta."""
    cpu_before = _children_cpu_seconds()
    with log.open("wb") as output:
        started = time.time()
        child = subprocess.Popen(command, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT)
        root = psutil.Process(child.pid)
        samples = [Sample(started, 0.0, 0, 1)]
        while child.poll() is None:
            samples.append(sample_tree(root))
            time.sleep(interval)
        ended = time.time()
    cpu_total = _children_cpu_seconds() - cpu_before
    # The last moment: everything the tree used, now that it is reaped.
    samples.append(Sample(ended, cpu_total, 0, 0))
    return SampledRun(child.returncode, started, ended, cpu_total, _monotonic(samples))
