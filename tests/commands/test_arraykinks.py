"""Hessians at kinks of array expressions (issue 14): settled by pieces entry by entry, or refused.

References are closed forms of the smooth piece that f equals near the point (|x|³ is x³ or −x³ there,
both with second derivative 0 at 0), or the independent numeric mode; the refusals name the node and
the order at which the pieces part.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import json_cli as cli

from adcli import api
from adcli.commands.hessian import hessian

MODES = ["forward-over-reverse", "forward-over-forward", "numeric"]


@pytest.mark.parametrize(
    ("expr", "at", "expected"),
    [
        ("sum(abs(x)^3)", "x=[0,1]", [[0, 0], [0, 6]]),  # |x0|³ + x1³: 6|x0| = 0, 6·x1 = 6
        ("sum(relu(x)^3) + x[0]*x[1]", "x=[0,2]", [[0, 1], [1, 12]]),
        ("max(x)^3 + sum(x^2)", "x=[0,0]", [[2, 0], [0, 2]]),  # a tie, but max³ is C² at 0
        ("sum(max(x, 0)^3)", "x=[0,-1]", [[0, 0], [0, 0]]),
        ("sum(abs(x)^3)", "x=[0,0,0,0,0]", np.zeros((5, 5)).tolist()),  # 32 combinations of pieces
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_a_kink_whose_pieces_agree_to_order_2_has_a_hessian(expr: str, at: str, expected: list, mode: str) -> None:
    h = hessian(api.prepare(expr, at), mode)
    error = np.abs(np.asarray(h.hessian) - np.asarray(expected, dtype=float))
    if mode == "numeric":  # second differences across a kink converge slowly (|h|³/h² = |h|): within its estimate
        assert np.all(error <= 1.01 * np.asarray(h.error_estimate) + 1e-9), (h.hessian, h.error_estimate)
    else:
        assert np.all(error <= 1e-15), h.hessian
    assert not [w for w in h.warnings if w.kind == "nondifferentiable"]
    assert any("smooth pieces" in n for n in h.notes)


def test_abs_squared_times_y_is_y_times_the_squared_norm() -> None:
    # f = y·(x0² + x1²) near x1 = 0 whichever piece of |x1|: H = [[2y, 0, 2x0], [0, 2y, 2x1], [2x0, 2x1, 0]]
    code, out = cli("hess", "sum(abs(x)^2)*y", "--at", "x=[1,0],y=2")
    assert code == 0, out
    assert out["labels"] == ["x[0]", "x[1]", "y"]
    assert np.allclose(out["hessian"], [[4, 0, 2], [0, 4, 0], [2, 0, 0]], rtol=0, atol=1e-15)
    assert np.allclose(out["gradient"], [4, 0, 1], rtol=0, atol=1e-15)


def test_hvp_at_a_settled_kink() -> None:
    h = hessian(api.prepare("sum(abs(x)^3)", "x=[0,1]"), "auto", {"x": [1.0, 1.0]})
    assert h.hvp == [0.0, 6.0]


@pytest.mark.parametrize(
    ("args", "kind", "words"),
    [
        (["sum(abs(x))", "--at", "x=[0,1]"], "nondifferentiable", "from order 1"),
        (["sum(max(x, 0)^2)", "--at", "x=[0,1]"], "nondifferentiable", "differ at order 2"),  # Hessians 0 and 2
        (["max(x)^2", "--at", "x=[1,1]"], "nondifferentiable", "2 entries tie"),
        (["max(x^2)", "--at", "x=[1,-1]"], "nondifferentiable", "tie"),
        (["norm(x)", "--at", "x=[0,0]"], "nondifferentiable", "cone point"),
        (["sum(sign(x) * x^2)", "--at", "x=[0,1]"], "nondifferentiable", "sign"),
        (["sum(abs(x)^3)", "--at", "x=[0,0,0,0,0,0,0,0,0]"], "limit_exceeded", "512 combinations"),
    ],
)
@pytest.mark.parametrize("mode", MODES)
def test_a_kink_without_a_hessian_is_refused_in_every_mode(args: list[str], kind: str, words: str, mode: str) -> None:
    code, out = cli("hess", *args, "--mode", mode)
    assert code in (1, 2), out
    assert out["kind"] == kind, out
    assert words in out["message"], out["message"]


def test_a_refused_reduction_kink_points_at_its_node() -> None:
    code, out = cli("hess", "x[0] + max(x)^2", "--at", "x=[1,1]")
    assert code == 1
    assert (out["line"], out["column"]) == (1, 8)
