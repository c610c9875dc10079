"""How wrong f and its derivatives are as computed in floating point: numeric mode's round-off, from the tape.

Numeric mode divides differences of f by a step, so f's own rounding error, over the step, is the
round-off part of its error estimate. "2 ulps of |f|" is right when f is computed accurately, and
wrong by orders of magnitude when f loses digits inside: 2.5*sin(x^6) at x = -12.962 carries the
rounding of x^6 ≈ 4.8e6 (an absolute 1e-9) into a value of size 2, and its numeric derivative
(3405348.975) was printed as 3405348.583 ± 6.5e-06.

The tape bounds it (a running error analysis, Wilkinson; Higham, Accuracy and Stability of
Numerical Algorithms, ch. 3): each operation rounds its value by up to ULPS·ε·|v| and carries its
arguments' errors by the sizes of its partial derivatives, one forward sweep of absolute values
from exact inputs (stencil points are exact floats) and exact constants (the floats adcli holds):

    e(v) = ULPS·ε·|v| + Σⱼ |∂v/∂vⱼ|·e(vⱼ)                       (`sigma`: per output)

A rounded value that does not move with x (cot(cosh(y)) when x moves) is not noise between stencil
points but a fixed error, and every method measures the derivative of f with it: softplus(x) times
that value has a derivative off by the same relative error, however small the step. The same
sweep carries that into each derivative, the tangents' own running error bound:

    ė(v) = Σⱼ |∂v/∂vⱼ|·ė(vⱼ) + |∂(∂v/∂vⱼ)|·|v̇ⱼ| + ULPS·ε·|∂v/∂vⱼ·v̇ⱼ|      (`drift`: per output and column)

where |∂(∂v/∂vⱼ)| is how much the table's partial moves when its arguments (and the value) move
by their error bounds, measured by evaluating the rule there; the last term is the rounding of
the derivative's own arithmetic (the complex step's: 1/x + 1/sqrt(1 + y²) cancels to 0.012).
Both are first-order bounds: a rounding error that is not small beside its value (sin of 1e40)
makes them huge, which is what they should say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adcli.core.tape import Tape

EPS = float(np.finfo(float).eps)
ULPS = 4.0  # the rounding of one operation, in units of ε·|v|: numpy's functions are within a few ulps
EXACT = frozenset({"neg", "abs", "sign", "relu", "min", "max"})  # no rounding of their own


SUBNORMAL = 2.0**-1074  # the absolute rounding of a result below the normal range (x^2 at 1e-170 is 0)


def _own(name: str, out: Any) -> Any:
    return 0.0 if name in EXACT else ULPS * EPS * np.abs(out) + SUBNORMAL


@dataclass
class Rounding:
    """f's rounding error bound per output, each Jacobian entry's (outputs × columns), and per column the
    distance the variable may move before some primitive on its paths bends (the table's `bend` over the
    tangent: sin(x^6) at x = 13 bends every 1/(6x^5) = 2e-6; inf where nothing bends)."""

    sigma: np.ndarray
    drift: np.ndarray
    extent: np.ndarray


def value_errors(tape: Tape, vals: Sequence[Any]) -> np.ndarray:
    """e(v) at every point of a sweep (vals: arrays over the points), per output (outputs × points).

    Where a partial is not finite at some point (a stencil point on an edge), that point keeps the
    2-ulp model: the bound is a first-order one and says nothing there."""
    error: list[Any] = [0.0] * len(tape.nodes)
    own = ULPS * EPS * np.abs(np.array([vals[o] for o in tape.outputs], dtype=float))
    if _structural(tape):
        return own
    with np.errstate(all="ignore"):
        for s in range(tape.first_op, len(tape.nodes)):
            prim, idx, out = tape.prims[s], tape.args[s], vals[s]
            total = _own(prim.name, out)  # type: ignore[union-attr]
            for rule, j in zip(prim.partials, idx, strict=True):  # type: ignore[union-attr]
                if np.any(error[j]):
                    p = np.abs(rule(*[vals[i] for i in idx], out))
                    total = total + np.where(np.isnan(p), 0.0, p) * error[j]  # (-2)^b: no partial in b, b exact
            error[s] = total
        found = np.array([np.broadcast_to(error[o], np.shape(vals[o])) for o in tape.outputs], dtype=float)
    return np.where(np.isfinite(found), found, own)


def _structural(tape: Tape) -> bool:
    """Whether the tape has array primitives (JVP/VJP rules, no partials): the bounds are for scalar ones."""
    return any(prim is not None and not prim.partials for prim in tape.prims[tape.first_op :])


def _moved(rule: Any, args: list[float], out: float, errors: list[float], out_error: float) -> float:
    """How far the rule's partial moves when each argument (and the value) moves by its error bound, to first order."""
    base = rule(*args, out)
    total = 0.0
    for m, e in enumerate(errors):
        if e:
            moved = list(args)
            moved[m] = args[m] + e
            total += abs(rule(*moved, out) - base)
    if out_error:
        total += abs(rule(*args, out + out_error) - base)
    return total


def bounds(tape: Tape, vals: Sequence[Any], columns: int) -> Rounding | None:
    """The rounding error bounds at one point (vals: the primal sweep there), for the first `columns`
    inputs; None where a partial cannot be evaluated (an overflow): numeric mode keeps its 2-ulp model."""
    n = len(tape.nodes)
    if _structural(tape) or any(np.ndim(v) for v in vals):
        return None
    error = [0.0] * n  # the inputs and constants are exact
    tangent: list[np.ndarray | None] = [None] * n
    drift: list[np.ndarray | None] = [None] * n
    for k in range(columns):
        tangent[k], drift[k] = np.eye(1, columns, k)[0], np.zeros(columns)
    extent = np.full(columns, np.inf)
    try:
        with np.errstate(all="raise", under="ignore"):
            for s in range(tape.first_op, n):
                _bends(tape, vals, s, tangent, extent)
                _slot(tape, vals, s, error, tangent, drift)
    except (FloatingPointError, ZeroDivisionError, OverflowError):
        return None
    zero = np.zeros(columns)
    sigma = np.array([error[o] for o in tape.outputs])
    found = np.array([drift[o] if drift[o] is not None else zero for o in tape.outputs]).reshape(len(sigma), columns)
    if not (np.all(np.isfinite(sigma)) and np.all(np.isfinite(found))):
        return None
    return Rounding(sigma, found, extent)


def _bends(tape: Tape, vals: Sequence[Any], s: int, tangent: list, extent: np.ndarray) -> None:
    """extent[k] = min(extent[k], bend / |∂arg/∂x_k|) over the slot's arguments that move with x_k."""
    prim = tape.prims[s]
    if prim is None or prim.bend is None:
        return
    idx = tape.args[s]
    if all(tangent[j] is None for j in idx):
        return
    with np.errstate(all="ignore"):
        scales = prim.bend(*[float(vals[j]) for j in idx])
        for scale, j in zip(scales, idx, strict=True):
            if tangent[j] is not None and np.isfinite(scale) and scale > 0:
                np.minimum(extent, scale / np.abs(tangent[j]), out=extent)


def _partial(rule: Any, args: list[float], out: float, error: float, tangent: Any) -> float:
    """A partial the sweep needs (the argument moves, or carries an error); 0 where it does not exist for an
    argument that does not move ((-2)^b: no partial in the integer b, whose own error is then moot)."""
    if tangent is None and not error:
        return 0.0
    try:
        return float(rule(*args, out))
    except FloatingPointError:
        if tangent is not None:
            raise
        return 0.0


def _carried(prim: Any, args: list[float], partials: list[float], errors: list[float]) -> float:
    """The arguments' errors carried to the result: |∂f/∂a|·e, except at a kink, where an error moves the
    argument onto either piece: the steeper slope bounds it (abs(y^2) with y^2 underflowed to 0: the
    convention's slope 0 bounded the error by 0; hypothesis found it), and a jump (sign) by its height."""
    for kink in prim.kinks:
        if not any(errors) or not bool(np.any(kink.where(*args))):
            continue
        if not kink.pieces:  # a jump: sign(0 + e) is ±1
            return 1.0
        steepest = [max(abs(piece[i]) for piece in kink.pieces) for i in range(len(args))]
        return sum(max(abs(p), q) * e for p, q, e in zip(partials, steepest, errors, strict=True))
    return sum(abs(p) * e for p, e in zip(partials, errors, strict=True))


def _slot(tape: Tape, vals: Sequence[Any], s: int, error: list, tangent: list, drift: list) -> None:  # noqa: PLR0913
    """One slot of the sweep: its value's error, its tangent (columns) and the tangent's error."""
    prim = tape.prims[s]
    assert prim is not None
    idx = tape.args[s]
    args = [float(vals[j]) for j in idx]
    out = float(vals[s])
    errors = [error[j] for j in idx]
    partials = [_partial(rule, args, out, error[j], tangent[j]) for rule, j in zip(prim.partials, idx, strict=True)]
    error[s] = _own(prim.name, out) + _carried(prim, args, partials, errors)
    t_s = d_s = None
    for rule, p, j in zip(prim.partials, partials, idx, strict=True):
        if tangent[j] is None:
            continue
        moved = _moved(rule, args, out, errors, error[s])
        t_s = p * tangent[j] if t_s is None else t_s + p * tangent[j]
        d = abs(p) * drift[j] + moved * np.abs(tangent[j]) + ULPS * EPS * np.abs(p * tangent[j])  # and its own
        d_s = d if d_s is None else d_s + d
    tangent[s], drift[s] = t_s, d_s
