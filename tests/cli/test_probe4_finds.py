"""What the fourth round of held-out-style probing found (arrays, Hessians, Taylor series, matrix
calculus, bad input, through the command line), each fixed and kept here.

References are closed forms worked by hand or high-precision values from mpmath, never adcli's own output.
"""

from __future__ import annotations

import json

import numpy as np
import pytest
from conftest import Run


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_logsumexp_gradient_at_large_entries_is_softmax(adcli: Run, mode: str) -> None:
    """∂logsumexp/∂x = softmax(x) was exp(x - logsumexp(x)), whose rounded logsumexp (an ulp of 1e8 is
    1.5e-8) gave 0.49999999904767284 for 1/2. At [1e8, 1e8, 3] the gradient is [1/2, 1/2, e^(3-1e8)/2 = 0]."""
    code, out, err = adcli("grad", "logsumexp(x)", "--at", "x=[1e8,1e8,3]", "--mode", mode, "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["gradient"]["x"] == pytest.approx([0.5, 0.5, 0.0], rel=1e-15, abs=0)


@pytest.mark.parametrize("mode", ["forward-over-reverse", "forward-over-forward"])
def test_logsumexp_hessian_at_large_entries(adcli: Run, mode: str) -> None:
    """H = diag(p) - p pᵀ with p = softmax(x) = [1/2, 1/2]: [[1/4, -1/4], [-1/4, 1/4]] (the off-diagonal
    came out -0.24999999904767284, the Hessian not even symmetric in its last digits)."""
    code, out, err = adcli("hess", "logsumexp(x)", "--at", "x=[1e8,1e8]", "--mode", mode, "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    assert np.allclose(record["hessian"], [[0.25, -0.25], [-0.25, 0.25]], rtol=1e-15, atol=0)
    assert record["gradient"] == pytest.approx([0.5, 0.5], rel=1e-15)


def test_symbolic_jacobian_of_a_constant_in_a_vector_has_its_columns(adcli: Run) -> None:
    """x^0 is 1 for every x, so ∂(x^0*A)/∂x is zero, but its symbolic Jacobian (the scalar 0) filled one
    column for x's two: a 4×5 Jacobian whose A-columns were shifted left under x's labels. By hand:
    ∂(x^0*A)[i, j]/∂x = 0, ∂(x^0*A)[i, j]/∂A[k, l] = δik δjl."""
    code, out, err = adcli("jac", "x^0*A", "--at", "x=[1,2],A=[[1,2],[3,4]]", "--mode", "symbolic", "--format", "json")
    assert code == 0, out + err
    assert np.array_equal(json.loads(out)["jacobian"], np.hstack([np.zeros((4, 2)), np.eye(4)]))


@pytest.mark.parametrize("command", [("grad", "--mode", "symbolic"), ("hess", "--mode", "symbolic")])
def test_symbolic_zero_gradient_of_a_vector_is_a_vector(adcli: Run, command: tuple[str, ...]) -> None:
    """grad --mode symbolic of sum(x^0*y) was an internal_error (a scalar 0 reshaped to x's shape).
    f = sum(y): ∂f/∂x = [0, 0], ∂f/∂y = [1, 1]; with y² instead, the Hessian is diag(0, 0, 2, 2)."""
    text = "sum(x^0*y)" if command[0] == "grad" else "sum(x^0*y^2)"
    code, out, err = adcli(command[0], text, "--at", "x=[1,2],y=[3,4]", *command[1:], "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    if command[0] == "grad":
        assert record["gradient"] == {"x": [0.0, 0.0], "y": [1.0, 1.0]}
    else:
        assert np.array_equal(record["hessian"], np.diag([0.0, 0.0, 2.0, 2.0]))


def test_diff_at_a_point_gives_a_zero_derivative_in_its_layout(adcli: Run) -> None:
    """diff of sum(x^0) --at was an internal_error ('disagrees with reverse mode': 0 against [0, 0]), and the
    Jacobian of x^0 + y by x printed [0, 0] for the 2×2 zero matrix (the stack of two scalar zeros)."""
    code, out, err = adcli("diff", "sum(x^0*y), x^0 + y", "--at", "x=[1,2],y=[3,4]", "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    assert record["values"][0] == [[0.0, 0.0], [1.0, 1.0]]
    assert record["values"][1] == [np.zeros((2, 2)).tolist(), np.eye(2).tolist()]
    assert record["derivatives"][1][0] == "0"


@pytest.mark.parametrize("mode", ["auto", "forward-over-reverse", "forward-over-forward"])
def test_hessian_of_a_power_of_two_arrays(adcli: Run, mode: str) -> None:
    """sum(x^y) with x and y arrays: 'needs numpy's power on duals' (a usage_error, in the default mode too).
    By hand, f = Σ xᵢ^yᵢ: ∂²/∂xᵢ² = yᵢ(yᵢ-1)xᵢ^(yᵢ-2), ∂²/∂yᵢ² = xᵢ^yᵢ·ln²xᵢ, ∂²/∂xᵢ∂yᵢ = xᵢ^(yᵢ-1)(1 + yᵢ ln xᵢ)."""
    code, out, err = adcli("hess", "sum(x^y)", "--at", "x=[2,0.5],y=[1,2]", "--mode", mode, "--format", "json")
    assert code == 0, out + err
    ln2 = np.log(2.0)
    want = np.zeros((4, 4))
    want[1, 1] = 2.0
    want[2, 2], want[3, 3] = 2 * ln2**2, 0.25 * ln2**2
    want[0, 2] = want[2, 0] = 1 + ln2
    want[1, 3] = want[3, 1] = 0.5 * (1 - 2 * ln2)
    assert np.allclose(json.loads(out)["hessian"], want, rtol=1e-14, atol=1e-15)


def test_forward_over_forward_hessian_through_an_array_literal(adcli: Run) -> None:
    """An array literal of variables' entries ('needs numpy's stack on duals' in forward-over-forward).
    sum([x1, x0²·x1, 3]) = x1 + x0²x1: H = [[2x1, 2x0], [2x0, 0]] = [[-3, 1], [1, 0]] at (0.5, -1.5)."""
    text = "sum([x[1], x[0]^2*x[1], 3])"
    code, out, err = adcli("hess", text, "--at", "x=[0.5,-1.5]", "--mode", "forward-over-forward", "--format", "json")
    assert code == 0, out + err
    assert json.loads(out)["hessian"] == [[-3.0, 1.0], [1.0, 0.0]]


@pytest.mark.parametrize(
    ("text", "point", "want"),
    [
        # asin' = 1/sqrt(1 - x²): the fixed step 6e-6 left the domain (a domain_error) 1e-6 below the edge
        ("sum(asin(x))", "x=[0.999999,0.5]", [1 / np.sqrt((1 - 0.999999) * (1 + 0.999999)), 1 / np.sqrt(0.75)]),
        # (1/(x - 1))' = -1/(x - 1)²: the step jumped over the pole (+1.5e11 for -1e12, no warning); the second
        # entry's difference is swamped by the first's 1e6 (it was 1e-5 off with an error estimate of 0)
        ("sum(1/(x-1))", "x=[1.000001,4]", [-1 / (1.000001 - 1) ** 2, -1 / 9]),
        # exp(700) + exp(1): exp(1) is below an ulp of the sum, so its difference is 0 (with an estimate of 0)
        ("sum(exp(x))", "x=[700,1]", [np.exp(700), np.e]),
    ],
)
def test_numeric_array_gradient_error_estimates_hold(adcli: Run, text: str, point: str, want: list[float]) -> None:
    """Array numeric mode: every entry within its own error estimate (with 'inaccurate' where that is large)."""
    code, out, err = adcli("grad", text, "--at", point, "--mode", "numeric", "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    got, estimate = np.array(record["gradient"]["x"]), np.array(record["error_estimate"][0])
    assert np.all(np.abs(got - want) <= estimate + 1e-12 * np.abs(want)), (got, estimate)
    large = np.any(estimate > 1e-5 * np.maximum(1.0, np.abs(got)))
    assert large == any(w["kind"] == "inaccurate" for w in record["warnings"])
    if text.startswith("sum(asin"):
        assert got == pytest.approx(want, rel=1e-8) and not large


def test_numeric_array_hessian_settles_at_large_entries(adcli: Run) -> None:
    """hess --mode numeric of logsumexp at x = [300, 299, -5]: steps from size/8 = 32 spanned all of its
    curvature; the mixed entry came out -0.034 for -0.197 with an estimate of ±0.019. H = diag(p) - p pᵀ,
    p = softmax(x) (mpmath at 30 digits)."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 30
    x = [300, 299, -5]
    e = [mpmath.exp(v - 300) for v in x]
    p = [float(v / sum(e)) for v in e]
    want = np.diag(p) - np.outer(p, p)
    code, out, err = adcli("hess", "logsumexp(x)", "--at", "x=[300,299,-5]", "--mode", "numeric", "--format", "json")
    assert code == 0, out + err
    record = json.loads(out)
    got, estimate = np.array(record["hessian"]), np.array(record["error_estimate"])
    assert np.allclose(got, want, rtol=1e-6, atol=1e-7)
    assert np.all(np.abs(got - want) <= estimate + 1e-12)


def test_an_index_with_a_variable_names_it_as_one(adcli: Run) -> None:
    """x[a] said 'an index must be a number or constant expression, not one with a' (a: the variable)."""
    code, out, _ = adcli("grad", "sum(x[a])", "--at", "x=[1,2],a=1", "--format", "json")
    assert code == 2
    error = json.loads(out)["error"]
    assert error["kind"] == "syntax_error" and error["message"].endswith("not one with the variable a")
    assert (error["line"], error["column"]) == (1, 7)
