"""`adcli trace` on arrays (issue 12): each vᵢ with its shape and a few entries, and the rules applied.

The primal trace writes each slot as an operation of placeholders (v₁ = v₋₁ @ v₀); the adjoint
trace writes, for each argument, the rule the reverse sweep applied: the table's VJP text for a
structural primitive (W̄ += v̄₃ @ v₀ᵀ, from core/arrays.py), `unbroadcast(v̄ᵢ·∂vᵢ/∂vⱼ)` for an
elementwise one (its partial from the table, as the scalar trace prints it). The numbers are the
reverse sweep's own (adcli.core.shaped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.commands import arraycode
from adcli.core import seeds, shaped
from adcli.core.arrays import key_text
from adcli.core.errors import AdcliError
from adcli.core.graph import var
from adcli.core.notation import token
from adcli.core.printing import to_text
from adcli.core.tape import Tape


@dataclass
class ArrayRow:
    target: str  # neutral notation: v_1, vbar_m1
    form: str  # neutral notation: v_m1 @ v_0
    shape: list[int]
    value: Any  # the array (JSON: nested lists)


@dataclass
class ArrayTrace:
    input: str
    read_as: str
    wrt: list[str]
    primal: list[ArrayRow]
    adjoint: list[ArrayRow] | None
    gradient: dict[str, Any] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    tangent: list[ArrayRow] | None = None
    direction: dict[str, Any] | None = None  # the tangent sweep's seed, per wrt variable
    cotangent: list[Any] | None = None  # the adjoint sweep's seed, per output
    jvp: list[Any] | None = None  # the outputs' tangents
    tape: Any = field(default=None, repr=False)  # for `--emit python` (adcli.commands.arrayemit)

    def to_dict(self) -> dict[str, Any]:
        def rows(found: list[ArrayRow] | None) -> list[dict[str, Any]] | None:
            if found is None:
                return None
            return [
                {"target": r.target, "form": r.form, "shape": r.shape, "value": np.asarray(r.value).tolist()}
                for r in found
            ]

        return {
            "input": self.input,
            "read_as": self.read_as,
            "wrt": self.wrt,
            "primal": rows(self.primal),
            "tangent": rows(self.tangent),
            "adjoint": rows(self.adjoint),
            "direction": None
            if self.direction is None
            else {k: np.asarray(v).tolist() for k, v in self.direction.items()},
            "jvp": None if self.jvp is None else [np.asarray(v).tolist() for v in self.jvp],
            "gradient": {k: np.asarray(v).tolist() for k, v in self.gradient.items()},
            "warnings": self.warnings,
            "notes": self.notes,
        }


def _v(tape: Tape, slot: int) -> str:
    index = tape.index(slot)
    if index is None:
        return to_text(tape.nodes[slot])
    return token("v", index)


def _form(tape: Tape, slot: int) -> str:
    """A slot's operation on placeholders, printed as the input syntax prints it."""
    node = tape.nodes[slot]
    args = [_v(tape, j) for j in tape.args[slot]]
    if node.op == "matmul":
        return f"{args[0]} @ {args[1]}"
    if node.op == "transpose":
        return f"{args[0]}'"
    if node.op == "index":
        return f"{args[0]}{key_text(node.payload)}"
    if node.op == "stack":
        return f"[{', '.join(args)}]"
    symbols = {"add": "+", "sub": "-", "mul": "·", "div": "/", "pow": "^"}
    if node.op in symbols:
        return f"{args[0]} {symbols[node.op]} {args[1]}"
    if node.op == "neg":
        return f"-{args[0]}"
    return f"{tape.prims[slot].shown or node.op}({', '.join(args)})"  # type: ignore[union-attr]


def _rule(tape: Tape, slot: int, k: int) -> str:
    """What the reverse sweep adds to the k-th argument's adjoint, in the neutral notation."""
    prim = tape.prims[slot]
    g = token("vbar", tape.index(slot))  # type: ignore[arg-type]
    args = [_v(tape, j) for j in tape.args[slot]]
    if prim.rules is not None:  # type: ignore[union-attr]
        texts = prim.rules.vjp_text  # type: ignore[union-attr]
        text = texts[min(k, len(texts) - 1)]
        return text.format(g=g, a=args[0], b=args[1] if len(args) > 1 else "", o=_v(tape, slot))
    from adcli.commands.trace import symbolic_partials

    partial = to_text(symbolic_partials(tape, slot)[k])
    return f"unbroadcast({g}·{partial})" if partial != "1" else f"unbroadcast({g})"


def code_slot(tape: Tape, slot: int, name: Any) -> arraycode.Slot:
    """A structural slot for adcli.commands.arraycode, its arguments and output named by name(tape, slot)."""
    shapes = tape.shapes
    assert shapes is not None
    args = tape.args[slot]
    node = tape.nodes[slot]
    return arraycode.Slot(
        node.op, [name(tape, j) for j in args], name(tape, slot), [shapes[j] for j in args], node.payload
    )


def _tangent_form(tape: Tape, slot: int, active: list[bool]) -> str:
    """What the tangent sweep computes for a slot: the table's JVP (structural) or Σ v̇ⱼ·∂vᵢ/∂vⱼ (elementwise)."""
    from adcli.commands.trace import symbolic_partials, tangent_rule

    moving = [active[j] and tape.index(j) is not None for j in tape.args[slot]]
    prim = tape.prims[slot]
    if prim.rules is not None:  # type: ignore[union-attr]
        tangents = [token("vdot", tape.index(j)) if m else None for j, m in zip(tape.args[slot], moving, strict=True)]  # type: ignore[arg-type]
        code = arraycode.jvp(code_slot(tape, slot, _v), tangents)
        return arraycode.readable(code)
    partials = symbolic_partials(tape, slot)
    terms = [
        (var(token("vdot", tape.index(j))), p)  # type: ignore[arg-type]
        for j, p, m in zip(tape.args[slot], partials, moving, strict=True)
        if m
    ]
    return to_text(tangent_rule(terms))


def _direction(problem: Any, given: Any) -> tuple[dict[str, Any], list[str]]:
    """The tangent seed per wrt variable in its shape: --dir's, or ones for the first variable (said in a note)."""
    from adcli.arrays import _shaped

    shapes = problem.tape.shapes
    if given is None and not problem.wrt:  # constants only ([1, 2]): nothing moves (fuzzing: an IndexError)
        return {}, []
    if given is None:
        first = problem.wrt[0]
        note = f"the tangent sweep is seeded with 1 in every entry of {first} and 0 elsewhere (--dir sets another)"
        return {w: (np.ones if k == 0 else np.zeros)(shapes[k]) for k, w in enumerate(problem.wrt)}, [note]
    given = seeds.named("--dir", given, problem.wrt)
    return {
        w: np.asarray(_shaped(w, given[w], shapes[k], "--dir"), dtype=float) if w in given else np.zeros(shapes[k])
        for k, w in enumerate(problem.wrt)
    }, []


def _tangent_rows(
    problem: Any, partials: list[Any], active: list[bool], seed: dict[str, Any]
) -> tuple[list[ArrayRow], list[Any]]:
    tape: Tape = problem.tape
    shapes = tape.shapes
    assert shapes is not None
    tangents = shaped.tangent_sweep(tape, partials, [seed.get(n) for n in tape.names])
    rows = [
        ArrayRow(token("vdot", tape.index(k)), "{" + n + "}dot", list(shapes[k]), seed[n])  # type: ignore[arg-type]
        for k, n in enumerate(tape.names)
        if n in seed
    ]
    for s in range(tape.first_op, len(tape.nodes)):
        if active[s] and tangents[s] is not None:
            rows.append(
                ArrayRow(token("vdot", tape.index(s)), _tangent_form(tape, s, active), list(shapes[s]), tangents[s])
            )  # type: ignore[arg-type]
    return rows, tangents


def _adjoint_rows(
    tape: Tape, partials: list[Any], active: list[bool], seeds: list[Any]
) -> tuple[list[ArrayRow], list[Any]]:
    shapes = tape.shapes
    assert shapes is not None
    adjoints = shaped.adjoint_sweep(tape, partials, seeds)
    rows = []
    for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
        if not active[s] or adjoints[s] is None:
            continue
        for k, j in enumerate(tape.args[s]):
            if active[j] and tape.index(j) is not None:
                rows.append(ArrayRow(token("vbar", tape.index(j)), "+= " + _rule(tape, s, k), list(shapes[j]), None))  # type: ignore[arg-type]
    slots = {token("vbar", tape.index(s)): s for s in range(len(tape.nodes)) if tape.index(s) is not None}  # type: ignore[arg-type]
    for row in rows:  # the adjoint each row adds to, once complete (the sweep's own numbers)
        slot = slots[row.target]
        row.value = np.zeros(shapes[slot]) if adjoints[slot] is None else adjoints[slot]
    return rows, adjoints


def _cotangent(tape: Tape, given: Any) -> list[Any]:
    """The adjoint sweep's seed per output: --cot's weights, each in its output's shape (as jac's --cot: a
    number for an array output was spread over it here and a shape_error there), 1 in every entry without it."""
    from adcli.arrays import _shaped

    shapes = tape.shapes
    assert shapes is not None
    if given is None:
        return [np.ones(shapes[o]) for o in tape.outputs]
    weights = seeds.weights(given, len(tape.outputs))
    return [
        _shaped(f"output {i + 1}", w, shapes[o], "--cot")
        for i, (w, o) in enumerate(zip(weights, tape.outputs, strict=True))
    ]


def compute(problem: Any, mode: str, direction: Any, cotangent: Any) -> ArrayTrace:
    """The primal trace, and the tangent (forward), adjoint (reverse) or both traces of an array problem."""
    if mode not in ("forward", "reverse", "both"):
        raise AdcliError("usage_error", f"unknown trace mode {mode!r}: choose forward, reverse, both")
    if mode == "reverse" and direction is not None:
        raise AdcliError("usage_error", "--dir seeds the tangent sweep, which --mode reverse does not run")
    if mode == "forward" and cotangent is not None:
        raise AdcliError("usage_error", "--cot seeds the adjoint sweep, which --mode forward does not run")
    tape: Tape = problem.tape
    shapes = tape.shapes
    assert shapes is not None
    warnings: list[Any] = list(problem.warnings)
    active = tape.active(problem.wrt)
    inputs = [np.asarray(problem.point.get(n, 0.0), dtype=float)[()] for n in tape.names]
    vals = shaped.evaluate(tape, inputs, active, warnings)
    primal = [ArrayRow(_v(tape, s), "{" + tape.names[s] + "}", list(shapes[s]), vals[s]) for s in range(tape.n_inputs)]
    primal += [
        ArrayRow(_v(tape, s), _form(tape, s), list(shapes[s]), vals[s]) for s in range(tape.first_op, len(tape.nodes))
    ]
    partials = shaped.local_partials(tape, vals, active, warnings)
    parsed = problem.parsed
    trace = ArrayTrace(
        parsed.source,
        parsed.read_as(),
        list(problem.wrt),
        primal,
        None,
        warnings=[],
        notes=list(parsed.notes),
        tape=tape,
    )
    if mode != "reverse":
        trace.direction, notes = _direction(problem, direction)
        trace.notes += notes
        trace.tangent, tangents = _tangent_rows(problem, partials, active, trace.direction)
        trace.jvp = [np.zeros(shapes[o]) if tangents[o] is None else tangents[o] for o in tape.outputs]
    if mode != "forward":
        trace.cotangent = _cotangent(tape, cotangent)
        trace.adjoint, adjoints = _adjoint_rows(tape, partials, active, trace.cotangent)
        trace.gradient = {
            w: (np.zeros(shapes[k]) if adjoints[k] is None else np.asarray(adjoints[k]))
            for k, w in enumerate(problem.wrt)
        }
    trace.warnings = [w.to_dict() for w in warnings]
    return trace
