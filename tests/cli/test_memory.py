"""Memory (issue 11): the worst inputs within the limits, run under an address-space limit in a subprocess.

The target is a peak of 200 MB + 200 bytes per input character (benchmarks/memory.py measures the
resident peak of each case). Here the process gets that much address space plus 150 MB: its
virtual size runs about 80 MB above its resident size (numpy's and the interpreter's mappings),
so a run within the target passes, and the old ones (a 500,000-term sum's derivative took 944 MB,
--points /dev/zero 4.6 GB) fail with MemoryError, which adcli reports as 'ran out of memory'.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from adcli.core.tape import MAX_DETAILED

MB = 1 << 20
HEADROOM = 150 * MB  # virtual beyond resident: mappings of numpy and the interpreter


def _limited(budget: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (budget, budget))


def _run(args: list[str], text: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "problem.txt"
    path.write_text(text + "\n", encoding="utf-8")
    budget = 200 * MB + 200 * len(text) + HEADROOM
    argv = [sys.executable, "-m", "adcli", *(str(path) if a == "FILE" else a for a in args)]
    env = {**os.environ, "ADCLI_MEMORY_LIMIT": "50MB"}
    return subprocess.run(  # noqa: S603
        argv, capture_output=True, text=True, timeout=300, env=env, preexec_fn=lambda: _limited(budget), check=False
    )


def _sum(n: int) -> str:
    return "+".join(["x"] * n)


def _nest(n: int) -> str:
    return "sin(" * n + "x" + ")" * n


SYMBOLIC = ["grad", "--mode", "symbolic", "-f", "FILE", "--at", "x=1"]
UNBOUND = "+".join(f"v{k}" for k in range(100_000))

CASES = {
    "grad of a 500,000-term sum (1 MB, the input limit)": (["grad", "-f", "FILE", "--at", "x=1"], _sum(500_000), 0),
    "grad of a 100,000-term sum": (["grad", "-f", "FILE", "--at", "x=1"], _sum(100_000), 0),
    "diff of a 100,000-term sum": (["diff", "-f", "FILE"], _sum(100_000), 2),
    "trace of a 100,000-deep nest": (["trace", "-f", "FILE", "--at", "x=1"], _nest(100_000), 2),
    "compare of a 100,000-term sum": (["compare", "-f", "FILE", "--at", "x=1"], _sum(100_000), 2),
    "symbolic grad of a 100,000-term sum": (SYMBOLIC, _sum(100_000), 2),
    "check of a 100,000-term answer": (["check", "-f", "FILE", "--of", "x^2"], _sum(100_000), 1),
    "eval of 100,000 unbound names": (["eval", "-f", "FILE", "--at", "x=1"], UNBOUND, 2),
    "grad of /dev/zero": (["grad", "-f", "/dev/zero", "--at", "x=1"], "", 2),
    "points from /dev/zero": (["grad", "x*y", "--points", "/dev/zero"], "", 2),
}


@pytest.mark.parametrize("name", list(CASES))
def test_within_the_memory_target(name: str, tmp_path: Path) -> None:
    args, text, code = CASES[name]
    done = _run(args, text, tmp_path)
    assert done.returncode == code, done.stderr[-1000:]
    assert "ran out of memory" not in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr) < 5_000  # one line per error: 100,000 unbound names made a 789 KB message


@pytest.mark.parametrize(
    ("args", "what"),
    [
        (["diff", "-f", "FILE"], "diff"),
        (["trace", "-f", "FILE", "--at", "x=1"], "trace"),
        (["compare", "-f", "FILE", "--at", "x=1"], "compare"),
        (["grad", "--mode", "symbolic", "-f", "FILE", "--at", "x=1"], "symbolic mode"),
    ],
    ids=lambda a: a if isinstance(a, str) else a[0],
)
def test_the_detailed_commands_refuse_what_is_over_their_limit(args: list[str], what: str, tmp_path: Path) -> None:
    over = _run(args, _sum(MAX_DETAILED + 2), tmp_path)  # n terms: n - 1 additions
    said = f"error[limit_exceeded]: {what} takes expressions of up to {MAX_DETAILED:,} operations; "
    assert over.returncode == 2 and f"{said}this one has {MAX_DETAILED + 1:,} (grad, jac and eval" in over.stderr
    at_limit = _run(args, _sum(MAX_DETAILED + 1), tmp_path)
    assert at_limit.returncode == 0, at_limit.stderr[-1000:]


def test_check_of_a_big_answer_is_checked_at_points_and_says_why() -> None:
    from adcli.commands.check import check

    verdict = check(_sum(MAX_DETAILED + 1), "x^2")  # 10,000 additions and x^2's power: one over
    assert verdict.verdict == "wrong" and verdict.method == "numeric"
    assert verdict.notes[0].startswith(f"{MAX_DETAILED + 1:,} operations: too big to prove symbolically")
