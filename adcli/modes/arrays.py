"""Jacobians on arrays (issue 12): rows are the outputs' entries, columns the wrt variables' entries.

Reverse mode runs one adjoint sweep per output entry (one sweep in all for a scalar loss: the
gradient), forward mode one tangent sweep per input entry; both call the table's JVP/VJP rules
through adcli.core.shaped. Numeric mode perturbs one entry at a time (central differences,
Richardson-extrapolated, with the difference of the two estimates as the error estimate).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.shaped import adjoint_sweep, evaluate, tangent_sweep
from adcli.core.tape import ERRSTATE, Tape
from adcli.core.workspace import Workspace
from adcli.modes.numeric.stencils import SHRINK, TRIES

#: largest Jacobian assembled (entries); a bigger one is refused before any sweep
MAX_JACOBIAN = 20_000_000


@dataclass
class Found:
    jacobian: np.ndarray  # (outputs' entries, wrt entries)
    sweeps: int
    error: np.ndarray | None = None
    nfev: int | None = None


def sizes(tape: Tape, wrt: int) -> tuple[list[int], list[int]]:
    """Entries of each output and of each wrt variable."""
    shapes = tape.shapes
    assert shapes is not None
    outs = [math.prod(shapes[o]) for o in tape.outputs]
    ins = [math.prod(shapes[k]) for k in range(wrt)]
    if sum(outs) * sum(ins) > MAX_JACOBIAN:
        raise AdcliError(
            "limit_exceeded",
            f"the Jacobian would have {sum(outs):,} × {sum(ins):,} entries; the limit is {MAX_JACOBIAN:,}"
            " (a scalar output, e.g. sum(…), needs one sweep: grad)",
        )
    return outs, ins


def _put(line: np.ndarray, values: Sequence[Any], shapes: Sequence[tuple[int, ...]]) -> None:
    """Each value (None: zeros) copied into its stretch of a Jacobian row or column, row-major, in place:
    one copy straight from the sweep's arrays (a transposed adjoint included), no ravel and concatenate."""
    start = 0
    for v, s in zip(values, shapes, strict=True):
        n = math.prod(s)
        if type(v) is np.ndarray and v.dtype == np.float64:  # a float64 array: numpy's own copy, no dispatch
            line[start : start + n].reshape(s)[...] = v
        elif v is not None:
            np.copyto(line[start : start + n].reshape(s), v)
        else:
            line[start : start + n] = 0.0
        start += n


def reverse_jacobian(  # noqa: PLR0913
    tape: Tape,
    partials: Sequence[Any],
    wrt: int,
    workspace: Workspace | None = None,
    sweep: Any = None,
    found: tuple[list[int], list[int]] | None = None,
) -> Found:
    """One adjoint sweep per output entry (`sweep(partials, cotangent)`: a plan's, core/plan.py, or the generic
    one); `found`: sizes(tape, wrt), where the caller has them."""
    shapes = tape.shapes
    assert shapes is not None
    outs, ins = sizes(tape, wrt) if found is None else found
    matrix = np.empty((sum(outs), sum(ins)))  # every entry is written (_put); np.zeros' calloc faulted fresh pages in
    row = 0
    for i, o in enumerate(tape.outputs):
        for e in range(outs[i]):
            cot: list[Any] = [None] * len(tape.outputs)
            if shapes[o]:
                seed = np.zeros(outs[i])
                seed[e] = 1.0
                cot[i] = seed.reshape(shapes[o])
            else:
                cot[i] = np.float64(1.0)
            adj = adjoint_sweep(tape, partials, cot, workspace) if sweep is None else sweep(partials, cot)
            _put(matrix[row], adj[:wrt], shapes[:wrt])
            row += 1
    return Found(matrix, row)


def forward_jacobian(tape: Tape, partials: Sequence[Any], wrt: int) -> Found:
    shapes = tape.shapes
    assert shapes is not None
    outs, ins = sizes(tape, wrt)
    columns = np.empty((sum(ins), sum(outs)))  # one row per sweep (each entry written), transposed at the end
    column = 0
    for k in range(wrt):
        for e in range(ins[k]):
            seed: list[Any] = [None] * tape.n_inputs
            one = np.zeros(ins[k])
            one[e] = 1.0
            seed[k] = one.reshape(shapes[k]) if shapes[k] else np.float64(1.0)
            tangents = tangent_sweep(tape, partials, seed)
            _put(columns[column], [tangents[o] for o in tape.outputs], [shapes[o] for o in tape.outputs])
            column += 1
    return Found(columns.T, column)


def jvp(tape: Tape, partials: Sequence[Any], direction: Sequence[Any]) -> list[Any]:
    tangents = tangent_sweep(tape, partials, direction)
    shapes = tape.shapes
    assert shapes is not None
    return [np.zeros(shapes[o]) if tangents[o] is None else np.asarray(tangents[o], float) for o in tape.outputs]


def vjp(
    tape: Tape, partials: Sequence[Any], cotangent: Sequence[Any], wrt: int, workspace: Workspace | None = None
) -> list[Any]:
    adj = adjoint_sweep(tape, partials, cotangent, workspace)
    shapes = tape.shapes
    assert shapes is not None
    return [np.zeros(shapes[k]) if adj[k] is None else np.array(adj[k], float) for k in range(wrt)]


ROUNDING = 4 * float(np.finfo(float).eps)  # the values' rounding, carried through the differences by 1/h


def _central(f: Any, inputs: Sequence[Any], k: int, e: int, h: float) -> tuple[np.ndarray, np.ndarray, Any]:
    """Central differences in entry e of input k with steps h and h/2 (powers of 2: x ± h is exact),
    Richardson-combined; their difference (truncation) and the values' rounding over the step (noise)."""
    h = 2.0 ** round(np.log2(h))
    base = np.asarray(inputs[k], dtype=float)
    x0 = float(base.flat[e]) if base.ndim else float(base)
    d, noise = [], 0.0
    for step in (h, h / 2):
        pair = []
        for sign in (1, -1):
            moved = list(inputs)
            bumped = np.array(base, dtype=float)
            if bumped.ndim:
                bumped.flat[e] = x0 + sign * step
            else:
                bumped = np.float64(x0 + sign * step)
            moved[k] = bumped
            pair.append(f(moved))
        d.append((pair[0] - pair[1]) / (2 * step))
        noise = np.maximum(noise, ROUNDING * (np.abs(pair[0]) + np.abs(pair[1])) / step)
    return (4 * d[1] - d[0]) / 3, np.abs(d[1] - d[0]) / 3, noise


def _settled(f: Any, inputs: Sequence[Any], k: int, e: int, h: float) -> tuple[tuple[np.ndarray, np.ndarray], int]:
    """The central difference of the smallest error among steps h, h/64, … (and the tries it took): a stencil
    that leaves the domain (asin of an entry 1e-6 below 1: a domain_error) or whose estimate has not settled
    (1/(x - 1) at x = 1 + 1e-6: h jumped over the pole, +1.5e11 for -1e12) is tried again with steps 64 times
    smaller, as the scalar mode and the numeric Hessian do, until the truncation is below 1e-8 relative or
    below the rounding noise."""
    best: tuple[np.ndarray, np.ndarray] | None = None
    for attempt in range(TRIES):
        try:
            column, truncation, noise = _central(f, inputs, k, e, h * SHRINK**attempt)
            error = truncation + noise
        except AdcliError as exc:
            if exc.kind not in ("domain_error", "nonfinite") or (best is None and attempt == TRIES - 1):
                raise
            if best is not None:
                break
            continue
        if best is None or float(error.max(initial=0)) < float(best[1].max(initial=0)):
            best = (column, error)
        if np.all(truncation <= np.maximum(noise, 1e-8 * np.abs(column))):
            break  # settled, or the rounding already dominates: smaller steps would only add to it
    assert best is not None
    return best, attempt + 1


FAR = 1e3  # a step this many times an entry's own size steps over whatever bends on that size


def _beside_own_scale(f: Any, inputs: Sequence[Any], k: int, e: int, x0: float, best: Any) -> tuple[Any, int]:
    """An entry far smaller than the step (x = 3e-200 beside a step of 6e-6) estimated again with a step on its
    own scale: norm(x) at [3e-200, 4e-200] bends on that scale, and the usual step gave the gradient 0 with an
    error estimate of 2e-15, silently; x + 1 at 1e-30 is right with the usual step and 0 with the small one.
    Which is right cannot be told from values alone: where the two differ beyond their error estimates, the
    usual estimate stays and its error estimate becomes the difference (an `inaccurate` warning, not a silent
    number)."""
    try:
        (column, error), used = _settled(f, inputs, k, e, float(np.cbrt(np.finfo(float).eps) * abs(x0)))
    except AdcliError:
        return best, 0
    gap = np.abs(column - best[0])
    return (best[0], np.where(gap > best[1] + error, np.maximum(best[1], gap), best[1])), used


def numeric_jacobian(tape: Tape, inputs: Sequence[Any], wrt: int) -> Found:
    """Central differences with steps h and h/2 per entry, Richardson-combined; error = their difference
    (smaller steps where that has not settled: _settled)."""
    shapes = tape.shapes
    assert shapes is not None
    outs, ins = sizes(tape, wrt)
    out_shapes = [shapes[o] for o in tape.outputs]

    def f(values: list[Any]) -> np.ndarray:
        vals = evaluate(tape, values)
        line = np.empty(sum(outs))
        _put(line, [vals[o] for o in tape.outputs], out_shapes)
        return line

    columns, errors, nfev = [], [], 1
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for k in range(wrt):
            base = np.asarray(inputs[k], dtype=float)
            for e in range(ins[k]):
                x0 = float(base.flat[e]) if base.ndim else float(base)
                h = float(np.cbrt(np.finfo(float).eps) * max(1.0, abs(x0)))
                best, used = _settled(f, inputs, k, e, h)
                nfev += 4 * used
                if 0 < abs(x0) and h > FAR * abs(x0):
                    best, used = _beside_own_scale(f, inputs, k, e, x0, best)
                    nfev += 4 * used
                columns.append(best[0])
                errors.append(best[1])
    n = sum(outs)
    matrix = np.array(columns).T if columns else np.zeros((n, 0))
    error = np.array(errors).T if errors else np.zeros((n, 0))
    return Found(matrix.reshape(n, sum(ins)), len(columns), error.reshape(n, sum(ins)), nfev)


def entry_labels(name: str, shape: tuple[int, ...]) -> list[str]:
    """`W[1,0]` for each entry of W, row-major; a scalar is its name."""
    if not shape:
        return [name]
    if len(shape) == 1:
        return [f"{name}[{i}]" for i in range(shape[0])]
    if len(shape) == 2:
        return [f"{name}[{i},{j}]" for i in range(shape[0]) for j in range(shape[1])]
    return [f"{name}[{','.join(map(str, idx))}]" for idx in np.ndindex(*shape)]
