"""Inputs that hung or took minutes (issue 11), each run in a fresh process with a time limit.

Every input within the documented limits must finish or be refused; these ran for 20 s to forever
before their fixes (a loop a constant's exponent long, a kink message measuring a whole subtree, a
did-you-mean trying each prefix of a long name, --order building what it then refused, an endless
line skipped forever). The limit is generous (a slow shared machine) but far below the old times.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

LIMIT = 30.0  # seconds; the fixed versions take about 1 s each here, the old ones 25 s to forever

NEST_ABS = "abs(" * 8_000 + "x" + ")" * 8_000  # 4,000 deep took 22.6 s (quadratic kink messages)
NEST_MAX = "max(x, " * 30_000 + "x" + ")" * 30_000  # every max a tie at 0.5: a warning each
LONG_NAME = "a" * 900_000  # the hint tried every prefix of the name: 27 s at 400,000, past 60 s at 900,000
NEST_LITERAL = "[" * 100_000 + "x" + "]" * 100_000  # shapes of 10⁵ axes: past 60 s and 11 GB (quadratic)
#: a --points table 40,000 columns wide: each column looked for its name among those before (quadratic, twice):
#: 64 s at 20,000
WIDE_TABLE = ",".join(f"a{i}" for i in range(40_000)) + "\n" + ",".join("1" for _ in range(40_000))

CASES = {
    "power of a huge negative exponent": (["diff", "x + 2^(-1e308)"], None, 0),
    "atan2 of a tiny constant": (["diff", "atan2(x, 0.5^(1e6))"], None, 0),
    "grad symbolic of it": (["grad", "--mode", "symbolic", "atan2(x, 0.5^(1e6))", "--at", "x=1"], None, 0),
    "compare of it": (["compare", "atan2(x, 0.5^(1e6))", "--at", "x=1"], None, 0),
    "check of it": (["check", "1", "--of", "atan2(x, 0.5^(1e6))"], None, 1),
    "a constant raised a million times": (["diff", "x/(x^2 + 0.5^1000000)"], None, 0),
    "nested abs at its kink": (["grad", "-f", "{file}", "--at", "x=0"], NEST_ABS, 0),
    "nested max at a tie": (["grad", "-f", "{file}", "--at", "x=0.5", "--format", "json"], NEST_MAX, 0),
    "a 900,000-letter name": (["grad", "-f", "{file}", "--at", "x=1"], LONG_NAME, 2),
    "a 900,000-letter function": (["grad", "-f", "{file}", "--at", "x=1"], LONG_NAME + "(x)", 2),
    "order 12 of x^x": (["diff", "x^x", "--order", "12"], None, 2),
    "an endless line": (["grad", "-f", "/dev/zero", "--at", "x=1"], None, 2),
    "an endless points file": (["grad", "x*y", "--points", "/dev/zero"], None, 2),
    "a literal 100,000 brackets deep": (["grad", "-f", "{file}", "--at", "x=1"], NEST_LITERAL, 2),
    "a points table 40,000 columns wide": (["eval", "a1", "--points", "{file}", "--format", "json"], WIDE_TABLE, 0),
}


@pytest.mark.parametrize("name", list(CASES))
def test_finishes_in_time(name: str, tmp_path: Path) -> None:
    argv, text, code = CASES[name]
    if text is not None:
        (tmp_path / "input.txt").write_text(text + "\n", encoding="utf-8")
        argv = [a.replace("{file}", str(tmp_path / "input.txt")) for a in argv]
    env = {**os.environ, "COLUMNS": "100"}
    done = subprocess.run(
        [sys.executable, "-m", "adcli", *argv], capture_output=True, text=True, timeout=LIMIT, env=env, check=False
    )
    assert done.returncode == code, done.stderr[-2000:]
    assert "Traceback" not in done.stderr
