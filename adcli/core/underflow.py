"""Partials that underflow float64 while the derivative they feed does not: found and bounded, then flagged.

atan2(y, (1/y)^3) at y = 6.8e-49: ∂atan2/∂x = -y/(x² + y²) is about -7e-338, below float64's smallest number,
so it rounds to 0; the tangent it multiplies, d(1/y)^3/dy ≈ -5e192, is huge, and their product, 3y³, is a
quarter of the derivative 4y³. Nothing overflows or divides by zero, so nothing raised: the sweeps gave y³,
silently. No rescaling of the rule helps (the partial itself is not a float64 number), and reverse mode's
adjoint of x is that same number, so the modes cannot compute it right in float64; they say so instead.

The sweeps run with numpy's underflow flag recording (tape.local_partials' `underflow`), so the common case
costs nothing. When a rule underflowed, this module bounds what was lost: an edge whose partial rounded to
0 or a subnormal lost at most TINY, which reaches output i and input k multiplied by at most |ȳᵢ|·|v̇ₖ| (the
absolute adjoint and tangent sweeps, with each lost partial counted as TINY). Where that bound is more than
RELATIVE of the derivative (and more than FLOOR, the noise of float64's smallest numbers), the result carries
an `inaccurate` warning naming the operation, instead of a silently wrong number.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliWarning
from adcli.core.printing import format_number
from adcli.core.tape import Tape

TINY = float(np.finfo(float).tiny)  # 2.2e-308, the smallest normal float64
RELATIVE = 1e-10  # a possible loss above this share of the derivative is flagged
FLOOR = 1e-300  # losses below this are float64's own rounding of numbers this small (exp(-800)' = 0)

Edge = tuple[int, int, Any]  # slot, argument position, where the partial underflowed (bool or mask)


def _lost_edges(tape: Tape, vals: Sequence[Any], partials: Sequence[Any], active: Sequence[bool]) -> list[Edge]:
    """The active edges whose partial is 0 or subnormal because its rule underflowed (not an exact 0: sign')."""
    edges = []
    for s in range(tape.first_op, len(vals)):
        local = partials[s]
        if local is None:
            continue
        prim, idx = tape.prims[s], tape.args[s]
        for pos, (p, j) in enumerate(zip(local, idx, strict=True)):
            if p is None or not active[j]:
                continue
            small = np.abs(np.asarray(p, dtype=float)) < TINY
            if not np.any(small):
                continue
            try:
                with np.errstate(all="ignore", under="raise"):
                    prim.partials[pos](*[vals[i] for i in idx], vals[s])  # type: ignore[union-attr]
            except FloatingPointError:
                edges.append((s, pos, small))
    return edges


def _widened(partials: Sequence[Any], edges: list[Edge]) -> list[Any]:
    """|∂vᵢ/∂vⱼ| with each underflowed partial counted as TINY (the most it can have lost)."""
    wide = [None if local is None else [None if p is None else np.abs(p) for p in local] for local in partials]
    for s, pos, small in edges:
        wide[s][pos] = np.where(small, TINY, wide[s][pos])  # type: ignore[index]
    return wide


def _forward_abs(tape: Tape, wide: Sequence[Any], k: int) -> list[Any]:
    """|v̇| for the input k, every term taken positive: a bound on how much each slot moves with input k."""
    t: list[Any] = [None] * len(tape.nodes)
    t[k] = 1.0
    for s in range(tape.first_op, len(t)):
        local = wide[s]
        if local is None:
            continue
        terms = [p * t[j] for p, j in zip(local, tape.args[s], strict=True) if p is not None and t[j] is not None]
        t[s] = sum(terms) if terms else None
    return t


def _reverse_abs(tape: Tape, wide: Sequence[Any], out: int) -> list[Any]:
    """|v̄| for the output `out` (a slot), every term taken positive."""
    a: list[Any] = [None] * len(tape.nodes)
    a[out] = 1.0
    for s in range(len(a) - 1, tape.first_op - 1, -1):
        g, local = a[s], wide[s]
        if g is None or local is None:
            continue
        for p, j in zip(local, tape.args[s], strict=True):
            if p is not None:
                a[j] = p * g if a[j] is None else a[j] + p * g
    return a


def loss_bound(tape: Tape, vals: Sequence[Any], partials: Sequence[Any], active: Sequence[bool], n_wrt: int) -> Any:
    """(bound, edges): bound[i][k] bounds what underflowed partials took from ∂yᵢ/∂xₖ (None: nothing underflowed)."""
    edges = _lost_edges(tape, vals, partials, active)
    if not edges:
        return None, edges
    wide = _widened(partials, edges)
    with np.errstate(all="ignore"):  # an overflowing bound is inf: flagged
        tangents = [_forward_abs(tape, wide, k) for k in range(n_wrt)]
        bound = []
        for out in tape.outputs:
            adj = _reverse_abs(tape, wide, out)
            row = []
            for k in range(n_wrt):
                lost = [
                    TINY * adj[s] * tangents[k][tape.args[s][pos]] * small
                    for s, pos, small in edges
                    if adj[s] is not None and tangents[k][tape.args[s][pos]] is not None
                ]
                row.append(sum(lost) if lost else 0.0)
            bound.append(row)
    return bound, edges


def flagged(bound: Any, found: Any) -> Any:
    """Where the bound matters beside the derivative found (a bool, or a mask over points)."""
    with np.errstate(all="ignore"):
        return (np.asarray(bound) > FLOOR) & (np.asarray(bound) > RELATIVE * np.abs(np.asarray(found, dtype=float)))


def warning(tape: Tape, edges: list[Edge], bound: float, found: float, what: str, where: Any = None) -> AdcliWarning:
    """The `inaccurate` warning: which partial underflowed, and how much of the derivative may be missing."""
    s, pos, _ = edges[0]
    node, arg = tape.text(s), tape.text(tape.args[s][pos], 30)
    more = f" (and {len(edges) - 1} more)" if len(edges) > 1 else ""
    message = (
        f"{what} may be inaccurate: the partial of {node} in {arg} underflowed float64 (below {TINY:.3g}) and "
        f"was rounded to 0{more}, while it multiplies a large derivative; up to {format_number(bound)} of the "
        f"derivative, found as {format_number(found)}, may be missing"
    )
    details = {"cause": "underflow", "node": node, "argument": arg, "bound": bound}
    return AdcliWarning("inaccurate", message, details, where)
