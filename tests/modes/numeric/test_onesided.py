"""adcli.modes.numeric.onesided: the left and right derivatives of a Jacobian entry at a kink.

References are closed forms: each function is piecewise smooth with known pieces, so the one-sided
derivatives of the whole entry are the pieces' derivatives at the point (not the kink node's own
table row: max(x, 1-x) at 0.5 has slopes -1 and +1, while the max node's partials are 0 and 1).
"""

from __future__ import annotations

import math

import pytest

from adcli import api
from adcli.modes.numeric.onesided import describe, entry


@pytest.mark.parametrize(
    ("text", "at", "column", "left", "right"),
    [
        ("max(x, 1-x)", "x=0.5", 0, -1.0, 1.0),
        ("relu(x)*3 + x", "x=0", 0, 1.0, 4.0),
        ("abs(x)", "x=0", 0, -1.0, 1.0),
        ("abs(x - 1)*exp(x)", "x=1", 0, -math.e, math.e),
        ("abs(x^2 - 4)", "x=2", 0, -4.0, 4.0),
        ("abs(sin(x))*1e6 + 1e9", "x=0", 0, -1e6, 1e6),
        ("x*abs(x) + 2*y", "x=0,y=3", 0, 0.0, 0.0),
        ("max(x, y) + y^2", "x=1,y=1", 1, 2.0, 3.0),  # along y: below the tie y < x, above it y wins
        ("min(x, 3)*x", "x=3", 0, 6.0, 3.0),
    ],
)
def test_one_sided_derivatives_of_the_entry(text: str, at: str, column: int, left: float, right: float) -> None:
    found = entry(api.prepare(text, at), 0, column)
    assert found["left"] == pytest.approx(left, rel=1e-9, abs=1e-9)
    assert found["right"] == pytest.approx(right, rel=1e-9, abs=1e-9)


def test_piecewise_linear_sides_come_out_exact() -> None:
    found = entry(api.prepare("max(x, 1-x)", "x=0.5"), 0, 0)
    assert (found["left"], found["right"]) == (-1.0, 1.0)  # rounded to what the error estimate allows
    assert describe(found) == "left -1, right 1"


@pytest.mark.parametrize(
    ("text", "left", "right"),
    [
        ("sign(x)", "jump", "jump"),
        ("abs(x) + 1e-3*sign(x)", "jump", "jump"),
        ("cbrt(x)", "infinite", "infinite"),
        ("sqrt(x)", "domain", "infinite"),
    ],
)
def test_sides_without_a_derivative_say_why(text: str, left: str, right: str) -> None:
    found = entry(api.prepare(text, "x=0"), 0, 0)
    assert found["left"] is None and found["right"] is None
    assert (found["left_none"], found["right_none"]) == (left, right)
    assert describe(entry(api.prepare("sign(x)", "x=0"), 0, 0)) == (
        "left: the function jumps, right: the function jumps"
    )


def test_a_column_the_expression_does_not_use_is_flat() -> None:
    found = entry(api.prepare("abs(x)", "x=0", ["x", "z"]), 0, 1)
    assert (found["left"], found["right"], found["wrt"]) == (0.0, 0.0, "z")
