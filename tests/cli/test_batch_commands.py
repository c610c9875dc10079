"""diff, trace, graph, compare and check on the command line: points, formats and messages as grad's.

Regression tests of a user trial: a file line's own `at` wins over --at (the EXPR argument's is
overridden by it), the text's own `at` gives diff its values, jsonl for one EXPR, a failing point
of diff fails alone, batch warnings carry `file:line:`, and check honours an answer's own `at`.
Reference values are worked by hand (d/dx x^2 = 2x, d/dx log(x) = 1/x, …).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

Run = Callable[..., tuple[int, str, str]]
PRESENTED = ["diff", "trace", "graph", "compare"]


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
    code, out, err = adcli("diff", "2.5", "--at", "x={1,2}", "--format", "json")
    assert code == 0 and "Traceback" not in err
    assert json.loads(out)["value"] == [[2.5, 2.5]]
    code, out, err = adcli("diff", "--at", "x=1", "--format", "jsonl", stdin="2.5\npi\n")
    records = lines_of(out)
    assert code == 0 and "internal_error" not in out + err
    assert records[0]["value"] == [2.5] and close(records[1]["value"][0], math.pi)


# ---- 2. a file line's own point wins over --at, for every command as for grad ----------------------


@pytest.fixture
def own(tmp_path: Path) -> str:
    path = tmp_path / "own.txt"
    path.write_text("x^2 at x=3\n", encoding="utf-8")
    return str(path)


def test_grad_reference_a_file_lines_own_point_wins(adcli: Run, own: str) -> None:
    _, out, _ = adcli("grad", "-f", own, "--at", "x=1", "--format", "jsonl")
    assert lines_of(out)[0]["gradient"] == [6.0]  # 2x at x = 3


def test_diff_trace_compare_graph_use_a_file_lines_own_point(adcli: Run, own: str) -> None:
    code, out, _ = adcli("diff", "-f", own, "--at", "x=1", "--format", "jsonl")
    assert code == 0 and lines_of(out)[0]["values"] == [[6.0]] and lines_of(out)[0]["at"] == {"x": 3.0}
    code, out, _ = adcli("trace", "-f", own, "--at", "x=1", "--format", "jsonl")
    record = lines_of(out)[0]
    assert code == 0 and record["at"] == {"x": 3.0} and record["outputs"][0]["tangent"] == 6.0
    code, out, _ = adcli("compare", "-f", own, "--at", "x=1", "--format", "jsonl")
    record = lines_of(out)[0]
    assert code == 0 and record["at"] == {"x": 3.0} and record["modes"]["reverse"]["jacobian"] == [[6.0]]
    code, out, _ = adcli("graph", "-f", own, "--at", "x=1", "--format", "jsonl")
    x = next(v for v in lines_of(out)[0]["vertices"] if v["op"] == "input")
    assert code == 0 and x["value"] == 3.0 and x["adjoint"] == 6.0


def test_at_fills_in_what_a_file_line_leaves_out_and_overrides_the_argument(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "xy.txt"
    path.write_text("x*y at x=3\n", encoding="utf-8")
    _, out, _ = adcli("diff", "-f", str(path), "--at", "x=1,y=2", "--format", "jsonl")
    assert lines_of(out)[0]["values"] == [[2.0, 3.0]]  # d/dx = y = 2, d/dy = x = 3
    for command in ("diff", "trace", "compare"):  # the EXPR argument: --at overrides its own `at`
        _, out, _ = adcli(command, "x^2 at x=3", "--at", "x=1", "--format", "json")
        assert json.loads(out)["at"] == {"x": 1.0}, command


# ---- 3. diff honours the text's own point -----------------------------------------------------------


def test_diff_evaluates_at_the_texts_own_point(adcli: Run) -> None:
    code, out, _ = adcli("diff", "x^2 at x=2", "--format", "plain")
    assert code == 0 and out == "2*x\t4\n"


def test_diff_batch_line_with_its_own_span_reports_the_domain_error_of_its_point(adcli: Run) -> None:
    code, out, err = adcli("diff", "--format", "jsonl", stdin="log(x) at x={-1,1}\n")
    record = lines_of(out)[0]
    assert code == 1 and record["value"] == [[None, 0.0]] and record["values"] == [[[None, 1.0]]]
    assert [f["point"] for f in record["failures"]] == [1]
    assert record["failures"][0]["error"]["kind"] == "domain_error"
    assert "1 failed (1 failed point)" in err


# ---- 4. jsonl for one EXPR; --help says what is accepted; no csv -----------------------------------


@pytest.mark.parametrize("command", PRESENTED)
def test_one_expression_takes_jsonl_as_grad_does(adcli: Run, command: str) -> None:
    code, out, _ = adcli(command, "x^2", "--at", "x=3", "--format", "jsonl")
    assert code == 0 and len(out.splitlines()) == 1
    record = json.loads(out)
    assert record["file"] == "<arg>" and record["line"] == 1 and record["read_as"] == "x^2"
    code, _, err = adcli(command, "x^2", "--at", "x=3", "--format", "csv")
    assert code == 2 and "unknown format 'csv'" in err and "jsonl" in err
    _, out, _ = adcli(command, "--help")
    assert "table | plain | json | jsonl" in out


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_graph_dot_with_a_json_format_is_a_usage_error_not_a_traceback(adcli: Run, fmt: str) -> None:
    code, out, err = adcli("graph", "-f", "-", "--dot", "--format", fmt, stdin="x^2\n")
    assert code == 2 and "Traceback" not in err and "--dot writes Graphviz DOT" in out + err


def test_check_takes_jsonl_for_one_answer(adcli: Run) -> None:
    code, out, _ = adcli("check", "2*x", "--of", "x^2", "--format", "jsonl")
    record = json.loads(out)
    assert code == 0 and len(out.splitlines()) == 1 and record["verdict"] == "correct"
    assert record["file"] == "<arg>"


# ---- 5. diff at many points: a failing point fails alone --------------------------------------------


def test_diff_keeps_the_good_points_and_names_each_failing_one(adcli: Run) -> None:
    code, out, _ = adcli("diff", "log(x)*y", "--at", "x=-1:1:3", "--at", "y=2", "--format", "json")
    data = json.loads(out)
    assert code == 1
    assert data["value"] == [[None, None, 0.0]]  # log(1)*2 = 0
    assert data["values"] == [[[None, None, 2.0], [None, None, 0.0]]]  # y/x = 2, log(x) = 0 at x = 1
    assert [(f["point"], f["at"]["x"], f["error"]["kind"]) for f in data["failures"]] == [
        (1, -1.0, "domain_error"),
        (2, 0.0, "domain_error"),
    ]
    code, out, err = adcli("diff", "log(x)*y", "--at", "x=-1:1:3", "--at", "y=2", "--format", "plain")
    rows = [line.split() for line in out.splitlines()]
    assert code == 1
    assert ["-1", "2", "domain_error", "-", "-"] in rows and ["1", "2", "0", "2", "0"] in rows
    assert "error[domain_error]: point 1 of 3: log(x) is outside the domain of log" in err
    assert "point 2 of 3" in err


def test_diff_a_point_where_only_the_derivative_fails(adcli: Run) -> None:
    code, out, _ = adcli("diff", "sqrt(x)", "--at", "x={0,4}", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["value"] == [[None, 2.0]] and data["values"] == [[[None, 0.25]]]
    assert data["failures"][0]["error"]["kind"] == "nonfinite"


def test_diff_every_point_failing_is_one_error(adcli: Run) -> None:
    code, _, err = adcli("diff", "log(x)", "--at", "x={-1,-2}", "--format", "plain")
    assert code == 1 and "error[domain_error]" in err and "all 2 points fail" in err


def test_diff_api_at_many_points_raises_naming_the_first_failing_point() -> None:
    from adcli.commands.diff import diff
    from adcli.core.errors import AdcliError

    with pytest.raises(AdcliError) as caught:
        diff("log(x)", at="x={-1,1}")
    assert caught.value.kind == "domain_error" and "(point 1 of 2)" in caught.value.message
    ((dx, dy),) = diff("log(x)*y", at="x={1,2}, y=2").values  # y/x and log(x)
    assert all(map(close, [*dx, *dy], [2.0, 1.0, 0.0, math.log(2)]))


def test_diff_batch_with_failed_points_counts_them(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "lx.txt"
    path.write_text("log(x)*y\n", encoding="utf-8")
    code, _, err = adcli("diff", "-f", str(path), "--at", "x=-1:1:3", "--at", "y=2", "--format", "plain")
    assert code == 1
    assert f"{path}:1:1: error[domain_error]: point 1 of 3:" in err
    assert err.strip().endswith("0 ok, 1 failed (2 failed points)")


def test_diff_kinks_at_many_points_still_warn(adcli: Run) -> None:
    code, out, _ = adcli("diff", "abs(x)", "--at", "x=-1:1:3", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["values"] == [[[-1.0, 0.0, 1.0]]]
    assert [w["kind"] for w in data["warnings"]] == ["nondifferentiable"] and "point 2 of 3" in str(data)


# ---- 6. batch warnings and notes carry file:line: ---------------------------------------------------


@pytest.mark.parametrize("command", ["trace", "diff"])
def test_batch_warnings_and_notes_start_with_their_place(adcli: Run, command: str, tmp_path: Path) -> None:
    path = tmp_path / "w.txt"
    path.write_text("abs(x)\n1/2x\n", encoding="utf-8")
    code, _, err = adcli(command, "-f", str(path), "--at", "x=0", "--format", "plain")
    assert code == 0
    assert f"{path}:1: warning[nondifferentiable]: abs(x) is not differentiable at x = 0" in err
    assert f"{path}:2: note: 1/2x read as (1/2)*x, not 1/(2*x)" in err
    assert not [line for line in err.splitlines() if line.startswith(("warning", "note"))]


# ---- 7. check honours an answer's own point ---------------------------------------------------------


def test_check_starts_at_the_answers_own_point(adcli: Run, tmp_path: Path) -> None:
    code, out, _ = adcli("check", "3*x at x=2", "--of", "x^2", "--format", "json")
    found = json.loads(out)["counterexample"]
    assert code == 1 and found["at"] == {"x": 2.0} and found["answer"] == 6.0 and found["derivative"] == 4.0
    _, out, _ = adcli("check", "3*x at x=2", "--of", "x^2", "--at", "x=1", "--format", "json")
    assert json.loads(out)["counterexample"]["at"] == {"x": 1.0}  # --at overrides the argument's own
    path = tmp_path / "answers.txt"
    path.write_text("3*x at x=2\n", encoding="utf-8")
    _, out, _ = adcli("check", "-f", str(path), "--of", "x^2", "--at", "x=1", "--format", "jsonl")
    assert lines_of(out)[0]["counterexample"]["at"] == {"x": 2.0}  # a file line's own wins
    code, _, err = adcli("check", "3*x at x={1,2}", "--of", "x^2")
    assert code == 2 and "check takes one point" in err


# ---- 8. a point that leaves a variable without a value: diff and graph without values, with a note ------


def test_diff_and_graph_of_one_expression_need_every_value_of_their_own_point(adcli: Run) -> None:
    """Only a batch's shared --at may leave a line's variable without a value (next test); a point of
    the problem's own gives every value or is unbound_variable (exit 2), as for grad."""
    for command in ("diff", "graph"):
        code, _, err = adcli(command, "x*y", "--at", "x=1")
        assert code == 2 and "error[unbound_variable]: no value for y" in err
        code, _, err = adcli(command, "x*y at x=1")
        assert code == 2 and "no value for y" in err
    code, _, err = adcli("diff", "xy", "--at", "x=1,y=2")  # a hint
    assert code == 2 and "did you mean x*y?" in err


def test_diff_of_a_batch_line_without_every_value_shows_the_derivatives_and_why_no_values(
    adcli: Run, tmp_path: Path
) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x*y\n2*x\n", encoding="utf-8")
    code, out, err = adcli("diff", "-f", str(path), "--at", "x=1", "--format", "json")
    first, second = json.loads(out)
    assert code == 0 and first["derivatives"] == [["y", "x"]] and "values" not in first and "at" not in first
    assert first["notes"] == ["no value for y: the derivatives are shown without values (--at y=…)"]
    assert second["derivatives"] == [["2"]] and second["values"] == [[2.0]]  # d(2x)/dx = 2 at x = 1


def test_a_shared_at_serves_every_line_of_diff_and_graph(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x^2\nx*y\n", encoding="utf-8")
    code, out, err = adcli("diff", "-f", str(path), "--at", "x=2", "--format", "plain")
    assert code == 0 and "2*x\t4\n" in out and "y\nx\n" in out  # d/dx x^2 = 2x = 4 at x = 2
    assert f"{path}:2: note: no value for y" in err and "2 ok, 0 failed" in err
    code, out, err = adcli("graph", "-f", str(path), "--at", "x=2")
    assert code == 0 and "data 4 | grad 1" in out  # x^2 = 4 at x = 2, d(x^2)/d(x^2) = 1
    assert out.count("data") == 2  # v₁ = x^2 and v₀ = x of line 1; line 2 has none
    assert f"{path}:2: note: no value for y: drawn without values and adjoints (--at y=…)" in err


def test_graph_of_a_batch_line_without_every_value(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.txt"
    path.write_text("x*y\n", encoding="utf-8")
    code, out, err = adcli("graph", "-f", str(path), "--at", "x=1")
    assert code == 0 and "data" not in out and "grad" not in out and "no value for y" in err
    code, out, _ = adcli("graph", "-f", str(path), "--at", "x=1", "--format", "json")
    (data,) = json.loads(out)
    assert code == 0 and all(v["value"] is None for v in data["vertices"]) and len(data["notes"]) == 1
    code, _, err = adcli("graph", "-f", str(path), "--at", "x=1", "--cot", "1")  # adjoints asked for: every value
    assert code == 2 and "error[unbound_variable]: no value for y" in err
