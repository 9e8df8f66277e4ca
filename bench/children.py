"""What the benchmarks share: running a contender in a fresh process of its own, so that
its peak memory is its own (``os.wait4``), and finding the ``panelcare`` command."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    """One child process: its wall time, peak resident memory and output."""

    seconds: float
    peak_gib: float
    stdout: str
    stderr: str
    # User and system CPU time of the process (os.wait4): less moved than the wall time
    # by a neighbour's load on a shared machine.
    cpu_seconds: float = 0.0


def run(command: list[str]) -> Run:
    """Run ``command`` in a fresh process; its own peak memory comes from ``os.wait4``."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        sys.exit(f"{' '.join(command)} failed ({process.returncode}):\n{stdout}{stderr}")
    # ru_maxrss is in kibibytes on Linux.
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, usage.ru_maxrss / 2**20, stdout, stderr, cpu)


def best(runs: list[Run]) -> Run:
    """The fastest run, with the highest peak memory of all."""
    fastest = min(runs, key=lambda r: r.seconds)
    return Run(
        fastest.seconds,
        max(r.peak_gib for r in runs),
        fastest.stdout,
        fastest.stderr,
        fastest.cpu_seconds,
    )


def panelcare_command() -> list[str]:
    """The ``panelcare`` console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("panelcare")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from panelcare.cli import app; app()"]
