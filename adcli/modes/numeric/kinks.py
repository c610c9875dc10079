"""Numeric mode at a kink (abs at 0, relu at 0, max at a tie, sign's jump): each side measured on its own.

At a kink the difference quotients of the methods converge to different things: forward
differences to the right-hand derivative, backward ones to the left-hand derivative, central ones
to their average; across a jump they do not converge at all (they grow like the jump over 2h).
So where the tape says that the point is a kink of some primitive on the path of an entry
∂fᵢ/∂xₖ, numeric mode measures the two sides of that entry separately: f at x ± H·2^-j
(j = 0 … 6, H = size/8 or --step), never f(x) itself, secants between neighbours on each side,
extrapolated (Richardson, error series in h). The entry's value is what the method converges to
(right, left, or the average), and its estimate covers both sides: at a kink the derivative is not
one number, and an estimate of a few ulps would be a lie. The kink's warning says all this in
numbers (adcli.modes.numeric.kinks.reword), instead of the AD modes' convention.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.tape import ERRSTATE, Tape
from adcli.modes.numeric.stencils import Sampler, rounding, size, tableau

POINTS = 7  # per side: x ± H·2^-j for j < POINTS, so six secants to extrapolate
JUMP = 1e-8  # a one-sided limit of f this far from f(x) (relative) is a jump
HOW = {
    "forward": "used the right-hand derivative (what forward differences converge to)",
    "backward": "used the left-hand derivative (what backward differences converge to)",
    "central": "used the average of the two one-sided derivatives (what central differences converge to)",
    "richardson": "used the average of the two one-sided derivatives (what central differences converge to)",
    "complex": "used the average of the two one-sided derivatives (the complex step needs one analytic piece)",
}


@dataclass
class Entry:
    """One Jacobian entry at a kink: both sides, what was reported, and a jump of f if any."""

    output: int
    column: int
    left: float | None  # None: that side is outside the domain
    right: float | None
    value: float
    error: float
    jump: float | None = None  # f(x+) - f(x-) when f itself jumps here


@dataclass
class Record:
    """A kinked slot and the entries it touches."""

    slot: int
    node: str  # tape.text(slot): the kink warning's "node"
    entries: list[Entry] = field(default_factory=list)


# ---- where -------------------------------------------------------------------------------------


def _held(tape: Tape, vals: Sequence[Any], s: int, deps: Sequence[int]) -> int:
    """The inputs (a bitset) whose change meets a kink of slot s at the point: those under the kink's
    argument (`along`), or under the whole slot; 0 where no kink holds. Kinks that refuse never get here:
    the primal sweep raised their error."""
    prim = tape.prims[s]
    if prim is None or not prim.kinks:
        return 0
    args = [vals[j] for j in tape.args[s]]
    held = 0
    for kink in prim.kinks:
        if kink.refuse is not None:
            continue
        with np.errstate(all="ignore"):
            if bool(np.any(kink.where(*args))):
                held |= deps[s] if kink.along is None else deps[tape.args[s][kink.along]]
    return held


def located(tape: Tape, vals: Sequence[Any], deps: Sequence[int], wrt: int) -> dict[int, int]:
    """The slots where a kink of the table (with finite one-sided derivatives) holds at the point, on the
    path of some column among the first `wrt`: slot -> the columns (a bitset) it concerns."""
    columns = (1 << wrt) - 1
    found = {}
    for s in range(tape.first_op, len(tape.nodes)):
        if deps[s] & columns:
            held = _held(tape, vals, s, deps) & columns
            if held:
                found[s] = held
    return found


def _bits(bits: int) -> list[int]:
    """The positions of the set bits of a non-negative int, lowest first."""
    found = []
    while bits:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return found


def paths(tape: Tape, kinked: Mapping[int, int], needs: np.ndarray) -> dict[int, np.ndarray]:
    """For each kinked slot, outputs × wrt: the entries whose paths pass through it, in the columns the
    kink concerns (one loop over the tape)."""
    feeds = [0] * len(tape.nodes)  # bitsets of the outputs each slot feeds
    for i, o in enumerate(tape.outputs):
        feeds[o] |= 1 << i
    for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
        if feeds[s]:
            for j in tape.args[s]:
                feeds[j] |= feeds[s]
    found = {}
    for s in kinked:
        entries = np.zeros_like(needs)
        columns = [k for k in _bits(kinked[s]) if k < needs.shape[1]]
        for i in _bits(feeds[s]):
            entries[i, columns] = True
        found[s] = entries & needs
    return found


def affected(tape: Tape, kinked: Mapping[int, int], needs: np.ndarray) -> np.ndarray:
    """outputs × wrt: the entries with a kinked slot between output and input."""
    found = np.zeros_like(needs)
    for entries in paths(tape, kinked, needs).values():
        found |= entries
    return found


# ---- measuring both sides ----------------------------------------------------------------------


def _side(points: np.ndarray, fx: np.ndarray, bound: np.ndarray | None) -> tuple[np.ndarray, ...]:
    """One side's derivative and its estimate, and the one-sided limit of f and its estimate (per output).

    points go from far (x ± H) to near (x ± H/64); secants between neighbours are derivatives at
    their midpoints, whose distances to x halve: a Richardson series in h (order 1, ratio 2).
    """
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        width = points[:-1] - points[1:]
        secant = (fx[:, :-1] - fx[:, 1:]) / width
        near = rounding(fx, bound)
        noise = (near[:, :-1] + near[:, 1:]) / np.abs(width)
    slope, slope_error, _, _ = tableau(secant.T, noise.T, 2.0, 1)
    limit, limit_error, _, _ = tableau(fx.T, near.T, 2.0, 1)
    return slope, slope_error, limit, limit_error


def _sides(sampler: Sampler, columns: Sequence[int], tops: Sequence[float]) -> dict[int, dict[int, Any]]:
    """Both sides of each column (None for a side outside the domain): one sweep, or side by side on an error."""
    requests = []
    for k, top in zip(columns, tops, strict=True):
        steps = top * 0.5 ** np.arange(POINTS)
        requests += [(k, sampler.base[k] + steps), (k, sampler.base[k] - steps)]
    try:
        sampled = sampler.measured(requests)
    except AdcliError as exc:
        if exc.kind not in ("domain_error", "nonfinite"):
            raise
        sampled = [_one(sampler, request) for request in requests]
    return {
        k: {
            1: _measured(requests[2 * n][1], sampled[2 * n]),
            -1: _measured(requests[2 * n + 1][1], sampled[2 * n + 1]),
        }
        for n, k in enumerate(columns)
    }


def _one(sampler: Sampler, request: tuple[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray | None] | None:
    try:
        (found,) = sampler.measured([request])
    except AdcliError as exc:
        if exc.kind not in ("domain_error", "nonfinite"):
            raise
        return None
    return found


def _measured(points: np.ndarray, found: tuple[np.ndarray, np.ndarray | None] | None) -> tuple[np.ndarray, ...] | None:
    return None if found is None else _side(points, *found)


def measure(  # noqa: PLR0913 - the state of numeric mode
    sampler: Sampler,
    method: str,
    step: float | None,
    kinked: Mapping[int, int],
    entries: np.ndarray,
    result: Any,
) -> list[Record]:
    """The entries at a kink, side by side, into result.jacobian and result.error; a record per kinked slot."""
    tape = sampler.tape
    columns = [int(k) for k in np.flatnonzero(entries.any(axis=0))]
    tops = [step or size(sampler.base[k]) / 8 for k in columns]
    sides = _sides(sampler, columns, tops)
    measured: dict[tuple[int, int], Entry] = {}
    for k, top in zip(columns, tops, strict=True):
        smallest = top * 0.5 ** (POINTS - 1)
        for i in np.flatnonzero(entries[:, k]):
            measured[(int(i), k)] = _entry(int(i), k, method, sides[k], float(sampler.f0[i]), smallest)
    for (i, k), entry in measured.items():
        result.jacobian[i, k], result.error[i, k] = entry.value, entry.error
    through = paths(tape, kinked, entries)
    return [Record(s, tape.text(s), [measured[(int(i), int(k))] for i, k in np.argwhere(through[s])]) for s in kinked]


def _entry(i: int, k: int, method: str, sides: dict[int, Any], f_at: float, smallest: float) -> Entry:  # noqa: PLR0913
    """Entry (i, k) from both sides; across a jump, the ± is the quotient across it at the smallest step."""
    right, left = sides[1], sides[-1]
    if right is None or left is None:  # one side outside the domain: the other side is all there is
        there = right if right is not None else left
        if there is None:
            raise AdcliError("domain_error", "the point is a kink with no room inside the domain on either side")
        value, error = float(there[0][i]), float(there[1][i])
        return Entry(i, k, value if left is not None else None, value if right is not None else None, value, error)
    (r, r_error), (l_, l_error) = (float(right[0][i]), float(right[1][i])), (float(left[0][i]), float(left[1][i]))
    spread = abs(r - l_)
    if method == "forward":
        value, error = r, r_error + spread
    elif method == "backward":
        value, error = l_, l_error + spread
    else:
        value, error = (r + l_) / 2, max(r_error, l_error) + spread / 2
    upper, lower = float(right[2][i]), float(left[2][i])  # f(x+) and f(x-)
    noise = max(float(right[3][i]), float(left[3][i]))
    jump = (
        upper - lower if abs(upper - lower) > max(100 * noise, JUMP * max(abs(f_at), abs(upper), abs(lower))) else None
    )
    if jump is not None:  # no derivative at all: difference quotients across the jump reach |jump|/2h and beyond
        error = max(error, abs(jump) / (2 * smallest))
    return Entry(i, k, l_, r, value, error, jump)


# ---- the warning -------------------------------------------------------------------------------


def entry_name(outputs: Sequence[str], wrt: Sequence[str], i: int, k: int) -> str:
    """d(output)/dx for messages: the output's text, or f1, f2, … when it is long."""
    return f"d({output_name(outputs, i)})/d{wrt[k]}"


def output_name(outputs: Sequence[str], i: int) -> str:
    return outputs[i] if i < len(outputs) and len(outputs[i]) <= 40 else f"f{i + 1}"


def reword(
    warnings: Sequence[AdcliWarning], records: Sequence[Record], method: str, outputs: Sequence[str], wrt: Sequence[str]
) -> list[AdcliWarning]:
    """The kink warnings of the primal sweep, saying what numeric mode measured instead of the AD convention."""
    by_node = {r.node: r for r in records}
    out = []
    for w in warnings:
        record = by_node.get(str(w.details.get("node"))) if w.kind == "nondifferentiable" else None
        if record is None or not record.entries:
            out.append(w)
            continue
        d, entries = w.details, record.entries
        head = (
            f"{d.get('node')} is not differentiable at {d.get('at')}: "
            f"left derivative {d.get('left')}, right derivative {d.get('right')}"
        )
        jumps = [e for e in entries if e.jump is not None]
        if jumps:
            e = jumps[0]
            head += (
                f"; {output_name(outputs, e.output)} jumps here by {e.jump:.6g}, so it has no derivative there "
                f"(difference quotients across a jump grow like 1/h without limit: the ± is the one at the smallest "
                f"step tried, not a bound); numeric mode ({method}) "
                f"measured the slope of the pieces on either side and {HOW[method]}"
            )
        elif all(e.left is None or e.right is None for e in entries):  # a domain's edge: one side is all there is
            head += f"; numeric mode ({method}) measured the side inside the domain and used it"
        else:
            head += f"; numeric mode ({method}) measured each side on its own and {HOW[method]}"
        told = "; ".join(_told(e, outputs, wrt) for e in entries[:4])
        more = f" and {len(entries) - 4} more" if len(entries) > 4 else ""
        covered = any(e.left is not None and e.right is not None and e.left != e.right for e in entries)
        details = {**d, "convention": f"numeric mode ({method}) {HOW[method]}"}
        details["numeric"] = [
            {"output": e.output + 1, "wrt": wrt[e.column], "left": e.left, "right": e.right, "value": e.value,
             "error": e.error, "jump": e.jump}
            for e in entries
        ]  # fmt: skip
        tail = "; the ± covers both sides" if covered else ""
        out.append(replace(w, message=f"{head}: {told}{more}{tail}", details=details))
    return out


def _told(e: Entry, outputs: Sequence[str], wrt: Sequence[str]) -> str:
    sides = ", ".join(
        f"{which} " + ("outside the domain" if v is None else f"{v:.6g}")
        for which, v in (("left", e.left), ("right", e.right))
    )
    return f"{entry_name(outputs, wrt, e.output, e.column)} = {e.value:.6g} ± {e.error:.2g} ({sides})"
