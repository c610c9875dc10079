"""Symbolic mode: derivative graphs from the same rule table, by accumulation over the expression DAG.

Handed graph nodes instead of numbers, every primitive's partials (primitives.TABLE) return nodes,
so the sweeps of the AD modes build derivative graphs: the forward sweep u̇ = Σₖ ∂u/∂argₖ · arġₖ
(one per variable) and the reverse sweep ārgₖ += ū · ∂u/∂argₖ (one per output). Each node is
visited once and a shared node's derivative is shared, so the derivative DAG stays within a small
factor of the input's; graph.build folds constants and 0/1 identities as it goes, and
adcli.modes.symbolic.simplify does the rest. Higher orders differentiate the simplified derivative again.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, as_node, build, const, make, topo_order, var
from adcli.core.primitives import STRUCTURAL, TABLE
from adcli.core.printing import to_text
from adcli.core.tape import require_detailed
from adcli.modes.symbolic.simplify import Simplifier

ZERO, ONE = const(0), const(1)
STEP_LIMIT = 60  # steps shown per tree (a deep expression would give thousands)
TEXT_LIMIT = 80  # characters of a subexpression shown in a step

#: how the steps name each operator's rule (functions are the chain rule with their table entry).
RULE_NAMES = {"add": "sum rule", "sub": "sum rule", "neg": "constant multiple", "mul": "product rule"}
RULE_NAMES |= {"div": "quotient rule", "pow": "power rule"}


def scalar_only(nodes: Sequence[Node]) -> None:
    """Symbolic mode differentiates scalar expressions: an array operation is a usage_error naming it
    (fuzzing found sum(x), x@y and x' an internal error here: they have shape rules, not partials)."""
    for node in nodes:
        if node.op in STRUCTURAL:
            shown = TABLE[node.op].shown or node.op
            what = {"stack": "an array literal [...]", "matmul": "@", "index": "indexing", "transpose": "a transpose"}
            raise AdcliError(
                "usage_error",
                f"symbolic differentiation of array operations ({what.get(node.op, shown + '(…)')}) is not built yet:"
                " grad, jac and compare differentiate it at a point (--at) in reverse, forward or numeric mode",
            )


def tangent_sweep(roots: Sequence[Node], wrt: str) -> dict[Node, Node]:
    """Forward accumulation: the derivative graph of every node that depends on wrt (others: absent)."""
    tangent: dict[Node, Node] = {}
    order = topo_order(roots)
    scalar_only(order)
    for node in order:
        if node.op == "var":
            if node.payload == wrt:
                tangent[node] = ONE
            continue
        if node.op == "const":
            continue
        rules = TABLE[node.op].partials
        total = None
        for k, arg in enumerate(node.args):
            t = tangent.get(arg)
            if t is not None:
                term = build("mul", as_node(rules[k](*node.args, node)), t)  # type: ignore[arg-type]
                total = term if total is None else build("add", total, term)
        if total is not None:
            tangent[node] = total
    return tangent


def adjoint_sweep(roots: Sequence[Node], output: int, wrt: Sequence[str]) -> list[Node]:
    """Reverse accumulation for one output: its derivative graphs with respect to each of wrt."""
    order = topo_order(roots)
    scalar_only(order)
    active: set[Node] = set()
    for node in order:
        if (node.op == "var" and node.payload in wrt) or any(a in active for a in node.args):
            active.add(node)
    adjoint: dict[Node, Node] = {roots[output]: ONE} if roots[output] in active else {}
    for node in reversed(order):
        g = adjoint.get(node)
        if g is None or node.op in ("var", "const"):
            continue
        rules = TABLE[node.op].partials
        for k, arg in enumerate(node.args):
            if arg in active:
                term = build("mul", as_node(rules[k](*node.args, node)), g)  # type: ignore[arg-type]
                adjoint[arg] = term if arg not in adjoint else build("add", adjoint[arg], term)
    return [adjoint.get(var(name), ZERO) for name in wrt]


@dataclass
class Pass:
    """One forward sweep: the graphs it differentiated, the variable, and every node's derivative."""

    roots: list[Node]
    wrt: str
    prefix: tuple[str, ...]  # the variables already differentiated by (higher orders)
    tangent: dict[Node, Node]
    answers: list[Node]  # the simplified derivatives of roots: what is printed


@dataclass
class Table:
    """Derivatives of every output by every multi-index of wrt (rows = outputs, columns = indices)."""

    columns: list[tuple[str, ...]]
    rows: list[list[Node]]
    passes: list[Pass] = field(default_factory=list)
    sweeps: int = 0


def derivative_table(  # noqa: PLR0913 - the pass check is the caller's
    outputs: Sequence[Node],
    wrt: Sequence[str],
    order: int,
    simplifier: Simplifier,
    accumulate: str = "forward",
    before_pass: Callable[[int, Sequence[Node], str], None] | None = None,
) -> Table:
    """All partial derivatives of the given order, simplified; mixed ones computed once (∂²/∂x∂y = ∂²/∂y∂x).

    before_pass(k, graphs, w) runs before the k-th derivative of graphs by w is built: the caller may
    refuse (raise) what would be too big, before the time is spent building it."""
    current: dict[tuple[str, ...], list[Node]] = {(): list(outputs)}
    passes: list[Pass] = []
    sweeps = 0
    if accumulate == "reverse" and order == 1:
        raw = [adjoint_sweep(outputs, i, wrt) for i in range(len(outputs))]
        flat = simplifier.simplify([n for row in raw for n in row])
        rows = [flat[i * len(wrt) : (i + 1) * len(wrt)] for i in range(len(outputs))]
        return Table([(w,) for w in wrt], rows, [], len(outputs))
    for k in range(1, order + 1):
        following: dict[tuple[str, ...], list[Node]] = {}
        for prefix, graphs in current.items():
            start = wrt.index(prefix[-1]) if prefix else 0
            for w in wrt[start:]:
                if before_pass is not None:
                    before_pass(k, graphs, w)
                tangent = tangent_sweep(graphs, w)
                answers = simplifier.simplify([tangent.get(g, ZERO) for g in graphs])
                passes.append(Pass(graphs, w, prefix, tangent, answers))
                following[(*prefix, w)] = answers
                sweeps += 1
        current = following
    columns = list(itertools.product(wrt, repeat=order))
    rows = [[current[tuple(sorted(c, key=wrt.index))][i] for c in columns] for i in range(len(outputs))]
    return Table(columns, rows, passes, sweeps)


# ---- steps --------------------------------------------------------------------------------------


@dataclass
class Step:
    """One node's derivative as the sweep built it: the rule, the table's entry, the simplified result."""

    node: str
    rule: str
    formula: str
    derivative: str
    children: list[int] = field(default_factory=list)  # steps of the arguments that depend on the variable
    unsimplified: str = ""  # the quotient rule as applied, (du*v - u*dv)/v^2, before it simplifies


@dataclass
class StepTree:
    """The steps for one output and one variable; the root's derivative is the printed answer."""

    title: str
    steps: list[Step]
    result: str
    omitted: int = 0  # steps not shown (deep expressions)

    def to_dict(self) -> dict[str, Any]:
        steps = [vars(s) for s in self.steps]
        return {"title": self.title, "steps": steps, "result": self.result, "omitted": self.omitted}


def _short(node: Node, labels: Mapping[Node, str] | None = None) -> str:
    """A node's text for a step; with labels, bound names stand for their nodes and a named node
    shows its definition (`a = sin(x)`)."""
    if not labels:
        return to_text(node, limit=TEXT_LIMIT, truncate=True)
    inner = {n: name for n, name in labels.items() if n is not node}
    text = to_text(node, inner, limit=TEXT_LIMIT, truncate=True)
    return f"{labels[node]} = {text}" if node in labels else text


_FORMULAS: dict[tuple[str, tuple[bool, ...]], str] = {}


def formula(op: str, active: tuple[bool, ...]) -> str:
    """The table's rule for op in words: d(u*v) = v·du + u·dv, sin'(x) = cos(x) (printed from the rules).

    Operators and powers are written in u and v, as textbooks do (the table's own a and b could be
    taken for the user's bound names in a step list).
    """
    key = (op, active)
    if key not in _FORMULAS:
        prim = TABLE[op]
        names = ("u", "v")[: prim.arity] if prim.operator or op == "pow" else prim.params
        if (prim.operator or op == "pow") and not all(active):  # a constant operand: d(u + c) = du, d(u^c)
            names = tuple(name if on else "c" for name, on in zip(names, active, strict=True))
        params = [var(p) for p in names]
        out = make(op, params)
        session = Simplifier(reversed(params))  # v*u^(v - 1), as the textbooks write the power rule
        partials = session.simplify([as_node(rule(*params, out)) for rule in prim.partials])  # type: ignore[arg-type]
        if not prim.operator and prim.arity == 1:
            text = f"{op}'({names[0]}) = {to_text(partials[0])}"
        else:
            terms = [
                f"{to_text(p)}·d{name}" if not (p.op == "const" and p.payload == 1) else f"d{name}"
                for p, name, on in zip(partials, names, active, strict=True)
                if on
            ]
            text = f"d({to_text(out)}) = " + " + ".join(terms)
        _FORMULAS[key] = text.replace("+ -", "- ")
    return _FORMULAS[key]


def _rule(node: Node, active: tuple[bool, ...]) -> str:
    prim = TABLE[node.op]
    if not prim.operator and prim.name != "pow":
        return f"chain rule, table entry {prim.name}"
    if node.op == "pow":
        return {(True, False): "power rule", (False, True): "exponential rule"}.get(active, "general power rule")
    if node.op in ("mul", "div") and active != (True, True):
        return "constant multiple"
    return RULE_NAMES[node.op]


def steps_for(run: Pass, simplifier: Simplifier, output: int, labels: Mapping[Node, str] | None = None) -> StepTree:
    """The steps of one output in one sweep, breadth first from the output, at most STEP_LIMIT of them.

    labels: the input's bound names (`a = sin(x); a*a + a`), shown for the input's nodes; the
    derivatives are printed without them, as the answer is (it parses back on its own).
    """
    root = run.roots[output]
    labels = None if run.prefix else labels  # a higher order's pass differentiates a derivative: no names
    title = f"d/d{run.wrt} {_short(root, labels)}"
    result = to_text(run.answers[output], truncate=True)
    if root not in run.tangent:
        return StepTree(title, [Step(_short(root, labels), "does not depend on " + run.wrt, "", "0")], result)
    shown: list[Node] = [root]
    index = {root: 0}
    for node in shown:  # grows while read: breadth first
        for arg in node.args:
            if arg in run.tangent and arg not in index and len(shown) < STEP_LIMIT:
                index[arg] = len(shown)
                shown.append(arg)
    derivatives = simplifier.simplify([run.tangent[n] for n in shown])  # the same session: the root's is the answer
    steps = []
    for node, d in zip(shown, derivatives, strict=True):
        if node.op == "var":
            steps.append(Step(node.payload, "variable", f"d{node.payload}/d{node.payload} = 1", "1"))  # type: ignore[arg-type]
            continue
        active = tuple(a in run.tangent for a in node.args)
        children = [index[a] for a in dict.fromkeys(node.args) if a in index]
        text = to_text(d, truncate=True) if node is root else _short(d)
        step = Step(_short(node, labels), _rule(node, active), formula(node.op, active), text, children)
        if node.op == "div" and all(active):
            step.unsimplified = _quotient(node, [derivatives[index[a]] for a in node.args])
        steps.append(step)
    under = sum(1 for n in topo_order([root]) if n in run.tangent and n.op != "var")  # this output's, not the sweep's
    return StepTree(title, steps, result, max(0, under + 1 - len(shown)))


def _quotient(node: Node, d: list[Node]) -> str:
    """The quotient rule as a student applies it, (du*v - u*dv)/v^2 with the arguments' derivatives put in,
    before it simplifies (built with make: nothing is folded)."""
    u, v = node.args
    top = make("sub", (make("mul", (d[0], v)), make("mul", (u, d[1]))))
    return _short(make("div", (top, make("pow", (v, const(2))))))


# ---- values: --mode symbolic on grad and jac ------------------------------------------------------


def evaluate_graphs(graphs: Sequence[Node], names: Sequence[str], inputs: Sequence[Any]) -> list[Any]:
    """The values of derivative graphs at the point, on a tape (domain checks included, no kink warnings)."""
    from adcli.core.tape import evaluate, linearise

    tape = linearise(zero_base_logs(graphs), list(names))
    vals = evaluate(tape, inputs)
    shape = np.broadcast_shapes(*map(np.shape, inputs))  # np.broadcast takes at most 64
    return [np.broadcast_to(vals[o], shape) if shape else vals[o] for o in tape.outputs]


def zero_base_logs(graphs: Sequence[Node]) -> list[Node]:
    """The graphs to evaluate, each log(a) whose a is also a power's base read as log(a + (1 - sign(|a|))).

    ∂(a^b)/∂b = a^b·log(a) is 0 at a = 0 (b > 0: 0^b is 0 for every such b, as the table's rule says on
    numbers), but log(0) is a domain error: symbolic mode refused grad "a^x" --wrt x at a = 0 where forward
    and reverse give 0. A log(a) of a derivative graph comes from that rule alone (log in the expression would
    have failed its primal sweep at a = 0), always as a factor beside a^b, so any finite value serves at a = 0:
    1 - sign(|a|) is exactly 0 elsewhere (a unchanged) and 1 at 0, where the log reads log(1) = 0. Evaluation only:
    the printed derivative keeps a^x*log(a)."""
    order = topo_order(graphs)
    bases = {n.args[0] for n in order if n.op == "pow" and n.args[0].op != "const"}
    if not any(n.op == "log" and n.args[0] in bases for n in order):
        return list(graphs)
    new: dict[Node, Node] = {}
    for n in order:
        args = tuple(new.get(a, a) for a in n.args)
        if n.op == "log" and n.args[0] in bases:
            a = args[0]
            nudge = make("sub", (ONE, make("sign", (make("abs", (a,)),))))
            new[n] = make("log", (make("add", (a, nudge)),))
        elif args != n.args:
            new[n] = make(n.op, args, n.payload)
    return [new.get(g, g) for g in graphs]


def count_operations(graphs: Sequence[Node]) -> int:
    """Operations in the shared form (each distinct node once)."""
    return sum(1 for n in topo_order(graphs) if n.op not in ("const", "var"))


@dataclass
class SymbolicFailedError(Exception):
    """A derivative graph that cannot be evaluated at the point, with what locating the cause needs."""

    error: AdcliError
    simplifier: Simplifier
    passes: Any


@dataclass
class Values:
    """`--mode symbolic` at a point: the Jacobian's entries (row-major) and what they cost."""

    entries: list[Any]
    sweeps: int
    derivative_ops: int


def jacobian_values(outputs: Sequence[Node], wrt: Sequence[str], names: Sequence[str], inputs: Sequence[Any]) -> Values:
    """The derivative graphs of every output by every `wrt`, from the rule table, evaluated at the point."""
    require_detailed(count_operations(outputs), "symbolic mode")
    simplifier = Simplifier(topo_order(outputs))
    accumulate = "forward" if len(wrt) <= len(outputs) else "reverse"
    table = derivative_table(outputs, wrt, 1, simplifier, accumulate)
    flat = [n for row in table.rows for n in row]
    try:
        entries = evaluate_graphs(flat, names, inputs)
    except AdcliError as exc:
        raise SymbolicFailedError(exc, simplifier, table.passes) from None
    return Values(entries, table.sweeps, count_operations(flat))
