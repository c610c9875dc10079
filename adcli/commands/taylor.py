"""`adcli taylor`: Taylor coefficients at a point by Taylor-mode arithmetic on the tape (adcli.modes.taylor).

Computation only: returns an `Expansion` (plain data) with the coefficients cₖ, the derivatives
f⁽ᵏ⁾(a) = k!·cₖ and the polynomial, in the input syntax (and LaTeX); adcli.render_hessian prints it.
For a function of several variables the expansion is along a direction: g(t) = f(a + t·d).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.commands.expansion import AGREE, RESCALE, Expansion, disagreement, polynomial  # noqa: F401 - AGREE: re-exported
from adcli.core import seeds
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.printing import format_number
from adcli.core.tape import evaluate
from adcli.modes.taylor import MAX_ORDER, expand

#: the expansions run in long double where it is wider than a double (x86: 64-bit mantissa): a quotient
#: recurrence that amplifies rounding by 3.3 an order (sin(x)/x at 0.3) keeps ~3 more digits, and every
#: coefficient is rounded to a double once, at the end
WIDE: type = np.longdouble if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps else np.float64


def check_order(order: int, limit: int = MAX_ORDER, option: str = "--order") -> None:
    if order < 0:
        raise AdcliError("usage_error", f"{option} must be 0 or more, not {order}")
    if order > limit:
        raise AdcliError("limit_exceeded", f"{option} {order} is above the limit of {limit}")


def resolve_direction(
    wrt: Sequence[str], given: Mapping[str, float] | Sequence[float] | None
) -> dict[str, float] | None:  # noqa: E501
    """--dir by name (x=1,y=2; the others 0) or in order; None for one variable; a zero direction is refused."""
    if given is None:
        if len(wrt) > 1:
            raise AdcliError(
                "usage_error",
                f"a function of {len(wrt)} variables ({', '.join(wrt)}) is expanded along a direction: "
                f"give --dir {','.join(f'{w}=1' for w in wrt[:2])}",
            )
        return None
    direction = seeds.entries("--dir", given, wrt, [()] * len(wrt))
    if not any(direction.values()):
        raise AdcliError("usage_error", "--dir is all zeros: no direction to expand along")
    return direction


def taylor(
    problem: Any, order: int, direction: Mapping[str, float] | Sequence[float] | None = None, latex: bool = False
) -> Expansion:
    """The Taylor coefficients of a prepared one-output problem (adcli.api.prepare) up to `order`."""
    from adcli import api
    from adcli.commands.hessian import check_problem

    started = time.perf_counter()
    check_order(order)
    check_problem(problem, "taylor", arrays=True)
    if problem.tape.shapes is not None:
        from adcli.commands import arraytaylor

        return arraytaylor.taylor(problem, order, direction, latex, started)
    tape = problem.tape
    along = resolve_direction(problem.wrt, direction)
    seed = along if along is not None else {w: 1.0 for w in problem.wrt}
    inputs = api._inputs(problem)
    vals = evaluate(tape, inputs)
    series = expand(tape, vals, [seed.get(name, 0.0) for name in tape.names], order, WIDE)
    out = tape.outputs[0]
    coefficients = series[out] if series[out] is not None else np.eye(1, order + 1)[0] * float(vals[out])
    lost = rounding_check(tape, vals, [seed.get(name, 0.0) for name in tape.names], order, coefficients)
    derivatives = [float(c) * math.factorial(k) for k, c in enumerate(coefficients)]
    if not all(math.isfinite(d) for d in derivatives):
        raise AdcliError("nonfinite", f"a derivative of order <= {order} overflowed (k!·cₖ is too large for a float)")
    base = api._base(problem, vals, "taylor", 0)
    variable = problem.wrt[0] if along is None and problem.wrt else "t"
    centre = float(problem.point[variable]) if along is None and problem.wrt else 0.0
    coeffs = [float(c) for c in coefficients]
    active = sum(1 for s in range(tape.first_op, len(tape.nodes)) if series[s] is not None)
    result = Expansion(
        base.input, base.read_as, base.at, order, base.value[0], coeffs, derivatives, variable, along,
        polynomial(coeffs, variable, centre), polynomial(coeffs, variable, centre, latex=True) if latex else None,
    )  # fmt: skip
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "series_ops": active, "order": order}
    result.warnings, result.notes = list(problem.warnings), list(base.notes)
    result.warnings += lost
    if along is not None:
        shown = ", ".join(f"{w} {'-' if d < 0 else '+'} {format_number(abs(d))}·t" for w, d in along.items() if d)
        result.notes.append(f"along the direction: g(t) = f({shown}); the derivatives are g⁽ᵏ⁾(0)")
    result.seconds = time.perf_counter() - started
    return result


def rounding_check(
    tape: Any, vals: Sequence[Any], direction: Sequence[float], order: int, coefficients: np.ndarray
) -> list[AdcliWarning]:
    """An `inaccurate` warning when rounding has eaten the higher coefficients, else none.

    Some series recurrences amplify rounding by a factor per order: a quotient whose denominator is small
    nearby (sin(x)/x at 0.3: ×3.3 per order, the 20th coefficient 1e-20 computed as 5e-7) loses every
    digit by order 15, and no arithmetic on float coefficients can prevent it. Expanding again along
    0.7·direction gives cₖ·0.7ᵏ in exact arithmetic but other roundings: where the two disagree, the
    coefficients are noise, and the warning names the first such order rather than print them silently."""
    if order < 2:
        return []
    again = expand(tape, vals, [d * RESCALE for d in direction], order, WIDE)[tape.outputs[0]]
    return disagreement(coefficients, again, order)
