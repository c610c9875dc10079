"""`adcli compare --with torch` on the issue's two-layer network loss: every gradient equals
torch.autograd.grad to 1e-12 relative (float64), and the loss's gradient agrees with a closed-form
hand derivation. Skips cleanly where torch is absent (the torch extra pins torch==2.13.0).
"""

# ruff: noqa: N803, N806 - matrices are capitals, as in the expression

from __future__ import annotations

import numpy as np
import pytest

import adcli
from adcli.commands.compare import compare

LOSS = "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)"
WRT = ["W1", "b1", "W2", "b2"]


def _network(h: int, seed: int = 7) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((256, 32)),
        "W1": rng.standard_normal((h, 32)) / np.sqrt(32),
        "b1": rng.standard_normal(h),
        "W2": rng.standard_normal((10, h)) / np.sqrt(h),
        "b2": rng.standard_normal(10),
        "Y": rng.standard_normal((256, 10)),
    }


def _by_hand(X, W1, b1, W2, b2, Y) -> dict[str, np.ndarray]:
    """The backward pass written out: r = H@W2ᵀ + b2 - Y, H = tanh(X@W1ᵀ + b1)."""
    H = np.tanh(X @ W1.T + b1)
    R = 2 * (H @ W2.T + b2 - Y)
    G = (R @ W2) * (1 - H**2)
    return {"W1": G.T @ X, "b1": G.sum(0), "W2": R.T @ H, "b2": R.sum(0)}


def test_network_gradient_against_the_hand_derivation() -> None:
    point = _network(64)
    got = adcli.gradient(LOSS, wrt=WRT, **point).gradients
    for name, want in _by_hand(**point).items():
        np.testing.assert_allclose(got[name], want, rtol=1e-12, atol=1e-12)


def test_network_gradient_equals_torch() -> None:
    torch = pytest.importorskip("torch")
    point = _network(64)
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in WRT) for k, v in point.items()}
    X, W1, b1, W2, b2, Y = (leaves[k] for k in ("X", "W1", "b1", "W2", "b2", "Y"))
    loss = ((torch.tanh(X @ W1.T + b1) @ W2.T + b2 - Y) ** 2).sum()
    grads = torch.autograd.grad(loss, [leaves[w] for w in WRT])
    got = adcli.gradient(LOSS, wrt=WRT, **point).gradients
    for name, g in zip(WRT, grads, strict=True):
        want = g.numpy()
        assert np.max(np.abs(got[name] - want)) <= 1e-12 * np.max(np.abs(want))


def test_compare_with_torch_agrees_on_the_network() -> None:
    pytest.importorskip("torch")
    point = _network(8)
    point["X"], point["Y"] = point["X"][:16], point["Y"][:16]
    problem = adcli.prepare(LOSS, point, WRT)
    found = compare(problem, ["reverse"], rtol=1e-12, atol=1e-12, repeat=1, frameworks=["torch"], strict_peers=True)
    assert found.agree and found.peers_agree
    assert len(found.wrt) == 8 * 32 + 8 + 10 * 8 + 10  # every entry of every wrt variable is a column


def test_compare_with_jax_agrees_on_the_network() -> None:
    pytest.importorskip("jax")
    point = _network(4)
    point["X"], point["Y"] = point["X"][:8], point["Y"][:8]
    problem = adcli.prepare(LOSS, point, WRT)
    found = compare(problem, ["reverse"], rtol=1e-12, atol=1e-12, repeat=1, frameworks=["jax"], strict_peers=True)
    assert found.agree and found.peers_agree
    want = np.concatenate([np.ravel(v) for v in _by_hand(**point).values()])  # flattened in --wrt order
    np.testing.assert_allclose(found.modes["jax"].jacobian[0], want, rtol=1e-12, atol=1e-12)


def test_jax_jacobian_of_array_outputs_is_flattened_as_adcli_s() -> None:
    jax = pytest.importorskip("jax")
    from adcli.commands import peers

    point = {"A": np.array([[1.0, 2.0, -1.0], [0.5, 3.0, 2.0]]), "x": np.array([0.3, -0.7, 1.1]), "s": 0.4}
    problem = adcli.prepare("A @ x * s, sum(A^2)", point, ["x", "A", "s"])
    with peers._x64(jax):
        answer = peers.jacobian("jax", jax, problem.tape, problem.point, problem.wrt)
    want = adcli.differentiate(problem, "reverse").jacobian
    np.testing.assert_allclose(np.asarray(answer.jacobian), np.asarray(want), rtol=1e-14, atol=1e-15)
    # closed form of the first block: d(A @ x · s)/dx = s·A
    np.testing.assert_allclose(np.asarray(answer.jacobian)[:2, :3], 0.4 * point["A"], rtol=1e-15)
