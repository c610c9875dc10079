"""Symbolic mode for `adcli hess`: the second partials as simplified expressions, evaluated at the point.

The same machinery as `adcli diff --order 2` (adcli.modes.symbolic.derivative_table): forward sweeps
over the DAG with the table's rules handed graph nodes, each mixed partial built once (∂²/∂x∂y =
∂²/∂y∂x), simplified, then evaluated on a tape with the domain checks of the AD modes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, const, make, topo_order
from adcli.modes.symbolic.derivative import count_operations, derivative_table, evaluate_graphs
from adcli.modes.symbolic.simplify import Simplifier


def with_pieces(outputs: Sequence[Node], replaced: Mapping[Node, Sequence[float]]) -> list[Node]:
    """The expression with each kinked node replaced by its chosen linear piece Σ cₖ·argₖ (abs(u) by −u
    or u): the derivative rules then see the piece, not the kink's convention (sign(0) = 0 would make
    d²|x|²/dx² = 0 at 0, where it is 2)."""
    new: dict[Node, Node] = {}
    for node in topo_order(outputs):
        args = tuple(new.get(a, a) for a in node.args)
        if node in replaced:
            terms = [c * a for c, a in zip(replaced[node], args, strict=True) if c != 0]
            new[node] = sum(terms[1:], terms[0]) if terms else const(0.0)
        elif any(a is not b for a, b in zip(args, node.args, strict=True)):
            new[node] = make(node.op, args, node.payload)
    return [new.get(o, o) for o in outputs]


def hessian(
    problem: Any, result: Any, before_pass: Any = None, pieces: Mapping[int, Sequence[float]] | None = None
) -> np.ndarray:
    """The Hessian (and, into result, the gradient, sweeps and cost) from the derivative expressions;
    before_pass may refuse the second pass (diff's size estimate: a 3,000-deep sin nest took 30 s); at a
    kink whose pieces agree (adcli.commands.kinkpieces), those of the first piece."""
    outputs, wrt, tape = problem.parsed.outputs, problem.wrt, problem.tape
    if pieces:
        outputs = with_pieces(outputs, {tape.nodes[s]: slopes for s, slopes in pieces.items()})
    n = len(wrt)
    simplifier = Simplifier(topo_order(outputs))
    table = derivative_table(outputs, wrt, 2, simplifier, before_pass=before_pass)
    first = {run.wrt: run.answers[0] for run in table.passes if not run.prefix}
    graphs = [first[w] for w in wrt] + list(table.rows[0])
    inputs = [np.float64(problem.point.get(name, 0.0)) for name in tape.names]
    try:
        values = evaluate_graphs(graphs, tape.names, inputs)
    except AdcliError as exc:
        from adcli.modes.symbolic.defined import locate

        exc.warnings = list(result.warnings)
        point = dict(zip(tape.names, inputs, strict=True))
        raise locate(exc, problem.parsed, simplifier, table.passes, wrt, point) from None
    result.gradient = [float(v) for v in values[:n]]
    result.sweeps = table.sweeps
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "derivative_ops": count_operations(graphs)}
    result.notes.append(
        f"symbolic: {table.sweeps} forward sweeps over the expression (the gradient, then each mixed partial once)"
    )
    return np.array([float(v) for v in values[n:]], dtype=float).reshape(n, n)
