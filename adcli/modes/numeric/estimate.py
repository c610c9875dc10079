"""Numerical mode: derivatives from function values alone, each with an error estimate and its cost.

Every function value comes from the tape's primal sweep (`adcli.core.tape.evaluate`), so domains and
errors are those of the AD modes; all the points of a stencil go through one sweep as numpy arrays.

- central, forward, backward: one difference quotient at the textbook step (ε^(1/3) central,
  ε^(1/2) one-sided, times the variable's size max(|x|, 1)), checked against the same quotient
  at twice the step: their difference is the truncation estimate (Richardson's error formula).
- richardson: central differences at the steps h, h/2, …, h/2^(LEVELS-1) with h = size/8, all
  powers of 2 (so every stencil point is exact), extrapolated in a Neville tableau; the entry
  with the smallest error estimate (distance to its neighbours plus propagated round-off) wins.
- complex: Im f(x + ih)/h with h = 1e-200 (or 2^-27·|x| when |x| is smaller still): no
  subtraction, so no round-off; only for tapes whose active primitives are all `analytic`
  (adcli.modes.numeric.complexstep).

An entry whose output does not depend on the input (the tape says so) is exactly 0, with estimate
0, and costs nothing. An answer that has not settled is tried again with smaller steps, and one
made with steps longer than the scale where f bends is measured again there (adcli.modes.numeric.refine).
An answer that still has not settled gets an estimate that covers every quotient seen and its own
sign, and its warning says so in words. At a kink each side is measured on its own
(adcli.modes.numeric.kinks).

The round-off in every estimate is f's own, bounded on the tape (adcli.modes.numeric.roundoff), not an
assumed 2 ulps of |f|: 2.5*sin(x^6) at x = -12.962 carries the rounding of x^6 ≈ 4.8e6, and a
rounded value that does not move with x (a factor cot(cosh(y))) makes every method's derivative off
by its relative error, however small the step; both are in the ±.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from adcli.core import numbers
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.tape import Tape, evaluate
from adcli.modes.numeric import complexstep, kinks, refine, roundoff
from adcli.modes.numeric.stencils import (
    DOUBT,
    Found,
    Sampler,
    size,
    stencil_for,
)

METHODS = ("richardson", "central", "forward", "backward", "complex")
SAFETY = 2.0  # the drift bound is first order, and libm's functions are a few ulps: twice it covers both


@dataclass(frozen=True)
class Options:
    """How numeric mode differentiates (the CLI's --method, --step, --precision, --sweep)."""

    method: str = "richardson"
    step: float | None = None  # the (largest) step, replacing the scaled default
    digits: int = 10  # digits shown: an error estimate larger than they allow is `inaccurate`
    sweep: bool = False  # also the error-versus-step curve of one partial (adcli.modes.numeric.stepsweep)

    def check(self) -> None:
        if self.method not in METHODS:
            raise AdcliError("usage_error", f"unknown method {self.method!r}: choose {', '.join(METHODS)}")
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise AdcliError("usage_error", f"--step must be a positive finite number, not {self.step!r}")


def parse_step(text: str) -> float:
    """--step's text as a float, refusing what float() would silently round to 0 or to infinity."""
    try:
        step = numbers.read_float(text)
    except ValueError as exc:
        said = f": {exc}" if numbers.foreign_digit(text) is not None else f", not {text!r}"
        raise AdcliError("usage_error", f"--step must be a number{said}") from None
    mantissa = re.split("[eE]", text.strip())[0]
    if step == 0 and any(digit in mantissa for digit in "123456789"):
        raise AdcliError("usage_error", f"--step {text} is below the smallest positive float (about 5e-324)")
    if math.isinf(step) and "inf" not in text.lower():
        raise AdcliError("usage_error", f"--step {text} is above the largest float (about 1.8e308)")
    return step


@dataclass
class Estimate:
    """The numeric Jacobian (outputs × wrt), its error estimate, and what it cost."""

    jacobian: np.ndarray
    error: np.ndarray
    nfev: int = 0  # function evaluations (points), x itself included
    sweeps: int = 0  # primal sweeps of the tape
    steps: list[float | None] = field(default_factory=list)  # per column: the (smallest) step used
    notes: list[str] = field(default_factory=list)
    scale: np.ndarray | None = None  # per entry: the slope of f over the stencil (what a 0 is measured against)
    doubts: dict[tuple[int, int], str] = field(default_factory=dict)  # entries that did not settle, and how
    kinks: list[kinks.Record] = field(default_factory=list)  # entries measured side by side at a kink

    def record(self, column: int, found: Found) -> None:
        self.jacobian[:, column], self.error[:, column], self.steps[column] = found.value, found.error, found.step
        if self.scale is not None and found.slope is not None:
            self.scale[:, column] = found.slope


# ---- which entries need evaluations -------------------------------------------------------------


def inputs_of(tape: Tape) -> list[int]:
    """For every slot, the inputs it depends on, as a bitset (bit k: input k): one loop over the tape."""
    deps = [1 << k for k in range(tape.n_inputs)] + [0] * (len(tape.nodes) - tape.n_inputs)
    for s in range(tape.first_op, len(deps)):
        bits = 0
        for j in tape.args[s]:
            bits |= deps[j]
        deps[s] = bits
    return deps


def dependence(tape: Tape, deps: Sequence[int], wrt: int) -> np.ndarray:
    """outputs × wrt: whether output i depends on input k at all (if not, ∂fᵢ/∂xₖ is exactly 0)."""
    return np.array([[bool(deps[o] >> k & 1) for k in range(wrt)] for o in tape.outputs], dtype=bool).reshape(
        len(tape.outputs), wrt
    )


# ---- the Jacobian -------------------------------------------------------------------------------


def jacobian(  # noqa: PLR0913 - the point, its values and the options
    tape: Tape, base: Sequence[float], f0: np.ndarray, wrt: int, options: Options, vals: Sequence[Any] | None = None
) -> Estimate:
    """The first `wrt` columns of the Jacobian at the point `base` (tape inputs), by options.method.

    Values near the largest float overflow the differences themselves: that is `nonfinite`, as an
    overflow in the AD sweeps is (fuzzing found 1e308/y*y an internal_error)."""
    try:
        return _jacobian(tape, base, f0, wrt, options, vals)
    except FloatingPointError as exc:
        message = f"the numeric estimate overflowed ({exc}): the function's values are too near the largest float"
        raise AdcliError("nonfinite", message) from None


def _jacobian(  # noqa: PLR0913 - as jacobian
    tape: Tape, base: Sequence[float], f0: np.ndarray, wrt: int, options: Options, vals: Sequence[Any] | None
) -> Estimate:
    options.check()
    deps = inputs_of(tape)
    needs = dependence(tape, deps, wrt)
    n_out = len(f0)
    result = Estimate(np.zeros((n_out, wrt)), np.zeros((n_out, wrt)), steps=[None] * wrt, scale=np.zeros((n_out, wrt)))
    vals = vals if vals is not None else evaluate(tape, base)
    bounds = roundoff.bounds(tape, vals, wrt)
    sampler = Sampler(tape, base, f0, None if bounds is None else bounds.sigma)
    sampler.extent = None if bounds is None else bounds.extent
    if options.method == "complex":
        complexstep.check_analytic(tape, [k for k in range(wrt) if needs[:, k].any()])
    kinked = kinks.located(tape, vals, deps, wrt)
    affected = kinks.affected(tape, kinked, needs)
    watch = needs & ~affected  # the entries the method itself measures
    columns = [k for k in range(wrt) if watch[:, k].any()]
    if options.method == "complex":
        record = lambda k, found: result.record(k, found.masked(watch[:, k]))  # noqa: E731
        lost = complexstep.columns(sampler, columns, options.step, record, result.notes)
        if lost:  # digits lost to underflow: central differences, which the note names
            _differences(sampler, lost, replace(options, method="richardson", step=None), watch, result)
    elif columns:
        _differences(sampler, columns, options, watch, result)
    if affected.any():
        result.kinks = kinks.measure(sampler, options.method, options.step, kinked, affected, result)
    if bounds is not None:  # rounded values that do not move with x: every method measures their error too
        result.error += np.where(needs, SAFETY * bounds.drift, 0.0)
    result.nfev, result.sweeps = sampler.nfev, sampler.sweeps
    return result


def _differences(sampler: Sampler, columns: list[int], options: Options, watch: np.ndarray, result: Estimate) -> None:
    """Finite differences for the columns: the method's stencils, smaller steps while unsettled, honesty."""
    method, base = options.method, sampler.base
    for k in columns:
        _moves(options.step, base[k], sampler.tape.names[k], method)
    stencils = {k: stencil_for(method, size(base[k]), options.step) for k in columns}
    found = refine.sample(sampler, method, stencils, watch, result.notes)
    seen = {k: [(column.step, column.value)] for k, column in found.items()}
    if method == "richardson" or options.step is None:  # a step the user gave is the step used
        refine.refine(sampler, found, method, watch, seen, result.notes)
    if options.step is None and refine.verify(sampler, found, method, watch, seen, result.notes):
        refine.refine(sampler, found, method, watch, seen, result.notes)
    for k, column in found.items():
        result.record(k, column)
        _distrust(result, k, column, seen[k], base[k])


def _moves(step: float | None, x: float, name: str, method: str) -> None:
    """A step the user gave must move x by more than rounding, at every step of the stencil."""
    if step is None:
        return
    stencil = stencil_for(method, size(x), step)
    least = 4 * abs(float(np.spacing(x)))
    if stencil.steps[-1] < least:
        needed = least * stencil.steps[0] / stencil.steps[-1]
        message = f"--step {step:g} is too small to move {name} = {x:g} (its spacing is {np.spacing(x):.2g})"
        raise AdcliError("usage_error", f"{message}: give at least {needed:.2g} for --method {method}")


def _distrust(result: Estimate, k: int, found: Found, seen: list[tuple[float, np.ndarray]], x: float) -> None:
    """An answer that did not settle: an estimate covering every quotient seen and the sign, said in words."""
    for i in np.flatnonzero(found.doubtful(x, DOUBT)):
        values = [float(v[i]) for _, v in seen]
        spread = max(abs(v - found.value[i]) for v in values)
        result.error[i, k] = max(found.error[i], spread, abs(found.value[i]))
        (h0, first), (h1, last) = (seen[0][0], values[0]), (seen[-1][0], values[-1])
        trail = f"{first:.4g} at h = {h0:.2g}" + (f" … {last:.4g} at h = {h1:.2g}" if len(seen) > 1 else "")
        result.doubts[(int(i), k)] = (
            f"the difference quotients did not settle as the step shrank ({trail}): the estimate is not "
            "trustworthy, not even its sign (a pole, a jump or a feature smaller than the steps?)"
        )


# ---- the verdict --------------------------------------------------------------------------------


def inaccurate(estimate: Estimate, outputs: Sequence[str], wrt: Sequence[str], digits: int) -> list[AdcliWarning]:
    """An `inaccurate` warning when an error estimate exceeds half a unit in the last of `digits` digits.

    Measured against |∂f/∂x|, or, for a value within its estimate of 0, against the slope of f over
    the stencil (x² at 0: 0 ± 3e-18 is exact to the digits of a slope of 1/8). Entries that are
    exactly 0 (estimate 0) pass; entries at a kink are explained by the kink's own warning. An
    entry that did not settle says so in words.
    """
    tolerance = 0.5 * 10.0 ** (1 - digits)
    at_kinks = {(e.output, e.column) for record in estimate.kinks for e in record.entries}
    flagged = []
    for i, k in np.ndindex(*estimate.jacobian.shape):
        value, error = abs(estimate.jacobian[i, k]), estimate.error[i, k]
        scale = value
        if estimate.scale is not None and value <= error:  # indistinguishable from 0: the function's own slope
            scale = max(value, estimate.scale[i, k])
        if (i, k) not in at_kinks and not error <= tolerance * scale:
            flagged.append((i, k))
    if not flagged:
        return []

    def shown(i: int, k: int) -> str:
        text = f"{kinks.entry_name(outputs, wrt, i, k)} = {estimate.jacobian[i, k]:.6g} ± {estimate.error[i, k]:.2g}"
        doubt = estimate.doubts.get((i, k))
        return f"{text} ({doubt})" if doubt else text

    more = f" and {len(flagged) - 4} more" if len(flagged) > 4 else ""
    message = f"error estimate too large for {digits} significant digits: {'; '.join(shown(*e) for e in flagged[:4])}"
    details = {"entries": [[int(i), int(k)] for i, k in flagged], "digits": digits}
    if estimate.doubts:
        details["unsettled"] = [[int(i), int(k)] for i, k in estimate.doubts]
    return [AdcliWarning("inaccurate", message + more, details)]


def verdict(
    warnings: Sequence[AdcliWarning], estimate: Estimate, options: Options, outputs: Sequence[str], wrt: Sequence[str]
) -> list[AdcliWarning]:
    """The warnings of a numeric answer: kinks as numeric mode measured them, then `inaccurate` entries."""
    told = kinks.reword(warnings, estimate.kinks, options.method, outputs, wrt)
    return told + inaccurate(estimate, outputs, wrt, options.digits)
