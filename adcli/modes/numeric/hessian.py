"""Numeric mode for `adcli hess`: second differences at halving steps, Richardson-extrapolated, with estimates.

Every entry comes from function values alone, all in one primal sweep of the tape (numpy arrays):
  H[i, i] ≈ (f(x + hᵢeᵢ) − 2f(x) + f(x − hᵢeᵢ)) / hᵢ²
  H[i, j] ≈ (f(x + hᵢeᵢ + hⱼeⱼ) − f(x + hᵢeᵢ − hⱼeⱼ) − f(x − hᵢeᵢ + hⱼeⱼ) + f(x − hᵢeᵢ − hⱼeⱼ)) / (4hᵢhⱼ)
at steps hᵢ = size(xᵢ)/8 · 2⁻ˡ (powers of 2, so x ± h is exact), l = 0 … LEVELS−1. Both errors are
series in h², h⁴, …, so Neville's tableau (adcli.modes.stencils.tableau) extrapolates them, each entry
with the error estimate that the first-order numeric mode gives (distance to its neighbours plus the
round-off carried through, ε·|f|/h²). The gradient comes from the same points, by central differences.
A stencil that leaves the domain is tried again with steps 64 times smaller: only the variables whose own
steps leave it (down to the shortest step), or all of them where only a mixed corner does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.tape import evaluate
from adcli.modes.numeric import roundoff
from adcli.modes.numeric.stencils import EPS, SHRINK, TRIES, ULPS, size, tableau

LEVELS = 6
FLOOR = 2.0**20  # the shortest reach, in ulps of x: its smallest step still moves x by 2¹² ulps
SQUARABLE = 8 * 2.0**LEVELS * float(np.sqrt(np.finfo(float).tiny))  # and h² of its smallest step is a normal float
INACCURATE = 1e-7  # an entry's estimate above this, relative to the largest entry, is `inaccurate`


def _steps(base: np.ndarray, scale: Any, extent: np.ndarray | None = None) -> np.ndarray:
    """LEVELS × n steps: powers of 2 near reach/8, halving level by level. The reach is the variable's size,
    or the distance it may move before some primitive of f bends, where that is shorter (the table's `bend`
    through the tangents, as the first-order numeric mode takes it: 1/(x − y) at y = x − 1e-7 bends within
    1e-7 of x, where steps of 1/8 jumped over the pole), never so short that the steps move nothing."""
    reach = [size(x) for x in base]
    if extent is not None:
        floor = [max(FLOOR * float(np.spacing(abs(x))), SQUARABLE) for x in base]
        reach = [max(min(r, float(e)), f) for r, e, f in zip(reach, extent, floor, strict=True)]
    first = np.array([2.0 ** round(np.log2(r / 8)) for r in reach]) * scale
    return first[None, :] * 0.5 ** np.arange(LEVELS)[:, None]


def _displacements(h: np.ndarray, n: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """The stencil's moves (points × n) for every level: ± on the diagonal, four corners per pair."""
    pairs = [(i, j) for i in range(n) for j in range(i + 1, n)]
    moves = []
    for level in h:
        for i in range(n):
            for sign in (1, -1):
                move = np.zeros(n)
                move[i] = sign * level[i]
                moves.append(move)
        for i, j in pairs:
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                move = np.zeros(n)
                move[i], move[j] = si * level[i], sj * level[j]
                moves.append(move)
    return np.array(moves).reshape(-1, n), pairs


def _values(problem: Any, base: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """f at base + each move (only the first n inputs move), in one primal sweep."""
    tape, n = problem.tape, moves.shape[1]
    if tape.shapes is not None:
        return _array_values(problem, base, moves)
    inputs = [float(problem.point.get(name, 0.0)) for name in tape.names]
    arrays = [np.full(len(moves), float(v)) for v in inputs]
    for k in range(n):
        arrays[k] = base[k] + moves[:, k]
    vals = evaluate(tape, arrays)
    return np.broadcast_to(vals[tape.outputs[0]], (len(moves),)).astype(float)


def _array_values(problem: Any, base: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """f at base + each move for array variables (base: their entries flattened), one primal sweep a point:
    the array tape evaluates one point at a time."""
    from adcli.core.shaped import evaluate as evaluate_arrays

    tape, shapes = problem.tape, problem.tape.shapes
    inputs = [np.asarray(problem.point.get(name, 0.0), dtype=float)[()] for name in tape.names]
    sizes = [int(np.prod(shapes[k], dtype=int)) for k in range(len(problem.wrt))]
    cuts = np.cumsum([0, *sizes])
    out = np.empty(len(moves))
    for i, move in enumerate(moves):
        moved = list(inputs)
        for k in range(len(sizes)):
            moved[k] = (base[cuts[k] : cuts[k + 1]] + move[cuts[k] : cuts[k + 1]]).reshape(shapes[k])[()]
        out[i] = float(evaluate_arrays(tape, moved)[tape.outputs[0]])
    return out


def flat_base(problem: Any, vals: list[Any]) -> np.ndarray:
    """The wrt variables' values at the point, arrays flattened row-major and concatenated."""
    parts = [np.ravel(np.asarray(v, dtype=float)) for v in vals[: len(problem.wrt)]]
    return np.concatenate(parts) if parts else np.zeros(0)


EDGE_TRIES = 12  # shrinks of one variable's steps near its domain's edge: 64¹² takes size/8 to 1e-22 of it


def _sample(
    problem: Any, base: np.ndarray, extent: np.ndarray | None, scale: Any = 1.0
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], Any]:
    """The steps, f at the stencil, the pairs, and the step scales (one per variable) that stayed inside the
    domain. Where the stencil leaves it, the variables whose own steps leave it shrink theirs, each on its
    own, down to the shortest step (asin at x = [0.999999, 0.1] on arrays, which have no bend extent: one
    scale for all gave x[1] = 0.1 steps of 5e-7 and a second difference 0.1015625 for 0.1015190, and
    [1 - 1e-10, 0.1] was a domain_error); where no single variable does (a corner of a mixed pair), all do."""
    n = len(base)
    scales = np.broadcast_to(np.asarray(scale, dtype=float), (n,)).copy()
    together, last, edge = 0, None, ""
    for _ in range(EDGE_TRIES + TRIES):
        h = _steps(base, scales, extent)
        moves, pairs = _displacements(h, n)
        try:
            return h, _values(problem, base, moves), pairs, scales
        except AdcliError as exc:
            if exc.kind not in ("domain_error", "nonfinite"):
                raise
            last = exc
        culprits = _leaving(problem, base, h[0])
        if culprits and all(h[0, i] <= _shortest(base[i]) for i in culprits):
            edge = "; the point is nearer the domain's edge than the shortest step, which moves x by 2¹² ulps"
            break
        if not culprits:
            together += 1
            if together >= TRIES:
                break
            scales *= SHRINK
        for i in culprits:  # 64 times shorter, or the shortest step (a power of 2 at or above it)
            shortest = 2.0 ** np.ceil(np.log2(_shortest(base[i])))
            scales[i] *= max(SHRINK, min(1.0, shortest / h[0, i]))
    assert last is not None
    last.message += f" (a point of the second-difference stencil{edge})"
    raise last


def _shortest(x: float) -> float:
    """The shortest first step a variable takes: its smallest step still moves x by 2¹² ulps."""
    return max(FLOOR * float(np.spacing(abs(x))), SQUARABLE) / 8


def _leaving(problem: Any, base: np.ndarray, first: np.ndarray) -> list[int]:
    """The variables whose own largest steps (±, the others still) leave the domain or overflow."""
    out = []
    for i in range(len(base)):
        move = np.zeros((2, len(base)))
        move[:, i] = (first[i], -first[i])
        try:
            _values(problem, base, move)
        except AdcliError as exc:
            if exc.kind not in ("domain_error", "nonfinite"):
                raise
            out.append(i)
    return out


def hessian(problem: Any, result: Any, vals: list[Any]) -> tuple[np.ndarray, float, float]:
    """(Hessian, the gradient's and the eigenvalues' slack from the error estimates); the gradient, the
    error estimates and the cost go into result."""
    tape = problem.tape
    base = flat_base(problem, vals)
    n = len(base)
    f0 = float(vals[tape.outputs[0]])
    rounding = roundoff.bounds(tape, vals, n) if tape.shapes is None else None
    extent = rounding.extent if rounding is not None else None
    best, error, pairs, scale = _extrapolated(problem, base, f0, extent, 1.0)
    tried, rounds = scale, 1
    while tape.shapes is not None and rounds < TRIES and _unsettled(best, error, n):
        # arrays have no bend extent (the scalar tape's roundoff bounds): steps from size/8 can jump across
        # all of f's curvature (logsumexp at x = 300: a mixed entry -0.034 for -0.197, its estimate 0.019)
        try:
            again = _extrapolated(problem, base, f0, extent, tried * SHRINK)
        except AdcliError:
            break
        tried, rounds = again[3], rounds + 1
        if float(again[1].max(initial=0)) < float(error.max(initial=0)):
            best, error, pairs, scale = again
    matrix, estimate = np.diag(best[:n]), np.diag(error[:n])
    for k, (i, j) in enumerate(pairs):
        matrix[i, j] = matrix[j, i] = best[n + k]
        estimate[i, j] = estimate[j, i] = error[n + k]
    result.gradient = [float(g) for g in best[n + len(pairs) :]]
    gradient_error = error[n + len(pairs) :]
    result.error_estimate = estimate.tolist()
    nfev = LEVELS * (2 * n + 4 * len(pairs)) * rounds + 1
    result.sweeps = 1
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "function_evaluations": nfev}
    result.notes.append(
        f"numeric: second differences at {LEVELS} halving steps per variable (from size/8"
        f"{_scaled(scale)}), "
        "Richardson-extrapolated; "
        f"{nfev} function evaluations in one sweep"
    )
    _inaccurate(result, matrix, estimate)
    _inaccurate_gradient(result, base, f0, matrix, gradient_error)
    return matrix, float(gradient_error.max(initial=0.0)), _norm(estimate)


def _scaled(scale: Any) -> str:
    """The note's words on the steps' scales: one number, or the smallest where the variables differ."""
    scale = np.asarray(scale, dtype=float)
    if np.all(scale == 1):
        return ""
    if np.all(scale == scale.flat[0]):
        return f", scaled by {float(scale.flat[0]):g} to stay in the domain or to settle"
    return f", some variables' scaled by down to {float(scale.min()):g} to stay in the domain or to settle"


def _extrapolated(
    problem: Any, base: np.ndarray, f0: float, extent: np.ndarray | None, scale: Any
) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]], Any]:
    """The entries (diagonal, mixed, gradient) Richardson-extrapolated from steps at this scale (or smaller,
    where the stencil left the domain), their error estimates, the pairs, and the scale used."""
    n = len(base)
    h, f, pairs, scale = _sample(problem, base, extent, scale)
    per_level = 2 * n + 4 * len(pairs)
    f = f.reshape(LEVELS, per_level)
    plus, minus = f[:, 0 : 2 * n : 2], f[:, 1 : 2 * n : 2]
    corners = f[:, 2 * n :].reshape(LEVELS, len(pairs), 4)
    try:
        d, noise = _differences(f0, h, plus, minus, corners, pairs)
    except FloatingPointError as exc:  # values near the largest float: 1e308*x*x (fuzzing)
        raise AdcliError(
            "nonfinite",
            f"the numeric Hessian's differences overflowed ({exc}): the function's values are too near the"
            " largest float",
        ) from None
    best, error, _, _ = tableau(d, noise, 2.0, 2)
    return best, error, pairs, scale


def _unsettled(best: np.ndarray, error: np.ndarray, n: int) -> bool:
    """A Hessian entry's estimate above INACCURATE of the largest entry (what `_inaccurate` warns about)."""
    hessian = best[: len(best) - n]
    return bool(np.any(error[: len(best) - n] > INACCURATE * max(float(np.abs(hessian).max(initial=0)), 1e-300)))


def _norm(estimate: np.ndarray) -> float:
    """The estimates' 2-norm, scaled first: squaring 3e292 overflowed to inf (exp(x) at 700), so no eigenvalue
    counted as positive (positive_definite false for H = 1e304)."""
    largest = float(np.abs(estimate).max(initial=0.0))
    return largest * float(np.linalg.norm(estimate / largest)) if largest > 0 else 0.0


def _differences(f0: float, h: Any, plus: Any, minus: Any, corners: Any, pairs: Any) -> tuple[np.ndarray, np.ndarray]:
    """Second differences (diagonal, mixed) and first (the gradient) at each level, with their rounding noise."""
    with np.errstate(divide="raise", over="raise", invalid="raise"):
        diagonal = (plus - 2 * f0 + minus) / h**2
        diagonal_noise = ULPS * EPS * (np.abs(plus) + 2 * abs(f0) + np.abs(minus)) / h**2
        hi = np.array([[level[i] for i, _ in pairs] for level in h]).reshape(LEVELS, len(pairs))
        hj = np.array([[level[j] for _, j in pairs] for level in h]).reshape(LEVELS, len(pairs))
        mixed = (corners[..., 0] - corners[..., 1] - corners[..., 2] + corners[..., 3]) / (4 * hi * hj)
        mixed_noise = ULPS * EPS * np.abs(corners).sum(axis=2) / (4 * hi * hj)
        slope = (plus - minus) / (2 * h)
        slope_noise = ULPS * EPS * (np.abs(plus) + np.abs(minus)) / (2 * h)
    d = np.concatenate([diagonal, mixed, slope], axis=1)
    return d, np.concatenate([diagonal_noise, mixed_noise, slope_noise], axis=1)


def _inaccurate_gradient(result: Any, base: np.ndarray, f0: float, matrix: np.ndarray, error: np.ndarray) -> None:
    """The gradient comes from the same steps, which suit second differences, not always slopes: across a
    branch cut (atan2 at y = 1e-4, x < 0) its slope was 57.6 for -1 with no word. Each entry's estimate is
    measured as the first-order mode's (against |∂f/∂x|, or |f|/size(x)), or against H's size·size(x)
    near a critical point, where the gradient is noise about 0."""
    gradient = np.asarray(result.gradient, dtype=float)
    largest = float(np.abs(matrix).max(initial=0.0))
    sizes = np.array([size(x) for x in base])
    yardstick = np.maximum.reduce([np.abs(gradient), abs(f0) / sizes, largest * sizes])
    bad = np.flatnonzero(error > INACCURATE * np.maximum(yardstick, 1e-300))
    if len(bad):
        i = int(bad[0])
        entry = f"df/d{result.names[i]} = {gradient[i]:.6g} ± {error[i]:.2g}"
        message = f"the gradient's central differences did not settle to 1e-7: {entry}"
        result.warnings.append(AdcliWarning("inaccurate", message, {"gradient_entries": [int(k) for k in bad]}))


def _inaccurate(result: Any, matrix: np.ndarray, estimate: np.ndarray) -> None:
    largest = float(np.abs(matrix).max(initial=0.0))
    bad = np.argwhere(estimate > INACCURATE * max(largest, 1e-300))
    if len(bad):
        i, k = (int(v) for v in bad[0])
        entry = f"d2f/d{result.names[i]}d{result.names[k]} = {matrix[i, k]:.6g} ± {estimate[i, k]:.2g}"
        message = f"the second differences did not settle to 1e-7 of the largest entry: {entry}"
        details = {"entries": [[int(a), int(b)] for a, b in bad]}
        result.warnings.append(AdcliWarning("inaccurate", message, details))
