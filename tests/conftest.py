"""Shared test set-up: hypothesis profiles, the example problems, and small helpers for the core tests.

Profiles: "dev" (the default, random, a modest number of examples) and "ci" (derandomized, so a
CI run is reproducible), loaded when the CI environment variable is set.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

DATA = Path(__file__).parent / "data"

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
