"""`adcli trace --order 2` and `adcli compare --order 2`: the forward-over-reverse trace ends in H·v,
and the Hessians of every mode are compared side by side (closed forms as references)."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner  # noqa: TID251 - the tests drive the Typer app itself

from adcli.cli.app import app

RUNNER = CliRunner()
BAYDIN = "ln(x1) + x1*x2 - sin(x2)"


def run(*args: str) -> tuple[int, dict]:
    result = RUNNER.invoke(app, [*args, "--format", "json"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    out = json.loads(result.stdout)
    return result.exit_code, out.get("error", out)


@pytest.mark.parametrize(("direction", "expected"), [("1,0", [-0.25, 1.0]), ("0,1", [1.0, math.sin(5.0)])])
def test_trace_order_2_ends_in_the_hessian_times_the_seed(direction: str, expected: list[float]) -> None:
    # H of ln(x1) + x1*x2 - sin(x2) at (2, 5): [[-1/x1², 1], [1, sin(x2)]]
    code, out = run("trace", BAYDIN, "--at", "x1=2,x2=5", "--order", "2", "--dir", direction)
    assert code == 0
    rows = out["adjoint_tangent"]
    finals = {r["target"]: r["value"] for r in rows if not r["target"].startswith("vbardot")}
    assert finals["x1bardot"] == pytest.approx(expected[0], rel=1e-15)
    assert finals["x2bardot"] == pytest.approx(expected[1], rel=1e-15)
    assert out["order"] == 2 and "adjoint_tangent_ops" in out["cost"]


def test_trace_order_2_spells_the_product_rule_on_each_adjoint_update() -> None:
    result = RUNNER.invoke(app, ["trace", BAYDIN, "--at", "x1=2,x2=5", "--order", "2", "--format", "plain", "--ascii"])
    assert result.exit_code == 0
    assert "vbardot[-1] = vbardot[-1] + vbardot[1]/v[-1] + vbar[1]*" in result.stdout


@pytest.mark.parametrize(
    ("args", "kind"), [(["--order", "3"], "limit_exceeded"), (["--order", "2", "--mode", "forward"], "usage_error")]
)
def test_trace_order_bad_options(args: list[str], kind: str) -> None:
    code, out = run("trace", "x*y", "--at", "x=1,y=2", *args)
    assert code == 2 and out["kind"] == kind


def test_trace_order_2_at_a_kink_is_an_error() -> None:
    code, out = run("trace", "abs(x)*y", "--at", "x=0,y=2", "--order", "2")
    assert code == 1 and out["kind"] == "nondifferentiable"


@pytest.mark.parametrize(
    ("text", "at", "direction", "expected"),
    [  # closed forms: each kinked term is C² at the point with Hessian 0 there (|x|³: 6|x| = 0 at 0)
        ("abs(x)^3*y", "x=0,y=1", "1,0", [0.0, 0.0]),
        ("abs(x)^3*y", "x=0,y=1", "0,1", [0.0, 0.0]),
        ("relu(x)^3*y + x*y", "x=0,y=2", "1,0", [0.0, 1.0]),  # H of xy: [[0, 1], [1, 0]]
        ("max(x, y)^3 + x*y", "x=0,y=0", "1,0", [0.0, 1.0]),
        ("abs(x - y)^3 + x^2", "x=1,y=1", "1,1", [2.0, 0.0]),  # H of x²: [[2, 0], [0, 0]]
        ("min(x, y)^3 + x^3*y", "x=0,y=0", "1,2", [0.0, 0.0]),
    ],
)
def test_trace_order_2_at_a_kink_whose_pieces_agree_gives_h_times_v_as_hess_does(
    text: str, at: str, direction: str, expected: list[float]
) -> None:
    """abs(x)^3 is twice differentiable at 0: trace --order 2 takes a piece, as hess does (issue 14)."""
    code, out = run("trace", text, "--at", at, "--order", "2", "--dir", direction)
    assert code == 0, out
    finals = [r["value"] for r in out["adjoint_tangent"] if not r["target"].startswith("vbardot")]
    assert finals == expected
    assert any("twice differentiable at this point" in note for note in out["notes"])
    code, hess = run("hess", text, "--at", at, "--hvp", direction)
    assert code == 0 and hess["hvp"] == expected


@pytest.mark.parametrize(
    ("text", "at", "node", "says"),
    [
        ("relu(x)^2", "x=0", "relu(x)", "differ at order 2"),  # pieces x² and 0
        ("max(x, y)^3", "x=1,y=1", "max(x, y)", "fails from order 1"),  # pieces x³ and y³: gradients differ
        ("abs(x)^3 + sign(y)*y^2", "x=0,y=0", "sign(y)", "order 2"),  # the kink without pieces is named
        ("abs(x)^3 + relu(y)^2", "x=0,y=0", "relu(y)", "differ at order 2"),  # not abs(x), whose pieces agree
    ],
)
def test_trace_order_2_names_the_node_and_the_order_where_pieces_differ(
    text: str, at: str, node: str, says: str
) -> None:
    for command in (["trace", text, "--at", at, "--order", "2"], ["hess", text, "--at", at]):
        code, out = run(*command)
        assert code == 1 and out["kind"] == "nondifferentiable", (command, out)
        assert out["message"].startswith(node) and says in out["message"], (command, out["message"])


def test_compare_order_2_puts_every_modes_hessian_side_by_side() -> None:
    code, out = run("compare", "x^3*y + exp(y)", "--at", "x=1,y=2", "--order", "2")
    assert code == 0 and out["agree"] is True and out["order"] == 2
    assert set(out["modes"]) == {"forward-over-reverse", "forward-over-forward", "numeric", "symbolic"}
    expected = [[6 * 2, 3], [3, 2.718281828459045**2]]  # [[6xy, 3x²], [3x², e^y]]
    for m, r in out["modes"].items():
        for row, want in zip(r["jacobian"], expected, strict=True):
            assert row == pytest.approx(want, rel=1e-7 if m == "numeric" else 1e-14)
    assert out["value"] == pytest.approx([6.0, 1 + 2.718281828459045**2], rel=1e-14)  # the gradient


def test_compare_order_2_modes_and_limits() -> None:
    code, out = run("compare", "x*y", "--at", "x=1,y=2", "--order", "2", "--modes", "symbolic,numeric")
    assert code == 0 and set(out["modes"]) == {"symbolic", "numeric"}
    code, out = run("compare", "x*y", "--at", "x=1,y=2", "--order", "2", "--modes", "reverse")
    assert code == 2 and out["kind"] == "usage_error"
    code, out = run("compare", "x*y", "--at", "x=1,y=2", "--order", "3")
    assert code == 2 and out["kind"] == "limit_exceeded"
    code, out = run("compare", "x*y, x", "--at", "x=1,y=2", "--order", "2")
    assert code == 2 and out["kind"] == "usage_error"
