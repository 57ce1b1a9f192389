"""Helpers for the operator's view: the ``qbbridge`` command run as a real process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def stderr_lines(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.strip()]


def clean_environment(**variables: str) -> dict[str, str]:
    """This process's environment without any ``QBBRIDGE_*`` variable, plus ``variables``."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("QBBRIDGE_")}
    env["PYTHONUNBUFFERED"] = "1"
    env.update(variables)
    return env


def run_qbbridge(args: list[str], env: dict[str, str], cwd: Path, timeout: float = 90) -> Run:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "qbbridge.cli", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(result.returncode, result.stdout, result.stderr, time.monotonic() - started)


def nothing_listens_on(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex(("127.0.0.1", port)) != 0


def assert_refused(run: Run, *fragments: str, port: int | None = None) -> str:
    """The command stopped with exit code 2 and one line on stderr holding ``fragments``; nothing
    listened and no traceback. Returns the line."""
    lines = run.stderr_lines()
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    assert "listening" not in run.stdout, run.stdout
    line = lines[0]
    assert line.startswith("qbbridge: "), line
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    if port is not None:
        assert nothing_listens_on(port)
    return line
