"""Numeric mode's steps: sampling the columns, smaller steps while an answer has not settled, and a
second look at the scale where f bends.

- `sample`: every column's stencil in one sweep; column by column when some stencil leaves a domain,
  trying steps at the scale where f bends and then the room probed on each side (stencils.refit).
- `refine`: an answer that has not settled (a pole, or a feature smaller than the step) is tried
  again with smaller steps: first steps scaled to |x| itself (the pole of 1/x at 1e-20 is at distance
  |x|), then rounds 64 times smaller.
- `verify`: an answer from steps longer than the scale on which some primitive of f bends (the
  table's `bend`, carried to the variable by the tangents: adcli.modes.numeric.roundoff) is measured again
  at that scale; a feature the long steps could not see (sin(x^4) under a large polynomial) shows as
  a disagreement, and the short steps' answer is taken.
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.modes.numeric.stencils import (
    KIND,
    LEVELS,
    RELATIVE,
    SIDE,
    UNCONVERGED,
    Found,
    Sampler,
    Stencil,
    refit,
    size,
    stencil_for,
    usable,
)

ZOOMS = 6  # up to this many more rounds, each with steps 2^-LEVELS smaller, while unsettled
TRUST = {"richardson": UNCONVERGED, "central": 1e-8, "forward": 1e-6, "backward": 1e-6}  # settled below this


def verify(  # noqa: PLR0913 - the state of the refinement
    sampler: Sampler,
    found: dict[int, Found],
    method: str,
    watch: np.ndarray,
    seen: dict[int, list[tuple[float, np.ndarray]]],
    notes: list[str],
) -> bool:
    """Answers from steps longer than the scale on which some primitive of f bends (a feature the steps
    cannot see: sin(x^4) under a large polynomial) are measured again at that scale. Where the two agree
    within their estimates the better stays; where they do not, the short steps saw what the long ones
    missed, and their answer is taken. Whether some answer was replaced (it may need refining)."""
    base = sampler.base
    stencils = {}
    for k, column in found.items():
        short = stencil_for(method, extent(sampler, k, method))
        if column.stencil is not None and short.steps[0] < column.stencil.steps[0] / 4:
            stencils[k] = short
    if not stencils:
        return False
    again = sample(sampler, method, stencils, watch, notes)
    replaced = False
    for k, other in again.items():
        seen[k].append((other.step, other.value))
        missed = ~(np.abs(found[k].value - other.value) <= found[k].error + other.error)
        kept = found[k].better(other, base[k])
        if missed.any():
            kept = Found(*(_pick(missed, a, b) for a, b in zip(_fields(kept), _fields(other), strict=True)))
            replaced = True
        found[k] = kept
    return replaced


def _fields(found: Found) -> tuple:
    return (found.value, found.error, found.step, found.magnitude, found.stencil, found.noise, found.slope)


def _pick(take: np.ndarray, a: Any, b: Any) -> Any:
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return np.where(take, b, a)
    return b if take.any() else a


def extent(sampler: Sampler, k: int, method: str) -> float:
    """The scale the steps are made for: the variable's size, or less where f bends sooner (the table's
    `bend` through the tangents: adcli.modes.numeric.roundoff), never so small that the smallest step moves nothing."""
    x = sampler.base[k]
    bent = sampler.extent[k] if sampler.extent is not None else math.inf
    smallest = RELATIVE.get(method, 1.0) * (0.5 ** (LEVELS - 1) if method == "richardson" else 1.0)
    least = 16 * abs(float(np.spacing(x))) / smallest
    return max(min(size(x), bent), least)


def _column(sampler: Sampler, column: int, method: str, stencil: Stencil, notes: list[str]) -> Found:
    """One column on its own sweep, refitting the stencil when it leaves the domain."""
    x = sampler.base[column]
    try:
        ((fx, noise),) = sampler.measured([(column, stencil.points(x))])
    except AdcliError as exc:
        if exc.kind not in ("domain_error", "nonfinite"):
            raise
        name = sampler.tape.names[column]
        for fitted, how in _fits(sampler, column, method, stencil):
            try:
                ((fx, noise),) = sampler.measured([(column, fitted.points(x))])
            except AdcliError as again:
                if again.kind not in ("domain_error", "nonfinite"):
                    raise
                continue
            kind = KIND[SIDE.get(method, 0)]
            notes.append(f"d/d{name}: the {kind} stencil left the domain ({exc.message}); used {how}")
            stencil = fitted
            break
        else:
            exc.message += f" (a stencil point: {name} = {x:g} has no room inside the domain on either side)"
            raise
    return stencil.estimate(x, sampler.f0, fx, sampler.sigma, noise)


def _fits(sampler: Sampler, column: int, method: str, stencil: Stencil) -> list[tuple[Stencil, str]]:
    """Stencils to try when one left the domain: steps at the scale where f bends (the table's `bend`),
    then the room probed on each side (stencils.refit; a domain with a hole, sinh(y/x) near x = 0,
    can pass the probes and still fail)."""
    tries = []
    short = stencil_for(method, extent(sampler, column, method), side=stencil.side)
    if short.steps[0] < stencil.steps[0]:
        tries.append((short, f"steps at the scale where f bends (up to {short.steps[0]:.3g})"))
    fitted = refit(sampler, column, method, stencil)
    if fitted is not None:
        tries.append(fitted)
    return tries


def _columns(sampler: Sampler, method: str, stencils: dict[int, Stencil], notes: list[str]) -> dict[int, Found]:
    """Every column's stencil in one sweep; column by column (refitting) when some stencil leaves a domain."""
    base = sampler.base
    try:
        sampled = sampler.measured([(k, stencil.points(base[k])) for k, stencil in stencils.items()])
    except AdcliError as exc:
        if exc.kind not in ("domain_error", "nonfinite"):
            raise
        return {k: _column(sampler, k, method, stencil, notes) for k, stencil in stencils.items()}
    return {
        k: stencil.estimate(base[k], sampler.f0, fx, sampler.sigma, noise)
        for (k, stencil), (fx, noise) in zip(stencils.items(), sampled, strict=True)
    }


def sample(
    sampler: Sampler, method: str, stencils: dict[int, Stencil], watch: np.ndarray, notes: list[str]
) -> dict[int, Found]:
    """The columns' answers, with exact zeros where the output does not depend on the column."""
    return {k: found.masked(watch[:, k]) for k, found in _columns(sampler, method, stencils, notes).items()}


def _scaled(method: str, x: float, stencil: Stencil) -> Stencil | None:
    """The stencil at the scale of |x| itself, when that is much smaller than the one used (x small, not 0)."""
    if x == 0 or not math.isfinite(x):
        return None
    scaled = stencil_for(method, abs(x), side=stencil.side)
    return scaled if scaled.steps[0] < stencil.steps[0] / 4 else None


def refine(  # noqa: PLR0913 - the state of the refinement
    sampler: Sampler,
    found: dict[int, Found],
    method: str,
    watch: np.ndarray,
    seen: dict[int, list[tuple[float, np.ndarray]]],
    notes: list[str],
) -> None:
    """Unsettled answers (a pole or a sharp feature closer than the steps): smaller steps.

    The first round tries steps scaled to |x| (x small but not 0: a pole at 0 is |x| away); the
    others continue the step sequence 2^-LEVELS further down, for the unsettled columns only,
    keeping, output by output, the better answer. A column stops when it has settled, or when a
    round neither helped nor was dominated by truncation (round-off only grows with smaller steps).
    """
    base, threshold = sampler.base, TRUST[method]
    pending = [k for k, column in found.items() if column.unsettled(base[k], threshold)]
    last = {k: found[k].stencil for k in pending}  # the stencil the next round shrinks
    for round_ in range(ZOOMS):
        if not pending:
            return
        jumps = {k: _scaled(method, base[k], last[k]) if round_ == 0 else None for k in pending}
        stencils = {k: jumps[k] or replace(last[k], steps=last[k].steps * 0.5**LEVELS) for k in pending}
        stencils = {k: s for k, s in stencils.items() if usable(s, base[k])}  # steps that still move x
        pending = list(stencils)
        if not pending:
            return
        again = sample(sampler, method, stencils, watch, notes)
        still = []
        for k in pending:
            seen[k].append((again[k].step, again[k].value))
            kept = found[k].better(again[k], base[k])
            helped = kept is not found[k]
            if helped or jumps[k] is None:
                last[k] = stencils[k]
            if (helped or again[k].truncated() or jumps[k] is not None) and kept.unsettled(base[k], threshold):
                still.append(k)  # it helped, or truncation still dominates, or only the jump was tried: go on
            found[k] = kept
        pending = still
