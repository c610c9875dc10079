"""The survey's three traces, row by row: forward primal, forward tangent, reverse adjoint.

Baydin et al. (2018) teach AD with Tables 2 and 3: the primal program beside its tangent program,
and the adjoint program read from the output back. `compute` writes those tables from the tape,
each row a rule with its numbers. The rules come from the primitive table: each primitive's
partials are applied to placeholder nodes (v_m1, v_0, …) and printed, so a new table entry needs
no change here. The numbers are the same floating-point operations, in the same order, as the
forward and reverse modes, so the trace shows exactly how `adcli grad` got its answer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from adcli.core import seeds
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, as_node, const, is_const, make, topo_order, var
from adcli.core.notation import VALUE_PLACEHOLDER, name, token
from adcli.core.printing import format_number, to_text
from adcli.core.tape import ERRSTATE, Tape, evaluate, local_partials, require_detailed

MODES = ("forward", "reverse", "both")


@dataclass
class Step:
    """One v of the tape (constants are written inline, so they have none)."""

    index: int
    label: str  # "v_-1"
    op: str  # "input" or the primitive's name
    args: list[str | float]  # "v_-1" for a v, the number for a constant
    value: float
    name: str | None = None  # the input's variable, or the name bound to it (`a = x*y`)
    tangent: float | None = None
    adjoint: float | None = None


@dataclass
class Row:
    """A row of a trace table, in the neutral notation of adcli.core.notation: target = forms = numbers = value."""

    target: str
    forms: list[str]
    value: float
    numbers: dict[str, float] = field(default_factory=dict)  # placeholder -> value, put into the last form
    label: str | None = None


@dataclass
class Trace:
    """Everything `adcli trace` shows: steps, rows of the sweeps run, op counts."""

    input: str
    read_as: str
    at: dict[str, float]
    wrt: list[str]
    mode: str
    outputs: list[dict[str, Any]]  # {"label", "index" (None for a constant), "value", "tangent"?, "cotangent"?}
    steps: list[Step]
    primal: list[Row]
    tangent: list[Row] | None = None
    adjoint: list[Row] | None = None
    direction: dict[str, float] | None = None
    cotangent: list[float] | None = None
    cost: dict[str, int] = field(default_factory=dict)
    warnings: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    adjoint_tangent: list[Row] | None = (
        None  # --order 2: the tangents of the adjoints (adcli.commands.adjoint_tangents)
    )
    order: int = 1

    @property
    def n_inputs(self) -> int:
        return sum(1 for s in self.steps if s.op == "input")

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON data (floats at full precision); `Trace.from_dict` reads it back."""
        out = asdict(self)
        for step in out["steps"]:
            for key in ("tangent", "adjoint", "name"):
                if step[key] is None and key != "name":
                    del step[key]
        for sweep in ("tangent", "adjoint", "direction", "cotangent", "adjoint_tangent"):
            if out[sweep] is None:
                del out[sweep]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Trace:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["steps"] = [Step(**s) for s in data["steps"]]
        for sweep in ("primal", "tangent", "adjoint", "adjoint_tangent"):
            if data.get(sweep) is not None:
                fields = Row.__dataclass_fields__
                known[sweep] = [Row(**{k: v for k, v in r.items() if k in fields}) for r in data[sweep]]
        return cls(**known)


# ---- the rules as expressions over placeholders -------------------------------------------------


def placeholder_args(tape: Tape, slot: int) -> list[Node]:
    """A slot's arguments as placeholder nodes: v_m1, v_2, …; constants stay numbers (inline)."""
    return [
        const(tape.nodes[j].payload) if tape.index(j) is None else var(token("v", tape.index(j)))  # type: ignore[arg-type]
        for j in tape.args[slot]
    ]


def symbolic_partials(tape: Tape, slot: int) -> list[Node]:
    """∂vᵢ/∂vⱼ for each argument of a slot, from the table's rule, written with placeholders."""
    prim = tape.prims[slot]
    assert prim is not None
    args = placeholder_args(tape, slot)
    out = var(token("v", tape.index(slot)))  # type: ignore[arg-type]
    return [as_node(rule(*args, out)) for rule in prim.partials]  # type: ignore[arg-type]


def times(a: Node, partial: Node, simplify: bool) -> Node:
    """a·∂ as the survey writes it: a/x for a partial 1/x; a·1 -> a only when simplifying."""
    if partial.op == "div" and is_const(partial.args[0], 1):
        return make("div", (a, partial.args[1]))
    if simplify and is_const(partial, 1):
        return a
    return make("mul", (a, partial))


def tangent_rule(terms: Sequence[tuple[Node, Node]]) -> Node:
    """v̇ᵢ = Σ v̇ⱼ·∂vᵢ/∂vⱼ, written as the survey does: v̇₄ - v̇₃ for a partial of -1."""
    total: Node | None = None
    for tangent, partial in terms:
        if is_const(partial, -1):
            total = make("neg", (tangent,)) if total is None else make("sub", (total, tangent))
            continue
        term = times(tangent, partial, simplify=True)
        total = term if total is None else make("add", (total, term))
    return total if total is not None else const(0)


def operation_count(node: Node) -> int:
    """Elementary operations in an expression (shared subexpressions once, leaves free)."""
    return sum(1 for n in topo_order([node]) if n.op not in ("var", "const"))


def _numbers(rule: Node, env: Mapping[str, Any]) -> dict[str, float]:
    return {n.payload: float(env[n.payload]) for n in topo_order([rule]) if n.op == "var"}  # type: ignore[misc]


def require_one_point(point: Mapping[str, Any], command: str) -> None:
    """trace, graph and check show one point's numbers: a span or list (from --at or the text's `at`) is refused."""
    many = [n for n, v in point.items() if np.ndim(v)]
    if many:
        raise AdcliError(
            "usage_error",
            f"{command} takes one point: give {many[0]} one value, not a span or list",
        )


# ---- direction and cotangent --------------------------------------------------------------------


def resolve_direction(wrt: Sequence[str], given: Mapping[str, float] | Sequence[float] | None) -> dict[str, float]:
    """ẋ for each wrt variable: named (x=1,y=0), positional (1,0), or the first unit vector (adcli.core.seeds)."""
    if given is None:
        return {n: 1.0 if k == 0 else 0.0 for k, n in enumerate(wrt)}
    return seeds.entries("--dir", given, wrt, [()] * len(wrt))


def resolve_cotangent(n_outputs: int, given: Sequence[float] | None) -> list[float]:
    """ȳ for each output: the given weights (one number per scalar output), or 1 for the first output."""
    if given is None:
        return [1.0 if k == 0 else 0.0 for k in range(n_outputs)]
    return [seeds.fitted("--cot", f"output {k + 1}", w, ()) for k, w in enumerate(seeds.weights(given, n_outputs))]


# ---- the sweeps, row by row ---------------------------------------------------------------------


@dataclass
class _Sweep:
    """What the three traces share: the tape, its values and partials, and the names to print."""

    tape: Tape
    vals: list[Any]
    partials: list[tuple[Any, ...] | None]
    active: list[bool]
    outputs: list[str]  # "{y}" or "{y}_1", …

    def v(self, slot: int) -> str:
        return token("v", self.tape.index(slot))  # type: ignore[arg-type]

    def label(self, slot: int) -> str | None:
        return self.tape.labels.get(self.tape.nodes[slot])

    def out_form(self, slot: int, kind: str) -> str:
        """What an output is: its v (or v̇, v̄), or the constant it is."""
        index = self.tape.index(slot)
        return format_number(self.tape.nodes[slot].payload) if index is None else token(kind, index)  # type: ignore[arg-type]


def _primal_rows(sw: _Sweep) -> list[Row]:
    tape, vals = sw.tape, sw.vals
    rows = [Row(sw.v(k), [name(n)], float(vals[k])) for k, n in enumerate(tape.names)]
    env = {sw.v(s): vals[s] for s in range(len(vals)) if tape.index(s) is not None}
    for s in range(tape.first_op, len(vals)):
        rule = make(tape.nodes[s].op, placeholder_args(tape, s))
        rows.append(Row(sw.v(s), [to_text(rule)], float(vals[s]), _numbers(rule, env), sw.label(s)))
    for target, o in zip(sw.outputs, tape.outputs, strict=True):
        rows.append(Row(target, [sw.out_form(o, "v")], float(vals[o])))
    return rows


def _tangent_rows(sw: _Sweep, seed: Sequence[float], cost: dict[str, int]) -> tuple[list[Row], list[Any]]:
    """v̇ᵢ = Σⱼ v̇ⱼ·∂vᵢ/∂vⱼ, the same products and sums, in the same order, as modes.forward."""
    tape = sw.tape
    tangents: list[Any] = [np.float64(t) for t in seed] + [None] * (len(tape.nodes) - len(seed))
    rows = [Row(token("vdot", tape.index(k)), [name(n, "dot")], float(seed[k])) for k, n in enumerate(tape.names)]  # type: ignore[arg-type]
    env: dict[str, Any] = {sw.v(s): sw.vals[s] for s in range(len(sw.vals)) if tape.index(s) is not None}
    env.update({token("vdot", tape.index(k)): tangents[k] for k in range(tape.n_inputs)})  # type: ignore[arg-type]
    ops = 0
    for s in range(tape.first_op, len(tape.nodes)):
        local, terms, total = sw.partials[s], [], None
        if local is not None:
            rules = symbolic_partials(tape, s)
            for p, j, rule in zip(local, tape.args[s], rules, strict=True):
                if p is None or tangents[j] is None:
                    continue
                terms.append((var(token("vdot", tape.index(j))), rule))  # type: ignore[arg-type]
                total = p * tangents[j] if total is None else total + p * tangents[j]
                ops += 1 if len(terms) == 1 else 2
        tangents[s] = total
        env[token("vdot", tape.index(s))] = 0.0 if total is None else total  # type: ignore[arg-type]
        rule = tangent_rule(terms)
        value = 0.0 if total is None else float(total)
        rows.append(Row(token("vdot", tape.index(s)), [to_text(rule)], value, _numbers(rule, env), sw.label(s)))  # type: ignore[arg-type]
    for target, o in zip(sw.outputs, tape.outputs, strict=True):
        form = sw.out_form(o, "vdot") if tape.index(o) is not None else "0"  # a constant output's tangent is 0
        rows.append(Row(target.replace("}", "}dot", 1), [form], float(env.get(form, 0.0))))
    cost["tangent_ops"] = ops
    return rows, tangents


def _seed_rows(sw: _Sweep, cotangent: Sequence[float], adjoints: list[Any]) -> list[Row]:
    rows = []
    for target, o, weight in zip(sw.outputs, sw.tape.outputs, cotangent, strict=True):
        if sw.tape.index(o) is None:
            continue  # a constant output: nothing to pull back
        bar = target.replace("}", "}bar", 1)
        first = adjoints[o] is None
        adjoints[o] = np.float64(weight) if first else adjoints[o] + np.float64(weight)
        forms = [bar] if first else [f"{token('vbar', sw.tape.index(o))} + {bar}"]  # type: ignore[arg-type]
        rows.append(Row(token("vbar", sw.tape.index(o)), forms, float(adjoints[o]), label=sw.label(o)))  # type: ignore[arg-type]
    return rows


def _contribution(sw: _Sweep, s: int, j: int, rule: Node, adjoints: list[Any]) -> Row:
    """`v̄ⱼ = v̄ⱼ + v̄ᵢ·∂vᵢ/∂vⱼ = v̄ⱼ + v̄ᵢ·(rule)` for one edge i <- j (the first without `v̄ⱼ +`)."""
    tape = sw.tape
    bar_j, bar_s = token("vbar", tape.index(j)), token("vbar", tape.index(s))  # type: ignore[arg-type]
    d = f"{token('dv', tape.index(s))}/{token('dv', tape.index(j))}"  # type: ignore[arg-type]
    term = times(var(bar_s), rule, simplify=False)
    if adjoints[j] is None:
        return Row(bar_j, [f"{bar_s}*{d}", to_text(term)], 0.0)
    return Row(bar_j, [f"{bar_j} + {bar_s}*{d}", to_text(make("add", (var(bar_j), term)))], 0.0)


def _adjoint_rows(sw: _Sweep, cotangent: Sequence[float], cost: dict[str, int]) -> tuple[list[Row], list[Any]]:
    """v̄ⱼ += v̄ᵢ·∂vᵢ/∂vⱼ from the output back, one row per edge, as modes.reverse computes it."""
    tape = sw.tape
    adjoints: list[Any] = [None] * len(tape.nodes)
    rows = _seed_rows(sw, cotangent, adjoints)
    env: dict[str, Any] = {sw.v(s): sw.vals[s] for s in range(len(sw.vals)) if tape.index(s) is not None}
    ops = 0
    for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
        g, local = adjoints[s], sw.partials[s]
        if g is None or local is None:
            continue
        env[token("vbar", tape.index(s))] = g  # type: ignore[arg-type]
        for p, j, rule in zip(local, tape.args[s], symbolic_partials(tape, s), strict=True):
            if p is None:
                continue
            row = _contribution(sw, s, j, rule, adjoints)
            env[row.target] = adjoints[j]
            ops += 1 if adjoints[j] is None else 2
            adjoints[j] = p * g if adjoints[j] is None else adjoints[j] + p * g
            row.value, row.label = float(adjoints[j]), sw.label(j)
            row.numbers = {k: float(env[k]) for k in _numbers_in(row.forms[-1])}
            rows.append(row)
    for k, n in enumerate(tape.names):
        bar = token("vbar", tape.index(k))  # type: ignore[arg-type]
        rows.append(Row(name(n, "bar"), [bar if adjoints[k] is not None else "0"], float(adjoints[k] or 0.0)))
    cost["adjoint_ops"] = ops
    return rows, adjoints


def _numbers_in(text: str) -> list[str]:
    return [m.group(0) for m in VALUE_PLACEHOLDER.finditer(text)]


def _partial_cost(tape: Tape, active: Sequence[bool]) -> dict[str, int]:
    """How many partials the linearisation evaluates, and their operations (from the rules as written)."""
    count = ops = 0
    for s in range(tape.first_op, len(tape.nodes)):
        if not active[s]:
            continue
        for j, rule in zip(tape.args[s], symbolic_partials(tape, s), strict=True):
            if active[j]:
                count += 1
                ops += operation_count(rule)
    return {"partials": count, "partial_ops": ops}


def _output_names(tape: Tape) -> list[str]:
    symbol = "f" if "y" in tape.names else "y"
    if len(tape.outputs) == 1:
        return [name(symbol)]
    return [name(symbol, k=k + 1) for k in range(len(tape.outputs))]


def _steps(sw: _Sweep, tangents: list[Any] | None, adjoints: list[Any] | None) -> list[Step]:
    tape, steps = sw.tape, []
    for s, node in enumerate(tape.nodes):
        index = tape.index(s)
        if index is None:
            continue
        args = [
            f"v_{tape.index(j)}" if tape.index(j) is not None else float(tape.nodes[j].payload)  # type: ignore[arg-type]
            for j in tape.args[s]
        ]
        step = Step(index, f"v_{index}", "input" if s < tape.n_inputs else node.op, args, float(sw.vals[s]))
        step.name = tape.names[s] if s < tape.n_inputs else sw.label(s)
        if tangents is not None:
            step.tangent = float(tangents[s]) if tangents[s] is not None else 0.0
        if adjoints is not None:
            step.adjoint = float(adjoints[s]) if adjoints[s] is not None else 0.0
        steps.append(step)
    return steps


def compute(
    problem: Any,
    mode: str = "both",
    direction: Mapping[str, float] | Sequence[float] | None = None,
    cotangent: Sequence[float] | None = None,
) -> Trace:
    """The traces of a prepared problem (adcli.api.prepare) at its point."""
    if mode not in MODES:
        raise AdcliError("usage_error", f"unknown trace mode {mode!r}: choose {', '.join(MODES)}")
    if problem.tape.shapes is not None:
        raise AdcliError("usage_error", "an array problem's trace is adcli.commands.arraytrace.compute")
    require_one_point(problem.point, "trace")
    if mode == "reverse" and direction is not None:
        raise AdcliError("usage_error", "--dir seeds the tangent sweep, which --mode reverse does not run")
    if mode == "forward" and cotangent is not None:
        raise AdcliError("usage_error", "--cot seeds the adjoint sweep, which --mode forward does not run")
    tape: Tape = problem.tape
    require_detailed(len(tape.nodes) - tape.first_op, "trace")  # three rows of text an operation
    dirs = resolve_direction(problem.wrt, direction) if mode != "reverse" else None
    cots = resolve_cotangent(len(tape.outputs), cotangent) if mode != "forward" else None
    warnings = list(problem.warnings)
    active = tape.active(problem.wrt)
    inputs = [np.float64(problem.point.get(n, 0.0)) for n in tape.names]
    vals = evaluate(tape, inputs, active, warnings)
    partials = local_partials(tape, vals, active, warnings)
    sw = _Sweep(tape, vals, partials, active, _output_names(tape))
    cost = {"primal_ops": len(tape.nodes) - tape.first_op, **_partial_cost(tape, active)}
    tangent_rows = adjoint_rows = tangents = adjoints = None
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        try:
            if dirs is not None:
                tangent_rows, tangents = _tangent_rows(sw, [dirs.get(n, 0.0) for n in tape.names], cost)
            if cots is not None:
                adjoint_rows, adjoints = _adjoint_rows(sw, cots, cost)
        except FloatingPointError as exc:
            raise AdcliError("nonfinite", f"a derivative overflowed ({exc})", warnings=warnings) from None
    outputs = []
    for k, (target, o) in enumerate(zip(sw.outputs, tape.outputs, strict=True)):
        label = target[1:].replace("}", "")
        entry: dict[str, Any] = {"label": label, "index": tape.index(o), "value": float(vals[o])}
        if tangents is not None:
            entry["tangent"] = float(tangents[o]) if tangents[o] is not None else 0.0
        if cots is not None:
            entry["cotangent"] = cots[k]
        outputs.append(entry)
    parsed = problem.parsed
    return Trace(
        input=parsed.source,
        read_as=parsed.read_as(),
        at=dict(problem.point),
        wrt=list(problem.wrt),
        mode=mode,
        outputs=outputs,
        steps=_steps(sw, tangents, adjoints),
        primal=_primal_rows(sw),
        tangent=tangent_rows,
        adjoint=adjoint_rows,
        direction=dirs,
        cotangent=cots,
        cost=cost,
        warnings=[w.to_dict() for w in warnings],
        notes=list(parsed.notes),
    )
