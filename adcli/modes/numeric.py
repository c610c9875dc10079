"""Numerical mode: derivatives from function values alone, each with an error estimate and its cost.

Every function value comes from the tape's primal sweep (`adcli.tape.evaluate`), so domains and
errors are those of the AD modes; all the points of a stencil go through one sweep as numpy arrays.

- central, forward, backward: one difference quotient at the textbook step (ε^(1/3) central,
  ε^(1/2) one-sided, times the variable's size max(|x|, 1)), checked against the same quotient
  at twice the step: their difference is the truncation estimate (Richardson's error formula).
- richardson: central differences at the steps h, h/2, …, h/2^(LEVELS-1) with h = size/8, all
  powers of 2 (so every stencil point is exact), extrapolated in a Neville tableau; the entry
  with the smallest error estimate (distance to its neighbours plus propagated round-off) wins.
- complex: Im f(x + ih)/h with h = 1e-200: no subtraction, so no round-off; only for tapes whose
  active primitives are all `analytic` in the table.

Near a domain's edge the stencil is refitted: the room on each side of x is probed and the step
is rescaled to it (the distance to the edge is the function's size there); when one side has no
room at all, a one-sided stencil is used on the other. A note says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from adcli.errors import AdcliError, AdcliWarning
from adcli.modes.stencils import EPS, KIND, LEVELS, SIDE, Found, Sampler, Stencil, refit, size, stencil_for
from adcli.tape import Tape

METHODS = ("richardson", "central", "forward", "backward", "complex")
COMPLEX_STEP = 1e-200
ZOOMS = 6  # Richardson: up to this many more rounds, each with steps 2^-LEVELS smaller, while unconverged


@dataclass(frozen=True)
class Options:
    """How numeric mode differentiates (the CLI's --method, --step, --precision, --sweep)."""

    method: str = "richardson"
    step: float | None = None  # the (largest) step, replacing the scaled default
    digits: int = 10  # digits shown: an error estimate larger than they allow is `inaccurate`
    sweep: bool = False  # also the error-versus-step curve of one partial (adcli.modes.vcurve)

    def check(self) -> None:
        if self.method not in METHODS:
            raise AdcliError("usage_error", f"unknown method {self.method!r}: choose {', '.join(METHODS)}")
        if self.step is not None and not (math.isfinite(self.step) and self.step > 0):
            raise AdcliError("usage_error", f"--step must be a positive finite number, not {self.step!r}")


@dataclass
class Estimate:
    """The numeric Jacobian (outputs × wrt), its error estimate, and what it cost."""

    jacobian: np.ndarray
    error: np.ndarray
    nfev: int = 0  # function evaluations (points), x itself included
    sweeps: int = 0  # primal sweeps of the tape
    steps: list[float | None] = field(default_factory=list)  # per column: the (smallest) step used
    notes: list[str] = field(default_factory=list)

    def record(self, column: int, found: Found) -> None:
        self.jacobian[:, column], self.error[:, column], self.steps[column] = found.value, found.error, found.step


# ---- evaluations --------------------------------------------------------------------------------


# ---- the Jacobian -------------------------------------------------------------------------------


def _column(sampler: Sampler, column: int, method: str, stencil: Stencil, notes: list[str]) -> Found:
    """One column on its own sweep, refitting the stencil when it leaves the domain."""
    x = sampler.base[column]
    try:
        (fx,) = sampler.values([(column, stencil.points(x))])
    except AdcliError as exc:
        if exc.kind not in ("domain_error", "nonfinite"):
            raise
        fitted = refit(sampler, column, method, stencil)
        if fitted is None:
            name = sampler.tape.names[column]
            exc.message += f" (a stencil point: {name} = {x:g} has no room inside the domain on either side)"
            raise
        stencil, how = fitted
        (fx,) = sampler.values([(column, stencil.points(x))])
        name = sampler.tape.names[column]
        notes.append(f"d/d{name}: the {KIND[SIDE.get(method, 0)]} stencil left the domain ({exc.message}); used {how}")
    return stencil.estimate(x, sampler.f0, fx)


def moved(tape: Tape, wrt: int) -> list[int]:
    """The columns (of the first wrt inputs) that some output depends on; the others are exactly 0."""
    return [k for k in range(wrt) if any(tape.active([tape.names[k]])[o] for o in tape.outputs)]


def jacobian(tape: Tape, base: Sequence[float], f0: np.ndarray, wrt: int, options: Options) -> Estimate:
    """The first `wrt` columns of the Jacobian at the point `base` (tape inputs), by options.method."""
    options.check()
    columns = moved(tape, wrt)
    result = Estimate(np.zeros((len(f0), wrt)), np.zeros((len(f0), wrt)), steps=[None] * wrt)
    sampler = Sampler(tape, base, f0)
    if options.method == "complex":
        complex_step(sampler, columns, options.step or COMPLEX_STEP, result)
    elif columns:
        stencils = {k: stencil_for(options.method, size(base[k]), options.step) for k in columns}
        found = _columns(sampler, options.method, stencils, result.notes)
        if options.method == "richardson":
            _zoom(sampler, found, result.notes)
        for k, column in found.items():
            result.record(k, column)
    result.nfev, result.sweeps = sampler.nfev, sampler.sweeps
    return result


def _columns(sampler: Sampler, method: str, stencils: dict[int, Stencil], notes: list[str]) -> dict[int, Found]:
    """Every column's stencil in one sweep; column by column (refitting) when some stencil leaves a domain."""
    base = sampler.base
    try:
        sampled = sampler.values([(k, stencil.points(base[k])) for k, stencil in stencils.items()])
    except AdcliError as exc:
        if exc.kind not in ("domain_error", "nonfinite"):
            raise
        return {k: _column(sampler, k, method, stencil, notes) for k, stencil in stencils.items()}
    return {
        k: stencil.estimate(base[k], sampler.f0, fx) for (k, stencil), fx in zip(stencils.items(), sampled, strict=True)
    }


def _zoom(sampler: Sampler, found: dict[int, Found], notes: list[str]) -> None:
    """Richardson that has not converged (a pole or a sharp feature closer than the steps): smaller steps.

    Each round continues the step sequence 2^-LEVELS further down, for the unsettled columns only,
    and keeps, output by output, the better answer; a column stops when it has converged, or when a
    round neither helped nor was dominated by truncation (round-off only grows with smaller steps).
    """
    base = sampler.base
    pending = [k for k, column in found.items() if column.unsettled(base[k])]
    stencils = {k: found[k].stencil for k in pending}
    for _ in range(ZOOMS):
        if not pending:
            return
        stencils = {k: replace(stencils[k], steps=stencils[k].steps * 0.5**LEVELS) for k in pending}
        again = _columns(sampler, "richardson", stencils, notes)
        still = []
        for k in pending:
            kept = found[k].better(again[k], base[k])
            if (kept is not found[k] or again[k].truncated()) and kept.unsettled(base[k]):
                still.append(k)  # it helped, or truncation still dominates: go on
            found[k] = kept
        pending = still


# ---- the complex step ---------------------------------------------------------------------------


def check_analytic(tape: Tape, columns: Sequence[int]) -> None:
    """The complex step needs every primitive on the active path to be complex-analytic (the table says)."""
    active = tape.active([tape.names[k] for k in columns])
    for s in range(tape.first_op, len(tape.nodes)):
        prim = tape.prims[s]
        if active[s] and prim is not None and not prim.analytic:
            message = f"--method complex needs analytic functions; {prim.name} is not (in {tape.text(s)})"
            raise tape.error("usage_error", message + ": use --method richardson", s)


def _check_branches(tape: Tape, vals: Sequence[Any], columns: Sequence[int], h: float) -> None:
    """Im v must stay of order h all along; a jump means an infinite derivative or a branch cut."""
    active = tape.active([tape.names[k] for k in columns])
    for s in range(tape.first_op, len(vals)):
        v = vals[s]
        if active[s] and np.iscomplexobj(v):
            broken = ~(np.abs(v.imag) <= 1e80 * h * (1 + np.abs(v.real)))
            if broken.any():
                name = tape.names[columns[int(np.argmax(broken))]]
                message = (
                    f"the complex step broke down at {tape.text(s)} (moving {name}): its derivative is "
                    "infinite there, or it is not analytic there (a branch cut)"
                )
                raise tape.error("nonfinite", message, s)


def complex_step(sampler: Sampler, columns: Sequence[int], h: float, result: Estimate) -> None:
    """Im f(x + ih·e_k)/h for every column k, all in one complex sweep."""
    tape = sampler.tape
    check_analytic(tape, columns)
    if not columns:
        return
    vals = sampler.sweep([(k, np.array([sampler.base[k] + 1j * h])) for k in columns])
    _check_branches(tape, vals, columns, h)
    fx = np.array([vals[o] for o in tape.outputs])  # outputs × columns
    f0 = sampler.f0
    for n, k in enumerate(columns):
        value = fx[:, n].imag / h
        # a few ulps of round-off (there is no cancellation), plus the truncation: Re f(x + ih) = f - h²f''/2 + …
        curvature = np.maximum(np.abs(fx[:, n].real - f0) - 4 * EPS * np.abs(f0), 0) / h
        error = 8 * EPS * np.abs(value) + 2 * EPS * np.abs(f0) / size(sampler.base[k]) + curvature
        result.record(k, Found(value, error, h, np.maximum(np.abs(f0), np.abs(fx[:, n].real)), None))


# ---- the verdict --------------------------------------------------------------------------------


def refuse_infinite(warnings: Sequence[AdcliWarning]) -> None:
    """An infinite slope at the point (sqrt at 0, a cone point): nonfinite, as in the AD modes."""
    for w in warnings:
        if w.kind == "nondifferentiable" and str(w.details.get("convention", "")).startswith("none"):
            message = f"{w.details.get('node')} has no finite derivative at {w.details.get('at')}"
            raise AdcliError("nonfinite", message, warnings=list(warnings))


def inaccurate(estimate: Estimate, wrt: Sequence[str], digits: int) -> list[AdcliWarning]:
    """An `inaccurate` warning when an error estimate exceeds half a unit in the last of `digits` digits.

    (A derivative that is exactly 0 with estimate 0 passes; one that is 0 up to round-off does not:
    its digits shown are noise, and the estimate says how large that noise may be.)
    """
    tolerance = 0.5 * 10.0 ** (1 - digits)
    flagged = [
        (i, k)
        for i, k in np.ndindex(*estimate.jacobian.shape)
        if not estimate.error[i, k] <= tolerance * abs(estimate.jacobian[i, k])
    ]
    if not flagged:
        return []
    shown = [
        f"d(f{i + 1})/d{wrt[k]} = {estimate.jacobian[i, k]:.6g} ± {estimate.error[i, k]:.2g}" for i, k in flagged[:4]
    ]
    more = f" and {len(flagged) - 4} more" if len(flagged) > 4 else ""
    message = f"error estimate too large for {digits} significant digits: {'; '.join(shown)}{more}"
    return [AdcliWarning("inaccurate", message, {"entries": [[i, k] for i, k in flagged], "digits": digits})]
