"""What the third round of held-out-style probing found (Hessians, Taylor series near domain edges,
matrix calculus, bad input, through the command line), each fixed and kept here.

References are closed forms worked by hand or high-precision values from mpmath, never adcli's own output.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Run, json_cli

MANY = 70  # numpy's np.broadcast takes at most 64 arrays
SQUARES = "+".join(f"x{i}^2" for i in range(MANY))
ONES = ",".join(f"x{i}={i / 10}" for i in range(MANY))


@pytest.mark.parametrize(
    "args",
    [("grad", "--mode", "symbolic"), ("jac", "--mode", "symbolic"), ("diff",), ("hess", "--mode", "symbolic")],
)
def test_symbolic_mode_takes_more_than_64_variables(adcli: Run, args: tuple[str, ...]) -> None:
    """Symbolic values were broadcast with np.broadcast(*inputs), which refuses more than 64 arrays:
    an internal_error (exit 3) for the shared n = 100 extended Rosenbrock Hessian. d/dxi sum xi^2 = 2 xi."""
    code, out, err = adcli(*args, SQUARES, "--at", ONES, "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    want = [2 * i / 10 for i in range(MANY)]
    if args[0] == "hess":
        assert np.allclose(record["hessian"], 2 * np.eye(MANY), rtol=0, atol=0)
        assert np.allclose(record["gradient"], want, rtol=1e-15)
    elif args[0] == "diff":
        assert np.allclose(record["values"][0], want, rtol=1e-15)
    else:
        assert np.allclose(record["jacobian"][0], want, rtol=1e-15)


@pytest.mark.parametrize("point", [("--at", "", "--wrt", ""), ("--wrt", ""), ("--at", "  ")])
def test_an_empty_point_and_wrt_fit_an_expression_without_variables(adcli: Run, point: tuple[str, ...]) -> None:
    """A corpus row with `at: {}` and `wrt: []` (pi*e) run as `--at "" --wrt ""` was refused twice over
    ('bad point', '--wrt names no variable'). The value is pi*e = 8.5397342226735670654… (mpmath)."""
    code, out, err = adcli("jac", "pi*e", *point, "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    assert record["wrt"] == [] and record["jacobian"] == [[]]
    assert record["value"][0] == pytest.approx(8.5397342226735670654, rel=1e-15)


def test_an_empty_wrt_of_an_expression_with_variables_is_still_refused(adcli: Run) -> None:
    code, out, _ = adcli("grad", "x^2 + y", "--at", "x=1,y=2", "--wrt", "", "--format", "json")
    assert code == 2
    assert json.loads(out)["error"]["message"] == "--wrt names no variable: give x or x,y"


@pytest.mark.parametrize(("option", "said"), [("--modes", "--modes names no mode"), ("--with", "--with names no")])
def test_an_empty_modes_or_with_names_its_own_option(adcli: Run, option: str, said: str) -> None:
    """compare --modes "" said '--wrt names no variable' (the shared list reader named --wrt)."""
    code, out, err = adcli("compare", "x^2", "--at", "x=1", option, "")
    assert code == 2
    assert said in out + err and "--wrt" not in out + err


def test_symbolic_hessian_of_a_product_with_a_shared_factor_ends() -> None:
    """hess --mode symbolic of sum(x^2*exp(x)) ran for over 300 s (the matrix simplifier's common factor
    x*exp(x) never cancelled; each pass nested the sums deeper). By hand, d²/dx² x²eˣ = (x² + 4x + 2)eˣ: 2 at 0."""
    code, out = json_cli("hess", "sum(x^2 * exp(x))", "--at", "x=[0, 1]", "--mode", "symbolic", timeout=60)
    assert code == 0, out
    assert np.allclose(out["hessian"], [[2.0, 0.0], [0.0, 7 * np.e]], rtol=1e-15, atol=0)
