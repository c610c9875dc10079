"""`adcli diff` on array expressions: symbolic matrix calculus (issue 13), printed in the input syntax.

Shapes come from the point's values (`--at`) or `--shape x=3,A=3x3`, sizes possibly symbolic
(`--shape x=n,A=nxn`: the derivative then holds for every n). The derivatives come from
adcli.modes.symbolic.matrix (reverse mode over the DAG with matrix rules); with a point they are
evaluated there, and checked against reverse mode's numbers before they are shown (a derivative that
disagreed would be a bug in adcli: it is refused, never printed as right).
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, make, topo_order, variables
from adcli.core.primitives import TABLE
from adcli.core.printing import to_latex, to_text
from adcli.modes.symbolic.matrix.shapes import SYMBOLS, MismatchError, Shape, Shapes, show
from adcli.modes.symbolic.matrix.sweep import Jacobian, evaluate, jacobian, laid_out, reverse_gradient

AGREE = 1e-8  # relative: the printed derivative against reverse mode at the point (they agree to ~1e-15)
_SIZE = re.compile(r"[A-Za-wyzA-Z_][A-Za-wyz0-9_]*|[0-9]+")  # a size's name has no x: nxn is n by n


def is_array_problem(parsed: Any, point: Mapping[str, Any] | None, shape: str | None) -> bool:
    """An array expression: --shape given, an array value, or a structural primitive (@, ', sum, tr, …)."""
    if shape:
        return True
    if point and any(isinstance(v, np.ndarray) and v.ndim for v in point.values()):  # not a point set x={1, 2}
        return True
    return any(TABLE.get(n.op) is not None and TABLE[n.op].rules is not None for n in topo_order(parsed.outputs))


def parse_shapes(spec: str | None) -> dict[str, Shape]:
    """`x=3,A=3x3,s=()` or with symbolic sizes `x=n,A=nxm` (x or × between sizes; `()` a scalar)."""
    out: dict[str, Shape] = {}
    for item in (spec or "").split(","):
        if not item.strip():
            continue
        name, eq, dims = item.partition("=")
        name, dims = name.strip(), dims.strip().replace("×", "x")
        if not eq or not name.isidentifier():
            raise AdcliError("usage_error", f"--shape {item.strip()!r}: write name=sizes, e.g. x=3,A=3x3 or A=nxn")
        if name in out:
            raise AdcliError("usage_error", f"--shape gives {name} twice")
        if dims in ("()", "scalar"):
            out[name] = ()
            continue
        parts = [p.strip() for p in re.split(r"x", dims)]
        if len(parts) > 2 or not all(_SIZE.fullmatch(p) for p in parts):
            raise AdcliError("usage_error", f"--shape {name}={dims}: sizes are numbers or names, at most two (AxB)")
        out[name] = tuple(int(p) if p.isdigit() else p for p in parts)
        if any(d == 0 for d in out[name]):
            raise AdcliError("usage_error", f"--shape {name}={dims}: a size is at least 1")
    return out


def resolve_shapes(
    present: Sequence[str], spec: Mapping[str, Shape], point: Mapping[str, Any], notes: list[str]
) -> dict[str, Shape]:
    """Every variable's shape: its value's, or --shape's (the two must agree), or a scalar (said in a note)."""
    shapes: dict[str, Shape] = {}
    bound: dict[str, int] = {}
    for name in present:
        given = spec.get(name)
        if name in point:
            actual = tuple(np.shape(point[name]))
            if given is not None and not _fits(given, actual, bound):
                raise AdcliError(
                    "usage_error",
                    f"--shape {name} is {show(given)} but --at gives {name} a value of shape {show(actual)}",
                )
            shapes[name] = actual if given is None or all(isinstance(d, int) for d in given) else given
        elif given is not None:
            shapes[name] = given
        else:
            shapes[name] = ()
            if spec:
                notes.append(f"{name} has no --shape: taken as a scalar")
    unused = [name for name in spec if name not in present]
    if unused:  # one --shape may serve a file of problems: said, not refused
        notes.append(f"--shape names {', '.join(unused)}, not in the expression")
    return shapes


def _fits(given: Shape, actual: tuple[int, ...], bound: dict[str, int]) -> bool:
    if len(given) != len(actual):
        return False
    for g, a in zip(given, actual, strict=True):
        if isinstance(g, int) and g != a:
            return False
        if isinstance(g, str) and bound.setdefault(g, a) != a:
            return False
    return True


def check_shapes(parsed: Any, shapes: Shapes) -> None:
    """Every node's shape, or a shape_error at the operator that does not fit (both shapes named)."""
    try:
        for output in parsed.outputs:
            shapes(output)
    except MismatchError as exc:
        node = exc.node
        line, column = parsed.positions.get(node, (None, None))
        what = SYMBOLS.get(node.op, node.op)
        raise AdcliError(
            "shape_error",
            f"{what} in {to_text(node, truncate=True, limit=60)}: {exc}",
            line=line,
            column=column,
            source=parsed.source,
        ) from None


def check_wrt(wrt: Sequence[str] | None, present: Sequence[str]) -> list[str]:
    if wrt is None:
        return list(present)
    for name in wrt:
        if name not in present:
            raise AdcliError("usage_error", f"--wrt {name}: {name} is not a variable of the expression")
    return list(wrt)


def derive(
    parsed: Any, wrt: Sequence[str] | None, point: Mapping[str, Any], spec: str | None, steps: bool = False
) -> tuple[Jacobian, list[str], Shapes, list[str]]:
    """The derivatives of an array expression: (Jacobian, wrt names, shapes, notes)."""
    notes: list[str] = []
    present = variables(parsed.outputs)
    if not spec and not any(np.ndim(v) for v in point.values()) and not point:
        raise AdcliError(
            "usage_error",
            "an array expression needs shapes: --shape x=3,A=3x3 (or symbolic sizes x=n,A=nxn), or values --at",
        )
    shapes = Shapes(resolve_shapes(present, parse_shapes(spec), point, notes))
    check_shapes(parsed, shapes)
    names = check_wrt(wrt, present)
    try:
        found = jacobian(parsed.outputs, names, shapes, steps)
    except RecursionError:  # the simplifier's rules nest with the expression's products and sums
        raise AdcliError(
            "limit_exceeded", "the expression is nested too deeply for symbolic matrix calculus: use grad or jac"
        ) from None
    return found, names, shapes, notes + found.notes


def latex_form(node: Node, shapes: Shapes) -> Node:
    """For LaTeX: an elementwise product of two arrays as ⊙ (a display-only node `hadamard`)."""
    memo: dict[Node, Node] = {}
    for n in topo_order([node]):
        args = tuple(memo[a] for a in n.args)
        op = n.op
        if op == "mul" and all(shapes(a) != () for a in n.args):
            op = "hadamard"
        memo[n] = make(op, args, n.payload) if args else n
    return memo[node]


def diff_arrays(  # noqa: PLR0913 - the command's options
    parsed: Any,
    wrt: Sequence[str] | None,
    point: Mapping[str, Any],
    spec: str | None,
    result_type: Any,
    *,
    latex: bool = False,
    cse: bool = False,
    steps: bool = False,
    print_rows: Any = None,
) -> Any:
    """The `diff` result (adcli.commands.diff.Derivatives) for an array expression."""
    from adcli.modes.symbolic.derivative import count_operations

    started = time.perf_counter()
    found, names, shapes, notes = derive(parsed, wrt, point, spec, steps)
    rows = found.rows
    flat = [n for row in rows for n in row]
    result = result_type(
        input=parsed.source,
        read_as=parsed.read_as(),
        outputs=[
            name if name is not None else to_text(parsed.outputs[i], parsed.labels, truncate=True)
            for name, i in zip(found.names, found.sources, strict=True)
        ],
        wrt=names,
        order=1,
        columns=[[w] for w in names],
        derivatives=[],
        notes=[*parsed.notes, *notes],
    )
    result.shapes = {n: list(shapes.variables[n]) for n in variables(parsed.outputs)}
    result.size = {
        "input_operations": count_operations(parsed.outputs),
        "operations": count_operations(flat),
    }
    if not names:
        result.notes.append("the expression has no variables: there is nothing to differentiate")
    print_rows(rows, False, cse, result)
    if latex:
        result.latex = [[to_latex(latex_form(n, shapes)) for n in row] for row in rows]
    if steps:
        result.steps = found.steps
    if point and all(n in point for n in variables(parsed.outputs)):
        _values(parsed, names, point, found, result)
    elif point:
        missing = [n for n in variables(parsed.outputs) if n not in point]
        result.notes.append(f"no value for {', '.join(missing)}: the derivatives are shown without values")
    result.seconds = time.perf_counter() - started
    return result


def _values(parsed: Any, names: Sequence[str], point: Mapping[str, Any], found: Jacobian, result: Any) -> None:
    """The outputs and derivatives at the point, each scalar output's gradient checked against reverse mode first."""
    values = {n: np.asarray(point[n], dtype=float) for n in variables(parsed.outputs)}
    got = evaluate([*parsed.outputs, *[n for row in found.rows for n in row]], values)
    outputs, entries = got[: len(parsed.outputs)], got[len(parsed.outputs) :]
    width = len(names)
    for r, (name, i) in enumerate(zip(found.names, found.sources, strict=True)):  # a zero is the scalar 0
        row = () if name is not None or np.ndim(outputs[i]) == 0 else (int(np.size(outputs[i])),)
        for k in range(width):
            entries[r * width + k] = laid_out(entries[r * width + k], (*row, *np.shape(values[names[k]])))
    for r, (name, i) in enumerate(zip(found.names, found.sources, strict=True)):
        if name is not None or np.shape(outputs[i]) != ():
            continue
        reference = reverse_gradient(parsed.outputs[i], names, values, result.warnings)
        for k in range(width):
            mine, theirs = entries[r * width + k], reference[k]
            scale = max(1.0, float(np.max(np.abs(theirs)))) if np.size(theirs) else 1.0
            if np.shape(mine) != np.shape(theirs) or float(np.max(np.abs(mine - theirs), initial=0)) > AGREE * scale:
                raise AdcliError(
                    "internal_error",
                    f"the symbolic derivative by {names[k]} disagrees with reverse mode at the point "
                    "(a bug in adcli: please report it); reverse mode's numbers are right: adcli grad",
                )
    result.at = dict(values)  # arrays: the renderers print them, to_dict makes them lists
    result.value = [outputs[i] for i in found.sources]
    result.values = [[entries[r * width + k] for k in range(width)] for r in range(len(found.rows))]
