"""The API's array path (issue 12): value, gradient per variable, flattened Jacobian, JVP/VJP on arrays.

A problem whose point holds arrays, or whose text has an array operation, has shapes on its tape;
`adcli.api` hands it here. The results keep numpy arrays (the Python API returns them); the JSON
gives nested lists: `gradient` one entry per wrt variable in its shape, `jacobian` always 2-D (rows:
the outputs' entries row-major, columns: each wrt variable's entries row-major, in order).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from typing import Any

import numpy as np

from adcli.core import plan, seeds, workspace
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.shaped import evaluate
from adcli.core.tape import Tape
from adcli.modes import arrays


def shapes_of(tape: Tape) -> list[tuple[int, ...]]:
    assert tape.shapes is not None
    return tape.shapes


def describe(problem: Any, result: Any, matrix: np.ndarray | None = None) -> None:
    """Fill the array fields every array result has: shapes, labels of the Jacobian's rows and columns;
    `matrix` is the Jacobian as found (the gradients are cut from it, not from its nested lists)."""
    layout = problem.layout  # what the tape, the wrt and the point's names decide: made once a problem's text
    if layout is None:
        layout = problem.layout = _layout(problem)
    named, outputs, result.labelled, cuts = layout
    result.shapes = {name: list(shape) for name, shape in named}
    result.output_shapes = [list(shape) for shape in outputs]
    if result.has_jacobian() and cuts is not None:
        found = result.matrix() if matrix is None else matrix
        result.gradients = split(found[0], cuts)
    result.value = [
        np.array(result.value[i], dtype=float)[()] if shape else float(result.value[i])
        for i, shape in enumerate(outputs)
    ]


def _layout(problem: Any) -> tuple[Any, ...]:
    """The point's names and shapes, the outputs' shapes, the Jacobian's (name, shape) labels, and where a
    gradient's variables lie in its row (None: no gradient, the output is not one scalar)."""
    tape, shapes = problem.tape, shapes_of(problem.tape)
    outs = tape.outputs
    named = tuple((name, shapes[k]) for k, name in enumerate(tape.names) if name in problem.point)
    labelled = (  # the Jacobian's row and column labels are made when shown (thousands of entries)
        tuple(("y" if len(outs) == 1 else f"y{i + 1}", shapes[o]) for i, o in enumerate(outs)),
        tuple((w, shapes[k]) for k, w in enumerate(problem.wrt)),
    )
    cuts, start = [], 0
    for k, name in enumerate(problem.wrt):
        n = math.prod(shapes[k])
        cuts.append((name, start, start + n, shapes[k]))
        start += n
    gradient = len(outs) == 1 and not shapes[outs[0]]
    return named, tuple(shapes[o] for o in outs), labelled, tuple(cuts) if gradient else None


def labels(result: Any) -> tuple[list[str], list[str]]:
    """The Jacobian's row labels (y[0], y2[1], …) and column labels (W[1,0], …)."""
    rows, columns = result.labelled
    return (
        [lab for name, shape in rows for lab in arrays.entry_labels(name, shape)],
        [lab for name, shape in columns for lab in arrays.entry_labels(name, shape)],
    )


def _finite(found: np.ndarray, what: str, warnings: list[AdcliWarning]) -> None:
    if not np.isfinite(found).all():  # the array's own all(): no np.all dispatch
        raise AdcliError("nonfinite", f"an entry of the {what} is not finite", warnings=warnings)


def split(flat: np.ndarray, cuts: Any) -> dict[str, Any]:
    """A Jacobian row (a gradient) cut into one array per wrt variable, each in its shape (_layout's cuts)."""
    return {name: flat[a:b].reshape(shape) if shape else float(flat[a]) for name, a, b, shape in cuts}


def _input(value: Any) -> Any:
    """A point's value as the sweeps take it: a float64 array as it is (the usual case), else as numpy reads it."""
    if type(value) is np.ndarray and value.dtype == np.float64 and value.ndim:
        return value
    return np.asarray(value, dtype=float)[()]


def _shaped(name: str, given: Any, shape: tuple[int, ...], option: str) -> Any:
    return np.asarray(seeds.fitted(option, name, given, shape))[()]


def differentiate(problem: Any, mode: str, direction: Any, cotangent: Any, base: Any, choose: Any) -> Any:
    """Value and Jacobian (or JVP/VJP) of an array problem, by forward or reverse sweeps over the table's rules."""
    tape, started = problem.tape, time.perf_counter()
    shapes = shapes_of(tape)
    warnings = list(problem.warnings)
    inputs = [_input(problem.point.get(n, 0.0)) for n in tape.names]
    kept = workspace.take(tape)
    steps = plan.of(tape, problem.wrt, kept)  # the sweeps compiled onto the workspace's arrays, once
    vals, partials = steps.linearise(inputs, warnings)
    matrix = None
    if direction is not None:
        direction = seeds.named("--dir", direction, problem.wrt)
        seed = [
            _shaped(n, direction[n], shapes[k], "--dir") if n in direction else None for k, n in enumerate(tape.names)
        ]
        result = base(problem, vals, "forward", 1)
        result.direction = {n: np.asarray(direction.get(n, np.zeros(shapes[k]))) for k, n in enumerate(problem.wrt)}
        result.jvp = arrays.jvp(tape, partials, seed)
    elif cotangent is not None:
        cotangent = seeds.weights(cotangent, len(tape.outputs))
        cot = [
            _shaped(f"output {i + 1}", c, shapes[o], "--cot")
            for i, (c, o) in enumerate(zip(cotangent, tape.outputs, strict=True))
        ]
        result = base(problem, vals, "reverse", 1)
        result.cotangent = [np.asarray(c) for c in cot]
        result.vjp = arrays.vjp(tape, partials, cot, len(problem.wrt), kept)
    else:
        counted = outs, ins = steps.sizes = steps.sizes or arrays.sizes(tape, len(problem.wrt))
        mode = choose(mode, sum(ins), sum(outs))
        if mode == "forward":
            found = arrays.forward_jacobian(tape, partials, len(problem.wrt))
        else:
            found = arrays.reverse_jacobian(tape, partials, len(problem.wrt), kept, steps.adjoint, counted)
        result = base(problem, vals, mode, found.sweeps)
        _finite(found.jacobian, "Jacobian", warnings)
        matrix = found.jacobian
        result.jacobian = matrix  # listed when read (api._Listed)
    workspace.give_back(tape, kept)
    describe(problem, result, matrix)
    result.warnings = warnings
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "sweeps": result.sweeps}
    result.seconds = time.perf_counter() - started
    return result


def numeric(problem: Any, base: Any) -> Any:
    tape, started = problem.tape, time.perf_counter()
    warnings = list(problem.warnings)
    inputs = [np.asarray(problem.point.get(n, 0.0), dtype=float)[()] for n in tape.names]
    vals = evaluate(tape, inputs, tape.active(problem.wrt), warnings)
    found = arrays.numeric_jacobian(tape, inputs, len(problem.wrt))
    result = base(problem, vals, "numeric", found.sweeps)
    _finite(found.jacobian, "Jacobian", warnings)
    result.jacobian, result.nfev = found.jacobian, found.nfev
    result.error_estimate = None if found.error is None else found.error.tolist()
    result.method = "richardson"
    scale = np.maximum(1.0, np.abs(found.jacobian))
    if found.error is not None and np.any(found.error > 1e-5 * scale):
        warnings.append(AdcliWarning("inaccurate", "some numeric estimates have a large error estimate"))
    describe(problem, result)
    result.warnings = warnings
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "function_evaluations": found.nfev}
    result.seconds = time.perf_counter() - started
    return result


def nested(x: Any) -> Any:
    """JSON: a number or nested lists."""
    return x.tolist() if isinstance(x, np.ndarray) else float(x) if isinstance(x, (float, np.floating)) else x


def to_dict(result: Any, out: dict[str, Any], command: str) -> None:
    """The array fields of the JSON object (README): value as the output itself, gradient per variable."""
    out["value"] = nested(result.value[0]) if len(result.value) == 1 else [nested(v) for v in result.value]
    rows, columns = labels(result)
    if result.has_jacobian() and command != "eval":
        out["jacobian"] = result.matrix().reshape(len(rows), -1).tolist()
    if command == "grad" and result.has_jacobian():
        out["gradient"] = {k: nested(v) for k, v in result.gradients.items()} if result.gradients else None
    out["shapes"] = dict(result.shapes)
    out["output_shapes"] = result.output_shapes
    if result.has_jacobian():
        out["rows"], out["columns"] = rows, columns
    if result.error_estimate is not None:
        out["error_estimate"] = np.asarray(result.error_estimate).tolist()
    for key in ("direction", "cotangent"):
        given = getattr(result, key)
        if given is not None:
            out[key] = (
                {k: nested(v) for k, v in given.items()} if isinstance(given, Mapping) else [nested(v) for v in given]
            )
    for key in ("jvp", "vjp"):
        if getattr(result, key) is not None:
            out[key] = [nested(v) for v in getattr(result, key)]
    out["at"] = {k: nested(v) for k, v in result.at.items()}
    if result.seed is not None:
        out["seed"] = result.seed
