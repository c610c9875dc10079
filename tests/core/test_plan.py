"""A compiled plan (adcli.core.plan) against the generic sweeps it replaces on a repeated call: the same values
and partials bit for bit, the same warnings, the same errors — for planned steps (structural, fused tanh,
plain ufuncs) and for the slots it leaves to the generic step (domains, kinks, max's ties)."""

from __future__ import annotations

import numpy as np
import pytest

import adcli
from adcli.core import plan, shaped, workspace
from adcli.core.errors import AdcliError

N = workspace.MIN_ENTRIES  # big enough that the workspace keeps the intermediates

CASES = [
    ("sum((tanh(X @ W' + b) - Y)^2)", {"X": (64, 8), "W": (256, 8), "b": (256,), "Y": (64, 256)}),
    ("sum(log(abs(x) + 1) * exp(-x) / (1 + x^2))", {"x": (N,)}),
    ("max(x) + norm(x) + sum(relu(x) * sqrt(abs(x) + 1))", {"x": (N,)}),  # relu at the zeros: a warning
    ("sum(softmax(x) * x) + logsumexp(x) + mean(tanh(x))", {"x": (N,)}),
    ("sum(abs(x))", {"x": (N,)}),  # a kink at the zeros below: a warning
    ("sum(x^3 + x^1 - abs(x)^2.5 + (x*x)^1.5)", {"x": (N,)}),  # whole exponents planned, the others generic
    # matmul into the workspace: a repeated argument (A@A's two adjoints into one array: the second summed),
    # a kept product transposed, and an intermediate adjoint that reaches a variable through a transpose
    ("sum((tanh(A) @ tanh(A)) * B) + sum(tanh(A @ B)' * B)", {"A": (96, 96), "B": (96, 96)}),
    ("sum(tanh(X @ W') @ V)", {"X": (64, 32), "W": (256, 32), "V": (256, 8)}),
]


def _point(shapes: dict[str, tuple[int, ...]], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    point = {k: rng.standard_normal(s) for k, s in shapes.items()}
    first = next(iter(point.values()))
    first.reshape(-1)[:3] = 0.0  # kinks of abs and relu
    return point


def _generic(problem: adcli.api.Problem) -> tuple[list, list, list]:  # type: ignore[name-defined]
    tape, warnings = problem.tape, []
    active = tape.active(problem.wrt)
    inputs = [problem.point[n] for n in tape.names]
    vals = shaped.evaluate(tape, inputs, active, warnings)
    return vals, shaped.local_partials(tape, vals, active, warnings), warnings


def _planned(problem: adcli.api.Problem, kept: workspace.Workspace) -> tuple[list, list, list]:  # type: ignore[name-defined]
    tape, warnings, fused = problem.tape, [], [None] * len(problem.tape.nodes)
    steps = plan.of(tape, problem.wrt, kept)
    vals = steps.evaluate([problem.point[n] for n in tape.names], warnings, fused)
    return vals, steps.partials(vals, warnings, fused), warnings


def _same(a: object, b: object) -> None:
    if isinstance(a, shaped.Linear):
        assert isinstance(b, shaped.Linear) and a.rules is b.rules and a.need == b.need
        return
    if isinstance(a, tuple):
        assert isinstance(b, tuple) and len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            _same(x, y)
        return
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(("text", "shapes"), CASES)
def test_a_plan_gives_the_generic_sweeps_numbers_and_warnings(text: str, shapes: dict) -> None:
    problem = adcli.prepare(text, _point(shapes, 0), list(shapes))
    kept = workspace.Workspace(problem.tape)
    for seed in (1, 2):  # the plan made on the first call, replayed on the second
        problem.point.update(_point(shapes, seed))
        want_vals, want_partials, want_warnings = _generic(problem)
        vals, partials, warnings = _planned(problem, kept)
        for a, b in zip(want_vals, vals, strict=True):
            _same(a, b)
        for a, b in zip(want_partials, partials, strict=True):
            _same(a, b)
        assert [w.message for w in warnings] == [w.message for w in want_warnings]


@pytest.mark.parametrize(
    ("text", "bad"),
    [
        ("sum(exp(x) * 2)", 1000.0),  # a planned ufunc overflows: named at exp
        ("sum(log(x + 5))", -10.0),  # a domain: the generic step's error
        ("sum(sqrt(x + 5))", -10.0),
    ],
)
def test_a_plan_raises_the_generic_sweeps_errors(text: str, bad: float) -> None:
    point = {"x": np.zeros(N)}
    problem = adcli.prepare(text, point, ["x"])
    kept = workspace.Workspace(problem.tape)
    _planned(problem, kept)  # the plan, made with good values
    problem.point["x"] = np.zeros(N)
    problem.point["x"][-1] = bad
    with pytest.raises(AdcliError) as generic:
        _generic(problem)
    with pytest.raises(AdcliError) as planned:
        _planned(problem, kept)
    assert (planned.value.kind, planned.value.message, planned.value.column) == (
        generic.value.kind,
        generic.value.message,
        generic.value.column,
    )


def test_repeated_api_calls_use_the_plan_and_get_each_calls_answer() -> None:
    text = "sum(tanh(x) * x)"
    answers = []
    for seed in (3, 4, 5):
        x = np.random.default_rng(seed).standard_normal(N)
        answers.append((x, adcli.gradient(text, x=x).gradient[0]))
    for x, found in answers:
        t = np.tanh(x)
        np.testing.assert_allclose(found, (1 - t * t) * x + t, rtol=1e-13, atol=1e-15)


def test_a_calls_gradient_is_its_own_after_the_next_call() -> None:
    """The workspace's arrays are written again on the next call: nothing the caller got may share them (W's
    gradient is the transpose of W''s adjoint, which matmul's VJP writes into the workspace)."""
    text, shapes = "sum(tanh(X @ W') @ V)", {"X": (64, 32), "W": (256, 32), "V": (256, 8)}
    got = []
    for seed in (1, 2, 3):
        point = _point(shapes, seed)
        found = adcli.gradient(text, wrt=["W", "X"], **point).gradient
        got.append((point, found, [np.array(g, copy=True) for g in found]))
    for point, found, copied in got:
        x, w, v = point["X"], point["W"], point["V"]
        t = np.tanh(x @ w.T)
        dz = (1 - t * t) * v.sum(1)  # d/dZ of sum(tanh(Z) @ V), Z = X @ W'
        for g, c, want in zip(found, copied, (dz.T @ x, dz @ w), strict=True):
            np.testing.assert_array_equal(g, c)
            np.testing.assert_allclose(g, want, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("text", "shapes"), CASES)
def test_a_plans_adjoint_sweep_gives_the_generic_sweeps_adjoints(text: str, shapes: dict) -> None:
    problem = adcli.prepare(text, _point(shapes, 0), list(shapes))
    kept = workspace.Workspace(problem.tape)
    tape = problem.tape
    for seed in (1, 2):  # the plan made on the first call, replayed on the second
        problem.point.update(_point(shapes, seed))
        vals, partials, _ = _generic(problem)
        want = shaped.adjoint_sweep(tape, partials, [np.float64(1.0)])
        _, planned_partials, _ = _planned(problem, kept)
        found = plan.of(tape, problem.wrt, kept).adjoint(planned_partials, [np.float64(1.0)])
        for k in range(len(problem.wrt)):
            np.testing.assert_array_equal(found[k], want[k])
