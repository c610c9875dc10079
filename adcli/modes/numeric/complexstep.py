"""The complex step of numeric mode: ∂f/∂x = Im f(x + ih)/h, with no subtraction and so no round-off.

Only for tapes whose active primitives are all complex-analytic (the table's `analytic`). The step
h is 1e-200, or a power of 2 near 2^-27·|x| where that is smaller (log at 1e-300: h must be far
below x, or x + ih is nowhere near x). Two things can still go wrong, and both are checked on
every slot of the sweep:

- a branch cut or an infinite derivative: Im v jumps far beyond h·(1 + |v|)/min(|x|, 1) (the
  derivative of a function of x may grow like 1/|x| near 0, not more): refused as `nonfinite`;
- underflow: Im v falls below the smallest normal float (x² at 1e-150: 2xh is 2e-350), losing
  digits or all of them (an exact 0 beside a real part of ordinary size is a true 0: cos at 0).
  The column is evaluated again with h = 2^-27·|x|; if digits are still lost, it is measured by
  Richardson's central differences instead, and a note says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from adcli.core.tape import Tape
from adcli.modes.numeric.stencils import EPS, Found, Sampler, size

COMPLEX_STEP = 1e-200
COMPLEX_RELATIVE = 2.0**-27  # the complex step is at most this times |x|, and is retried there on underflow
TINY = float(np.finfo(float).tiny)  # the smallest normal float: below it a value loses digits
BRANCH = 1e80  # Im v beyond this times h·(1 + |v|)/min(|x|, 1): not a derivative but a branch cut


def check_analytic(tape: Tape, columns: Sequence[int]) -> None:
    """The complex step needs every primitive on the active path to be complex-analytic (the table says)."""
    active = tape.active([tape.names[k] for k in columns])
    for s in range(tape.first_op, len(tape.nodes)):
        prim = tape.prims[s]
        if active[s] and prim is not None and not prim.analytic:
            message = f"--method complex needs analytic functions; {prim.name} is not (in {tape.text(s)})"
            raise tape.error("usage_error", message + ": use --method richardson", s)


def _check_branches(tape: Tape, vals: Sequence[Any], columns: Sequence[int], steps: np.ndarray, base: Any) -> None:
    """Im v must stay of order h·v' all along; a jump means an infinite derivative or a branch cut."""
    active = tape.active([tape.names[k] for k in columns])
    near = np.array([min(abs(base[k]), 1.0) or 1.0 for k in columns])
    for s in range(tape.first_op, len(vals)):
        v = vals[s]
        if active[s] and np.iscomplexobj(v):
            with np.errstate(over="ignore"):  # a bound beyond the largest float is no bound
                broken = ~(np.abs(v.imag) <= BRANCH * steps * (1 + np.abs(v.real)) / near)
            if broken.any():
                name = tape.names[columns[int(np.argmax(broken))]]
                message = (
                    f"the complex step broke down at {tape.text(s)} (moving {name}): its derivative is "
                    "infinite there, or it is not analytic there (a branch cut)"
                )
                raise tape.error("nonfinite", message, s)


def _underflowed(tape: Tape, vals: Sequence[Any], columns: Sequence[int], steps: np.ndarray) -> dict[int, int]:
    """Column position -> the first operation whose imaginary part fell below the smallest normal float.

    An imaginary part of exactly 0 beside a real part large enough that h·v' could not have
    underflowed is a true 0 (cos at 0), not a loss; beside a tiny or zero real part it may be either.
    The step is the one used: sech(542) is 2e-236, and 1e-200 times that underflows (its 0 was taken
    for a true 0, and log(sech(x/y^2)) got a derivative of 0 instead of -492).
    """
    lost: dict[int, int] = {}
    for n, k in enumerate(columns):
        active = tape.active([tape.names[k]])
        for s in range(tape.first_op, len(vals)):
            v = vals[s]
            if not (active[s] and np.iscomplexobj(v)) or abs(v[n].imag) >= TINY:
                continue
            if v[n].imag != 0 or abs(v[n].real) * steps[n] < TINY / EPS:
                lost[n] = s
                break
    return lost


def step_for(x: float) -> float:
    """1e-200, or a power of 2 near 2^-27·|x| where that is smaller (never more than a tiny part of x)."""
    if x == 0:
        return COMPLEX_STEP
    return min(COMPLEX_STEP, 2.0 ** math.floor(math.log2(COMPLEX_RELATIVE * abs(x))))


def _larger_step(x: float) -> float:
    """The retry after an underflow: 2^-27·|x| (2^-27 at 0), still far below the scale of x."""
    return 2.0 ** math.floor(math.log2(COMPLEX_RELATIVE * (abs(x) or 1.0)))


def _sweep(sampler: Sampler, columns: Sequence[int], steps: np.ndarray) -> list[Any]:
    vals = sampler.sweep([(k, np.array([sampler.base[k] + 1j * h])) for k, h in zip(columns, steps, strict=True)])
    _check_branches(sampler.tape, vals, columns, steps, sampler.base)
    return vals


def _merge(first: Any, again: Any, where: list[int]) -> Any:
    """A slot's values from the first sweep, with the retried columns' values in their places."""
    merged = np.array(first, dtype=complex if np.iscomplexobj(first) or np.iscomplexobj(again) else float)
    merged[where] = again
    return merged


def columns(sampler: Sampler, moved: Sequence[int], step: float | None, record: Any, notes: list[str]) -> list[int]:
    """Im f(x + ih·e_k)/h for every column k, all in one complex sweep (a second one after an underflow).

    `record(k, found)` takes each column's answer. Returns the columns whose digits were lost to
    underflow even at the larger step: the caller measures them another way.
    """
    tape, base = sampler.tape, sampler.base
    if not moved:
        return []
    steps = np.array([step or step_for(base[k]) for k in moved])
    vals = _sweep(sampler, moved, steps)
    underflowed = _underflowed(tape, vals, moved, steps)
    retry = [n for n in underflowed if step is None and _larger_step(base[moved[n]]) > steps[n]]
    if retry:
        steps_again = np.array([_larger_step(base[moved[n]]) for n in retry])
        vals_again = _sweep(sampler, [moved[n] for n in retry], steps_again)
        vals = [_merge(v, w, retry) for v, w in zip(vals, vals_again, strict=True)]
        steps[retry] = steps_again
    lost = _underflowed(tape, vals, moved, steps)
    fx = np.array([vals[o] for o in tape.outputs])  # outputs × columns
    f0 = sampler.f0
    for n, k in enumerate(moved):
        if n in lost:
            notes.append(
                f"d/d{tape.names[k]}: the complex step underflowed at {tape.text(lost[n])} (its imaginary part fell "
                f"below the smallest normal float, {TINY:.2g}); measured by central differences (richardson) instead"
            )
            continue
        h = steps[n]
        with np.errstate(over="ignore"):  # a derivative beyond the largest float: inf, refused as nonfinite
            value = fx[:, n].imag / h
            # a few ulps of round-off (there is no cancellation), plus the truncation: Re f(x + ih) = f - h²f''/2 + …
            curvature = np.maximum(np.abs(fx[:, n].real - f0) - 4 * EPS * np.abs(f0), 0) / h
            error = 8 * EPS * np.abs(value) + 2 * EPS * np.abs(f0) / size(base[k]) + curvature
        scale = np.abs(f0) / size(base[k])  # what a derivative within its estimate of 0 is measured against
        record(k, Found(value, error, float(h), np.maximum(np.abs(f0), np.abs(fx[:, n].real)), None, slope=scale))
    return [moved[n] for n in lost]
