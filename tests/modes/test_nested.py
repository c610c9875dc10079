"""Nested AD and Taylor mode on random expressions drawn from the primitive table (tests/strategies.py):
forward-over-reverse, forward-over-forward and symbolic second derivatives agree, the Hessian is
symmetric, H·v is the Hessian times v, and Taylor mode's second coefficient is vᵀHv/2."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, example, given
from hypothesis import strategies as st
from strategies import expressions, points

from adcli import api
from adcli.commands.hessian import hessian
from adcli.commands.taylor import taylor
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, make, var, variables
from adcli.core.printing import to_text
from adcli.modes.nested import Dual


def _problem(expr: Node, point: dict[str, float]) -> api.Problem:
    names = sorted(variables([expr]))
    assume(names)
    return api.prepare(to_text(expr), {n: point[n] for n in names})


def _run(fn, *args):  # noqa: ANN001, ANN202 - a draw outside a domain, at a kink or overflowing is redrawn
    """The result; a draw the code refuses, or flags as inaccurate (subnormal intermediates: atan2(x, x^3)
    at x = 3e-106 has x^3 = 2.7e-317 with 12 bits), is redrawn: the properties are about unflagged numbers,
    and tests/commands/test_kinkpieces.py checks that the flag is raised."""
    try:
        found = fn(*args)
    except AdcliError:
        assume(False)
    assume(not [w for w in found.warnings if w.kind == "inaccurate"])
    return found


@given(expressions, points)
@example(make("hypot", (var("z"), var("z"))), {"x": 0.0, "y": 0.0, "z": 1e-10, "θ": 0.0, "x_1": 0.0})
def test_the_three_ways_to_a_hessian_agree(expr: Node, point: dict[str, float]) -> None:
    problem = _problem(expr, point)
    found = [_run(hessian, problem, m) for m in ("forward-over-reverse", "forward-over-forward", "symbolic")]
    runs = [np.array(f.hessian) for f in found]
    scale = max(float(np.abs(r).max(initial=0.0)) for r in runs)
    assume(math.isfinite(scale) and scale < 1e12)
    # terms the modes add up can be far larger than their sum: hypot(z, z) at z = 1e-10 has second partials
    # of 3.5e9 that cancel to 0, and every mode's rounding is ~1e-6 there; their size is about |gradient|/|z|
    smallest = min((abs(v) for v in problem.point.values() if v), default=1.0)
    terms = float(np.abs(np.array(found[0].gradient)).max(initial=0.0)) / min(smallest, 1.0)
    for r in runs:
        assert np.allclose(r, r.T, rtol=0, atol=1e-12 * scale + 1e-14 * terms + 1e-300)
        assert np.allclose(r, runs[0], rtol=0, atol=1e-9 * scale + 1e-14 * terms + 1e-12), (to_text(expr), runs)


@given(expressions, points, st.lists(st.floats(-2, 2), min_size=5, max_size=5))
def test_hvp_and_taylor_agree_with_the_hessian(expr: Node, point: dict[str, float], v: list[float]) -> None:
    problem = _problem(expr, point)
    n = len(problem.wrt)
    direction = v[:n]
    assume(any(direction))
    full = _run(hessian, problem, "forward-over-reverse")
    matrix = np.array(full.hessian)
    product = np.array(_run(hessian, problem, "auto", direction).hvp)
    scale = float(np.abs(matrix).max(initial=0.0)) * (1 + float(np.abs(direction).max()))
    assume(math.isfinite(scale) and scale < 1e12)
    assert np.allclose(product, matrix @ np.array(direction), rtol=0, atol=1e-10 * scale + 1e-12)
    series = _run(taylor, problem, 2, direction)
    quadratic = float(np.array(direction) @ matrix @ np.array(direction))
    assert series.derivatives[2] == pytest.approx(quadratic, rel=1e-8, abs=1e-9 * scale + 1e-12)


def test_dual_arithmetic_is_the_sum_product_and_quotient_rules() -> None:
    a, b = Dual(3.0, 1.0), Dual(2.0, -1.0)
    assert ((a * b).value, (a * b).tangent) == (6.0, 3.0 * -1.0 + 1.0 * 2.0)
    q = a / b
    assert (q.value, q.tangent) == (1.5, (1.0 - 1.5 * -1.0) / 2.0)
    r = 1 / b
    assert r.tangent == pytest.approx(1 / 4)
    s = np.float64(2.0) * a - a  # numpy scalars defer to the dual (__array_ufunc__ = None)
    assert isinstance(s, Dual) and (s.value, s.tangent) == (3.0, 1.0)
