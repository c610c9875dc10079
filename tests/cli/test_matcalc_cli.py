"""Matrix calculus on the command line (issue 13): diff, check and compare on array expressions.

The held-out-format examples (tests/data/matcalc.jsonl, Matrix Cookbook identities with gradients
from torch float64 autograd) run through the installed CLI in a subprocess: each printed derivative
evaluates to the reference gradient, and the textbook form is accepted by `check`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import Run, load_jsonl

EXAMPLES = load_jsonl("matcalc.jsonl")


def _at(values: dict) -> str:
    return ",".join(f"{k}={json.dumps(v)}" for k, v in values.items())


def _shape(shapes: dict) -> str:
    return ",".join(f"{k}={'x'.join(map(str, v)) if v else '()'}" for k, v in shapes.items())


def _installed(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "adcli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("row", EXAMPLES, ids=[r["id"] for r in EXAMPLES])
def test_held_out_examples_through_the_installed_cli(row: dict) -> None:
    wrt = ",".join(row["wrt"])
    for point in row["points"]:
        done = _installed("diff", row["expr"], "--wrt", wrt, "--at", _at(point["at"]), "--format", "json")
        assert done.returncode == 0, done.stderr
        found = json.loads(done.stdout)
        for k, name in enumerate(row["wrt"]):
            np.testing.assert_allclose(found["values"][0][k], point["gradient"][name], rtol=1e-9, atol=1e-12)
    answer = ", ".join(row["expected"][w] for w in row["wrt"])
    done = _installed("check", answer, "--of", row["expr"], "--wrt", wrt, "--shape", _shape(row["shapes"]))
    assert done.returncode == 0, done.stdout + done.stderr  # proven: the textbook form equals adcli's


@pytest.mark.parametrize(
    ("args", "printed"),
    [
        (["x' @ A @ x", "--shape", "x=3,A=3x3", "--wrt", "x"], "(A + A') @ x"),
        (["x' @ A @ x", "--shape", "x=n,A=nxn", "--wrt", "x"], "(A + A') @ x"),
        (["tr(A @ X)", "--shape", "A=nxn,X=nxn", "--wrt", "X"], "A'"),
        (["logdet(X)", "--shape", "X=nxn"], "inv(X)'"),
        (["norm(A @ x - b)^2", "--shape", "A=mxn,x=n,b=m", "--wrt", "x"], "2*A' @ (A @ x - b)"),
        (
            ["sum(log(1 + exp(-y * (X @ w))))", "--shape", "X=mxn,y=m,w=n", "--wrt", "w"],
            "-X' @ (sigmoid(-y*(X @ w))*y)",
        ),
        (["A @ x", "--shape", "A=2x3,x=3", "--wrt", "x"], "A"),
        (["x * y", "--shape", "x=3,y=3", "--wrt", "x"], "diag(y)"),
    ],
)
def test_diff_prints_the_textbook_form(adcli: Run, args: list[str], printed: str) -> None:
    code, out, err = adcli("diff", *args, "--format", "plain")
    assert code == 0, err
    assert out.splitlines()[0] == printed


def test_diff_at_a_point_evaluates_and_says_the_shapes(adcli: Run) -> None:
    code, out, _ = adcli(
        "diff", "norm(A @ x - b)^2", "--wrt", "x", "--at", "A=[[1,2],[3,4],[5,6]],x=[1,1],b=[1,2,3]", "--format", "json"
    )
    found = json.loads(out)
    assert code == 0
    assert found["derivatives"] == [["2*A' @ (A @ x - b)"]]
    assert found["values"] == [[[114.0, 144.0]]]  # 2·Aᵀ(Ax − b) with Ax − b = (2, 5, 8): by hand
    assert found["shapes"] == {"A": [3, 2], "x": [2], "b": [3]}


def test_latex_cse_and_steps(adcli: Run) -> None:
    _, out, _ = adcli("diff", "sum(log(1 + exp(-y * (X @ w))))", "--shape", "X=mxn,y=m,w=n", "--wrt", "w", "--latex")
    assert out.strip() == r"-X^\top \left(\operatorname{sigmoid}\left(-y \odot \left(X w\right)\right) \odot y\right)"
    _, out, _ = adcli("diff", "det(X' @ A @ X)", "--shape", "X=4x3,A=4x4", "--wrt", "X", "--cse")
    assert "@1 = X'" in out and "det(@" in out
    _, out, _ = adcli("diff", "tr(A @ X) + det(X)", "--shape", "A=nxn,X=nxn", "--wrt", "X", "--steps")
    assert "product rule for @" in out and "trace rule" in out and "determinant rule" in out
    assert "B̄ += A' @ Ḡ" in out  # the table's own VJP (adcli.core.arrays), for the argument that needs it
    assert out.rstrip().endswith("det(X)*inv(X)' + A'")


def test_an_order_three_derivative_is_a_labelled_flattened_jacobian(adcli: Run) -> None:
    code, out, err = adcli("diff", "A @ x", "--shape", "A=2x3,x=3", "--wrt", "A", "--format", "json")
    found = json.loads(out)
    assert code == 0
    assert found["outputs"] == ["(A @ x)[0]", "(A @ x)[1]"]
    assert found["derivatives"] == [["outer([1, 0], x)"], ["outer([0, 1], x)"]]
    assert any("tensor of order 3" in n and "flattened Jacobian" in n for n in found["notes"])


@pytest.mark.parametrize(
    ("answer", "of", "shape", "code", "verdict"),
    [
        ("2*A'@(A@x-b)", "norm(A@x-b)^2", "A=mxn,x=n,b=m", 0, "correct"),
        ("2*A'@A@x - 2*A'@b", "norm(A@x-b)^2", "A=mxn,x=n,b=m", 0, "correct"),  # expanded, then equal
        ("x/sqrt(sum(x*x))", "norm(x)", "x=n", 4, "agrees"),  # sqrt(sum(x*x)) is norm(x): not by the rules
        ("inv(X')", "logdet(X)", "X=nxn", 0, "correct"),
        ("inv(X)", "logdet(X)", "X=nxn", 1, "wrong"),  # the transpose matters: X is not symmetric
        ("2*A@(A@x-b)", "norm(A@x-b)^2", "A=3x2,x=2,b=3", 1, "wrong"),  # A@(…) does not fit: a shape
        ("A@x", "x'@A@x", "x=n,A=nxn", 1, "wrong"),
        ("sum(x)", "sum(x*x)/2", "x=n", 1, "wrong"),  # a scalar for a vector's gradient: wrong shape
    ],
)
def test_check_on_array_answers(adcli: Run, answer: str, of: str, shape: str, code: int, verdict: str) -> None:
    wrt = "X" if "X=" in shape else "x"
    got, out, err = adcli("check", answer, "--of", of, "--wrt", wrt, "--shape", shape, "--format", "json")
    assert got == code, out + err
    assert json.loads(out)["verdict"] == verdict


def test_check_infers_the_variable_from_the_answers_shape(adcli: Run) -> None:
    code, out, _ = adcli("check", "2*A'@(A@x-b)", "--of", "norm(A@x-b)^2", "--shape", "A=mxn,x=n,b=m")
    assert code == 0 and out.startswith("correct")


def test_compare_includes_symbolic_mode_on_arrays(adcli: Run) -> None:
    code, out, _ = adcli("compare", "x' @ A @ x + tr(A)", "--at", "x=[1,2],A=[[1,2],[3,5]]", "--format", "json")
    found = json.loads(out)
    assert code == 0
    assert found["reference"] == "symbolic"
    assert found["modes"]["symbolic"]["jacobian"] == [[12.0, 25.0, 2.0, 2.0, 2.0, 5.0]]  # (A+A')x; xxᵀ + I, by hand


@pytest.mark.parametrize(
    ("args", "kind", "words"),
    [
        (["x' @ A @ x", "--shape", "x=3,A=4x4"], "shape_error", "(3,) and (4, 4)"),
        (["x @ y", "--shape", "x=n,y=m"], "shape_error", "n ≠ m"),
        (["x' @ A @ x", "--shape", "x=3,A=3x3", "--wrt", "z"], "usage_error", "z is not a variable"),
        (
            ["x' @ A @ x", "--shape", "x=4,A=3x3", "--at", "x=[1,2,3],A=[[1,0,0],[0,1,0],[0,0,1]]"],
            "usage_error",
            "--shape x",
        ),
        (["x' @ A @ x"], "usage_error", "needs shapes"),
        (["x' @ A @ x", "--shape", "x=3,A=3y"], "usage_error", "--shape"),
    ],
)
def test_bad_input_is_a_one_line_error(adcli: Run, args: list[str], kind: str, words: str) -> None:
    code, out, err = adcli("diff", *args)
    assert code == 2
    assert f"error[{kind}]" in err and words in err
    assert "Traceback" not in err


def test_a_shape_error_has_its_caret_at_the_operator(adcli: Run) -> None:
    _, _, err = adcli("diff", "x' @ A @ x", "--shape", "x=3,A=4x4")
    lines = err.splitlines()
    assert lines[0].startswith("1:4:") and lines[-1] == "   ^"
