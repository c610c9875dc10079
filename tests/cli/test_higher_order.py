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
