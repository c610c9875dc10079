"""`adcli taylor` on array expressions: the coefficients of g(t) = f(a + t·d) for a scalar f of array
variables along an array direction d (`--dir "x=[1,0]"`), by Taylor mode on arrays (adcli.modes.arraytaylor).

The result is the scalar command's `Expansion`: coefficients, derivatives g⁽ᵏ⁾(0) = k!·cₖ and the
polynomial in t; `direction` holds each variable's direction as a nested list in its shape.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.commands.arrayhessian import resolve_vector
from adcli.commands.expansion import RESCALE, Expansion, disagreement, polynomial
from adcli.core.errors import AdcliError
from adcli.core.printing import format_number
from adcli.core.shaped import evaluate
from adcli.modes.arraytaylor import expand


def _direction(problem: Any, given: Mapping[str, Any] | Sequence[float] | None) -> list[np.ndarray]:
    """One array per wrt variable in its shape; one scalar variable needs none, anything else does."""
    shapes = problem.tape.shapes
    if given is None:
        if len(problem.wrt) == 1 and shapes[0] == ():
            return [np.ones(())]
        example = ",".join(
            f"{w}={show_direction(np.eye(1, int(np.prod(shapes[k])))[0].reshape(shapes[k]))}"
            for k, w in enumerate(problem.wrt[:2])
        )
        raise AdcliError(
            "usage_error",
            f"an expression of array variables is expanded along a direction: give --dir {example}",
        )
    direction = resolve_vector(problem, given, "--dir")
    if not any(np.any(d) for d in direction):
        raise AdcliError("usage_error", "--dir is all zeros: no direction to expand along")
    return direction


def taylor(
    problem: Any, order: int, given: Mapping[str, Any] | Sequence[float] | None, latex: bool, started: float
) -> Expansion:
    """The Taylor coefficients of a scalar array expression along an array direction, up to `order`."""
    from adcli import api

    tape = problem.tape
    direction = _direction(problem, given)
    seeds = direction + [None] * (tape.n_inputs - len(direction))
    vals = evaluate(tape, api._inputs(problem))
    out = tape.outputs[0]
    found = expand(tape, vals, seeds, order)[out]
    coefficients = found if found is not None else np.eye(1, order + 1)[0] * float(vals[out])
    again = expand(tape, vals, [None if d is None else d * RESCALE for d in seeds], order)[out] if order >= 2 else None
    derivatives = [float(c) * math.factorial(k) for k, c in enumerate(coefficients)]
    if not all(math.isfinite(d) for d in derivatives):
        raise AdcliError("nonfinite", f"a derivative of order <= {order} overflowed (k!·cₖ is too large for a float)")
    base = api._base(problem, vals, "taylor", 0)
    coeffs = [float(c) for c in coefficients]
    along: dict[str, Any] | None = {
        w: np.asarray(d, dtype=float).tolist() for w, d in zip(problem.wrt, direction, strict=True)
    }
    variable, centre = "t", 0.0
    if given is None:  # one scalar variable (among array constants): expanded in it, as the scalar command does
        variable, centre, along = problem.wrt[0], float(problem.point[problem.wrt[0]]), None
    result = Expansion(
        base.input, base.read_as, base.at, order, float(base.value[0]), coeffs, derivatives, variable, along,
        polynomial(coeffs, variable, centre), polynomial(coeffs, variable, centre, latex=True) if latex else None,
    )  # fmt: skip
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "order": order}
    result.warnings, result.notes = list(problem.warnings), list(base.notes)
    result.warnings += disagreement(coefficients, again, order)
    if along is not None:
        shown = ", ".join(f"{w} + t·{show_direction(d)}" for w, d in along.items() if np.any(d))
        result.notes.append(f"along the direction: g(t) = f({shown}); the derivatives are g⁽ᵏ⁾(0)")
    result.seconds = time.perf_counter() - started
    return result


def show_direction(d: Any) -> str:
    """A direction as the language writes an array: [1, 0], [[1, 0], [0, 2]] or a number."""
    a = np.asarray(d, dtype=float)
    if a.ndim == 0:
        return format_number(float(a))
    return "[" + ", ".join(show_direction(row) for row in a) + "]"
