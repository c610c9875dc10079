"""`adcli trace --order 2`: the forward-over-reverse trace, the tangents of the adjoints row by row.

Forward-over-reverse (adcli.modes.nested) runs the adjoint sweep on dual numbers whose tangents come
from the tangent sweep along v: each edge i <- j of the adjoint sweep, v̄ⱼ += v̄ᵢ·∂vᵢ/∂vⱼ, gains a
tangent row

    v̄̇ⱼ = v̄̇ⱼ + v̄̇ᵢ·∂vᵢ/∂vⱼ + v̄ᵢ·(∂vᵢ/∂vⱼ)˙,   (∂vᵢ/∂vⱼ)˙ = Σₖ ∂(∂vᵢ/∂vⱼ)/∂vₖ · v̇ₖ,

the product rule on the adjoint's update. The partial's own tangent is the table's rule differentiated
once more (symbolically here, to print it; the numbers are the dual sweep's). The inputs' v̄̇ are H·v.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.commands import kinkpieces
from adcli.commands.hessian import refuse_kinks
from adcli.commands.kinkpieces import Pieces
from adcli.commands.trace import Row, Trace, compute, symbolic_partials, times
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, build, const, topo_order, var
from adcli.core.notation import name, token
from adcli.core.printing import format_number, to_text
from adcli.core.tape import ERRSTATE, evaluate, local_partials
from adcli.modes import nested, second_order
from adcli.modes.symbolic.derivative import tangent_sweep


def rule_tangent(rule: Node) -> Node:
    """(∂vᵢ/∂vⱼ)˙ written with placeholders: Σₖ ∂rule/∂vₖ · v̇ₖ over the v's the rule reads."""
    total: Node | None = None
    for leaf in topo_order([rule]):
        if leaf.op != "var" or not str(leaf.payload).startswith("v_"):
            continue
        d = tangent_sweep([rule], str(leaf.payload)).get(rule)
        if d is None:
            continue
        term = build("mul", d, var("vdot_" + str(leaf.payload)[2:]))
        total = term if total is None else build("add", total, term)
    return total if total is not None else build("mul", 0, 1)  # type: ignore[arg-type]


def _numbers(text: str, env: Mapping[str, Any]) -> dict[str, float]:
    from adcli.core.notation import VALUE_PLACEHOLDER

    return {m.group(0): float(env.get(m.group(0), 0.0)) for m in VALUE_PLACEHOLDER.finditer(text)}


def _edge_row(tape: Any, s: int, j: int, rule: Node, first: bool) -> str:
    bd_j, bd_s = token("vbardot", tape.index(j)), token("vbardot", tape.index(s))
    bar_s = token("vbar", tape.index(s))
    dot = rule_tangent(rule)
    pieces = [] if first else [bd_j]
    pieces.append(to_text(times(var(bd_s), rule, simplify=True)))
    if not (dot.op == "const" and dot.payload == 0):
        text = to_text(dot)
        pieces.append(f"{bar_s}*({text})" if dot.op in ("add", "sub") or text.startswith("-") else f"{bar_s}*{text}")
    return " + ".join(pieces)


def _settle(trace: Trace, problem: Any, vals: list[Any], active: list[bool]) -> Pieces | None:
    """A kink on the path: its pieces, where they agree to second order (as hess takes them,
    adcli.commands.kinkpieces: abs(x)^3 at 0); any other kink is refused, naming the node and the order."""
    tape, n = problem.tape, len(problem.wrt)
    warnings: list[Any] = []
    evaluate(tape, [np.float64(problem.point.get(m, 0.0)) for m in tape.names], active, warnings, refuse=False)

    def compute(pieces: Pieces) -> tuple[np.ndarray, np.ndarray]:
        return second_order.hessian_by_rows(tape, vals, local_partials(tape, vals, active, []), active, n, pieces)

    pieces, note = kinkpieces.settle(tape, vals, active, warnings, compute, refuse_kinks)
    if pieces and note:
        chosen = ", ".join(
            f"{tape.text(s)} by its piece of slope{'s' if len(c) > 1 else ''} "
            f"{', '.join(format_number(float(x)) for x in c)}"
            for s, c in pieces.items()
        )
        trace.notes.append(
            f"{note}; the adjoint-tangent rows take {chosen}, its tangent too (the sweeps above use the "
            "convention's slope; every piece gives the same gradient and H·v)"
        )
    return pieces


def _rules(tape: Any, s: int, pieces: Pieces | None) -> list[Node]:
    """The slot's partials as the rows print them: the table's rules, or a kink's chosen piece's slopes."""
    if pieces and s in pieces:
        return [const(float(c)) for c in pieces[s]]
    return symbolic_partials(tape, s)


def adjoint_tangent_rows(trace: Trace, problem: Any, seed: Sequence[float], cotangent: Sequence[float]) -> list[Row]:
    """One row per edge of the adjoint sweep (in its order), then the inputs' v̄̇ = (H·v)ₖ."""
    tape = problem.tape
    active = tape.active(problem.wrt)
    inputs = [np.float64(problem.point.get(n, 0.0)) for n in tape.names]
    vals = evaluate(tape, inputs, active, None, refuse=False)  # every kink settled below, at order 2
    pieces = _settle(trace, problem, vals, active)
    partials, moving = second_order.pieced(tape, local_partials(tape, vals, active), active, pieces)
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        from adcli.modes import forward

        tangents = forward.tangent_sweep(tape, partials, [np.float64(x) if x else None for x in seed])
    duals = [v if t is None else nested.Dual(v, t) for v, t in zip(vals, tangents, strict=True)]
    lifted = nested.dual_partials(tape, duals, active, moving)
    env: dict[str, Any] = {}
    for s in range(len(tape.nodes)):
        if tape.index(s) is not None:
            env[token("v", tape.index(s))] = vals[s]
            env[token("vdot", tape.index(s))] = 0.0 if tangents[s] is None else tangents[s]
    adjoints: list[Any] = [None] * len(tape.nodes)
    rows = []
    for o, w in zip(tape.outputs, cotangent, strict=True):
        if tape.index(o) is not None and w:
            adjoints[o] = nested.Dual(np.float64(w), 0.0) if adjoints[o] is None else adjoints[o] + w
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
            g, local = adjoints[s], lifted[s]
            if g is None or local is None:
                continue
            env[token("vbar", tape.index(s))] = nested.plain(g)
            env[token("vbardot", tape.index(s))] = nested.tangent_of(g, 0.0)
            for p, j, rule in zip(local, tape.args[s], _rules(tape, s, pieces), strict=True):
                if p is None:
                    continue
                form = _edge_row(tape, s, j, rule, adjoints[j] is None)
                numbers = _numbers(form, env)
                adjoints[j] = p * g if adjoints[j] is None else adjoints[j] + p * g
                value = float(nested.tangent_of(adjoints[j], 0.0))
                env[token("vbardot", tape.index(j))] = value
                rows.append(
                    Row(token("vbardot", tape.index(j)), [form], value, numbers, tape.labels.get(tape.nodes[j]))
                )
    for k, n in enumerate(tape.names):
        value = float(nested.tangent_of(adjoints[k], 0.0)) if adjoints[k] is not None else 0.0
        rows.append(
            Row(name(n, "bardot"), [token("vbardot", tape.index(k)) if adjoints[k] is not None else "0"], value)
        )
    return rows


def compute_second(
    problem: Any,
    direction: Mapping[str, float] | Sequence[float] | None = None,
    cotangent: Sequence[float] | None = None,
) -> Trace:
    """The traces of `trace --mode both` plus the adjoint-tangent trace: the inputs' v̄̇ are H·v."""
    trace = compute(problem, "both", direction, cotangent)
    seed = [trace.direction.get(n, 0.0) for n in problem.tape.names] if trace.direction else []
    try:
        trace.adjoint_tangent = adjoint_tangent_rows(trace, problem, seed, trace.cotangent or [1.0])
    except FloatingPointError as exc:
        raise AdcliError("nonfinite", f"a second derivative overflowed ({exc})") from None
    trace.order = 2
    trace.cost["adjoint_tangent_ops"] = 3 * sum(1 for r in trace.adjoint_tangent if r.forms and "vbardot" in r.forms[0])
    trace.notes.append(
        "forward-over-reverse: the adjoint sweep on dual numbers (tangents from the tangent sweep); "
        "the inputs' adjoint tangents are H·v (v = the tangent seed)"
    )
    return trace
