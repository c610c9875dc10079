"""Forward mode and reverse mode: the survey's example, the reference problems, and forward = reverse.

Forward and reverse push the same local partials through the same tape in opposite directions, so
they differ only by rounding. The property tests compare them on random expressions drawn from the
primitive table; the tolerance is 1e-13 relative to the sum of the magnitudes of the chain-rule
terms (what floating-point summation can promise; without cancellation, that is the entry itself).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from conftest import load_jsonl
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import expressions, points

from adcli.api import differentiate, gradient, jacobian, jvp, prepare, vjp
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, variables
from adcli.core.tape import Tape, evaluate, linearise, local_partials
from adcli.modes import forward, reverse

RTOL = 1e-13
BAYDIN = "ln(x1) + x1*x2 - sin(x2)"


def close(a: float, b: float, rtol: float = RTOL, atol: float = 0.0) -> bool:
    return math.isclose(a, b, rel_tol=rtol, abs_tol=atol)


# ---- the survey's running example ----------------------------------------------------------------


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_baydin_example(mode: str) -> None:
    result = gradient(BAYDIN, x1=2.0, x2=5.0, mode=mode)
    assert close(result.value[0], 11.652071455223084, 1e-15)
    g1, g2 = result.gradient
    assert close(g1, 5.5, 1e-15)
    assert close(g2, 1.7163378145367738, 1e-15)
    # the closed form: ∂/∂x1 = 1/x1 + x2, ∂/∂x2 = x1 - cos(x2)
    assert close(g2, 2.0 - math.cos(5.0), 1e-15)
    assert result.mode == mode


def test_baydin_example_matches_the_published_figures(baydin: dict) -> None:
    result = gradient(baydin["expr"], **baydin["at"])
    published = baydin["published"]
    assert round(result.value[0], 3) == published["y"]
    assert round(result.gradient[0], 3) == published["x1bar"]
    assert round(result.gradient[1], 3) == published["x2bar"]


def test_baydin_tangent_along_x1(baydin: dict) -> None:
    result = jvp(baydin["expr"], baydin["tangent_direction"], **baydin["at"])
    assert result.mode == "forward" and result.sweeps == 1
    assert close(result.jvp[0], baydin["published"]["ydot"], 1e-15)


# ---- the reference problems ------------------------------------------------------------------------

CALCULUS = load_jsonl("calculus.jsonl")


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("problem", CALCULUS, ids=[p["id"] for p in CALCULUS])
def test_reference_problems(problem: dict, mode: str) -> None:
    result = jacobian(problem["expr"], problem["at"], wrt=problem["wrt"], mode=mode)
    assert len(result.value) == len(problem["value"])
    for got, want in zip(result.value, problem["value"], strict=True):
        assert close(got, want), (got, want)
    assert len(result.jacobian) == len(problem["jacobian"])
    for row, want_row in zip(result.jacobian, problem["jacobian"], strict=True):
        for got, want in zip(row, want_row, strict=True):
            # an exact zero (sin² + cos², x*x - x^2) is met to rounding of the O(1) terms that cancel
            assert close(got, want, atol=1e-15 if want == 0 else 0.0), (got, want)


# ---- forward = reverse on random expressions -----------------------------------------------------


def _sweeps(outputs: list[Node], point: dict[str, float]) -> tuple[Tape, list[Any], list[Any]]:
    names = variables(outputs)
    tape = linearise(outputs, names)
    active = tape.active(names)
    try:
        vals = evaluate(tape, [np.float64(point[n]) for n in names], active, [])
        partials = local_partials(tape, vals, active)
    except AdcliError:
        assume(False)  # a pole or an overflow somewhere in a random composition: draw again
    return tape, vals, partials


def _bound(tape: Tape, partials: list[Any], seed: list[Any]) -> list[Any]:
    """The tangents with every partial and seed taken in absolute value: Σ over paths of |terms|."""
    magnitudes = [None if p is None else tuple(None if q is None else abs(q) for q in p) for p in partials]
    tangents = forward.tangent_sweep(tape, magnitudes, [None if s is None else abs(s) for s in seed])
    return [0.0 if tangents[o] is None else tangents[o] for o in tape.outputs]


def _agree(a: float, b: float, scale: float) -> bool:
    return math.isfinite(a) and math.isfinite(b) and abs(a - b) <= RTOL * scale


@given(st.lists(expressions, min_size=1, max_size=3), points)
def test_forward_equals_reverse_on_random_expressions(outputs: list[Node], point: dict[str, float]) -> None:
    tape, vals, partials = _sweeps(outputs, point)
    n = tape.n_inputs
    with np.errstate(all="ignore"):
        by_columns = forward.jacobian(tape, vals, partials, n)
        by_rows = reverse.jacobian(tape, vals, partials, n)
        scales = [_bound(tape, partials, [1.0 if i == k else None for i in range(n)]) for k in range(n)]
    assume(all(math.isfinite(s) for column in scales for s in column))
    for i in range(len(outputs)):
        for k in range(n):
            assert _agree(by_columns[i][k], by_rows[i][k], scales[k][i]), (i, k, by_columns[i][k], by_rows[i][k])


@given(
    st.lists(expressions, min_size=1, max_size=3),
    points,
    st.lists(st.floats(-2, 2), min_size=5, max_size=5),
    st.lists(st.floats(-2, 2), min_size=3, max_size=3),
)
def test_jvp_and_vjp_agree(outputs: list[Node], point: dict[str, float], u: list[float], w: list[float]) -> None:
    """w·(J u) by one tangent sweep equals (wᵀJ)·u by one adjoint sweep."""
    tape, vals, partials = _sweeps(outputs, point)
    n, m = tape.n_inputs, len(outputs)
    direction, cotangent = [np.float64(x) for x in u[:n]], [np.float64(x) for x in w[:m]]
    try:  # the sweeps raise on overflow under their own errstate: such a draw is redrawn
        ju = forward.jvp(tape, vals, partials, direction)
        wj = reverse.vjp(tape, vals, partials, cotangent)
        with np.errstate(all="ignore"):
            scale = sum(abs(c) * b for c, b in zip(cotangent, _bound(tape, partials, direction), strict=True))
    except FloatingPointError:
        assume(False)
    assume(math.isfinite(scale))
    left = sum(float(c) * float(t) for c, t in zip(cotangent, ju, strict=True))
    right = sum(float(a) * float(d) for a, d in zip(wj, direction, strict=True))
    assert _agree(left, right, scale + 1e-300), (left, right)


@pytest.mark.parametrize("problem", CALCULUS, ids=[p["id"] for p in CALCULUS])
def test_forward_equals_reverse_on_the_reference_problems(problem: dict) -> None:
    """On the test-suite problems the two modes agree to 1e-13 relative, entry by entry."""
    ahead = jacobian(problem["expr"], problem["at"], wrt=problem["wrt"], mode="forward").jacobian
    back = jacobian(problem["expr"], problem["at"], wrt=problem["wrt"], mode="reverse").jacobian
    for row_f, row_r in zip(ahead, back, strict=True):
        for f, r in zip(row_f, row_r, strict=True):
            assert close(f, r, atol=1e-15 if max(abs(f), abs(r)) < 1e-15 else 0.0), (f, r)


# ---- JVP and VJP through the API ------------------------------------------------------------------

POLAR = "r*cos(t), r*sin(t), r^2"


def test_jvp_is_the_jacobian_times_the_direction() -> None:
    at = {"r": 2.0, "t": 0.5}
    full = jacobian(POLAR, at, mode="reverse").jacobian
    result = jvp(POLAR, {"r": 0.3, "t": -1.1}, at)
    want = [row[0] * 0.3 + row[1] * -1.1 for row in full]
    assert all(close(g, w) for g, w in zip(result.jvp, want, strict=True))
    assert result.mode == "forward" and result.sweeps == 1
    assert result.direction == {"r": 0.3, "t": -1.1}


def test_vjp_is_the_cotangent_times_the_jacobian() -> None:
    at = {"r": 2.0, "t": 0.5}
    full = jacobian(POLAR, at, mode="forward").jacobian
    weights = [1.0, -0.5, 2.0]
    result = vjp(POLAR, weights, at)
    want = [sum(w * full[i][k] for i, w in enumerate(weights)) for k in range(2)]
    assert all(close(g, w) for g, w in zip(result.vjp, want, strict=True))
    assert result.mode == "reverse" and result.sweeps == 1
    # closed form: ∂/∂r = cos t - 0.5 sin t + 4r, ∂/∂t = -r sin t - 0.5 r cos t
    assert close(result.vjp[0], math.cos(0.5) - 0.5 * math.sin(0.5) + 8.0)
    assert close(result.vjp[1], -2 * math.sin(0.5) - math.cos(0.5))


def test_vjp_needs_one_weight_per_output() -> None:
    with pytest.raises(AdcliError) as caught:
        vjp(POLAR, [1.0, 0.0], r=1.0, t=0.0)
    assert caught.value.kind == "usage_error"


def test_jvp_direction_must_name_variables_of_the_expression() -> None:
    with pytest.raises(AdcliError) as caught:
        jvp("x*y", {"z": 1.0}, x=1.0, y=2.0)
    assert caught.value.kind == "usage_error"


# ---- sweeps and the choice of mode ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "point", "n", "m"),
    [
        ("x*y*z", {"x": 1.0, "y": 2.0, "z": 3.0}, 3, 1),
        (POLAR, {"r": 2.0, "t": 0.5}, 2, 3),
        ("x*y, x + y", {"x": 1.0, "y": 2.0}, 2, 2),
        ("sin(x)", {"x": 1.0}, 1, 1),
    ],
)
def test_sweeps_and_auto_mode(text: str, point: dict, n: int, m: int) -> None:
    ahead = jacobian(text, point, mode="forward")
    back = jacobian(text, point, mode="reverse")
    auto = jacobian(text, point)
    assert (ahead.mode, ahead.sweeps) == ("forward", n)  # one tangent sweep per input
    assert (back.mode, back.sweeps) == ("reverse", m)  # one adjoint sweep per output
    assert auto.mode == ("forward" if n <= m else "reverse")
    assert auto.sweeps == min(n, m)
    assert ahead.cost["tangent_ops"] == n * ahead.cost["partials"]
    assert back.cost["adjoint_ops"] == m * back.cost["partials"]


def test_wrt_chooses_and_orders_the_columns() -> None:
    result = jacobian("x^2*y + z", "x=1, y=2, z=3", wrt=["z", "x"])
    assert result.wrt == ["z", "x"]
    assert result.jacobian == [[1.0, 4.0]]
    assert result.sweeps == 1 and result.mode == "reverse"


def test_unknown_mode_is_a_usage_error() -> None:
    with pytest.raises(AdcliError) as caught:
        differentiate(prepare("x", "x=1"), "sideways")
    assert caught.value.kind == "usage_error"


def test_a_problem_can_be_differentiated_twice() -> None:
    """No state left on the tape or the nodes (micrograd's wart: gradients that accumulate)."""
    problem = prepare(BAYDIN, "x1=2, x2=5")
    first = differentiate(problem, "reverse").jacobian
    again = differentiate(problem, "reverse").jacobian
    assert first == again
    assert differentiate(problem, "forward").jacobian[0][0] == pytest.approx(first[0][0], rel=RTOL)
