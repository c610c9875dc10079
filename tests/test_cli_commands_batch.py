"""diff, trace, graph, compare and check on the command line: points, formats and messages as grad's.

Regression tests of a user trial: an expression without variables at a point, and the text's own
`at`, give diff its values; at many points the first failing one is named.
Reference values are worked by hand (d/dx x^2 = 2x, d/dx log(x) = 1/x, …).
"""

from __future__ import annotations

import io
import json
import math
import sys
from collections.abc import Callable
from typing import Any

import pytest

from adcli.cli import main

Run = Callable[..., tuple[int, str, str]]
PRESENTED = ["diff", "trace", "graph", "compare"]


@pytest.fixture
def adcli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    """Run the CLI in-process: (exit code, stdout, stderr)."""

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


def lines_of(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15)


# ---- 1. an expression without variables, at a point ----------------------------------------------


def test_diff_of_a_constant_at_a_point_gives_its_value_not_a_traceback(adcli: Run) -> None:
    code, out, err = adcli("diff", "2.5", "--at", "x=0.5", "--format", "json")
    data = json.loads(out)
    assert code == 0 and "Traceback" not in err
    assert data["value"] == [2.5] and data["values"] == [[]] and data["derivatives"] == [[]]
    code, out, _ = adcli("diff", "e", "--at", "x=1", "--wrt", "x", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["derivatives"] == [["0"]] and data["values"] == [[0.0]]
    assert close(data["value"][0], math.e)


def test_diff_of_a_constant_at_many_points_and_in_a_batch(adcli: Run) -> None:
    code, out, err = adcli("diff", "2.5", "--at", "x=[1,2]", "--format", "json")
    assert code == 0 and "Traceback" not in err
    assert json.loads(out)["value"] == [[2.5, 2.5]]
    code, out, err = adcli("diff", "--at", "x=1", "--format", "jsonl", stdin="2.5\npi\n")
    records = lines_of(out)
    assert code == 0 and "internal_error" not in out + err
    assert records[0]["value"] == [2.5] and close(records[1]["value"][0], math.pi)


# ---- 3. diff honours the text's own point -----------------------------------------------------------


def test_diff_evaluates_at_the_texts_own_point(adcli: Run) -> None:
    code, out, _ = adcli("diff", "x^2 at x=2", "--format", "plain")
    assert code == 0 and out == "2*x\t4\n"


def test_diff_api_at_many_points_raises_naming_the_first_failing_point() -> None:
    from adcli.diff import diff
    from adcli.errors import AdcliError

    with pytest.raises(AdcliError) as caught:
        diff("log(x)", at="x=[-1,1]")
    assert caught.value.kind == "domain_error" and "(point 1 of 2)" in caught.value.message
    ((dx, dy),) = diff("log(x)*y", at="x=[1,2], y=2").values  # y/x and log(x)
    assert all(map(close, [*dx, *dy], [2.0, 1.0, 0.0, math.log(2)]))
