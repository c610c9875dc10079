"""Symbolic mode's Hessian on arrays: matrix calculus twice.

The gradient of the scalar output by each wrt variable is a matrix expression in the variable's shape
(adcli.modes.symbolic.matrix.sweep.gradient); each entry of it (an index node, G[i, j]) is a scalar
expression, differentiated the same way again: its gradients by the wrt variables are the Hessian's row
for that entry. All the derivative graphs are evaluated at the point in one tape. Rows and columns are
the variables' entries flattened row-major: the layout of `adcli hess` on arrays (x[0], x[1], A[0,0], …).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, make, topo_order
from adcli.modes.symbolic.matrix.shapes import Shapes
from adcli.modes.symbolic.matrix.sweep import MAX_ENTRIES, evaluate, gradient


def _entries(g: Node, shape: tuple[int, ...]) -> list[Node]:
    """G's entries as scalar expressions, row-major (G itself for a scalar variable)."""
    if shape == ():
        return [g]
    return [make("index", (g,), tuple(("i", int(k)) for k in idx)) for idx in np.ndindex(*shape)]


def hessian_values(
    output: Node, wrt: Sequence[str], point: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray, int]:
    """(the gradient flattened, the Hessian, the derivative graphs' operations) at the point."""
    shapes = Shapes({n: tuple(np.shape(v)) for n, v in point.items()})
    var_shapes = [tuple(np.shape(point[w])) for w in wrt]
    size = sum(int(np.prod(s, dtype=int)) for s in var_shapes)
    if size > MAX_ENTRIES:
        raise AdcliError(
            "limit_exceeded",
            f"a symbolic Hessian over {size:,} entries differentiates {size:,} expressions; the limit is "
            f"{MAX_ENTRIES}: use --mode forward-over-reverse",
        )
    gradients = gradient(output, wrt, shapes).gradients
    rows = [
        gradient(entry, wrt, shapes).gradients
        for g, shape in zip(gradients, var_shapes, strict=True)
        for entry in _entries(g, shape)
    ]
    nodes = gradients + [node for row in rows for node in row]
    values = evaluate(nodes, dict(point))

    def flat(vals: Sequence[np.ndarray]) -> np.ndarray:
        parts = [np.ravel(np.broadcast_to(v, s)) for v, s in zip(vals, var_shapes, strict=True)]
        return np.concatenate(parts) if parts else np.zeros(0)

    first, rest = values[: len(wrt)], values[len(wrt) :]
    matrix = np.array([flat(rest[r * len(wrt) : (r + 1) * len(wrt)]) for r in range(len(rows))]).reshape(size, size)
    operations = sum(1 for n in topo_order(nodes) if n.args)
    return flat(first), matrix, operations
