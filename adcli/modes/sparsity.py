"""Hessian sparsity and colouring: forward-over-reverse with one tangent direction per colour, not per variable.

∇²f = Σₛ v̄ₛ · Jₛᵀ ∇²φₛ Jₛ over the tape's slots s = φₛ(args): only a slot whose operation is not linear
adds second-order terms, and only among the variables it depends on. So the Hessian's pattern is the
union, over the nonlinear slots, of dep(s) × dep(s) (dep: the variables a slot depends on) — a
superset of its nonzeros, found by one pass of index sets over the tape.

Columns that share no row of that pattern can share a tangent direction (a distance-2 colouring,
Curtis–Powell–Reid; Gebremedhin, Manne & Pothen 2005, "What color is your Jacobian?"): the seed
S = [Σ_{j of colour c} eⱼ]_c gives H·S in one sweep of c-vector tangents, and each H[i, j] of the
pattern is read off (H·S)[i, colour(j)] exactly, since no other column of j's colour touches row i.
Extended Rosenbrock (2×2 blocks) needs 2 directions at any n, not n. A dense pattern (more than
DENSE of the variables in one slot) falls back to the n unit vectors.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adcli.core.tape import Tape

DENSE = 0.25  # a slot depending on more than this fraction of the variables: the pattern is not worth it
LINEAR = frozenset({"add", "sub", "neg", "pos"})


def linear(name: str, moving: Sequence[bool]) -> bool:
    """An operation with no second derivative in the arguments that move (x·c, x/c, x ± y, −x)."""
    if name in LINEAR:
        return True
    if name == "mul":
        return not (moving[0] and moving[1])
    return name == "div" and not moving[1]


def _needed(tape: Tape, active: Sequence[bool]) -> tuple[list[bool], list[bool]]:
    """(nonlinear, needed): the slots with second derivatives, and those whose index sets they ask for
    (their arguments, transitively), found backwards from the last slot."""
    prims, args = tape.prims, tape.args
    size = len(tape.nodes)
    nonlinear = [False] * size
    needed = [False] * size
    for s in range(size - 1, tape.first_op - 1, -1):
        if not active[s]:
            continue
        a = args[s]
        name = prims[s].name  # type: ignore[union-attr]
        if name not in LINEAR and not linear(name, [active[j] for j in a]):
            nonlinear[s] = needed[s] = True
        if needed[s]:
            for j in a:
                needed[j] = True
    return nonlinear, needed


def nonlinear(tape: Tape, active: Sequence[bool]) -> list[bool]:
    """The active slots with second derivatives in the arguments that move (their local Hessians)."""
    prims, args = tape.prims, tape.args
    flags = [False] * len(tape.nodes)
    for s in range(tape.first_op, len(tape.nodes)):
        if active[s]:
            name = prims[s].name  # type: ignore[union-attr]
            flags[s] = name not in LINEAR and not linear(name, [active[j] for j in args[s]])
    return flags


def pattern(tape: Tape, active: Sequence[bool], n: int) -> list[set[int]] | None:
    """For each of the first n inputs, the columns its Hessian row may have nonzeros in; None if dense.

    Index sets are formed only where a nonlinear slot needs them: the sum that adds up 500 blocks of
    extended Rosenbrock is linear and never asks which variables its terms depend on (its growing
    sets would cost O(n²))."""
    limit = max(2, int(DENSE * n))
    args, size = tape.args, len(tape.nodes)
    nonlinear, needed = _needed(tape, active)
    dep: list[set[int] | None] = [{k} if k < n else None for k in range(size)]
    rows: list[set[int]] = [set() for _ in range(n)]
    for s in range(tape.first_op, size):
        if not needed[s]:
            continue
        d = None
        for j in args[s]:
            other = dep[j]
            if other is None or other is d:
                continue
            d = other if d is None else d | other
        if d is None:
            continue
        if len(d) > limit:
            return None
        dep[s] = d
        if nonlinear[s]:
            for i in d:
                rows[i] |= d
    return rows


def colour(rows: Sequence[set[int]]) -> list[int]:
    """A greedy distance-2 colouring: columns that share a row of the pattern get different colours."""
    colours = [-1] * len(rows)
    for j in range(len(rows)):
        taken = {colours[k] for i in rows[j] for k in rows[i]}
        c = 0
        while c in taken:
            c += 1
        colours[j] = c
    return colours


def seeds(colours: Sequence[int]) -> np.ndarray:
    """The n × c seed matrix: row j is the unit vector of j's colour."""
    count = max(colours, default=-1) + 1
    s = np.zeros((len(colours), count))
    s[np.arange(len(colours)), colours] = 1.0
    return s


def recover(compressed: np.ndarray, rows: Sequence[set[int]], colours: Sequence[int]) -> np.ndarray:
    """H from H·S: H[i, j] = (H·S)[i, colour(j)] on the pattern, 0 off it."""
    n = len(rows)
    matrix = np.zeros((n, n))
    of = np.asarray(colours)
    i = np.repeat(np.arange(n), [len(row) for row in rows])
    j = np.array([j for row in rows for j in row], dtype=int)
    matrix[i, j] = compressed[i, of[j]]
    return matrix
