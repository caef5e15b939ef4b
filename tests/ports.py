"""The servers the tests start (PostgreSQL, dagster dev, Chromium): a free TCP port on loopback for one,
and stopping one with every process it started."""

import os
import signal
import socket
import subprocess


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def stop_process_group(process: subprocess.Popen, grace_seconds: float) -> None:
    """Terminate a process started in a session of its own and its children; kill them after the grace."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(grace_seconds)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
