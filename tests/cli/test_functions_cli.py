"""Issue 16: a student's functions through every command and in the REPL (`f(x) = …` and `:def`).

g(t) = (sin²t + 1)·t: g' = 2 t sin t cos t + sin²t + 1, g'' = 2t cos 2t + 2 sin 2t (closed forms).
"""

from __future__ import annotations

import io
import json
import math

import pytest
from conftest import Run

from adcli.cli.repl import loop
from adcli.cli.repl.loop import Session

PROGRAM = "f(x) = x^2 + 1; g(x, y) = f(x)*y; g(sin(t), t)"
T = 1.0
G = (math.sin(T) ** 2 + 1) * T
DG = 2 * T * math.sin(T) * math.cos(T) + math.sin(T) ** 2 + 1
D2G = 2 * T * math.cos(2 * T) + 2 * math.sin(2 * T)


@pytest.mark.parametrize("mode", ["reverse", "forward", "numeric", "symbolic"])
def test_grad_in_every_mode(adcli: Run, mode: str) -> None:
    code, out, err = adcli("grad", PROGRAM, "--at", "t=1", "--mode", mode, "--format", "json")
    assert code == 0, err
    got = json.loads(out)
    assert got["read_as"] == PROGRAM and got["outputs"] == ["g(sin(t), t)"]
    assert got["wrt"] == ["t"] and got["gradient"] == [pytest.approx(DG, rel=1e-8)]


def test_hess_taylor_and_diff(adcli: Run) -> None:
    code, out, _ = adcli("hess", PROGRAM, "--at", "t=1", "--format", "json")
    assert code == 0 and json.loads(out)["hessian"] == [[pytest.approx(D2G, rel=1e-12)]]
    code, out, _ = adcli("taylor", PROGRAM, "--at", "t=1", "--order", "2", "--format", "json")
    assert code == 0 and json.loads(out)["coefficients"] == pytest.approx([G, DG, D2G / 2], rel=1e-12)
    code, out, _ = adcli("diff", PROGRAM, "--at", "t=1", "--format", "json")
    assert code == 0 and json.loads(out)["read_as"] == PROGRAM


def test_trace_and_graph_label_the_calls(adcli: Run) -> None:
    code, out, _ = adcli("trace", PROGRAM, "--at", "t=1", "--format", "plain")
    assert code == 0 and "(f(sin(t)))" in out and "(g(sin(t), t))" in out
    code, out, _ = adcli("graph", PROGRAM, "--at", "t=1", "--format", "plain")
    assert code == 0 and "(f(sin(t)))" in out


def test_compare_agrees(adcli: Run) -> None:
    code, out, _ = adcli("compare", PROGRAM, "--at", "t=1", "--format", "plain")
    assert code == 0 and "agree" in out


def test_a_file_line_may_define_functions(adcli: Run, tmp_path) -> None:  # noqa: ANN001
    problems = tmp_path / "p.txt"
    problems.write_text("f(x) = x^3; f(t)\nf(t)\n", encoding="utf-8")  # each line is its own program
    code, out, err = adcli("grad", "-f", str(problems), "--at", "t=2", "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert records[0]["gradient"] == [12.0]
    assert records[1]["error"]["kind"] == "unknown_function" and code == 2


def _repl(script: str) -> tuple[str, str, list]:
    out, err, shown = io.StringIO(), io.StringIO(), []
    loop.run(Session(at=["t=1"], format="plain"), io.StringIO(script), out, err, lambda *a: shown.append(a), False)
    return out.getvalue(), err.getvalue(), shown


def test_repl_definitions_are_used_by_later_lines() -> None:
    out, err, shown = _repl("f(x) = x^2 + 1\n:def g(x, y) = f(x)*y\ng(sin(t), t)\n:functions\n")
    assert err == ""
    assert shown[0][0].value == [pytest.approx(G, rel=1e-14)]
    assert shown[0][0].jacobian == [[pytest.approx(DG, rel=1e-13)]]
    assert "f(x) = x^2 + 1\ng(x, y) = f(x)*y\n" in out


def test_repl_redefinition_reaches_functions_that_call_it() -> None:
    _, err, shown = _repl("f(x) = x^2\ng(x) = f(x) + 1\nf(x) = x^3\ng(t)\n")
    assert err == "" and shown[0][0].value == [2.0] and shown[0][0].jacobian == [[3.0]]  # t³ + 1 at 1


def test_repl_refuses_recursion_unknown_calls_and_a_function_as_a_value() -> None:
    _, err, shown = _repl("f(x) = f(x)\nk(x) = q(x) + 1\nh(x) = x\n:at h=1\nh = 3\n")
    assert shown == []
    assert "f calls itself" in err and "unknown function 'q'" in err
    assert ":at h=…: h is a function" in err and "h is a function of the session" in err


def test_functions_lists_a_students_functions_with_their_partials(adcli: Run) -> None:
    code, out, _ = adcli("functions", "f(x) = x^2 + 1; g(x, y) = f(x)*y", "--format", "json")
    rows = json.loads(out)
    assert code == 0 and [r["name"] for r in rows] == ["f(x)", "g(x, y)"]
    assert rows[0]["arity"] == 1 and rows[0]["derivative"] == "d/dx = 2*x"  # d(x² + 1)/dx
    assert rows[1]["derivative"] == "d/dx = 2*x*y; d/dy = x^2 + 1"  # ∂/∂x (x² + 1)y, ∂/∂y
    code, _, err = adcli("functions", "f(x) = f(x)")
    assert code == 2 and "f calls itself" in err and "f(x) = f(x)\n       ^" in err
