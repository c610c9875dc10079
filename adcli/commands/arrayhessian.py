"""`adcli hess` with respect to array variables: the Hessian over their entries, flattened and labelled.

A vector w of 3 gives rows and columns w[0], w[1], w[2]; a matrix A gives A[0,0], A[0,1], … (row-major,
the Jacobian's column order of `adcli jac`). Forward-over-reverse runs on the array tape
(adcli.modes.arraydual: one sweep of duals per entry, or one for `--hvp`); numeric mode takes
second differences over the flattened entries; forward-over-forward carries duals through tangent
sweeps; symbolic mode differentiates the matrix-calculus gradient again (modes.symbolic.matrix.second).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.commands.curvature import MAX_INPUTS, MODES, Hessian, classify, critical, finite, refuse_kinks, subnormal
from adcli.core import seeds
from adcli.core.errors import AdcliError
from adcli.core.shaped import evaluate, local_partials
from adcli.modes.arrays import entry_labels


def _mode(mode: str, vector: Any) -> str:

    if mode not in MODES:
        raise AdcliError("usage_error", f"unknown mode {mode!r}: choose {', '.join(MODES)}")
    if vector is not None and mode not in ("auto", "forward-over-reverse"):
        raise AdcliError("usage_error", f"--hvp runs one forward-over-reverse sweep; it cannot run in {mode} mode")
    return "forward-over-reverse" if mode == "auto" else mode


def resolve_vector(problem: Any, given: Mapping[str, Any] | Sequence[float], option: str = "--hvp") -> list[np.ndarray]:
    """--hvp's v (or taylor's --dir) for array variables: by name (w=[1,0,0]; the others 0), one array per
    variable in --wrt order, or all entries in order, flattened (adcli.core.seeds, as jac's --dir)."""
    shapes = problem.tape.shapes[: len(problem.wrt)]
    return [np.asarray(v, dtype=float) for v in seeds.entries(option, given, problem.wrt, shapes).values()]


def _settle(problem: Any, vals: list[Any], active: list[bool], v: Any, warnings: list[Any]) -> tuple[Any, str | None]:
    """At kinks of abs, relu, max/min (entry by entry) the pieces that meet there, when they agree to
    second order (adcli.commands.arraykinks); any other kink is refused naming the node and the order."""
    from adcli.commands import arraykinks
    from adcli.modes import arraydual

    tape, n = problem.tape, len(problem.wrt)

    def compute(pieces: Any) -> tuple[np.ndarray, np.ndarray]:
        partials = local_partials(tape, vals, active, [])
        if v is not None:
            return arraydual.hvp(tape, vals, partials, active, v, pieces)
        return arraydual.hessian(tape, vals, partials, active, n, pieces)

    def refuse(order: int) -> None:
        refuse_kinks(tape, vals, warnings, fails=order)
        raise AdcliError(
            "nondifferentiable", f"a kink on the path: no derivative of order 2 (it fails from order {order})"
        )

    if not any(w.kind == "nondifferentiable" for w in warnings):
        return None, None
    partials = local_partials(tape, vals, active, [])
    pieces, note = arraykinks.settle(tape, vals, active, partials, compute, refuse)
    if pieces:
        arraykinks.drop_warnings(tape, pieces, warnings)
    refuse_kinks(tape, vals, warnings)  # a kink the pieces did not settle (none should be left)
    return pieces, note


def _symbolic(problem: Any, result: Hessian, pieces: Any) -> np.ndarray:
    """Matrix calculus twice (adcli.modes.symbolic.matrix.second), evaluated at the point."""
    from adcli import api
    from adcli.core.graph import topo_order
    from adcli.core.tape import require_detailed
    from adcli.modes.symbolic.matrix.second import hessian_values

    tape = problem.tape
    if pieces:  # the derivative graphs would differentiate sign(0)'s convention, not the piece
        raise AdcliError(
            "usage_error",
            "symbolic mode on arrays does not differentiate through a kink's pieces: use --mode forward-over-reverse",
        )
    require_detailed(len(tape.nodes) - tape.first_op, "symbolic mode")
    used = {n.payload for n in topo_order(problem.parsed.outputs) if n.op == "var"}
    point = {n: v for n, v in zip(tape.names, api._inputs(problem), strict=True) if n in used or n in problem.wrt}
    gradient, matrix, operations = hessian_values(problem.parsed.outputs[0], problem.wrt, point)
    n = len(gradient)
    result.gradient = [float(g) for g in gradient]
    result.sweeps = n + 1
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "derivative_ops": operations}
    result.notes.append(
        f"symbolic on arrays: the gradient by matrix calculus, then each of its {n} entries differentiated "
        "again the same way (the derivative graphs simplified and evaluated at the point)"
    )
    return matrix


def hessian(problem: Any, mode: str, vector: Any, started: float) -> Hessian:
    """The Hessian (or H·v) of a scalar array expression over its wrt variables' entries."""
    from adcli import api
    from adcli.modes import arraydual

    tape, shapes = problem.tape, problem.tape.shapes
    mode = _mode(mode, vector)
    labels = [lab for k, w in enumerate(problem.wrt) for lab in entry_labels(w, shapes[k])]
    if vector is None and len(labels) > MAX_INPUTS:
        raise AdcliError(
            "limit_exceeded",
            f"a Hessian over {len(labels)} entries has {len(labels) ** 2:,} entries; the limit is {MAX_INPUTS}"
            " entries: use --hvp for Hessian-vector products",
        )
    v = resolve_vector(problem, vector) if vector is not None else None
    warnings = list(problem.warnings)
    active = tape.active(problem.wrt)
    vals = evaluate(tape, api._inputs(problem), active, warnings)  # shapes were checked by prepare
    pieces, note = _settle(problem, vals, active, v, warnings)
    subnormal(tape, vals, warnings)
    base = api._base(problem, vals, mode, 0)
    result = Hessian(base.input, base.read_as, list(problem.wrt), base.at, mode, float(base.value[0]), [])
    result.notes, result.warnings, result.labels = base.notes + ([note] if note else []), warnings, labels
    result.shapes = {name: list(shapes[k]) for k, name in enumerate(tape.names) if name in problem.point}
    x = np.concatenate([np.ravel(np.asarray(val, dtype=float)) for val in vals[: len(problem.wrt)]] or [np.zeros(0)])
    ops = len(tape.nodes) - tape.first_op
    if v is not None:
        partials = local_partials(tape, vals, active, warnings)
        gradient, product = arraydual.hvp(tape, vals, partials, active, v, pieces)
        if not np.all(np.isfinite(product)):
            raise AdcliError("nonfinite", "the Hessian-vector product is not finite", warnings=warnings)
        result.gradient, result.hvp = [float(g) for g in gradient], [float(p) for p in product]
        result.vector = dict(zip(problem.wrt, v, strict=True))
        critical(result, x=x)
        result.sweeps = 1
        result.cost = {"primal_ops": ops, "tangent_sweeps": 1, "adjoint_sweeps": 1}
        result.notes.append("one Hessian-vector product: a tangent sweep and an adjoint sweep on array duals")
        result.seconds = time.perf_counter() - started
        return result
    slack_g = slack_e = 0.0
    if mode == "numeric":
        from adcli.modes.numeric import hessian as second

        matrix, slack_g, slack_e = second.hessian(problem, result, vals)
    elif mode == "symbolic":
        matrix = _symbolic(problem, result, pieces)
    elif mode == "forward-over-forward":
        partials = local_partials(tape, vals, active, warnings)
        gradient, matrix = arraydual.forward_over_forward(tape, vals, partials, active, len(problem.wrt), pieces)
        n = len(labels)
        result.gradient = [float(g) for g in gradient]
        result.sweeps = n * (n + 1) // 2
        result.cost = {"primal_ops": ops, "tangent_sweeps": n, "second_order_tangent_sweeps": result.sweeps}
        result.notes.append(
            f"forward-over-forward on arrays: {n} tangent sweeps along each entry of {', '.join(problem.wrt)}, and "
            f"on each one's duals a tangent sweep per later entry ({result.sweeps} in all, the rest by symmetry)"
        )
    else:
        partials = local_partials(tape, vals, active, warnings)
        gradient, matrix = arraydual.hessian(tape, vals, partials, active, len(problem.wrt), pieces)
        result.gradient = [float(g) for g in gradient]
        result.sweeps = len(labels)
        result.cost = {"primal_ops": ops, "tangent_sweeps": len(labels), "adjoint_sweeps": len(labels)}
        result.notes.append(
            f"forward-over-reverse on arrays: {len(labels)} Hessian-vector products (one per entry of "
            f"{', '.join(problem.wrt)}), each a tangent sweep and an adjoint sweep on array duals"
        )
    finite(matrix, result)
    result.hessian = np.asarray(matrix, dtype=float).tolist()  # floats, as C does it
    critical(result, slack_g, matrix, x)
    classify(result, matrix, slack_e)
    result.seconds = time.perf_counter() - started
    return result
