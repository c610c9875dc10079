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

from adcli.core import shaped
from adcli.core.arrays import key_text
from adcli.core.errors import AdcliError
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
            "adjoint": rows(self.adjoint),
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


def compute(problem: Any, mode: str, direction: Any, cotangent: Any) -> ArrayTrace:
    if mode == "forward" or direction is not None:
        raise AdcliError("usage_error", "trace on arrays shows the primal and adjoint sweeps: use --mode reverse")
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
    weights = [1.0] * len(tape.outputs) if cotangent is None else list(cotangent)
    if len(weights) != len(tape.outputs):
        raise AdcliError("usage_error", f"--cot has {len(weights)} weights; there are {len(tape.outputs)} outputs")
    partials = shaped.local_partials(tape, vals, active, warnings)
    seeds = [np.broadcast_to(np.float64(w), shapes[o]) for w, o in zip(weights, tape.outputs, strict=True)]
    adjoints = shaped.adjoint_sweep(tape, partials, seeds)
    rows = []
    for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
        if not active[s] or adjoints[s] is None:
            continue
        for k, j in enumerate(tape.args[s]):
            if active[j] and tape.index(j) is not None:
                rows.append(ArrayRow(token("vbar", tape.index(j)), "+= " + _rule(tape, s, k), list(shapes[j]), None))  # type: ignore[arg-type]
    for row in rows:  # the adjoint each row adds to, once complete (the sweep's own numbers)
        slot = next(
            s
            for s in range(len(tape.nodes))
            if tape.index(s) is not None and token("vbar", tape.index(s)) == row.target
        )  # type: ignore[arg-type]
        row.value = np.zeros(shapes[slot]) if adjoints[slot] is None else adjoints[slot]
    gradient = {
        w: (np.zeros(shapes[k]) if adjoints[k] is None else np.asarray(adjoints[k])) for k, w in enumerate(problem.wrt)
    }
    parsed = problem.parsed
    return ArrayTrace(
        parsed.source,
        parsed.read_as(),
        list(problem.wrt),
        primal,
        rows,
        gradient,
        [w.to_dict() for w in warnings],
        list(parsed.notes),
    )
