"""Numeric mode of `adcli hess` (adcli.modes.numeric.hessian): the gradient it reads off the same stencil.

The steps suit second differences (size(x)/8 and halvings); a slope that changes within them (atan2 next
to its branch cut) came out silently wrong. References: closed forms, written out here.
"""

from __future__ import annotations

import math

import pytest

from adcli import api
from adcli.commands.hessian import hessian


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
