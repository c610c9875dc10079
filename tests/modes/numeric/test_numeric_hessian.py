"""Numeric mode of `adcli hess` (adcli.modes.numeric.hessian): the gradient it reads off the same stencil.

The steps suit second differences (size(x)/8 and halvings); a slope that changes within them (atan2 next
to its branch cut) came out silently wrong. References: closed forms, written out here.
"""

from __future__ import annotations

import math

import pytest

from adcli import api
from adcli.commands.hessian import hessian
from adcli.core.errors import AdcliError


def _numeric(expr: str, point: str) -> object:
    return hessian(api.prepare(expr, point, None), "numeric")


def test_a_slope_the_steps_cannot_resolve_is_inaccurate_not_silent() -> None:
    """atan2(y, x) at (-1, 1e-4): ∂/∂y = x/(x² + y²) ≈ -1, but steps of 1/8 … 1/256 cross the cut at y = 0."""
    found = _numeric("atan2(y, x)", "x=-1,y=0.0001")
    exact = -1 / (1 + 1e-8)
    off = abs(found.gradient[1] - exact) > 1e-6
    said = [w for w in found.warnings if w.kind == "inaccurate" and "df/dy" in w.message]
    assert not off or said, (found.gradient, [w.message for w in found.warnings])


@pytest.mark.parametrize(
    ("expr", "point", "gradient"),
    [
        ("x^2*y + exp(y)", "x=1,y=2", [4.0, 1 + math.exp(2)]),  # 2xy, x² + e^y
        ("100*(y - x^2)^2 + (1 - x)^2", "x=1,y=1", [0.0, 0.0]),  # Rosenbrock's minimum
        ("x^2 + y^2", "x=0,y=0", [0.0, 0.0]),
        ("log(x)", "x=0.001", [1000.0]),
        ("1e-20*x^2", "x=3", [6e-20]),
    ],
)
def test_a_gradient_that_settled_has_no_warning(expr: str, point: str, gradient: list[float]) -> None:
    found = _numeric(expr, point)
    assert found.gradient == pytest.approx(gradient, rel=1e-8, abs=1e-9)
    assert not [w for w in found.warnings if w.kind == "inaccurate"], [w.message for w in found.warnings]


def test_huge_entries_keep_their_eigenvalue_signs() -> None:
    """exp(x) at 700: H = e⁷⁰⁰ ≈ 1.01e304 > 0; the estimates' norm squared overflowed, so the eigenvalue
    slack was inf and positive_definite false (a RuntimeWarning from numpy besides)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = _numeric("exp(x)", "x=700")
    assert found.hessian[0][0] == pytest.approx(math.exp(700), rel=1e-7)
    assert found.positive_definite is True


@pytest.mark.parametrize(
    ("expr", "point", "second"),
    [  # f'' from closed forms at 40 digits (mpmath): asin'' = x/(1-x²)^(3/2), atanh'' = 2x/(1-x²)², acosh''
        ("sum(asin(x))", "x=[0.999999,0.1]", lambda x: x / (1 - x**2) ** 1.5),
        ("sum(asin(x))", "x=[0.9999999999,0.1]", lambda x: x / (1 - x**2) ** 1.5),
        ("sum(atanh(x))", "x=[0.999999,0.5]", lambda x: 2 * x / (1 - x**2) ** 2),
        ("sum(acosh(x))", "x=[1.000001,2]", lambda x: -x / (x**2 - 1) ** 1.5),
        ("sum(log(x))", "x=[1e-12,1]", lambda x: -1 / x**2),
    ],
)
def test_arrays_near_a_domains_edge_shrink_only_that_entrys_steps(expr: str, point: str, second) -> None:  # noqa: ANN001
    # one step scale for every entry shrank x[1] = 0.1's steps with x[0]'s (asin's H[1,1] = 0.1015625 for
    # 0.1015190, inside an estimate of 0.07 and unflagged), and x[0] = 1 - 1e-10 was a domain_error
    import mpmath as mp
    import numpy as np

    found = _numeric(expr, point)
    entries = [float(v) for v in point.split("=")[1].strip("[]").split(",")]
    matrix, estimate = np.array(found.hessian), np.array(found.error_estimate)
    with mp.workdps(40):
        exact = [float(second(mp.mpf(repr(x)))) for x in entries]
    flagged = any(w.kind == "inaccurate" for w in found.warnings)
    for i, truth in enumerate(exact):
        assert abs(matrix[i, i] - truth) <= estimate[i, i] or flagged, (i, matrix[i, i], truth)
    assert matrix[1, 1] == pytest.approx(exact[1], rel=1e-8)  # the entry far from the edge keeps its steps
    assert abs(matrix[0, 1]) <= estimate[0, 1] + 1e-6


def test_a_point_nearer_the_edge_than_any_stencil_says_why() -> None:
    with pytest.raises(AdcliError) as err:
        _numeric("sum(asin(x))", "x=[0.9999999999999999,0.1]")
    assert err.value.kind == "domain_error" and "nearer the domain's edge than the shortest step" in err.value.message
