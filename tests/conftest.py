"""Shared test set-up: hypothesis profiles, the example problems, the CLI run in-process, small helpers.

Profiles: "dev" (the default, random, a modest number of examples) and "ci" (derandomized, so a
CI run is reproducible), loaded when the CI environment variable is set.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent  # the checkout
DATA = Path(__file__).parent / "data"
Run = Callable[..., tuple[int, str, str]]  # the `adcli` fixture: (exit code, stdout, stderr)

settings.register_profile("dev", max_examples=100, deadline=None)
settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=100, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


def load_jsonl(name: str) -> list[dict]:
    """The example problems in tests/data/<name> (copied from the project's shared examples)."""
    with (DATA / name).open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@pytest.fixture(scope="session")
def calculus() -> list[dict]:
    return load_jsonl("calculus.jsonl")


@pytest.fixture(scope="session")
def baydin() -> dict:
    """The survey's running example ln(x1) + x1*x2 - sin(x2) at (2, 5), with its published traces."""
    return next(p for p in load_jsonl("baydin.jsonl") if p["id"] == "baydin2018-ln")


@pytest.fixture
def adcli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process: (exit code, stdout, stderr)."""
    from adcli.cli.app import main

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["adcli", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        try:
            main()
            code: Any = 0
        except SystemExit as exc:
            code = exc.code or 0
        out, err = capsys.readouterr()
        return int(code), out, err

    return run


def json_cli(*args: str, timeout: float = 120) -> tuple[int, dict]:
    """The installed command as a fresh process with --format json: (exit code, the record or its error)."""
    done = subprocess.run(
        [sys.executable, "-m", "adcli", *args, "--format", "json"],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    out = json.loads(done.stdout)
    return done.returncode, out.get("error", out)
