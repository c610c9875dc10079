"""Numeric Hessians near a pole (adcli.modes.numeric.hessian): the steps stay within the distance where f
bends (the table's `bend` through the tangents), so second differences do not jump over the pole.

References are closed forms: 1/(x − y) has H = 2/(x − y)³·[[1, −1], [−1, 1]]; tan(x)·y has
H = [[2·tan(x)·sec²(x)·y, sec²(x)], [sec²(x), 0]].
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from adcli import api
from adcli.commands.hessian import hessian


@pytest.mark.parametrize(
    ("text", "x", "y", "expected"),
    [
        ("1/(x - y)", 1.0, 1.0 - 1e-7, lambda x, y: 2 / (x - y) ** 3 * np.array([[1, -1], [-1, 1]])),
        (
            "tan(x)*y",
            1.5707963,
            1.0,
            lambda x, y: np.array(
                [[2 * math.tan(x) / math.cos(x) ** 2 * y, 1 / math.cos(x) ** 2], [1 / math.cos(x) ** 2, 0]]
            ),
        ),
    ],
)
def test_second_differences_near_a_pole_stay_on_its_side_and_within_their_estimate(
    text: str, x: float, y: float, expected: object
) -> None:
    """Steps of size(x)/8 jumped over the pole 1e-7 away: 6.4e9 ± 5.1e9 for an entry of 2e21."""
    found = hessian(api.prepare(text, f"x={x!r},y={y!r}"), "numeric")
    want = expected(x, y)  # type: ignore[operator]
    got, estimate = np.array(found.hessian), np.array(found.error_estimate)
    scale = float(np.abs(want).max())
    assert np.all(np.abs(got - want) <= estimate + 1e-12 * scale)
    assert np.all(np.abs(got - want) <= 1e-6 * scale)
