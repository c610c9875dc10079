"""Symbolic mode for `adcli hess`: the second partials as simplified expressions, evaluated at the point.

The same machinery as `adcli diff --order 2` (adcli.modes.symbolic.derivative_table): forward sweeps
over the DAG with the table's rules handed graph nodes, each mixed partial built once (∂²/∂x∂y =
∂²/∂y∂x), simplified, then evaluated on a tape with the domain checks of the AD modes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.graph import topo_order
from adcli.modes.symbolic.derivative import count_operations, derivative_table, evaluate_graphs
from adcli.modes.symbolic.simplify import Simplifier


def hessian(problem: Any, result: Any, before_pass: Any = None) -> np.ndarray:
    """The Hessian (and, into result, the gradient, sweeps and cost) from the derivative expressions;
    before_pass may refuse the second pass (diff's size estimate: a 3,000-deep sin nest took 30 s)."""
    outputs, wrt, tape = problem.parsed.outputs, problem.wrt, problem.tape
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
