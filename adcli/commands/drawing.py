"""What `adcli graph` draws: the expression DAG, one vertex per tape slot, with values and adjoints.

The vertices are the tape's slots (so shared subexpressions are one vertex, numbered as in the
survey); with a point, each carries its value and its adjoint ∂y/∂v (micrograd's "data | grad").
Plain data: adcli.render.graph turns it into a Rich tree or Graphviz DOT.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.commands.trace import require_one_point, resolve_cotangent
from adcli.core.errors import AdcliError
from adcli.core.graph import variables
from adcli.core.printing import PLAIN, format_number
from adcli.core.tape import ERRSTATE, Tape, evaluate, linearise, local_partials
from adcli.modes import reverse


@dataclass
class Vertex:
    """One slot of the tape: an input, a constant or an operation."""

    slot: int
    index: int | None  # the survey's subscript; None for a constant
    op: str  # "input", "const" or the primitive's name
    text: str  # what the vertex shows: x1, 2, +, sin
    args: list[int]  # slots of the arguments, in order
    params: list[str]  # the argument names of the primitive (edge labels)
    name: str | None = None  # a bound name (`a = x*y`)
    value: float | None = None
    adjoint: float | None = None
    uses: int = 0  # how many arguments refer to it (2 or more: shared)


@dataclass
class Drawing:
    read_as: str
    vertices: list[Vertex]  # by slot
    outputs: list[int]  # slots
    at: dict[str, float] = field(default_factory=dict)
    cotangent: list[float] | None = None
    notes: list[str] = field(default_factory=list)  # why a point was not used (a variable without a value)


def symbol(op: str, arity: int) -> str:
    """The printed form of an operation: the infix symbol of a binary operator, else its name."""
    pieces = [p for p in PLAIN.get(op, ()) if isinstance(p, str)]
    return pieces[0].strip() if arity == 2 and len(pieces) == 1 else op


def _vertices(tape: Tape) -> list[Vertex]:
    out = []
    for s, node in enumerate(tape.nodes):
        prim = tape.prims[s]
        if s < tape.n_inputs:
            v = Vertex(s, tape.index(s), "input", tape.names[s], [], [])
        elif prim is None:
            v = Vertex(s, None, "const", format_number(node.payload), [], [])  # type: ignore[arg-type]
        else:
            v = Vertex(s, tape.index(s), node.op, symbol(node.op, prim.arity), list(tape.args[s]), list(prim.params))
            v.name = tape.labels.get(node)
        out.append(v)
    for v in out:
        for j in v.args:
            out[j].uses += 1
    return out


def _unpointed(text: str, strict: bool) -> Tape:
    """The tape of an expression with no point: every variable an input, no values."""
    from adcli.language.parser import check_calls, parse

    parsed = parse(text, strict=strict)
    check_calls(parsed)
    tape = linearise(parsed.outputs, variables(parsed.outputs), parsed.labels, parsed.positions, parsed.source)
    tape.source = parsed.read_as()
    return tape


def draw(
    text: str,
    at: Any = None,
    cotangent: Sequence[float] | None = None,
    *,
    strict: bool = False,
    defaults: Sequence[Any] = (),
) -> Drawing:
    """The DAG of text; with a point (given, or `at …` in the text), values and adjoints too.

    `defaults` fill in what the text's own `at` leaves out (a batch's --at), as in api.prepare."""
    from adcli import api
    from adcli.language.parser import parse

    parsed = parse(text, strict=strict)
    if at is None and not defaults and not parsed.point:
        if cotangent is not None:
            raise AdcliError("usage_error", "--cot needs a point (--at) to compute adjoints at")
        tape = _unpointed(text, strict)
        return Drawing(tape.source or text, _vertices(tape), list(tape.outputs))
    missing = api.shared_point_gaps(parsed, at, defaults)
    if missing and cotangent is None:  # a point for some variables (a batch's --at): the graph, without values
        tape = _unpointed(text, strict)
        give = ", ".join(f"{name}=…" for name in missing)
        note = f"no value for {', '.join(missing)}: drawn without values and adjoints (--at {give})"
        return Drawing(tape.source or text, _vertices(tape), list(tape.outputs), notes=[note])
    problem = api.prepare(text, at, strict=strict, defaults=defaults, parsed=parsed)  # --cot: every value needed
    if problem.tape.shapes is not None:
        return _draw_arrays(problem, cotangent)
    require_one_point(problem.point, "graph")
    tape = problem.tape
    weights = resolve_cotangent(len(tape.outputs), cotangent)
    active = tape.active(problem.wrt)
    vals = evaluate(tape, [np.float64(problem.point.get(n, 0.0)) for n in tape.names], active)
    adjoints = _adjoints(tape, vals, active, [np.float64(w) for w in weights])
    vertices = _vertices(tape)
    for v in vertices:
        v.value = float(vals[v.slot])
        if v.op != "const" and adjoints[v.slot] is not False:
            v.adjoint = float(adjoints[v.slot]) if adjoints[v.slot] is not None else 0.0
    return Drawing(problem.parsed.read_as(), vertices, list(tape.outputs), dict(problem.point), weights)


def _draw_arrays(problem: Any, cotangent: Sequence[float] | None) -> Drawing:
    """Arrays (issue 12): each vertex shows its shape; values and adjoints are arrays (summarised when drawn)."""
    from adcli.core import shaped
    from adcli.core.arrays import key_text, show
    from adcli.core.seeds import fitted
    from adcli.core.seeds import weights as weights_of

    tape = problem.tape
    shapes = tape.shapes
    if cotangent is None:  # 1 in every entry of the first output
        weights: list[Any] = resolve_cotangent(len(tape.outputs), None)
        seeds = [np.broadcast_to(np.float64(w), shapes[o]) for w, o in zip(weights, tape.outputs, strict=True)]
    else:  # each weight in its output's shape, as jac's and trace's --cot ([1,3] was "output 1 is a scalar")
        given = zip(weights_of(cotangent, len(tape.outputs)), tape.outputs, strict=True)
        weights = [fitted("--cot", f"output {i + 1}", w, shapes[o]) for i, (w, o) in enumerate(given)]
        seeds = [np.asarray(w, dtype=float) for w in weights]
    active = tape.active(problem.wrt)
    inputs = [np.asarray(problem.point.get(n, 0.0), dtype=float)[()] for n in tape.names]
    vals = shaped.evaluate(tape, inputs, active)
    partials = shaped.local_partials(tape, vals, active)
    adjoints = shaped.adjoint_sweep(tape, partials, seeds)
    vertices = _vertices(tape)
    for v in vertices:
        if v.op == "index":
            v.text = key_text(tape.nodes[v.slot].payload)
        if shapes[v.slot]:
            v.text = f"{v.text} {show(shapes[v.slot])}"
        v.value = np.asarray(vals[v.slot], dtype=float)[()]
        if v.op != "const" and active[v.slot]:
            v.adjoint = np.zeros(shapes[v.slot]) if adjoints[v.slot] is None else np.asarray(adjoints[v.slot])[()]
    return Drawing(problem.parsed.read_as(), vertices, list(tape.outputs), dict(problem.point), weights)


def _adjoints(tape: Tape, vals: list[Any], active: list[bool], weights: list[Any]) -> list[Any]:
    """∂y/∂v for every vertex, a constant subexpression's too (2*3 in 2*3*x has one: x).

    Those extra edges are off every input's path, so they change no input's adjoint. Where one of
    their partials does not exist (the exponent's in (-2)^(1+2)), the vertices below it get False:
    drawn without a grad.
    """
    partials = local_partials(tape, vals, active)
    every = [s < tape.n_inputs or s >= tape.first_op for s in range(len(tape.nodes))]
    unknown = [False] * len(tape.nodes)
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(tape.nodes)):
            args = tape.args[s]
            have = partials[s] or (None,) * len(args)
            missing = [k for k, j in enumerate(args) if every[j] and not active[j]]
            if not missing:
                continue
            rules, a, found = tape.prims[s].partials, [vals[j] for j in args], list(have)  # type: ignore[union-attr]
            for k in missing:
                try:
                    found[k] = rules[k](*a, vals[s])
                except FloatingPointError:
                    unknown[args[k]] = True
            partials[s] = tuple(found)
        try:
            adjoints = reverse.adjoint_sweep(tape, partials, weights)
        except FloatingPointError as exc:
            raise AdcliError("nonfinite", f"an adjoint overflowed ({exc})") from None
    for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
        if unknown[s]:
            for j in tape.args[s]:
                unknown[j] = True
    return [False if unknown[s] else a for s, a in enumerate(adjoints)]
