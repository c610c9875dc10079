"""A closed pipe (`| head -1`): every command stops quietly with 141, the status of a program stopped by
SIGPIPE, as grad does; in real processes, since a pipe is what is tested."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def lines(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipes") / "lines.txt"
    path.write_text("".join(f"{k}*x\n" for k in range(1, 3001)), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "args",
    [
        ["graph", "-f", "LINES", "--at", "x=1"],  # a Rich tree per line: Rich exits 1 on a closed pipe itself
        ["graph", "-f", "LINES", "--at", "x=1", "--dot"],
        ["diff", "x^2", "--at", "x=0:1:100000"],  # one write of 5 MB: CPython dropped its error
        ["trace", "-f", "LINES", "--at", "x=1"],
        ["compare", "-f", "LINES", "--at", "x=1", "--modes", "forward,reverse"],
        ["check", "-f", "LINES", "--of", "x^2"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_a_closed_pipe_stops_every_command_quietly_with_141(lines: Path, args: list[str]) -> None:
    command = [sys.executable, "-m", "adcli", *(str(lines) if a == "LINES" else a for a in args)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
    assert proc.stdout is not None and proc.stdout.readline()
    proc.stdout.close()  # the reader goes away, as `| head -1` does
    err = proc.stderr.read() if proc.stderr else b""
    assert proc.wait(timeout=60) == 141
    assert b"Traceback" not in err and b"Error" not in err and b"ok," not in err  # no summary either
