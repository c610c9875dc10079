"""The Hessian's sparsity pattern and colouring (adcli.modes.sparsity): the pattern covers every nonzero,
columns of one colour share no row, and the compressed Hessian equals the one by unit vectors.

References: the symbolic Hessian (an independent method) for the pattern; the plain n-direction
forward-over-reverse sweep for the compressed one; closed forms for extended Rosenbrock.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given
from strategies import expressions, points

from adcli import api
from adcli.commands.hessian import hessian
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, variables
from adcli.core.printing import to_text
from adcli.core.tape import evaluate, local_partials
from adcli.modes import nested, second_order, sparsity


def _prepared(text: str, at: str) -> tuple[api.Problem, list, list, list]:
    problem = api.prepare(text, at)
    tape = problem.tape
    active = tape.active(problem.wrt)
    vals = evaluate(tape, api._inputs(problem), active, [])
    return problem, active, vals, local_partials(tape, vals, active)


def _rosenbrock(n: int) -> tuple[str, str]:
    terms = [f"(10*(x{k + 2} - x{k + 1}^2))^2 + (1 - x{k + 1})^2" for k in range(0, n, 2)]
    return " + ".join(terms), ",".join(f"x{k + 1}={-1.2 if k % 2 == 0 else 1.0}" for k in range(n))


def test_extended_rosenbrock_needs_two_directions_at_any_size() -> None:
    text, at = _rosenbrock(200)
    problem, active, vals, partials = _prepared(text, at)
    gradient, matrix, directions = second_order.hessian_directions(problem.tape, vals, partials, active, 200)
    assert directions == 2
    block = np.array([[1200 * 1.44 - 400 * 1.0 + 2, 480.0], [480.0, 200.0]])  # 1200x²-400y+2, -400x, 200
    expected = np.kron(np.eye(100), block)
    assert np.array_equal(matrix, expected)


def test_a_dense_hessian_falls_back_to_unit_vectors() -> None:
    """(x1 + … + x8)² couples every pair: one colour per variable, and the same matrix."""
    text = "(" + " + ".join(f"x{k}" for k in range(1, 9)) + ")^2"
    problem, active, vals, partials = _prepared(text, ",".join(f"x{k}=0.5" for k in range(1, 9)))
    assert sparsity.pattern(problem.tape, active, 8) is None
    _, matrix, directions = second_order.hessian_directions(problem.tape, vals, partials, active, 8)
    assert directions == 8
    assert np.array_equal(matrix, np.full((8, 8), 2.0))


def test_a_tridiagonal_pattern_takes_three_colours_and_no_two_columns_of_a_colour_share_a_row() -> None:
    """Σ xₖ·xₖ₊₁ + Σ xₖ³ over 12 variables: H is tridiagonal, so 3 directions recover it."""
    n = 12
    text = " + ".join(f"x{k}*x{k + 1}" for k in range(1, n)) + " + " + " + ".join(f"x{k}^3" for k in range(1, n + 1))
    problem, active, vals, partials = _prepared(text, ",".join(f"x{k}={k / 3}" for k in range(1, n + 1)))
    rows = sparsity.pattern(problem.tape, active, n)
    assert rows is not None
    colours = sparsity.colour(rows)
    for row in rows:
        assert len({colours[j] for j in row}) == len(row)
    _, matrix, directions = second_order.hessian_directions(problem.tape, vals, partials, active, n)
    assert directions == 3
    x = np.arange(1, n + 1) / 3
    assert np.array_equal(matrix, np.diag(6 * x) + np.eye(n, k=1) + np.eye(n, k=-1))


def _problem(expr: Node, point: dict[str, float]) -> api.Problem:
    names = sorted(variables([expr]))
    assume(names)
    return api.prepare(to_text(expr), {n: point[n] for n in names})


@given(expressions, points)
def test_the_pattern_covers_every_nonzero_of_the_symbolic_hessian(expr: Node, point: dict[str, float]) -> None:
    problem = _problem(expr, point)
    try:
        symbolic = np.array(hessian(problem, "symbolic").hessian)
    except AdcliError:
        assume(False)
    tape, n = problem.tape, len(problem.wrt)
    rows = sparsity.pattern(tape, tape.active(problem.wrt), n)
    assume(rows is not None)
    outside = np.ones((n, n), dtype=bool)
    for i, row in enumerate(rows):  # type: ignore[union-attr]
        outside[i, list(row)] = False
    assert np.all(symbolic[outside] == 0), (to_text(expr), symbolic, rows)


@given(expressions, points)
def test_the_compressed_hessian_is_the_hessian_by_unit_vectors(expr: Node, point: dict[str, float]) -> None:
    problem = _problem(expr, point)
    tape, n = problem.tape, len(problem.wrt)
    active = tape.active(problem.wrt)
    try:
        vals = evaluate(tape, api._inputs(problem), active, [])
        partials = local_partials(tape, vals, active)
        _, compressed, _ = second_order.hessian_directions(tape, vals, partials, active, n)
        _, by_units = second_order._compressed(tape, vals, partials, active, np.eye(n), None)
        seeds = [np.eye(n)[k] if k < n else None for k in range(tape.n_inputs)]
        adjoints = nested.forward_over_reverse(tape, vals, partials, active, seeds)
    except (AdcliError, ArithmeticError):
        assume(False)
    dense = np.array([np.broadcast_to(nested.tangent_of(adjoints[k], np.zeros(n)), (n,)) for k in range(n)])
    bound = _magnitudes(tape, vals, partials, active, n)
    scale = float(np.abs(dense).max(initial=0.0)) + float(bound.max(initial=0.0))
    assume(math.isfinite(scale))
    # the same products by colours and by unit vectors: summed in another order only, relative to the terms
    # summed, not to their sum (hypot(y, y) at 1: 3e-16 and 3.3e-16 for an exact 0)
    assert np.allclose(compressed, by_units, rtol=0, atol=16 * np.finfo(float).eps * scale + 1e-300)
    # and the sweep on duals, which evaluates the rules with the actual tangents rather than one seed per
    # argument, so its rounding inside a rule differs (hypot(x, x^3) at 0.125: the duals are 9e-14 off)
    assert np.allclose(compressed, dense, rtol=0, atol=1e-11 * scale + 1e-300)


def _magnitudes(tape: object, vals: list, partials: list, active: list, n: int) -> np.ndarray:
    """The Hessian's sweeps with every local partial and second partial by its absolute value: the size of
    the terms whose sum each entry is, which its rounding error is relative to."""
    absolute = [None if p is None else tuple(None if q is None else abs(q) for q in p) for p in partials]
    curvature = second_order.curvatures(tape, vals, partials, sparsity.nonlinear(tape, active))  # type: ignore[arg-type]
    curvature = [None if c is None else [(j, k, abs(q)) for j, k, q in c] for c in curvature]
    _, found = second_order.products(tape, absolute, curvature, [np.eye(n)[k] for k in range(n)])  # type: ignore[arg-type]
    return np.array([np.zeros(n) if f is None else np.broadcast_to(f, (n,)) for f in found])
