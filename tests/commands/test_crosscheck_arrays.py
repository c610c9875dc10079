"""`adcli compare --order 2` on array variables: the Hessian from each mode over the flattened entries.

References: closed forms (the quadratic form's A + A'), and jax.hessian / torch.func.hessian written by
hand in their own numpy (not adcli's replay of the tape) where installed.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import json_cli

from adcli import api
from adcli.commands import crosscheck


def cli(*args: str) -> tuple[int, dict]:
    return json_cli(*args, timeout=300)  # compare --order 2 runs every mode and the peers


def test_compare_order_2_on_a_vector_lists_every_mode_with_flattened_labels() -> None:
    code, out = cli("compare", "--order", "2", "x' @ A @ x", "--at", "A=[[1,2],[3,4]],x=[0.5,-1]", "--wrt", "x")
    assert code == 0, out
    assert out["wrt"] == ["x[0]", "x[1]"]
    assert out["outputs"] == ["df/dx[0]", "df/dx[1]"]
    expected = [[2.0, 5.0], [5.0, 8.0]]  # A + A'
    ran = {m: r for m, r in out["modes"].items() if r["error"] is None}
    assert set(ran) == {"forward-over-reverse", "forward-over-forward", "numeric", "symbolic"}
    assert out["reference"] == "symbolic"
    for run in ran.values():
        assert np.allclose(run["jacobian"], expected, rtol=1e-9, atol=1e-9)
    assert out["agree"] is True
    # the numeric error estimate is given entry by entry
    assert np.asarray(ran["numeric"]["error_estimate"]).shape == (2, 2)


def test_a_matrix_variable_compares_row_major_like_hess() -> None:
    problem = api.prepare("log(det(A))", "A=[[1.5,0.2],[0.1,2.0]]", ["A"])
    c = crosscheck.compare(problem, repeat=1)
    assert c.wrt == ["A[0,0]", "A[0,1]", "A[1,0]", "A[1,1]"]
    a = np.array([[1.5, 0.2], [0.1, 2.0]])
    inv = np.linalg.inv(a)
    # d²/dAᵢⱼdAₖₘ log det A = −(A⁻¹)ⱼₖ(A⁻¹)ₘᵢ
    pairs = [(i, j) for i in range(2) for j in range(2)]
    closed = np.array([[-inv[j, k] * inv[m, i] for k, m in pairs] for i, j in pairs])
    for mode in ("forward-over-reverse", "forward-over-forward"):
        assert np.allclose(c.modes[mode].jacobian, closed, rtol=1e-13, atol=1e-15)
    assert np.allclose(c.modes["numeric"].jacobian, closed, rtol=1e-7, atol=1e-9)
    assert c.agree


@pytest.mark.parametrize("framework", ["jax", "torch"])
def test_peers_hessians_on_arrays_agree_with_a_hand_written_reference(framework: str) -> None:
    pytest.importorskip(framework)
    x, a = np.array([0.3, -0.7]), np.array([[1.5, 0.2], [0.1, 2.0]])
    problem = api.prepare("logsumexp(A @ x) + sum(exp(x))", "x=[0.3,-0.7],A=[[1.5,0.2],[0.1,2.0]]", ["x"])
    c = crosscheck.compare(problem, modes=["forward-over-reverse"], repeat=1, frameworks=[framework])
    s = np.exp(a @ x) / np.exp(a @ x).sum()  # softmax: H = Aᵀ(diag(s) − ssᵀ)A + diag(eˣ)
    closed = a.T @ (np.diag(s) - np.outer(s, s)) @ a + np.diag(np.exp(x))
    assert c.modes[framework].error is None, c.modes[framework].error
    assert np.allclose(c.modes[framework].jacobian, closed, rtol=1e-13, atol=1e-15)
    assert np.allclose(c.modes["forward-over-reverse"].jacobian, closed, rtol=1e-13, atol=1e-15)
    assert c.peers_agree


def test_where_matrix_calculus_has_no_rule_symbolic_is_left_out_with_a_note() -> None:
    c = crosscheck.compare(api.prepare("max(x)^3 + sum(x^2)", "x=[1,2]"), repeat=1)
    assert "symbolic" not in c.modes
    assert any("symbolic is not run here" in n and "amax" in n for n in c.notes)
    assert c.agree
    assert np.allclose(c.modes["forward-over-reverse"].jacobian, [[2, 0], [0, 14]], rtol=1e-15)


def test_an_explicit_symbolic_request_that_fails_on_arrays_is_said_not_hidden() -> None:
    problem = api.prepare("max(x)^3", "x=[1,2]")
    c = crosscheck.compare(problem, modes=["forward-over-reverse", "symbolic"], repeat=1)
    assert c.modes["symbolic"].error["kind"] == "usage_error"
    assert not c.agree
