"""`trace --emit python` and the forward trace on arrays (adcli.commands.arrayemit, arraytrace, arraycode).

adcli only writes the program; these tests run it (exec of generated text, here in the test only) and
check its gradient against the reverse sweep and central differences, and its tangent against the
forward sweep, on expressions that use every structural primitive, broadcasting and several outputs.
"""

from __future__ import annotations

import ast
import re
from typing import Any

import numpy as np
import pytest

from adcli import api
from adcli.commands import arraycode
from adcli.commands.arrayemit import python_source
from adcli.commands.arraytrace import compute
from adcli.core.primitives import TABLE

RNG = np.random.default_rng(12)
A2 = np.array([[2.0, 0.5], [-0.3, 1.5]])  # well conditioned, positive determinant
POINT = {
    "W": RNG.standard_normal((2, 2)),
    "A": A2,
    "B": RNG.standard_normal((2, 3)),
    "x": np.array([0.4, -1.1]),
    "y": np.array([0.7, 0.2]),
    "b": np.array([0.3, -0.6, 1.2]),
    "s": 0.8,
}

CASES = [
    "sum(tanh(W @ x))",
    "sum((B' @ x - b)^2)",
    "sum(x * s + 2) - s^2",  # a scalar variable broadcast over a vector: its adjoint is summed back
    "dot(x, y) + norm(x) + prod(y) + norm(W)",
    "logsumexp(x) + sum(softmax(x) * y)",
    "max(x) - min(y) + mean(W)",
    "tr(A @ A') + det(A) + logdet(A' @ A)",
    "sum(inv(A) @ x)",
    "sum(diag(x) @ A) + sum(diag(A))",
    "sum(outer(x, b)) + x[1] + A[1, 0] + sum(A[:, 0]) + sum(b[0:2])",
    "sum([x[0], 2*x[1]] * [1, 3]) + sum([[s, 1], [2, s]] @ y)",
    "sum(x @ B) + x @ y",
    "sum(exp(x) / (1 + y^2)) + sum(sin(W) * cos(A))",
    "sum(x^2), prod(x)",
    "A @ x + s",
]


def _run(text: str) -> tuple[Any, dict[str, Any], list[Any]]:
    names = [n for n in POINT if n in text.replace("sum", "").replace("softmax", "")]
    problem = api.prepare(text, {n: POINT[n] for n in names})
    source = python_source(compute(problem, "both", None, None))
    ast.parse(source)
    namespace: dict[str, Any] = {}
    exec(compile(source, "<adcli-emitted>", "exec"), namespace)  # noqa: S102 - running adcli's output is the test
    return problem, namespace, [POINT[n] for n in problem.tape.names]


@pytest.mark.parametrize("text", CASES)
def test_emitted_reverse_gives_the_sweeps_gradient_and_the_numeric_one(text: str) -> None:
    problem, ns, inputs = _run(text)
    outputs = problem.tape.outputs
    cot = [np.ones(problem.tape.shapes[o]) for o in outputs]
    value, gradient = ns["reverse"](*inputs)
    want = api.differentiate(problem, "reverse", cotangent=cot).vjp
    for got, ref in zip(gradient, want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-14)
    numeric = api.differentiate(problem, "numeric")  # an independent method: central differences
    weights = np.concatenate([np.ravel(c) for c in cot])
    flat = np.concatenate([np.ravel(g) for g in gradient])
    np.testing.assert_allclose(weights @ np.asarray(numeric.jacobian), flat, rtol=1e-6, atol=1e-7)
    values = value if len(outputs) > 1 else (value,)
    for got, ref in zip(values, api.evaluate_problem(problem).value, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-14)


@pytest.mark.parametrize("text", CASES)
def test_emitted_forward_gives_the_sweeps_tangent(text: str) -> None:
    problem, ns, inputs = _run(text)
    shapes = problem.tape.shapes
    seed = {w: RNG.standard_normal(shapes[k]) for k, w in enumerate(problem.wrt)}
    _, tangent = ns["forward"](*inputs, *(seed[w] for w in problem.wrt))
    want = api.differentiate(problem, "forward", direction=seed).jvp
    tangents = tangent if len(want) > 1 else (tangent,)
    for got, ref in zip(tangents, want, strict=True):
        np.testing.assert_allclose(got, ref, rtol=1e-13, atol=1e-14)


def test_the_forward_trace_shows_the_tangent_sweep_with_its_numbers() -> None:
    problem = api.prepare("sum(tanh(W @ x))", {"W": POINT["W"], "x": POINT["x"]})
    seed = {"W": np.zeros((2, 2)), "x": np.array([1.0, 0.0])}
    trace = compute(problem, "forward", seed, None)
    assert trace.adjoint is None
    assert [r.form for r in trace.tangent][2:] == ["vdot_m1 @ v_0 + v_m1 @ vdot_0", "vdot_1*sech(v_1)^2", "sum(vdot_2)"]
    # closed form: d/dt sum(tanh(W (x + t e0))) = sum(sech²(Wx) * W[:, 0])
    closed = np.sum(POINT["W"][:, 0] / np.cosh(POINT["W"] @ POINT["x"]) ** 2)
    assert trace.jvp[0] == pytest.approx(closed, rel=1e-14)


def test_the_default_seed_is_ones_for_the_first_variable_and_said() -> None:
    problem = api.prepare("sum(W @ x)", {"W": POINT["W"], "x": POINT["x"]})
    trace = compute(problem, "forward", None, None)
    assert trace.jvp[0] == pytest.approx(np.sum(POINT["x"]) * 2, rel=1e-15)  # d/dt sum((W + t·1) @ x)
    assert any("seeded with 1 in every entry of W" in n for n in trace.notes)


def test_every_structural_primitive_has_its_numpy_lines() -> None:
    structural = {name for name, prim in TABLE.items() if prim.rules is not None}
    special = {"stack", "index"}  # written by arraycode's functions themselves
    assert set(arraycode.PRIMAL) | special == structural
    assert set(arraycode.JVP) | special == structural
    assert set(arraycode.VJP) | special | {"matmul"} == structural
    lines = [*arraycode.PRIMAL.values(), *(t for ts in (*arraycode.JVP.values(), *arraycode.VJP.values()) for t in ts)]
    called = {m.group(1) for line in lines for m in re.finditer(r"(?<![\w.])([a-z_]+)\(", line)}
    assert called <= set(arraycode.HELPERS)  # every helper a line calls is defined in the program
