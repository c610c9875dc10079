"""Kinks and tiny numbers at order 2 (issue 14): a Hessian where the pieces meeting at a kink agree,
an error naming the order where they do not, and a warning where subnormal intermediates cost digits.

References are closed forms: |x|³·y has f_x = 3x|x|y, f_y = |x|³, f_xx = 6|x|y, f_xy = 3x|x|, f_yy = 0,
all 0 at x = 0; hypot(z², z²) = √2·z², whose second derivative is 2√2 everywhere.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from adcli import api
from adcli.commands.hessian import hessian

EXACT = ("forward-over-reverse", "forward-over-forward", "symbolic")


@pytest.mark.parametrize("mode", EXACT)
@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("abs(x)^3*y", "x=0,y=2", [[0.0, 0.0], [0.0, 0.0]]),
        ("abs(x)^2 + y^2", "x=0,y=1", [[2.0, 0.0], [0.0, 2.0]]),  # |x|² = x²: smooth
        ("relu(x)^3 - y", "x=0,y=1", [[0.0, 0.0], [0.0, 0.0]]),
        ("max(x, y)^3", "x=0,y=0", [[0.0, 0.0], [0.0, 0.0]]),
        ("abs(x - y)^3 + x*y", "x=1,y=1", [[0.0, 1.0], [1.0, 0.0]]),
    ],
)
def test_a_kink_whose_pieces_agree_to_second_order_has_a_hessian(text: str, at: str, expected: list, mode: str) -> None:
    found = hessian(api.prepare(text, at), mode)
    assert found.hessian == expected
    assert not [w for w in found.warnings if w.kind == "nondifferentiable"]
    assert any("twice differentiable at this point" in note for note in found.notes)


def test_numeric_mode_at_such_a_kink_stays_within_its_own_estimate() -> None:
    found = hessian(api.prepare("abs(x)^3*y", "x=0,y=2"), "numeric")
    error = np.abs(np.array(found.hessian))  # the exact Hessian is 0
    assert np.all(error <= np.array(found.error_estimate) + 1e-300)


def test_hvp_at_such_a_kink() -> None:
    found = hessian(api.prepare("abs(x)^3*y + x*y", "x=0,y=2"), "auto", [1.0, 3.0])
    assert found.hvp == [3.0, 1.0]


@pytest.mark.parametrize(
    ("text", "at", "fails"),
    [
        ("abs(x)*y", "x=0,y=1", "it fails from order 1"),
        ("relu(x)^2", "x=0", "differ at order 2"),  # pieces x² and 0: gradients 0, Hessians 2 and 0
        ("abs(x)^3 + relu(y)^2", "x=0,y=0", "differ at order 2"),
        ("max(x, y)^2", "x=1,y=1", "it fails from order 1"),
        ("sign(x)*x^2", "x=0", "order 2"),  # sign jumps: no pieces, refused
    ],
)
def test_a_kink_whose_pieces_differ_is_an_error_that_says_from_which_order(text: str, at: str, fails: str) -> None:
    for mode in (*EXACT, "numeric"):
        with pytest.raises(api.AdcliError) as caught:
            hessian(api.prepare(text, at), mode)
        assert caught.value.kind == "nondifferentiable"
        assert fails in caught.value.message


def test_subnormal_intermediates_are_flagged_not_silently_off() -> None:
    """z² = 3.6e-321 keeps about 10 bits: the Hessian comes out 1e-4 off 2√2, so it carries a warning."""
    for mode in (*EXACT, "numeric"):
        try:
            found = hessian(api.prepare("hypot(z^2, z^2)", "z=6e-161"), mode)
        except api.AdcliError as exc:  # symbolic: z^6 underflows to 0 in 16*z^6/hypot(...)^3, a 0/0 it names
            assert mode == "symbolic" and exc.kind == "nonfinite" and "0/0" in exc.message
            continue
        flagged = [w for w in found.warnings if w.kind == "inaccurate" and "subnormal" in w.message]
        assert flagged, mode
        assert "z^2" in flagged[0].message
    normal = hessian(api.prepare("hypot(z^2, z^2)", "z=6e-100"))
    assert normal.hessian[0][0] == pytest.approx(2 * math.sqrt(2), rel=1e-15)
    assert not normal.warnings


@pytest.mark.parametrize(
    ("text", "at", "node", "kind"),
    [
        ("abs(x)^3 + sign(y)*y^2", "x=0,y=0", "sign(y)", "nondifferentiable"),
        ("abs(x)^3 + sqrt(y)", "x=0,y=0", "sqrt(y)", "domain_error"),
        ("relu(y)^2 + abs(x)^3", "x=0,y=0", "relu(y)", "nondifferentiable"),  # the kink whose pieces differ
    ],
)
def test_the_refusal_names_the_kink_at_fault_not_one_whose_pieces_agree(
    text: str, at: str, node: str, kind: str
) -> None:
    for mode in (*EXACT, "numeric"):
        with pytest.raises(api.AdcliError) as caught:
            hessian(api.prepare(text, at), mode)
        assert caught.value.kind == kind, mode
        assert caught.value.message.startswith(node), (mode, caught.value.message)


def test_more_kinks_than_the_pieces_can_be_compared_for_is_a_limit_not_a_claim_about_order_1() -> None:
    """Five |·|³ at 0 are twice differentiable; 2⁵ combinations of pieces are past the limit: said as such."""
    text = " + ".join(f"abs(x{k})^3" for k in range(5))
    with pytest.raises(api.AdcliError) as caught:
        hessian(api.prepare(text, ",".join(f"x{k}=0" for k in range(5))))
    assert caught.value.kind == "limit_exceeded"
    assert "5 kinks" in caught.value.message and "order 1" not in caught.value.message
