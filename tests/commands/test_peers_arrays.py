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
