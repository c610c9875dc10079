"""Kinks at order 2: a Hessian exists at a kink when the smooth pieces that meet there agree to second order.

abs, relu and max/min are piecewise linear: near a kink of one of them, f is one of a few smooth
functions, each with that primitive replaced by one of its linear pieces (the table's `Kink.pieces`:
abs is −x or x, relu 0 or x, max(a, b) at a tie a or b). f has a second-order expansion at the point
exactly when all these pieces have the same gradient and the same Hessian there: |x|³ (pieces ±x³:
gradient 0, Hessian 0 at 0) has one, |x|·y (pieces ±xy, gradients (±y, ±x)) fails from order 1,
relu(x)² (pieces x² and 0, Hessians 2 and 0) from order 2. Each combination of pieces is one
forward-over-reverse Hessian with the kinked slots' partials replaced by the pieces' constant slopes.
A kink without pieces (sign's jump, sqrt's infinite slope, a^b at a domain edge) is refused as before.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.primitives import Kink
from adcli.core.tape import Tape

MAX_KINKS = 4  # at most 2⁴ = 16 combinations of pieces; more kinks at one point are refused
AGREE = 64 * 2.0**-52  # pieces agree when they differ by rounding only, relative to the largest entry

Pieces = dict[int, tuple[Any, ...]]


def kinked_slots(tape: Tape, vals: Sequence[Any], active: Sequence[bool]) -> list[tuple[int, Kink]]:
    """Every active slot at one of its primitive's kinks (as the primal sweep's warnings say)."""
    found = []
    with np.errstate(all="ignore"):
        for s in range(tape.first_op, len(tape.nodes)):
            prim = tape.prims[s]
            if not active[s] or prim is None or not prim.kinks:
                continue
            args = [vals[j] for j in tape.args[s]]
            for kink in prim.kinks:
                if kink.along is not None and not active[tape.args[s][kink.along]]:
                    continue
                at = kink.where(*args)
                if at is not np.False_ and at is not False and bool(np.any(at)):
                    found.append((s, kink))
                    break
    return found


def combinations(slots: Sequence[tuple[int, Kink]]) -> list[Pieces]:
    """Each way to pick one piece per kinked slot: the slots' partials (the piece's slopes)."""
    choices = [list(kink.pieces) for _, kink in slots]
    return [dict(zip([s for s, _ in slots], pick, strict=True)) for pick in itertools.product(*choices)]


def _differ(a: np.ndarray, b: np.ndarray) -> bool:
    scale = max(float(np.abs(a).max(initial=0.0)), float(np.abs(b).max(initial=0.0)))
    return bool(np.any(np.abs(a - b) > AGREE * scale))


def _first(tape: Tape, slots: Sequence[int], warnings: list[AdcliWarning]) -> list[AdcliWarning]:
    """The warnings with those about `slots` first: the refusal names the first kink warning it is given."""
    texts = {tape.text(s) for s in slots}
    named = [w for w in warnings if w.kind == "nondifferentiable" and w.details.get("node") in texts]
    return named + [w for w in warnings if w not in named]


def settle(
    tape: Tape,
    vals: Sequence[Any],
    active: Sequence[bool],
    warnings: list[AdcliWarning],
    compute: Callable[[Pieces], tuple[np.ndarray, np.ndarray]],
    refuse: Callable[..., None],
) -> tuple[Pieces | None, str | None]:
    """(the pieces to differentiate with, a note) where every kink has pieces that agree to second order;
    else the kink's error (refuse), saying from which order the derivative fails."""
    slots = kinked_slots(tape, vals, active)
    if not slots:
        return None, None
    unpieced = [s for s, kink in slots if not kink.pieces]
    if unpieced:  # the kink without pieces is the one to name, not abs(x) beside it in abs(x)^3 + sign(y)
        refuse(tape, vals, _first(tape, unpieced, warnings))
    if len(slots) > MAX_KINKS:
        raise AdcliError(
            "limit_exceeded",
            f"{len(slots)} kinks at this point ({', '.join(tape.text(s, 30) for s, _ in slots)}): a Hessian here "
            f"compares the smooth pieces of at most {MAX_KINKS} kinks ({2**MAX_KINKS} combinations); "
            "move the point off some of them",
            warnings=list(warnings),
        )
    picks = combinations(slots)
    first = compute(picks[0])
    for pick in picks[1:]:
        other = compute(pick)
        order = 1 if _differ(first[0], other[0]) else 2 if _differ(first[1], other[1]) else 0
        if order:  # the kinks whose piece differs from the first pick's: the last one varies first
            changed = [s for s in pick if pick[s] != picks[0][s]]
            refuse(tape, vals, _first(tape, changed, warnings), fails=order)
    texts = [tape.text(s) for s, _ in slots]
    for w in [w for w in warnings if w.kind == "nondifferentiable" and w.details.get("node") in texts]:
        warnings.remove(w)
    note = (
        f"{', '.join(texts)} {'is at a kink' if len(texts) == 1 else 'are at kinks'}, but the {len(picks)} smooth "
        "pieces that meet here have the same gradient and Hessian: f is twice differentiable at this point"
    )
    return picks[0], note
