"""Numeric mode's error estimates bound the error (issue 10), and the rounding bounds they rest on.

References are 50-digit mpmath values of the float program itself (the inputs and constants as the
floats adcli holds): its values for the rounding bound, mpmath's own numerical differentiation
(mp.diff, checked at 80 digits) for the derivatives, never adcli's rules. The random corpus is
benchmarks/numeric_accuracy.py's, with a fixed seed.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from pathlib import Path

import mpmath as mp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcli import api
from adcli.core.printing import to_text
from adcli.core.tape import evaluate
from adcli.modes.numeric import roundoff
from adcli.modes.numeric.estimate import Options
from tests.strategies import expressions

BENCH = Path(__file__).resolve().parents[3] / "benchmarks" / "numeric_accuracy.py"
_spec = importlib.util.spec_from_file_location("numeric_accuracy", BENCH)
accuracy = sys.modules["numeric_accuracy"] = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(accuracy)  # type: ignore[union-attr]
DIFFERENCES = ["richardson", "central", "forward", "backward"]


def _numeric(text: str, point: dict[str, float], method: str) -> api.Result:
    return api.differentiate(api.prepare(text, point, list(point)), "numeric", numeric=Options(method=method))


def _warned(result: api.Result, i: int, k: int) -> bool:
    return any(
        w.kind == "nondifferentiable" or (w.kind == "inaccurate" and [i, k] in w.details.get("entries", []))
        for w in result.warnings
    )


@pytest.mark.parametrize("method", DIFFERENCES)
def test_the_issues_example_is_bounded_and_flagged(method: str) -> None:
    """2.5*sin(x^6) at -12.962 printed 3405348.583 ± 6.5e-06; the derivative is 3405348.975."""
    mp.mp.dps = 50
    x = mp.mpf(-12.962)
    exact = float(2.5 * 6 * x**5 * mp.cos(x**6))
    result = _numeric("2.5*sin(x^6)", {"x": -12.962}, method)
    assert abs(result.jacobian[0][0] - exact) <= result.error_estimate[0][0]
    assert _warned(result, 0, 0)  # x^6 ≈ 4.8e6 is rounded: not 10 digits, and it says so


@pytest.mark.parametrize("method", DIFFERENCES)
@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("softplus(x)*cot(cosh(y))", {"x": 1.533, "y": 11.76}),  # a rounded factor that does not move with x
        ("(hypot(sin(x^4), 0.01 + y - x^5))^2", {"x": -12.938, "y": 1.677}),  # sin(x^4) under a polynomial
        ("tan(x^-2/atan(y))", {"x": -2.864, "y": -1.3685670931246723e-05}),  # tan of -8908, rounded
        ("x^-4 - y", {"x": -8.582574837086648e-05, "y": 1.412}),  # a pole closer than the steps
        ("cos(y*x^5)", {"x": 13.999, "y": 6.774}),  # oscillates every 1e-5 in y
    ],
)
def test_misses_of_the_random_corpus_are_bounded_or_flagged(text: str, point: dict, method: str) -> None:
    problem = api.prepare(text, point, list(point))
    exact = accuracy.reference(problem.tape, point, list(point))
    result = _numeric(text, point, method)
    for k in range(len(point)):
        error = abs(result.jacobian[0][k] - exact[0][k])
        assert error <= result.error_estimate[0][k] or _warned(result, 0, k), (k, result.jacobian, exact)
        assert error <= result.error_estimate[0][k] * 10  # and not by much, if at all


def test_a_random_corpus_is_bounded_and_every_miss_is_flagged() -> None:
    """The benchmark's corpus, 40 problems with a fixed seed: the estimate bounds the 50-digit error, or warns."""
    problems = accuracy.random_problems(40, seed=3)
    for method in ("richardson", "central"):
        tally = accuracy.bound_rate(method, problems)
        assert tally.cases >= 78 and tally.failed == 0
        assert tally.silent == 0, tally.worst
        assert tally.misses <= 1, tally.worst


# ---- the rounding bound itself ------------------------------------------------------------------


def _mp_value(tape, point: dict[str, float]) -> list:  # noqa: ANN001 - a Tape
    mp.mp.dps = 50
    vals = [mp.mpf(point.get(n, 0.0)) for n in tape.names]
    vals += [mp.mpf(tape.nodes[s].payload) for s in range(tape.n_inputs, tape.first_op)]
    for s in range(tape.first_op, len(tape.nodes)):
        fn = accuracy.MP[tape.prims[s].name]
        fn = getattr(mp, fn) if isinstance(fn, str) else fn
        vals.append(fn(*[vals[j] for j in tape.args[s]]))
    return [vals[o] for o in tape.outputs]


@settings(max_examples=60)
@given(expressions, st.floats(-2.0, 2.0, allow_nan=False), st.floats(-2.0, 2.0, allow_nan=False))
def test_the_rounding_bound_bounds_the_rounding_of_f(node, x: float, y: float) -> None:
    """Property: |f computed − f exact (50 digits, same float inputs)| <= the tape's bound sigma."""
    point = {"x": x, "y": y, "z": 0.5, "θ": 1.25, "x_1": -0.75}
    try:
        problem = api.prepare(to_text(node), point, ["x"])
        vals = evaluate(problem.tape, api._inputs(problem))
        found = roundoff.bounds(problem.tape, vals, 1)
        exact = _mp_value(problem.tape, point)
    except (api.AdcliError, ValueError, ZeroDivisionError):
        return
    if found is None or not all(isinstance(v, mp.mpf) for v in exact):
        return
    computed = float(vals[problem.tape.outputs[0]])
    if math.isfinite(computed):
        assert abs(mp.mpf(computed) - exact[0]) <= found.sigma[0] * (1 + 1e-9)


def test_cancellation_is_in_the_bound_and_an_exact_zero_is_not_inaccurate() -> None:
    problem = api.prepare("x^2 - 2", {"x": 2**0.5})
    found = roundoff.bounds(problem.tape, evaluate(problem.tape, api._inputs(problem)), 1)
    assert found is not None and found.sigma[0] >= 2 * np.finfo(float).eps  # x^2 ≈ 2 rounded, not |f| ≈ 4e-16
    result = _numeric("x*x - x^2", {"x": 1.7}, "richardson")  # 0 made of 2.89s: its digits are good
    assert result.jacobian == [[0.0]] and not result.warnings


def test_bends_carry_to_the_variable_by_the_tangent() -> None:
    """sin(x^6) at 13 bends every 1/(6·13^5) in x; log(x) at 1e-10 every 1e-10; nothing bends in x*y."""
    for text, x, extent in [("sin(x^6)", 13.0, 1 / (6 * 13.0**5)), ("log(x)", 1e-10, 1e-10), ("x*3", 2.0, math.inf)]:
        problem = api.prepare(text, {"x": x})
        found = roundoff.bounds(problem.tape, evaluate(problem.tape, api._inputs(problem)), 1)
        assert found is not None
        assert found.extent[0] == (pytest.approx(extent, rel=1e-12) if math.isfinite(extent) else extent)


@pytest.mark.parametrize("text", ["abs(y^2)", "relu(y^2)", "max(y^2, 0)", "-abs(y^2)"])
def test_an_error_at_a_kink_is_bounded_by_the_steeper_piece(text: str) -> None:
    """y^2 underflows to 0 at y = 4e-302 (exactly 1.7e-603): abs's slope there by convention is 0, which
    bounded the carried error by 0; the pieces' slope 1 bounds it (hypothesis found abs(y^2))."""
    point = {"y": 4.0886351589511707e-302}
    problem = api.prepare(text, point, ["y"])
    vals = evaluate(problem.tape, api._inputs(problem))
    found = roundoff.bounds(problem.tape, vals, 1)
    exact = _mp_value(problem.tape, point)
    assert found is not None
    assert abs(mp.mpf(float(vals[problem.tape.outputs[0]])) - exact[0]) <= found.sigma[0]
