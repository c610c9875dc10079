"""Hessian-vector products from the local Hessians: forward-over-reverse without duals in the sweeps.

Forward-over-reverse on duals (adcli.modes.nested) pushes tangents through every rule once per
direction. But the tangent of a rule's output is linear in the tangents of its arguments: each slot
s = φₛ(a₁, …, aₘ) has a local Hessian Qₛ[j][k] = ∂²φₛ/∂aⱼ∂aₖ, found once per point by evaluating the
table's partials on duals seeded one argument at a time (the rules are differentiated again, as in
nested mode: no second table). With the adjoints v̄ₛ of the reverse sweep, H·v is

    ṫ  = the tangents of v through the tape (the local partials P, as forward mode),
    r_{aⱼ} += v̄ₛ · Σₖ Qₛ[j][k] · ṫ_{aₖ}     over the nonlinear slots s,
    H·v = the adjoint sweep (the same P, transposed) started from r instead of the output's 1,

the second-order adjoint of Christianson (1992) and of ADOL-C, with the local Hessians written out; one
reverse sweep carries v̄ and its tangent together. Per direction the sweeps are then plain multiply-adds
on numbers (no object per slot), and the Qₛ every direction shares are formed once: the Hessian by
colours (adcli.modes.sparsity) pays for the rules on duals once, not once per colour, and two colours
share a sweep as the real and imaginary parts of a complex tangent.

A kink met by a rule is an error of order 2 naming the node, as in nested mode. A local Hessian out of
range where the products are not (a rule dividing by a subnormal) hands the work to the sweep on duals
of adcli.modes.nested, which names the node where the second derivative truly fails.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core.tape import ERRSTATE, Tape
from adcli.modes import nested, sparsity
from adcli.modes.nested import Dual, KinkError, second_order_failure, with_pieces

#: per slot, its local Hessian's entries (argument slot j, argument slot k, ∂²φₛ/∂aⱼ∂aₖ)
Curvature = list[tuple[int, int, Any]]


def _local_hessian(tape: Tape, s: int, vals: Sequence[Any], local: tuple[Any, ...]) -> Curvature:
    """Qₛ's entries: the rules on duals with argument k seeded, for each moving k (one rule call where one
    argument moves, as in x^2). A rule that gives a plain number does not depend on aₖ (mul's ∂/∂a = b,
    seeded in a): no entry."""
    idx, rules = tape.args[s], tape.prims[s].partials  # type: ignore[union-attr]
    moving = [k for k, p in enumerate(local) if p is not None]
    if len(moving) == 1:  # x^2, exp(x), x^y with y fixed: one seed, one rule
        k = moving[0]
        a = [vals[j] for j in idx]
        a[k] = Dual(a[k], 1.0)
        d = rules[k](*a, Dual(vals[s], local[k]))
        return [(idx[k], idx[k], d.tangent)] if type(d) is Dual and d.tangent is not None else []
    entries = []
    for k in moving:
        a = [vals[j] for j in idx]
        a[k] = Dual(a[k], 1.0)
        out = Dual(vals[s], local[k])
        for j in moving:
            d = rules[j](*a, out)
            if type(d) is Dual and d.tangent is not None:
                entries.append((idx[j], idx[k], d.tangent))
    return entries


def curvatures(
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    nonlinear: Sequence[bool],
    pieces: Mapping[int, tuple[Any, ...]] | None = None,
) -> list[Curvature | None]:
    """Every slot's local Hessian (None for a linear slot — add, x·c, x/c, as adcli.modes.sparsity finds
    them — and for a kink's linear piece, `pieces`). Under the caller's errstate: an entry out of range
    raises FloatingPointError (see _compressed)."""
    found: list[Curvature | None] = [None] * len(tape.nodes)
    s = tape.first_op
    try:
        for s in range(tape.first_op, len(tape.nodes)):
            local = partials[s]
            if local is None or not nonlinear[s] or (pieces and s in pieces):
                continue
            found[s] = _local_hessian(tape, s, vals, local) or None
    except KinkError as exc:
        raise second_order_failure(exc, tape, s, vals) from None
    return found


def tangents(tape: Tape, partials: Sequence[tuple[Any, ...] | None], seeds: Sequence[Any]) -> list[Any]:
    """The tangent sweep (forward mode) from the input tangents `seeds`; None where nothing moves."""
    size, args = len(tape.nodes), tape.args
    tan: list[Any] = list(seeds) + [None] * (size - len(seeds))
    for s in range(tape.first_op, size):
        local = partials[s]
        if local is None:
            continue
        total = None
        for p, j in zip(local, args[s], strict=True):
            t = tan[j]
            if t is not None and p is not None:
                total = p * t if total is None else total + p * t
        tan[s] = total
    return tan


def products(
    tape: Tape,
    partials: Sequence[tuple[Any, ...] | None],
    curvature: Sequence[Curvature | None],
    seeds: Sequence[Any],
) -> tuple[list[Any], list[Any]]:
    """(the inputs' adjoints, H·v there) for the input tangents `seeds` (numbers, vectors of directions,
    or complex numbers holding two; None: the input does not move). A tangent sweep, then one adjoint
    sweep carrying v̄ and its tangent together: at slot s, v̄ₛ is complete, so its curvature terms
    v̄ₛ·Σₖ Qₛ[j][k]·ṫ_{aₖ} join the tangents of its arguments' adjoints before they are passed on."""
    size, args = len(tape.nodes), tape.args
    tan = tangents(tape, partials, seeds)
    adj: list[Any] = [None] * size
    dot: list[Any] = [None] * size
    for slot in tape.outputs:
        adj[slot] = np.float64(1.0) if adj[slot] is None else adj[slot] + 1.0
    for s in range(size - 1, tape.first_op - 1, -1):
        g, local = adj[s], partials[s]
        if g is None or local is None:
            continue
        for j, k, q in curvature[s] or ():
            t = tan[k]
            if t is not None:
                dot[j] = (g * q) * t if dot[j] is None else dot[j] + (g * q) * t
        d = dot[s]
        for p, j in zip(local, args[s], strict=True):
            if p is None:
                continue
            adj[j] = p * g if adj[j] is None else adj[j] + p * g
            if d is not None:
                dot[j] = p * d if dot[j] is None else dot[j] + p * d
    return adj[: tape.n_inputs], dot[: tape.n_inputs]


def pieced(
    tape: Tape,
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    pieces: Mapping[int, tuple[Any, ...]] | None,
) -> tuple[Sequence[tuple[Any, ...] | None], Mapping[int, tuple[Any, ...]] | None]:
    """A kink's linear piece (adcli.commands.kinkpieces): its slopes, of the arguments that move, are the partials."""
    if not pieces:
        return partials, pieces
    pieces = {
        s: tuple(c if active[j] else None for c, j in zip(v, tape.args[s], strict=True)) for s, v in pieces.items()
    }
    return with_pieces(partials, pieces), pieces


def hvp(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    v: Sequence[float],
    pieces: Mapping[int, tuple[Any, ...]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, H·v) over the first len(v) inputs: the local Hessians, one tangent and one adjoint sweep."""
    gradient, product = _compressed(tape, vals, partials, active, np.asarray(v, dtype=float)[:, None], pieces)
    return gradient, product[:, 0]


SCALAR_SWEEPS = 4  # up to this many directions, sweeps of number tangents beat one of short vectors


def _by_pairs(
    tape: Tape, partials: Sequence[tuple[Any, ...] | None], curvature: Sequence[Curvature | None], seed: np.ndarray
) -> tuple[list[Any], np.ndarray]:
    """(the inputs' adjoints, H·S) two columns of S a sweep: column 2c in the real part of a complex tangent,
    2c + 1 in the imaginary part. Every operation of the sweeps is a real number times a tangent or a sum
    of tangents, so the two parts never mix (each is the number its own sweep would give) and one sweep's
    loop serves both. A slot that depends on neither column carries no tangent (None) and costs nothing."""
    n, count = seed.shape
    compressed = np.zeros((n, count))
    adj: list[Any] = []
    for c in range(0, count, 2):
        pair = c + 1 < count
        seeds = [
            (np.complex128(complex(seed[k, c], seed[k, c + 1])) if pair else np.float64(seed[k, c]))
            if seed[k, c] or (pair and seed[k, c + 1])
            else None
            for k in range(n)
        ]
        adj, found = products(tape, partials, curvature, seeds)
        for k in range(n):
            if found[k] is not None:
                compressed[k, c] = found[k].real
                if pair:
                    compressed[k, c + 1] = found[k].imag
    return adj, compressed


def _compressed(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    seed: np.ndarray,
    pieces: Mapping[int, tuple[Any, ...]] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, H·S) over the first n inputs for the n × c seed S.

    A local Hessian can be out of range where the products are not: hypot(z², z²) at z = 6e-161 has
    ∂²hypot/∂a² ~ 1/hypot = 1/5e-321, while the tangents (2z) that multiply it are tiny. There the sweep on
    duals of adcli.modes.nested, whose rules see the actual tangents, does the work (or names the node
    whose second derivative truly fails)."""
    n, count = seed.shape
    moved, moving = pieced(tape, partials, active, pieces)
    try:
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            curvature = curvatures(tape, vals, moved, sparsity.nonlinear(tape, active), moving)
            if count <= SCALAR_SWEEPS:
                adj, compressed = _by_pairs(tape, moved, curvature, seed)
            else:
                adj, found = products(tape, moved, curvature, [seed[k] for k in range(n)])
                compressed = np.array([np.zeros(count) if f is None else f for f in found[:n]], dtype=float)
    except (FloatingPointError, ZeroDivisionError):
        return _on_duals(tape, vals, partials, active, seed, pieces)
    return np.array([float(adj[k]) if adj[k] is not None else 0.0 for k in range(n)]), compressed


def _on_duals(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    seed: np.ndarray,
    pieces: Mapping[int, tuple[Any, ...]] | None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, H·S) by one sweep of vector tangents through the rules on duals (adcli.modes.nested)."""
    n, count = seed.shape
    seeds = [seed[k] if seed[k].any() else None for k in range(n)]
    adjoints = nested.forward_over_reverse(tape, vals, partials, active, seeds, pieces)
    gradient = np.array([float(nested.plain(adjoints[k]) or 0.0) for k in range(n)])
    like = np.zeros(count)
    compressed = [np.broadcast_to(nested.tangent_of(adjoints[k], like), (count,)) for k in range(n)]
    return gradient, np.array(compressed, dtype=float).reshape(n, count)


def hessian_directions(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    n: int,
    pieces: Mapping[int, tuple[Any, ...]] | None = None,
) -> tuple[np.ndarray, np.ndarray, int]:
    """(gradient, Hessian, directions) over the first n inputs: one Hessian-vector product per colour of
    the Hessian's sparsity pattern (adcli.modes.sparsity: 2 for extended Rosenbrock at any n), else the n
    unit vectors (carried together as vector tangents past SCALAR_SWEEPS)."""
    rows = sparsity.pattern(tape, active, n)
    colours = sparsity.colour(rows) if rows is not None else None
    seed = sparsity.seeds(colours) if colours is not None else np.eye(n)
    count = seed.shape[1]
    if count >= n:  # no fewer directions than unit vectors: the plain rows
        rows, seed, count = None, np.eye(n), n
    gradient, compressed = _compressed(tape, vals, partials, active, seed, pieces)
    if rows is None:
        return gradient, compressed, count
    return gradient, sparsity.recover(compressed, rows, colours), count  # type: ignore[arg-type]


def hessian_by_rows(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    n: int,
    pieces: Mapping[int, tuple[Any, ...]] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, Hessian) over the first n inputs (hessian_directions without its count)."""
    gradient, matrix, _ = hessian_directions(tape, vals, partials, active, n, pieces)
    return gradient, matrix
