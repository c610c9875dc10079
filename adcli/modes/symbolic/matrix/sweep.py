"""Symbolic matrix calculus (issue 13): reverse mode over the DAG with matrix expressions for adjoints.

The sweep is reverse mode's, run on graph nodes instead of numbers: the output's adjoint is 1, each
node, children after parents, sums its adjoint's contributions (simplified by matrix_algebra) and
hands one to each argument by the primitive's matrix rule (matrix_rules). A variable's adjoint, at its
shape, is its gradient: the layout is the variable's own (the gradient by a 3×2 X is 3×2, by a vector
a vector), as numpy, JAX and matrixcalculus.org give it.

An array-valued output is differentiated entry by entry (a Jacobian's rows, one per output entry):
a vector output by a vector or a scalar stacks them into the Jacobian as an array literal; by a
matrix (a tensor of order 3 or more), the rows are printed flattened and labelled instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, const, make, topo_order
from adcli.core.primitives import TABLE
from adcli.core.printing import to_text
from adcli.core.shaped import adjoint_sweep, infer_shapes, local_partials
from adcli.core.shaped import evaluate as evaluate_tape
from adcli.core.tape import linearise
from adcli.modes.symbolic.derivative import Step, StepTree, formula, zero_base_logs
from adcli.modes.symbolic.matrix.algebra import Algebra
from adcli.modes.symbolic.matrix.forms import presented
from adcli.modes.symbolic.matrix.rules import Rules, rule_name
from adcli.modes.symbolic.matrix.shapes import Shapes

TEXT_LIMIT = 160  # characters of a node or an adjoint in a step
MAX_ENTRIES = 400  # entries of an array output differentiated symbolically, one gradient each


@dataclass
class Found:
    """Gradients of one scalar output: one node per wrt variable, shaped like it; the steps taken."""

    gradients: list[Node]
    steps: list[StepTree] = field(default_factory=list)


def _short(node: Node) -> str:
    return to_text(node, limit=TEXT_LIMIT, truncate=True)


def _active(order: Sequence[Node], wrt: set[str]) -> set[Node]:
    active: set[Node] = set()
    for node in order:
        if (node.op == "var" and node.payload in wrt) or any(a in active for a in node.args):
            active.add(node)
    return active


def gradient(output: Node, wrt: Sequence[str], shapes: Shapes, steps: bool = False) -> Found:
    """The gradient of a scalar output by each wrt variable, simplified, in the variable's shape."""
    algebra = Algebra(shapes)
    rules = Rules(algebra)
    order = topo_order([output])
    active = _active(order, set(wrt))
    contributions: dict[Node, list[Node]] = {output: [const(1)]} if output in active else {}
    adjoint: dict[Node, Node] = {}
    taken: list[Step] = []
    where: dict[Node, int] = {}
    for node in reversed(order):
        if node not in contributions:
            continue
        g = algebra.simplify(algebra.add(*contributions.pop(node)))
        adjoint[node] = g
        if not node.args:
            continue
        need = [a in active for a in node.args]
        parts = rules.vjp(node, g, need)
        if steps:
            where[node] = len(taken)
            shown = f"Ḡ = {_short(presented(g))}"
            taken.append(Step(_short(node), rule_name(node.op), _formula(node.op, tuple(need)), shown))
        for a, part in zip(node.args, parts, strict=True):
            if part is not None and a in active:
                contributions.setdefault(a, []).append(part)
    gradients = []
    for name in wrt:
        x = make("var", payload=name)
        g = adjoint.get(x)
        g = rules.full(g, x) if g is not None else _zeros(x, shapes, rules)
        gradients.append(presented(algebra.simplify(g)))
    found = Found(gradients)
    if steps:
        for step_node, i in where.items():
            taken[i].children = [where[a] for a in step_node.args if a in where]
        for name, g in zip(wrt, gradients, strict=True):
            title = f"∂({_short(output)})/∂{name}, reverse mode on matrices"
            found.steps.append(StepTree(title, taken, _short(g)))
    return found


def _formula(op: str, need: tuple[bool, ...]) -> str:
    """The table's own rule: an elementwise primitive's partials, a structural one's VJP in words."""
    prim = TABLE[op]
    if prim.rules is None:
        return formula(op, need)
    texts = prim.rules.vjp_text
    if len(texts) > 1:
        texts = tuple(f"{'AB'[k]}̄ += {t}" for k, (t, on) in enumerate(zip(texts, need, strict=False)) if on)
    out = "; ".join(texts)
    return out.replace("{g}", "Ḡ").replace("{a}", "A").replace("{b}", "B").replace("{o}", op + "(A)")


def _zeros(x: Node, shapes: Shapes, rules: Rules) -> Node:
    """0, or 0*ones(x) for an array variable the output does not depend on."""
    return const(0) if shapes(x) == () else make("mul", (const(0), rules.ones(x)))


@dataclass
class Jacobian:
    """Derivatives of every output by every wrt variable: rows[i][k] is row i by variable k.

    A row is an output, or (a tensor of order 3 or more: an array output by a matrix) one entry of an
    array output, labelled in `names` (`f[1, 0]`): the flattened Jacobian, one gradient per entry."""

    rows: list[list[Node]]
    names: list[str | None]  # None: the row is the output itself
    sources: list[int]  # the output each row belongs to
    steps: list[StepTree] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def jacobian(outputs: Sequence[Node], wrt: Sequence[str], shapes: Shapes, steps: bool = False) -> Jacobian:
    """Each output's derivative: a gradient (scalar output), else the Jacobian stacked by output entry."""
    result = Jacobian([], [], [])
    for i, output in enumerate(outputs):
        shape = shapes(output)
        if shape == ():
            found = gradient(output, wrt, shapes, steps)
            result.rows.append(found.gradients)
            result.names.append(None)
            result.sources.append(i)
            result.steps += found.steps
            continue
        _entries(i, output, shape, wrt, shapes, result)
    return result


def _entries(i: int, output: Node, shape: tuple, wrt: Sequence[str], shapes: Shapes, result: Jacobian) -> None:
    """An array output: its Jacobian as one array literal (rows = the output's entries) when that is a
    matrix or a vector; else (order 3 or more) one labelled row per entry, each its gradient."""
    if not all(isinstance(s, int) for s in shape):
        raise AdcliError(
            "usage_error",
            f"the Jacobian of an output of symbolic shape {shape} needs sizes: give --shape with numbers or --at",
        )
    if int(np.prod(shape)) > MAX_ENTRIES:
        raise AdcliError(
            "limit_exceeded",
            f"the output has {int(np.prod(shape)):,} entries; symbolic Jacobians of array outputs take up to"
            f" {MAX_ENTRIES} (one gradient per entry): use jac, or a scalar output such as sum(…)",
        )
    indices = list(np.ndindex(*shape))
    entries = [make("index", (output,), tuple(("i", int(k)) for k in idx)) for idx in indices]
    grads = [gradient(e, wrt, shapes).gradients for e in entries]
    orders = [len(shape) + len(shapes(make("var", payload=name))) for name in wrt]
    if max(orders, default=0) <= 2:
        algebra = Algebra(shapes)
        variables = [shapes(make("var", payload=name)) for name in wrt]
        stacked = [presented(algebra.simplify(_stacked([g[k] for g in grads], variables[k]))) for k in range(len(wrt))]
        result.rows.append(stacked)
        result.names.append(None)
        result.sources.append(i)
        return
    text = _short(output)
    big = [name for name, order in zip(wrt, orders, strict=True) if order >= 3]
    result.notes.append(
        f"the derivative of {text} by {', '.join(big)} is a tensor of order {max(orders)}: printed as its flattened"
        f" Jacobian, one row per entry of {text} (row-major), each that entry's gradient in the variable's shape"
    )
    for idx, g in zip(indices, grads, strict=True):
        result.rows.append(g)
        result.names.append(f"({text})[{', '.join(map(str, idx))}]")
        result.sources.append(i)


def _stacked(parts: list[Node], shape: tuple) -> Node:
    """The Jacobian's rows stacked: each entry's gradient by a variable of this shape. A zero gradient is the
    scalar 0 whatever the variable's shape, so stacked as it was, d(x^0 + y)/dx printed [0, 0] for the 2×2
    zero; all zero, the Jacobian is 0 (evaluated in its layout's shape); else each 0 is its zero array."""
    zero = const(0)
    if shape == () or all(p is zero for p in parts):
        return zero if shape != () else make("stack", parts)
    filler = zero
    for n in reversed(shape):
        filler = make("stack", [filler] * int(n))
    return make("stack", [filler if p is zero else p for p in parts])


def laid_out(value: Any, shape: tuple[int, ...]) -> np.ndarray:
    """A derivative's value in its layout's shape: a symbolic zero is the scalar 0 for every shape."""
    value = np.asarray(value, dtype=float)
    return np.broadcast_to(value, shape) if value.ndim == 0 else value


def _block(value: Any, entries: int, size: int) -> np.ndarray:
    """One variable's columns of the Jacobian, entries × size (its rows: the output's entries)."""
    flat = np.ravel(value) if np.size(value) == entries * size else laid_out(value, (entries * size,))
    return np.reshape(flat, (entries, size))


# ---- numbers: the derivative at a point, and reverse mode's for comparison ------------------------------


def _tape(nodes: Sequence[Node], point: dict[str, np.ndarray]) -> tuple[Any, list[Any]]:
    names = list(point)
    tape = linearise(nodes, names)
    tape.shapes = infer_shapes(tape, [np.shape(point[n]) for n in names])
    inputs = [np.asarray(point[n], dtype=float)[()] for n in names]
    return tape, inputs


def evaluate(nodes: Sequence[Node], point: dict[str, np.ndarray], *, derived: bool = True) -> list[np.ndarray]:
    """Each node's value at the point (a tape over them all: shared parts once). `derived`: graphs the rules
    built, where a^b*log(a) is 0 at a = 0 (derivative.zero_base_logs); a user's text (check's answers) is not."""
    tape, inputs = _tape(zero_base_logs(nodes) if derived else list(nodes), point)
    vals = evaluate_tape(tape, inputs)
    return [np.asarray(vals[o], dtype=float) for o in tape.outputs]


def reverse_gradient(
    output: Node, wrt: Sequence[str], point: dict[str, np.ndarray], warnings: list[Any] | None = None
) -> list[np.ndarray]:
    """Reverse mode's gradient of a scalar output (the tape's own sweeps): what symbolic answers must equal.
    warnings gets the primal sweep's (a kink on the differentiated path: `nondifferentiable`)."""
    names = list(wrt) + [n for n in point if n not in wrt]
    tape, inputs = _tape([output], {n: point[n] for n in names})
    active = tape.active(list(wrt))
    vals = evaluate_tape(tape, inputs, active, warnings)
    partials = local_partials(tape, vals, active)
    adjoints = adjoint_sweep(tape, partials, [np.float64(1.0)])
    return [
        np.zeros(np.shape(point[n])) if adjoints[k] is None else np.broadcast_to(adjoints[k], np.shape(point[n]))
        for k, n in enumerate(wrt)
    ]


def jacobian_values(
    outputs: Sequence[Node], wrt: Sequence[str], point: dict[str, np.ndarray]
) -> tuple[np.ndarray, int]:
    """Symbolic mode's Jacobian at a point, in the layout of the AD modes on arrays: rows the outputs'
    entries, columns the wrt variables' entries (row-major); and the derivative graphs' operations."""
    shapes = Shapes({n: tuple(np.shape(v)) for n, v in point.items()})
    found = jacobian(outputs, wrt, shapes)
    flat = [n for row in found.rows for n in row]
    values = evaluate(flat, dict(point)) if flat else []
    rows = []
    for r, (name, source) in enumerate(zip(found.names, found.sources, strict=True)):
        entries = 1 if name is not None else int(np.prod(shapes(outputs[source]), dtype=int))
        sizes = [int(np.prod(np.shape(point[w]), dtype=int)) for w in wrt]
        blocks = [_block(values[r * len(wrt) + k], entries, sizes[k]) for k in range(len(wrt))]
        rows.append(np.concatenate(blocks, axis=1) if blocks else np.zeros((entries, 0)))
    operations = sum(1 for n in topo_order(flat) if n.args)
    return np.concatenate(rows, axis=0), operations
