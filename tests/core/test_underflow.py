"""Partials that underflow float64 (adcli.core.underflow) and atan2's scaled partials: references from mpmath."""

from __future__ import annotations

import mpmath as mp
import pytest

from adcli.api import gradient

mp.mp.dps = 60


def _atan2_grad(y: mp.mpf, x: mp.mpf) -> tuple[mp.mpf, mp.mpf]:
    """∂atan2/∂y = x/(x² + y²), ∂atan2/∂x = -y/(x² + y²), in mpmath (no float64 range to leave)."""
    r2 = x**2 + y**2
    return x / r2, -y / r2


def _underflow(result) -> list[dict]:  # noqa: ANN001
    return [w.to_dict() for w in result.warnings if w.details.get("cause") == "underflow"]


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_an_underflowed_partial_that_robs_the_derivative_is_flagged(mode: str) -> None:
    # ∂atan2/∂x = -y/(x² + y²) ≈ -7e-338 is not a float64 number; times d(1/y)^3/dy ≈ -5e192 it was 3/4 of
    # the derivative 4y³, and the sweeps gave y³ without a word
    y = 6.8e-49
    my = mp.mpf(y)
    dy, dx = _atan2_grad(my, my**-3)
    truth = float(dy + dx * (-3 * my**-4))  # the chain rule through x = (1/y)^3
    assert truth == pytest.approx(4 * y**3, rel=1e-12)
    assert truth == pytest.approx(float(mp.diff(lambda t: mp.atan2(t, t**-3), my, h=my * mp.mpf("1e-20"))))
    result = gradient("atan2(y,(1/y)^3)", y=y, mode=mode)
    found = result.gradient[0]
    assert abs(found - truth) > 0.5 * abs(truth)  # still wrong (float64 cannot hold the partial) ...
    [warning] = _underflow(result)  # ... but flagged, with a bound that covers what is missing
    assert warning["kind"] == "inaccurate"
    assert warning["argument"] == "(1/y)^3"
    assert warning["bound"] >= abs(found - truth)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_underflow_that_costs_nothing_is_not_flagged(mode: str) -> None:
    # exp(-800x)'s partial underflows to 0 but is multiplied by 800: nothing a float64 result can show is lost
    result = gradient("exp(-800*x) + x + sigmoid(-900*x)", x=1.0, mode=mode)
    assert result.gradient == [1.0]
    assert not _underflow(result)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize("point", [(1.0, 1e200), (1e-200, 3e-200), (-2e-170, 5e-171), (3e160, -4e160)])
def test_atan2_partials_are_right_where_x2_plus_y2_overflows_or_underflows(mode: str, point: tuple) -> None:
    # x/(x² + y²) raised "overflowed" at x = 1e200 and "division by zero" at 1e-200: both partials exist
    truth = [float(d) for d in _atan2_grad(mp.mpf(point[0]), mp.mpf(point[1]))]
    result = gradient("atan2(y, x)", y=point[0], x=point[1], mode=mode)
    assert result.gradient == pytest.approx(truth, rel=1e-14, abs=0)
    assert not result.warnings


def test_the_flag_names_each_point_of_a_set() -> None:
    result = gradient("atan2(y,(1/y)^3)", "y={6.8e-49, 0.5}")
    [warning] = _underflow(result)
    assert list(result.warnings[0].where) == [True, False]
