"""`adcli taylor`: Taylor coefficients at a point by Taylor-mode arithmetic on the tape (adcli.modes.taylor).

Computation only: returns an `Expansion` (plain data) with the coefficients cₖ, the derivatives
f⁽ᵏ⁾(a) = k!·cₖ and the polynomial, in the input syntax (and LaTeX); adcli.render_hessian prints it.
For a function of several variables the expansion is along a direction: g(t) = f(a + t·d).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.printing import format_number, to_latex, to_text
from adcli.core.tape import evaluate
from adcli.modes.taylor import MAX_ORDER, expand

#: the expansions run in long double where it is wider than a double (x86: 64-bit mantissa): a quotient
#: recurrence that amplifies rounding by 3.3 an order (sin(x)/x at 0.3) keeps ~3 more digits, and every
#: coefficient is rounded to a double once, at the end
WIDE: type = np.longdouble if np.finfo(np.longdouble).eps < np.finfo(np.float64).eps else np.float64


@dataclass
class Expansion:
    """What `adcli taylor` found (the JSON object of the README's taylor section)."""

    input: str
    read_as: str
    at: dict[str, float]
    order: int
    value: float
    coefficients: list[float]
    derivatives: list[float]
    variable: str  # the polynomial's variable: the input's own for one variable, else t
    direction: dict[str, float] | None  # None: one variable, expanded in it
    polynomial: str
    latex: str | None = None
    cost: dict[str, int] = field(default_factory=dict)
    warnings: list[AdcliWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("input", "read_as", "at", "order", "value")}
        out.update(mode="taylor", coefficients=self.coefficients, derivatives=self.derivatives)
        out.update(variable=self.variable, direction=self.direction, polynomial=self.polynomial)
        if self.latex is not None:
            out["latex"] = self.latex
        out["cost"] = dict(self.cost)
        out["warnings"] = [w.to_dict() for w in self.warnings]
        out["notes"] = list(self.notes)
        return out


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
    if isinstance(given, Mapping):
        unknown = [name for name in given if name not in wrt]
        if unknown:
            known = ", ".join(wrt) or "none"
            message = f"--dir names {', '.join(unknown)}, not a variable here (variables: {known})"
            raise AdcliError("usage_error", message)
        direction = {w: float(given.get(w, 0.0)) for w in wrt}
    else:
        if len(given) != len(wrt):
            raise AdcliError("usage_error", f"--dir has {len(given)} entries; there are {len(wrt)} variables")
        direction = {w: float(v) for w, v in zip(wrt, given, strict=True)}
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


RESCALE = 0.7  # the second expansion's direction: not a power of 2, so its roundings differ
AGREE = 1e-8  # coefficients of the two expansions that differ by more than this (relative) are not trusted


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


def disagreement(coefficients: np.ndarray, again: np.ndarray | None, order: int) -> list[AdcliWarning]:
    """The `inaccurate` warning when the expansion along 0.7·direction (again) disagrees with the first."""
    if again is None or order < 2:
        return []
    with np.errstate(all="ignore"):
        other = np.asarray(again, dtype=float) / RESCALE ** np.arange(order + 1)
        c = np.asarray(coefficients, dtype=float)
        spread = np.abs(c - other)
        bad = np.flatnonzero(spread > AGREE * np.maximum(np.abs(c), np.abs(other)))
    if not len(bad):
        return []
    k = int(bad[0])
    worst = float(np.max(spread[bad] / np.maximum(np.abs(c[bad]), np.abs(other[bad]))))
    message = (
        f"the Taylor coefficients from order {k} on are not accurate: two expansions with different roundings "
        f"differ by up to {worst:.2g} relative (rounding amplified from order to order, as in a quotient by a "
        "series that is small nearby, or coefficients that cancel to 0)"
    )
    return [AdcliWarning("inaccurate", message, {"order": k, "relative_spread": worst})]


def polynomial(
    coefficients: Sequence[float], variable: str, centre: float, digits: int = 17, latex: bool = False
) -> str:
    """c₀ + c₁·(x − a) + c₂·(x − a)^2 + … in the input syntax (or LaTeX), printed by adcli.printing from a
    graph of the polynomial (so it parses back); zero terms are left out, coefficients to `digits` digits."""
    from adcli.core.graph import const, make, var

    rounded = [float(f"{c:.{digits}g}") if digits < 17 else float(c) for c in coefficients]
    x = var(variable)
    if centre != 0:
        x = make("sub" if centre > 0 else "add", (x, const(abs(centre))))
    total = None
    for k, c in enumerate(rounded):
        if c == 0:
            continue
        power = None if k == 0 else x if k == 1 else make("pow", (x, const(k)))
        size = const(abs(c))
        term = size if power is None else power if abs(c) == 1 else make("mul", (size, power))
        if total is None:
            total = make("neg", (term,)) if c < 0 else term
        else:
            total = make("sub" if c < 0 else "add", (total, term))
    if total is None:
        return "0"
    return to_latex(total) if latex else to_text(total)
