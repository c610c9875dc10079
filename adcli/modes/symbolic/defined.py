"""Is a symbolic result defined anywhere? Division by zero and domain errors that no point can avoid.

The simplifier proves things like x - x = 0, so `y/(x - x)` simplifies to `y/0`: undefined for every
value of the variables. `adcli diff` has no point to evaluate at, so it asks here instead: a `Scan`
evaluates a graph (the table's operators or the simplifier's normal form) where it can, that is
on the subexpressions without variables (or at a point, when one is given), and reports the first
operation that divides by zero, overflows or leaves its domain. One loop per graph, memoised across
graphs, so checking every node of an input costs about one walk.

`check_input` refuses an input that is undefined everywhere (with its place, like the AD modes at a
point); `check_derivatives` refuses a derivative that is; `locate` puts the place of the input
node whose derivative failed on an error raised while evaluating derivative graphs at a point.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.exact import to_float
from adcli.core.graph import Node, topo_order, topo_order_of, variables
from adcli.core.primitives import TABLE
from adcli.core.printing import to_text
from adcli.modes.symbolic.normal_form import PROD, SUM

UNKNOWN = object()  # the value of a subexpression that depends on a variable with no value
TEXT = 60  # characters of an expression shown in a message


@dataclass(frozen=True)
class Fault:
    """The first undefined operation under a node: what it is, and why."""

    node: Node
    kind: str  # nonfinite | domain_error
    reason: str  # "divides by zero", "overflows", "is outside the domain of log (x > 0)"


def _short(node: Node, labels: Mapping[Node, str] | None = None) -> str:
    return to_text(node, labels or {}, limit=TEXT, truncate=True)


class Scan:
    """Values of subexpressions (where known) and the first fault under each node, memoised."""

    def __init__(self, point: Mapping[str, Any] | None = None) -> None:
        self.point = dict(point or {})
        self.value: dict[Node, Any] = {}
        self.fault: dict[Node, Fault | None] = {}

    def first(self, root: Node) -> Fault | None:
        """The first operation under root that is undefined (for every value of its variables)."""
        for node in topo_order_of(root, self.fault) or []:  # nodes scanned before are skipped
            found = next((self.fault[a] for a in node.args if self.fault[a] is not None), None)
            if found is not None:
                self.value[node], self.fault[node] = UNKNOWN, found
            else:
                self.value[node], self.fault[node] = self._evaluate(node)
        return self.fault[root]

    def _evaluate(self, node: Node) -> tuple[Any, Fault | None]:
        op = node.op
        if op == "const":
            value = np.float64(node.payload)  # type: ignore[arg-type]
            return value, None if np.isfinite(value) else Fault(node, "nonfinite", "overflows")
        if op == "var":
            return self.point.get(node.payload, UNKNOWN), None  # type: ignore[call-overload]
        vals = [self.value[a] for a in node.args]
        known = [v is not UNKNOWN for v in vals]
        if op == "div" and known[1] and np.any(np.equal(vals[1], 0)):  # y/0: whatever y is
            return UNKNOWN, Fault(node, "nonfinite", "divides by zero")
        if not all(known):
            return UNKNOWN, None
        prim = TABLE.get(op)
        if prim is not None and prim.domain is not None and not np.all(prim.domain(*vals)):
            rule = prim.rule_text
            return UNKNOWN, Fault(node, "domain_error", f"is outside the domain of {op} ({rule})")
        try:
            with np.errstate(divide="raise", over="raise", invalid="raise", under="ignore"):
                if op == SUM:
                    value = np.float64(to_float(node.payload)) + sum(vals, np.float64(0))  # type: ignore[arg-type]
                elif op == PROD:
                    value = functools.reduce(np.multiply, vals, np.float64(to_float(node.payload)))  # type: ignore[arg-type]
                else:
                    value = prim.fn(*vals)  # type: ignore[union-attr]
        except FloatingPointError as exc:
            reason = str(exc)
            said = (
                "overflows" if "overflow" in reason else "divides by zero" if "divide" in reason else "is not a number"
            )
            return UNKNOWN, Fault(node, "nonfinite", said)
        if not np.all(np.isfinite(value)):
            return UNKNOWN, Fault(node, "nonfinite", "is not a finite number")
        return value, None


def _everywhere(node: Node) -> str:
    names = variables([node])
    return f"for every value of {', '.join(names)}" if names else "everywhere"


def _error(
    kind: str, message: str, node: Node, positions: Mapping[Node, tuple[int, int]], source: str | None
) -> AdcliError:
    line, column = positions.get(node, (None, None))
    return AdcliError(kind, message, line=line, column=column, source=source)


def check_input(parsed: Any, simplifier: Any) -> None:
    """Refuse an input that is undefined for every value of its variables, at its first such node.

    Subexpressions without variables are evaluated on a tape (the AD modes' messages and places:
    log(-1), asin(2), 1/0); the others are undefined everywhere when their normal form is (y/(x - x)).
    """
    from adcli.core.tape import evaluate, linearise
    from adcli.modes.symbolic.derivative import scalar_only

    order = topo_order(parsed.outputs)
    scalar_only(order)
    free: dict[Node, bool] = {}  # no variable under the node
    for node in order:
        free[node] = node.op != "var" and all(free[a] for a in node.args)
    constant = [n for n in order if free[n] and n.op != "const"]
    if constant:
        tape = linearise(constant, [], parsed.labels, parsed.positions, parsed.source)
        evaluate(tape, [])
    normal = simplifier.normal(parsed.outputs)
    scan = Scan()
    if not any(_undefined(scan.first(n)) for n in normal):
        return
    for node in order:  # children first: the innermost node to blame
        if free[node] or node.op == "var":
            continue
        form = simplifier.normal([node])[0]
        fault = scan.first(form)
        if not _undefined(fault):
            continue
        fault = _own(node, fault, simplifier, scan)
        text = _short(node, parsed.labels)
        message = f"{text} {fault.reason} {_everywhere(node)}"
        simple = _short(simplifier.simplify([node])[0])
        if simple != text:
            message += f": it simplifies to {simple}"
        raise _error(fault.kind, message, node, parsed.positions, parsed.source)


def _undefined(fault: Fault | None) -> bool:
    """Whether a fault of a normal form makes the input undefined everywhere: not an overflow, which may come
    from constants the normal form multiplied together (x*1e300*1e10 is finite for |x| < 0.01; 1e310 is not)."""
    return fault is not None and fault.reason != "overflows"


def _own(node: Node, fault: Fault, simplifier: Any, scan: Scan) -> Fault:
    """The fault in the input's own terms: sqrt(x - x - 1) is outside sqrt's domain (its normal
    form is a power), when the node's arguments are numbers."""
    prim = TABLE.get(node.op)
    if prim is None or prim.domain is None or fault.node.op == node.op:
        return fault
    forms = simplifier.normal(list(node.args))
    vals = [scan.value[f] if scan.first(f) is None else UNKNOWN for f in forms]
    if any(v is UNKNOWN for v in vals) or np.all(prim.domain(*vals)):
        return fault
    rule = prim.rule_text
    return Fault(node, "domain_error", f"is outside the domain of {prim.name} ({rule})")


def _tangents(parsed: Any, passes: Sequence[Any], wrt: Sequence[str]) -> Iterable[tuple[str, dict[Node, Node]]]:
    """(variable, node -> derivative graph) of the first order: the sweeps' own, else new ones."""
    from adcli.modes.symbolic.derivative import tangent_sweep

    firsts = [p for p in passes if not p.prefix]
    if firsts:
        yield from ((p.wrt, p.tangent) for p in firsts)
        return
    for w in wrt:
        yield w, tangent_sweep(parsed.outputs, w)


def _blame(
    parsed: Any, simplifier: Any, passes: Sequence[Any], wrt: Sequence[str], scan: Scan
) -> tuple[Node, str, Fault] | None:
    """The first input node (children first) whose derivative the scan finds undefined."""
    order = topo_order(parsed.outputs)
    for w, tangent in _tangents(parsed, passes, wrt):
        for node in order:
            d = tangent.get(node)
            if d is None or node.op == "var":
                continue
            fault = scan.first(simplifier.normal([d])[0])
            if fault is not None:
                return node, w, fault
    return None


def check_derivatives(
    parsed: Any, simplifier: Any, rows: Sequence[Sequence[Node]], passes: Sequence[Any], wrt: Sequence[str]
) -> None:
    """Refuse derivatives undefined for every value of the variables (the simplifier never prints 1/0)."""
    scan = Scan()
    faults = [scan.first(d) for row in rows for d in row]
    first = next((f for f in faults if f is not None), None)
    if first is None:
        return
    found = _blame(parsed, simplifier, passes, wrt, scan)
    if found is None:
        raise AdcliError(first.kind, f"the derivative {first.reason} {_everywhere(first.node)}: {_short(first.node)}")
    node, w, fault = found
    text = _short(node, parsed.labels)
    message = f"the derivative of {text} with respect to {w} {fault.reason} {_everywhere(node)}: {_short(fault.node)}"
    raise _error(fault.kind, message, node, parsed.positions, parsed.source)


def locate(
    exc: AdcliError, parsed: Any, simplifier: Any, passes: Sequence[Any], wrt: Sequence[str], point: Mapping[str, Any]
) -> AdcliError:
    """An error from evaluating derivative graphs at a point, with the place of the input node to blame.

    point: variable name -> value (a number, or an array of many points).
    """
    if exc.line is not None:
        return exc
    try:
        found = _blame(parsed, simplifier, passes, wrt, Scan(point))
    except (ArithmeticError, TypeError, ValueError):  # the place is a courtesy: never a second failure
        return exc
    if found is None:
        return exc
    node = found[0]
    located = _error(
        exc.kind,
        f"the derivative of {_short(node, parsed.labels)}: {exc.message}",
        node,
        parsed.positions,
        parsed.source,
    )
    located.warnings = exc.warnings
    return located
