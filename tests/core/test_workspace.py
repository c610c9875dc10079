# ruff: noqa: N803, N806 - matrices are capitals, as in the expressions
"""The workspace (arrays a prepared tape's sweeps write into again): a second call with other values gets
its own answer, nothing of the first call's answer changes, and adjoints that several uses add up stay
right. References are closed forms written by hand with numpy, never adcli's own sweeps."""

from __future__ import annotations

import numpy as np
import pytest

import adcli
from adcli.core import workspace

N = workspace.MIN_ENTRIES  # big enough that every intermediate is kept


def _rand(seed: int, *shape: int) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)


def test_a_prepared_problem_differentiated_again_with_new_values_gets_their_gradient() -> None:
    # d/dx sum(tanh(x)*x + x*x - 3*x) = (1 - tanh²)x + tanh + 2x - 3: x used four times, sums of adjoints
    text = "sum(tanh(x)*x + x*x - 3*x)"
    problem = adcli.prepare(text, {"x": _rand(0, N)}, ["x"])
    answers = []
    for seed in (1, 2, 3):
        x = _rand(seed, N)
        problem.point["x"] = x
        answers.append((x, adcli.differentiate(problem, "reverse").gradients["x"]))
    for x, found in answers:  # each call's answer is still its own after the later calls
        t = np.tanh(x)
        np.testing.assert_allclose(found, (1 - t * t) * x + t + 2 * x - 3, rtol=1e-13, atol=1e-13)
    assert problem.tape.workspaces, "the tape keeps its workspace for the next call"


def test_the_kept_arrays_are_intermediates_only() -> None:
    """Inputs' adjoints are the answer and outputs' values the result: never in the workspace."""
    problem = adcli.prepare("exp(x)*2, sum(exp(x))", {"x": _rand(0, N)}, ["x"])
    kept = workspace.Workspace(problem.tape).kept
    tape = problem.tape
    assert not any(kept[: tape.first_op]) and not any(kept[o] for o in tape.outputs)
    assert any(kept), "exp(x), an intermediate of N entries, is kept"
    x = problem.point["x"]
    first = adcli.differentiate(problem, "reverse", cotangent=[np.ones(N), 1.0])
    value, vjp = np.array(first.value[0]), np.array(first.vjp[0])
    problem.point["x"] = _rand(1, N)
    adcli.differentiate(problem, "reverse", cotangent=[np.ones(N), 1.0])
    np.testing.assert_array_equal(first.value[0], value)  # the first result's arrays untouched
    np.testing.assert_array_equal(first.vjp[0], vjp)
    np.testing.assert_allclose(vjp, 3 * np.exp(x), rtol=1e-14)


def test_the_network_loss_twice_against_the_hand_derivation() -> None:
    """Through the API (its remembered tape, adcli.reuse): reverse, and forward along b2, at two points."""
    text = "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)"
    shapes = {"X": (200, 3), "W1": (50, 3), "b1": (50,), "W2": (2, 50), "b2": (2,), "Y": (200, 2)}
    wrt = ["W1", "b1", "W2", "b2"]
    for seed in (0, 1):
        p = {k: _rand(seed + 10 * i, *s) for i, (k, s) in enumerate(shapes.items())}
        H = np.tanh(p["X"] @ p["W1"].T + p["b1"])
        R = 2 * (H @ p["W2"].T + p["b2"] - p["Y"])
        G = (R @ p["W2"]) * (1 - H * H)
        want = [G.T @ p["X"], G.sum(0), R.T @ H, R.sum(0)]
        for found, w in zip(adcli.gradient(text, wrt=wrt, **p).gradient, want, strict=True):
            np.testing.assert_allclose(found, w, rtol=1e-12, atol=1e-12)
        along = adcli.jvp(text, {"b2": np.array([1.0, 0.0])}, **p).jvp[0]
        np.testing.assert_allclose(float(np.asarray(along)), want[3][0], rtol=1e-12)


def test_a_workspace_over_the_limit_keeps_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workspace, "MAX_BYTES", 1000)
    problem = adcli.prepare("sum(exp(x))", {"x": _rand(0, N)}, ["x"])
    assert not any(workspace.Workspace(problem.tape).kept)
    x = _rand(1, N)
    problem.point["x"] = x
    np.testing.assert_allclose(adcli.differentiate(problem, "reverse").gradients["x"], np.exp(x), rtol=1e-14)
