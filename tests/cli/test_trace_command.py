"""`adcli trace` and `adcli graph` from the command line: formats, seeds, emitted programs, bad input."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
Run = Callable[..., tuple[int, str, str]]


def test_trace_plain_reproduces_the_survey(adcli: Run) -> None:
    code, out, _ = adcli("trace", SURVEY, "--at", "x1=2,x2=5", "--precision", "4")
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    assert "v₃ = sin(v₀) = sin(5) = -0.9589" in lines
    assert "v̇₂ = v̇₋₁·v₀ + v̇₀·v₋₁ = 1·5 + 0·2 = 5" in lines
    assert "v̄₀ = v̄₀ + v̄₂·∂v₂/∂v₀ = v̄₀ + v̄₂·v₋₁ = -0.2837 + 1·2 = 1.716" in lines
    assert lines.index("x̄1 = v̄₋₁ = 5.5") + 1 == lines.index("x̄2 = v̄₀ = 1.716")
    assert "tangent sweep: 11 ops + 2 for the partials = 13, 2.6× the primal" in lines


def test_trace_ascii_and_modes(adcli: Run) -> None:
    code, out, _ = adcli("trace", SURVEY, "--at", "x1=2,x2=5", "--ascii", "--mode", "forward", "--dir", "0,1")
    assert code == 0 and out.isascii()
    assert "  ydot = vdot[5] = 1.7163" in out.splitlines()
    assert "Reverse adjoint trace" not in out
    code, out, _ = adcli("trace", SURVEY, "--at", "x1=2,x2=5", "--ascii", "--mode", "reverse")
    assert code == 0 and "Forward tangent trace" not in out and "  x2bar = vbar[0] = 1.7163" in out.splitlines()


def test_trace_json(adcli: Run) -> None:
    code, out, _ = adcli("trace", SURVEY, "--at", "x1=2,x2=5", "--format", "json", "--mode", "forward")
    data = json.loads(out)
    assert code == 0
    assert [s["index"] for s in data["steps"]] == [-1, 0, 1, 2, 3, 4, 5]
    assert data["steps"][2] == {
        "index": 1,
        "label": "v_1",
        "op": "log",
        "args": ["v_-1"],
        "value": pytest.approx(0.6931471805599453, rel=1e-15),
        "name": None,
        "tangent": pytest.approx(0.5, rel=1e-15),
    }
    assert "adjoint" not in data["steps"][0] and "adjoint" not in data
    assert data["outputs"][0]["tangent"] == pytest.approx(5.5, rel=1e-15)


def test_trace_table_on_request(adcli: Run) -> None:
    code, out, _ = adcli("trace", "x^2", "--at", "x=3", "--format", "table", "--ascii")
    assert code == 0 and "Forward mode" in out and "Reverse mode" in out
    assert "vdot[1] = vdot[0]*(2*v[0]) = 1*(2*3) = 6" in out


def test_trace_emit_python_is_text_that_computes_the_gradient(adcli: Run) -> None:
    code, out, _ = adcli("trace", SURVEY, "--at", "x1=2,x2=5", "--emit", "python", "--mode", "reverse")
    assert code == 0 and "def reverse(x1, x2, y_bar=1.0):" in out and "def forward" not in out
    namespace: dict[str, Any] = {}
    exec(compile(out, "<adcli-emitted>", "exec"), namespace)  # noqa: S102 - running adcli's output is the test
    _, gradient = namespace["reverse"](2.0, 5.0)
    assert list(gradient) == pytest.approx([5.5, 1.7163378145367738], rel=1e-15)


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--dir", "1,0,0"], "--dir has 3 entries; there are 2 variables"),
        (["--dir", "x3=1"], "--dir names x3, not a variable here"),
        (["--cot", "1,1"], "--cot has 2 weights; the expression has 1 output"),
        (["--mode", "sideways"], "unknown trace mode 'sideways'"),
        (["--emit", "rust"], "the only language is python"),
        (["--format", "csv"], "unknown format 'csv'"),
        (["--dir", "1,"], "error[usage_error]"),
        (["--dir", "1"], "--dir has 1 entry; there are 2 variables (x1, x2)"),
        (["--dir", "x1=1,x1=2"], "bad --dir 'x1=1,x1=2': x1 is given two values"),
        (["--dir", "x1={1,2}"], "bad --dir 'x1={1,2}': x1 takes one number or array, not a set of values or a span"),
        (["--dir", "1e400,0"], "bad --dir '1e400,0': the number 1e400 is too large for a float"),
        (["--cot", "1e400"], "bad --cot '1e400': the number 1e400 is too large for a float"),
        (["--dir", "nan,1"], "error[usage_error]: bad --dir 'nan,1': entries must be numbers or constant expressions"),
        (["--dir", "0,1", "--mode", "reverse"], "--dir seeds the tangent sweep, which --mode reverse does not run"),
        (["--cot", "1", "--mode", "forward"], "--cot seeds the adjoint sweep, which --mode forward does not run"),
        (["--emit", "python", "--format", "plain"], "--emit writes Python source, not a --format: give one of the two"),
        (["--at", "x1=0:1:3"], "trace takes one point: give x1 one value, not a span or list"),
    ],
)
def test_trace_bad_options_are_usage_errors(adcli: Run, args: list[str], words: str) -> None:
    code, out, err = adcli("trace", SURVEY, "--at", "x1=2,x2=5", *args)
    assert code == 2 and out == ""
    assert "error[" in err and words in err, err


def test_trace_errors_from_the_core_keep_their_kind(adcli: Run) -> None:
    code, _, err = adcli("trace", "log(x)", "--at", "x=-1")
    assert code == 1 and "error[domain_error]" in err
    code, out, _ = adcli("trace", "x*", "--at", "x=1", "--format", "json")
    assert code == 2 and json.loads(out)["error"]["kind"] == "syntax_error"


def test_graph_tree_dot_and_json(adcli: Run) -> None:
    code, out, _ = adcli("graph", SURVEY, "--at", "x1=2,x2=5", "--ascii")
    assert code == 0 and "y = v[5]  -   data 11.65 | grad 1" in out and "^ v[-1] x1  (shared, drawn above)" in out
    code, out, _ = adcli("graph", SURVEY, "--dot")
    assert code == 0 and out.startswith("digraph adcli {") and 'v_1 [label="{ v₁ | log }"];' in out
    code, out, _ = adcli("graph", "x*y, x", "--at", "x=1,y=2", "--cot", "0,1", "--format", "json")
    data = json.loads(out)
    assert [v["adjoint"] for v in data["vertices"]] == pytest.approx([1.0, 0.0, 0.0])


def test_graph_bad_input(adcli: Run) -> None:
    code, _, err = adcli("graph", "x", "--cot", "1")
    assert code == 2 and "--cot needs a point" in err
    code, _, err = adcli("graph", "x, y", "--at", "x=1,y=1", "--cot", "1")
    assert code == 2 and "--cot has 1 weight; the expression has 2 outputs" in err


@pytest.mark.parametrize("command", ["trace", "graph"])
def test_a_span_in_the_texts_own_point_is_refused_without_a_traceback(adcli: Run, command: str) -> None:
    code, out, err = adcli(command, "x^2 at x=0:1:3")
    assert code == 2 and out == "" and "Traceback" not in err
    assert f"error[usage_error]: {command} takes one point: give x one value, not a span or list" in err
    code, out, _ = adcli(command, "x^2", "--at", "x={1,2}", "--format", "json")
    assert code == 2 and json.loads(out)["error"]["kind"] == "usage_error"


def test_emit_python_for_a_batch_numbers_the_programs(adcli: Run, tmp_path: Any) -> None:
    problems = tmp_path / "two.txt"
    problems.write_text("x^2\nsin(x)\n", encoding="utf-8")
    code, out, _ = adcli("trace", "-f", str(problems), "--at", "x=1", "--emit", "python")
    assert code == 0
    assert out.count("def forward(") == 1 and out.count("def forward_2(") == 1 and out.count("def reverse_2(") == 1
    namespace: dict[str, Any] = {}
    exec(compile(out, "<adcli-emitted>", "exec"), namespace)  # noqa: S102 - running adcli's output is the test
    assert namespace["forward"](3.0)[1] == pytest.approx(6.0, rel=1e-15)
    assert namespace["reverse_2"](0.5)[1][0] == pytest.approx(0.8775825618903728, rel=1e-15)


def test_graph_on_a_very_deep_expression_fits_an_80_column_pipe(adcli: Run) -> None:
    code, out, _ = adcli("graph", "sin(" * 5000 + "x" + ")" * 5000, "--at", "x=1")
    assert code == 0 and "more levels below (--dot draws all)" in out
    assert max(len(line) for line in out.splitlines()) <= 80
