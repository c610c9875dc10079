"""`adcli taylor` on array expressions along an array direction (issue 14 on issue 12's arrays).

References never come from the code under test: JAX's Taylor mode (jax.experimental.jet) on the same
function written by hand in jax.numpy, closed forms (a polynomial's coefficients, exp's), and mpmath.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from conftest import json_cli as cli

from adcli import api
from adcli.commands.taylor import taylor
from adcli.core.primitives import STRUCTURAL
from adcli.modes.arraytaylor import STRUCTURAL_SERIES

A = np.array([[1.5, 0.2], [0.1, 2.0]])
DA = np.array([[0.1, 0.2], [0.3, -0.4]])
X, DX, C = np.array([0.3, -0.2]), np.array([1.0, -0.5]), np.array([1.0, 2.0])
POINT = f"x={X.tolist()},A={A.tolist()},c={C.tolist()}"


def close(found: object, expected: object, rel: float) -> None:
    a, b = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == b.shape
    scale = float(np.abs(b).max(initial=0.0))
    assert np.all(np.abs(a - b) <= rel * scale), (a, b)


def test_every_structural_primitive_has_a_series_rule() -> None:
    assert set(STRUCTURAL_SERIES) == set(STRUCTURAL)


def test_the_issue_example_through_the_command_line() -> None:
    code, out = cli("taylor", "sum(exp(x))", "--at", "x=[0.1, 0.2]", "--dir", "x=[1, 0]", "--order", "6")
    assert code == 0, out
    # g(t) = e^(0.1 + t) + e^0.2: c0 = e^0.1 + e^0.2, c_k = e^0.1 / k!
    expected = [math.exp(0.1) + math.exp(0.2)] + [math.exp(0.1) / math.factorial(k) for k in range(1, 7)]
    close(out["coefficients"], expected, 1e-15)
    close(out["derivatives"], [expected[0]] + [math.exp(0.1)] * 6, 1e-15)
    assert out["direction"] == {"x": [1.0, 0.0]}
    assert out["variable"] == "t"


def test_a_quadratic_form_is_a_polynomial_of_degree_2() -> None:
    # g(t) = (x + t d)' A (x + t d): c1 = d'(A + A')x, c2 = d'Ad, the rest exactly 0
    out = taylor(api.prepare("x' @ A @ x", POINT, ["x"]), 5, {"x": DX})
    expected = [X @ A @ X, DX @ (A + A.T) @ X, DX @ A @ DX, 0, 0, 0]
    close(out.coefficients, expected, 1e-15)
    assert out.coefficients[3:] == [0.0, 0.0, 0.0]


def det2(a: object) -> object:
    return a[0, 0] * a[1, 1] - a[0, 1] * a[1, 0]  # type: ignore[index]


CASES = {
    # expression: (direction by name, the same function in jax.numpy)
    "logsumexp(A @ x)": ({"x": DX, "A": DA}, lambda jax, jnp, x, a, c: jax.nn.logsumexp(a @ x)),
    "sum(softmax(x) * c) + norm(x)^3": (
        {"x": DX},
        lambda jax, jnp, x, a, c: jnp.sum(jax.nn.softmax(x) * c) + jnp.sqrt(jnp.sum(x * x)) ** 3,
    ),
    "det(A) + log(det(A))": ({"A": DA}, lambda jax, jnp, x, a, c: jnp.linalg.det(a) + jnp.log(jnp.linalg.det(a))),
    "logdet(A) * sum(inv(A))": (
        {"A": DA},
        lambda jax, jnp, x, a, c: (
            jnp.log(det2(a)) * jnp.sum(jnp.array([[a[1, 1], -a[0, 1]], [-a[1, 0], a[0, 0]]])) / det2(a)
        ),  # jet has no rule for linalg's solve: the 2 × 2 inverse written out
    ),
    "sum(sin(outer(x, x)) @ c) + dot(x, c)^3 + prod(x + 2)": (
        {"x": DX},
        lambda jax, jnp, x, a, c: jnp.sum(jnp.sin(jnp.outer(x, x)) @ c) + jnp.dot(x, c) ** 3 + (x[0] + 2) * (x[1] + 2),
    ),
    "tr(A' @ A) * mean(exp(x)) + sum(diag(A)^2) + x[0] * A[1, 0]": (
        {"x": DX, "A": DA},
        lambda jax, jnp, x, a, c: (
            jnp.sum(a * a) * jnp.mean(jnp.exp(x)) + a[0, 0] ** 2 + a[1, 1] ** 2 + x[0] * a[1, 0]
        ),  # jet has no rule for trace's and diag's primitives: tr(A'A) = Σ aᵢⱼ² written out
    ),
    "max(x * c) + sum(tanh(A @ x - 1)^2)": (
        {"x": DX, "A": DA},
        lambda jax, jnp, x, a, c: jnp.max(x * c) + jnp.sum(jnp.tanh(a @ x - 1) ** 2),
    ),
}


@pytest.mark.parametrize("expr", list(CASES))
def test_coefficients_match_jax_jet(expr: str) -> None:
    jax = pytest.importorskip("jax")
    from jax.experimental import jet

    jnp = jax.numpy
    direction, by_hand = CASES[expr]
    order = 8
    with jax.enable_x64(True):
        primals = (jnp.asarray(X), jnp.asarray(A))
        dx, da = (jnp.asarray(direction.get("x", np.zeros(2))), jnp.asarray(direction.get("A", np.zeros((2, 2)))))
        # jet's series are the derivatives g^(k)(0) (Taylor coefficients times k!): the direction is order 1
        zeros = [jnp.zeros_like(p) for p in primals]
        series = ([dx] + [zeros[0]] * (order - 1), [da] + [zeros[1]] * (order - 1))
        value, terms = jet.jet(lambda x, a: by_hand(jax, jnp, x, a, jnp.asarray(C)), primals, series)
        reference = [float(value)] + [float(t) for t in terms]
    wrt = list(direction)
    out = taylor(api.prepare(expr, POINT, wrt), order, direction)
    close(out.derivatives, reference, 1e-12)


def test_det_at_a_singular_matrix_is_a_polynomial_all_the_same() -> None:
    # det([[1, 2], [2, 4]] + t·[[1, 0], [0, 1]]) = t² + 5t: no inverse needed
    out = taylor(api.prepare("det(A)", "A=[[1,2],[2,4]]"), 4, {"A": np.eye(2)})
    assert out.coefficients == [0.0, 5.0, 1.0, 0.0, 0.0]


@pytest.mark.parametrize(
    ("args", "kind", "words"),
    [
        (["sum(abs(x))", "--at", "x=[0,1]", "--dir", "x=[1,1]"], "nondifferentiable", "entry [0] from order 1"),
        (["max(x)", "--at", "x=[1,1]", "--dir", "x=[1,0]"], "nondifferentiable", "from order 1"),
        (["sum(x^2)", "--at", "x=[1,2]"], "usage_error", "--dir x=[1, 0]"),
        (["sum(x^2)", "--at", "x=[1,2]", "--dir", "x=[0,0]"], "usage_error", "all zeros"),
        (["sum(x^2)", "--at", "x=[1,2]", "--dir", "x=[1,0,0]"], "shape_error", "shape (2,)"),
        (["sum(x^2)", "--at", "x=[1,2]", "--dir", "y=[1,0]"], "usage_error", "not a variable"),
        (["x * 2", "--at", "x=[1,2]", "--dir", "x=[1,0]"], "usage_error", "scalar output"),
        (["sum(sqrt(x))", "--at", "x=[0,1]", "--dir", "x=[1,0]"], "domain_error", "sqrt"),
        (["logdet(A)", "--at", "A=[[1,2],[2,4]]", "--dir", "A=[[1,0],[0,1]]"], "domain_error", "singular"),
    ],
)
def test_what_taylor_cannot_expand_on_arrays_is_said(args: list[str], kind: str, words: str) -> None:
    code, out = cli("taylor", *args, "--order", "4")
    assert code in (1, 2), out
    assert out["kind"] == kind, out
    assert words in out["message"], out["message"]


def test_max_at_a_tie_settled_by_a_higher_even_order() -> None:
    # max(x) with x = (t², -t²)·… : at a tie the entries differ first at order 2, the same sign on both sides
    out = taylor(api.prepare("max(x^2 * [1, -1])", "x=[0,0]"), 4, {"x": [1.0, 1.0]})
    assert out.coefficients == [0.0, 0.0, 1.0, 0.0, 0.0]


def test_one_scalar_variable_among_array_constants_is_expanded_in_itself() -> None:
    # sum(exp(s·[1, 2])) at s = 0.5: c_k = (e^0.5 + 2^k e^1) / k!
    out = taylor(api.prepare("sum(exp(s * [1, 2]))", "s=0.5"), 5, None)
    assert out.variable == "s"
    assert out.direction is None
    close(out.coefficients, [(math.exp(0.5) + 2**k * math.exp(1.0)) / math.factorial(k) for k in range(6)], 1e-15)
    assert out.polynomial.startswith("4.367003")


def _det_polynomial(a: np.ndarray, d: np.ndarray) -> list[float]:
    """The coefficients of det(A + t·D), a polynomial of degree n, by mpmath at 60 digits: its values at
    t = 0 … n, interpolated (exact for a polynomial of that degree)."""
    import mpmath as mp

    n = len(a)
    with mp.workdps(60):
        am, dm = mp.matrix(a.tolist()), mp.matrix(d.tolist())
        ts = [mp.mpf(k) for k in range(n + 1)]
        vandermonde = mp.matrix([[t**j for j in range(n + 1)] for t in ts])
        c = mp.lu_solve(vandermonde, mp.matrix([mp.det(am + t * dm) for t in ts]))
        return [float(c[j]) for j in range(n + 1)]


@pytest.mark.parametrize(("n", "small"), [(5, 1e-6), (6, 1.0), (7, 1e-8), (9, 1e-3)])
def test_det_above_4x4_is_accurate_near_a_singular_matrix(n: int, small: float) -> None:
    # det's series above 4 × 4 was det₀·exp(∫ tr(A⁻¹A')): at a 5 × 5 A with a singular value 1e-6 its
    # coefficients c₄ = -4.0 (for -9.52) and c₅ = 1.7e6 (for -11.2) were noise; elimination on series now
    rng = np.random.default_rng(n)
    q = rng.standard_normal((n, n))
    a = q @ np.diag([1.0] * (n - 1) + [small]) @ np.linalg.inv(q)
    d = rng.standard_normal((n, n))
    reference = _det_polynomial(a, d)
    out = taylor(api.prepare("det(A)", {"A": a}), n, {"A": d})
    scale = max(abs(c) for c in reference)
    for k in range(1, n + 1):  # c₀ is the primal's det, np.linalg.det's own rounding
        assert abs(out.coefficients[k] - reference[k]) <= 1e-11 * scale, (k, out.coefficients[k], reference[k])
