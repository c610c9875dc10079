"""Kinks at order 2 on arrays: adcli.commands.kinkpieces entry by entry.

An elementwise abs, relu, max(a, b) or min(a, b) is at a kink in some of its entries; a reduction
max(x)/min(x) is at a kink where several entries tie for the extreme. Near the point f is one of a few
smooth functions: each kinked entry replaced by one of its linear pieces (abs: −u or u; max(a, b): a or
b), a tied reduction by one of the tied entries. These primitives are piecewise linear, so with a piece
chosen their partials are constants near the point: the override is a constant partial (the rule's
value, the piece's slope at the kinked entries) or, for a tied reduction, the linear map x ↦ x[j]. f has
a Hessian there exactly when every combination of pieces gives the same gradient and Hessian; else the
kink is refused from the order at which the pieces part (as for scalars). At most MAX_COMBINATIONS
combinations (more is limit_exceeded, never a guess); a kink without pieces (sign, sqrt at 0, norm at 0)
is refused as before.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adcli.commands.kinkpieces import _differ
from adcli.core.arrays import Rules
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.shaped import Linear
from adcli.core.tape import Tape

#: a tied reduction replaced by one entry: x ↦ Σ mask·x, mask the unit array of the entry chosen
PICK = Rules(
    lambda x, mask: np.sum(mask * x),
    lambda shapes, mask: (),
    lambda a, o, t, mask: np.sum(mask * t[0]),
    lambda a, o, g, need, mask: (g * mask if need[0] else None,),
)

#: at most this many combinations of pieces are compared (each a whole Hessian): 2⁸, eight kinked entries
MAX_COMBINATIONS = 256

Choice = tuple[int, Any, Any]  # (slot, entry index or None, the piece: slopes per argument, or a mask)
Overrides = dict[int, Any]


def _elementwise(tape: Tape, s: int, vals: Sequence[Any], active: Sequence[bool]) -> list[list[Choice]] | None:
    """Each kinked entry of an elementwise slot with its pieces; None for a kink without pieces."""
    prim, args = tape.prims[s], [vals[j] for j in tape.args[s]]
    points: list[list[Choice]] = []
    with np.errstate(all="ignore"):
        for kink in prim.kinks:  # type: ignore[union-attr]
            if kink.along is not None and not active[tape.args[s][kink.along]]:
                continue
            at = np.broadcast_to(np.asarray(kink.where(*args), dtype=bool), np.shape(vals[s]))
            if not at.any():
                continue
            if not kink.pieces:
                return None
            points += [[(s, tuple(e), piece) for piece in kink.pieces] for e in np.argwhere(at)]
    return points


def _reduction(tape: Tape, s: int, vals: Sequence[Any]) -> list[list[Choice]] | None:
    """A max/min reduction at a tie: one piece per tied entry; norm at 0 has none."""
    x, out = np.asarray(vals[tape.args[s][0]], dtype=float), vals[s]
    if tape.nodes[s].op == "norm":
        return None if out == 0 else []
    tied = np.flatnonzero(np.ravel(x) == out)
    if len(tied) < 2:
        return []
    masks = [np.eye(1, x.size, int(j))[0].reshape(x.shape) for j in tied]
    return [[(s, None, mask) for mask in masks]]


def choice_points(tape: Tape, vals: Sequence[Any], active: Sequence[bool]) -> list[list[Choice]] | None:
    """Every kinked entry on the differentiated path and its pieces; None when one has no pieces."""
    points: list[list[Choice]] = []
    for s in range(tape.first_op, len(tape.nodes)):
        prim = tape.prims[s]
        if not active[s] or prim is None:
            continue
        if prim.name in ("amax", "amin", "norm"):
            found = _reduction(tape, s, vals)
        elif prim.rules is None and prim.kinks:
            found = _elementwise(tape, s, vals, active)
        else:
            continue
        if found is None:
            return None
        points += found
    return points


def overrides(tape: Tape, vals: Sequence[Any], partials: Sequence[Any], pick: Sequence[Choice]) -> Overrides:
    """The kinked slots' linearisations with the pieces of `pick` in place, as constants."""
    out: Overrides = {}
    for s, entry, piece in pick:
        if entry is None:  # a tied reduction: x ↦ x[j]
            need = (True,)
            out[s] = Linear(PICK, (vals[tape.args[s][0]],), vals[s], piece, need)
            continue
        if s not in out:
            shape = np.shape(vals[s])
            out[s] = tuple(
                None if p is None else np.array(np.broadcast_to(np.asarray(p, dtype=float), shape)) for p in partials[s]
            )
        for p, slope in zip(out[s], piece, strict=True):
            if p is not None:
                p[entry] = slope
    return out


def settle(
    tape: Tape,
    vals: Sequence[Any],
    active: Sequence[bool],
    partials: Sequence[Any],
    compute: Callable[[Overrides], tuple[np.ndarray, np.ndarray]],
    refuse: Callable[[int], None],
) -> tuple[Overrides | None, str | None]:
    """(the pieces to differentiate with, a note) where every combination of pieces agrees to second order;
    else refuse(order) with the order at which they part (refuse(1) for a kink without pieces)."""
    points = choice_points(tape, vals, active)
    if points is None:
        refuse(1)
        return None, None
    if not points:
        return None, None
    count = math.prod(len(point) for point in points)
    if count > MAX_COMBINATIONS:
        raise AdcliError(
            "limit_exceeded",
            f"{len(points)} kinked entries at this point meet in {count:,} combinations of smooth pieces; adcli "
            f"compares at most {MAX_COMBINATIONS} to decide whether a Hessian exists there, and gives none",
        )
    picks = [overrides(tape, vals, partials, pick) for pick in itertools.product(*points)]
    first = compute(picks[0])
    for pick in picks[1:]:
        other = compute(pick)
        order = 1 if _differ(first[0], other[0]) else 2 if _differ(first[1], other[1]) else 0
        if order:
            refuse(order)
    slots = sorted({s for point in points for s, _, _ in point})
    texts = [tape.text(s) for s in slots]
    note = (
        f"{', '.join(texts)} {'is at a kink' if len(texts) == 1 else 'are at kinks'} ({len(points)} "
        f"entr{'y' if len(points) == 1 else 'ies'}), but the {len(picks)} smooth pieces that meet here have the "
        "same gradient and Hessian: f is twice differentiable at this point"
    )
    return picks[0], note


def drop_warnings(tape: Tape, pieces: Overrides, warnings: list[AdcliWarning]) -> None:
    """The settled kinks' `nondifferentiable` warnings go: the note says what was found instead."""
    texts = {tape.text(s) for s in pieces}
    warnings[:] = [w for w in warnings if not (w.kind == "nondifferentiable" and w.details.get("node") in texts)]
