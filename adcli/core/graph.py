"""The expression graph: immutable, hash-consed nodes forming a DAG, and loops (never recursion) over it.

Equal subexpressions are one node: a node is interned on its operation, its payload and its
children's serial numbers, so building is O(1) per node and nothing hashes a whole subtree.

A constant carries its float (`payload`, what the tapes evaluate) and its exact rational (`exact`,
what symbolic mode computes with: the literal 0.2 is 1/5; adcli.core.exact). Named constants (pi, e) have
no exact value: symbolic mode keeps them as names.
"""

from __future__ import annotations

import itertools
import math
import operator
import weakref
from collections.abc import Callable, Container, Iterable, Iterator
from fractions import Fraction

from adcli.core import exact as q

Number = int | float
#: named irrational constants (pi, e): const nodes whose value is only their float, kept by name.
SYMBOLIC = frozenset({math.pi, math.e})

_serials = itertools.count()
#: (op, payload, child serials) -> a weak reference to the node. Plain weak references (no callback
#: per node, as a WeakValueDictionary sets up in Python) with dead entries swept out whenever the table
#: has doubled since the last sweep (grown four times, after a sweep that found nearly all alive), or by
#: sweep_soon: amortised O(1) per node, and memory bounded by the live nodes.
_interned: dict[tuple, weakref.ref[Node]] = {}
_SWEEP_FLOOR = 256
_sweep_at = _SWEEP_FLOOR


class _Fields:
    """A node's fields, still writable: _new fills them with plain stores and then makes the object a Node
    (same layout: only its class changes). Five calls of the slots' setters cost twice that."""

    __slots__ = ("op", "args", "payload", "exact", "serial", "__weakref__")


class Node(_Fields):
    """One operation applied to child nodes; `const` and `var` leaves carry a payload."""

    __slots__ = ()

    op: str
    args: tuple[Node, ...]
    payload: float | str | None
    exact: q.Rational | None  # a constant's exact value (None: not a constant, or pi or e)
    serial: int

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("graph nodes are immutable (they are shared: build a new one)")

    def __delattr__(self, name: str) -> None:
        raise AttributeError("graph nodes are immutable (they are shared: build a new one)")

    def __repr__(self) -> str:  # never recursive: a graph may be 100,000 levels deep
        shown = f" {self.payload!r}" if self.payload is not None else ""
        return f"<Node #{self.serial} {self.op}{shown} ({len(self.args)} args)>"

    # Generic arithmetic: the same derivative rules run on numbers and on nodes.
    def __add__(self, other: Node | Number) -> Node:
        return build("add", self, other)

    def __radd__(self, other: Number) -> Node:
        return build("add", other, self)

    def __sub__(self, other: Node | Number) -> Node:
        return build("sub", self, other)

    def __rsub__(self, other: Number) -> Node:
        return build("sub", other, self)

    def __mul__(self, other: Node | Number) -> Node:
        return build("mul", self, other)

    def __rmul__(self, other: Number) -> Node:
        return build("mul", other, self)

    def __truediv__(self, other: Node | Number) -> Node:
        return build("div", self, other)

    def __rtruediv__(self, other: Number) -> Node:
        return build("div", other, self)

    def __pow__(self, other: Node | Number) -> Node:
        return build("pow", self, other)

    def __rpow__(self, other: Number) -> Node:
        return build("pow", other, self)

    def __neg__(self) -> Node:
        return build("neg", self)

    def __pos__(self) -> Node:
        return self


def make(op: str, args: Iterable[Node] = (), payload: float | str | None = None) -> Node:
    """The one node for (op, payload, children): created on first request, shared after."""
    args = tuple(args)
    n = len(args)  # keys for the common arities without a list (make runs for every node the parser builds)
    if n == 2:
        key: tuple = (op, payload, args[0].serial, args[1].serial)
    elif n == 1:
        key = (op, payload, args[0].serial)
    elif args:
        key = (op, payload, *[a.serial for a in args])
    elif op == "const":
        return const(payload)  # type: ignore[arg-type]
    else:
        key = (op, payload)
    ref = _interned.get(key)
    node = ref() if ref is not None else None
    return _new(key, op, args, payload, None) if node is None else node


def _new(key: tuple, op: str, args: tuple[Node, ...], payload: object, value: q.Rational | None) -> Node:
    node = object.__new__(_Fields)
    node.op = op  # the only writes a node ever sees
    node.args = args
    node.payload = payload
    node.exact = value
    node.serial = next(_serials)
    node.__class__ = Node  # type: ignore[assignment]
    if len(_interned) >= _sweep_at:
        _sweep()
    _interned[key] = weakref.ref(node)
    return node


def _sweep() -> None:
    """Forget the nodes that are gone (a key names its children by serial, never reused). A sweep that
    found nearly all of them alive (a big graph being built) puts the next one four times as far."""
    global _sweep_at
    before = len(_interned)
    _forget_dead()
    _sweep_at = max(_SWEEP_FLOOR, (4 if 4 * len(_interned) > 3 * before else 2) * len(_interned))


def _forget_dead() -> None:
    for key in [k for k, ref in _interned.items() if ref() is None]:
        del _interned[key]


def sweep_soon() -> None:
    """The sweep that is due within the next half of the table's growth, now: for a caller that has just
    dropped a big graph (a batch's problem, with the collector paused). Its entries (a weak reference and a
    key a node) are freed at once, instead of waiting for the sweep as objects the collector walks."""
    if len(_interned) >= _sweep_at // 2:
        _forget_dead()


def const(value: Number | Fraction) -> Node:
    """A number: an int or Fraction is exact (its float is the payload); a float stands for the decimal
    it prints as (const(0.1) is the literal 0.1: exactly 1/10), and pi and e for themselves (no exact value)."""
    if isinstance(value, float):
        payload = 0.0 if value == 0 else value
        rational = q.of_float(payload) if math.isfinite(payload) and payload not in SYMBOLIC else None
    else:
        rational = q.norm(value)
        payload = q.to_float(rational)
        payload = 0.0 if payload == 0 else payload
    key = ("const", payload, rational)
    ref = _interned.get(key)
    node = ref() if ref is not None else None
    return _new(key, "const", (), payload, rational) if node is None else node


def var(name: str) -> Node:
    return make("var", payload=name)


def as_node(x: Node | Number) -> Node:
    return x if isinstance(x, Node) else const(x)


def is_const(x: Node, value: float | None = None) -> bool:
    """A constant (equal to value, exactly, when given)."""
    if x.op != "const" or value is None:
        return x.op == "const"
    return x.exact == value if x.exact is not None else x.payload == value


def topo_order(roots: Iterable[Node]) -> list[Node]:
    """Children before parents, each node once: an explicit-stack depth-first walk."""
    seen: set[Node] = set()
    order: list[Node] = []
    for root in roots:
        if root in seen:
            continue
        seen.add(root)
        stack: list[tuple[Node, Iterator[Node]]] = [(root, iter(root.args))]
        while stack:
            node, children = stack[-1]
            for child in children:  # resumes where this node's last visit stopped
                if child in seen:
                    continue
                seen.add(child)
                if child.args:
                    stack.append((child, iter(child.args)))
                    break
                order.append(child)  # a leaf is done at once
            else:
                stack.pop()
                order.append(node)
    return order


def topo_order_of(root: Node, known: Container[Node] = (), budget: int | None = None) -> list[Node] | None:
    """topo_order of root without the nodes in known (and below them), or None past budget nodes:
    for walks that stop early (a scan memoised across roots, a cheap size check)."""
    if root in known:
        return []
    seen = {root}
    order: list[Node] = []
    stack: list[tuple[Node, int]] = [(root, 0)]
    while stack:
        node, i = stack[-1]
        if i < len(node.args):
            stack[-1] = (node, i + 1)
            child = node.args[i]
            if child not in seen and child not in known:
                seen.add(child)
                if budget is not None and len(seen) > budget:
                    return None
                stack.append((child, 0))
        else:
            stack.pop()
            order.append(node)
    return order


def variables(roots: Iterable[Node]) -> list[str]:
    """Variable names in order of first appearance (left to right in the text)."""
    return [n.payload for n in topo_order(roots) if n.op == "var"]  # type: ignore[misc]


# ---- light simplification at construction, for derivative graphs -------------------------------

_FOLD: dict[str, Callable[..., q.Rational]] = {
    "add": operator.add,
    "sub": operator.sub,
    "mul": operator.mul,
    "neg": operator.neg,
}


def _short(value: q.Rational | None) -> q.Rational | None:
    """value when it prints as briefly as it is written (6, 0.25): folded, 1/3 stays a quotient."""
    if value is None or not q.fits(value):
        return None
    if value.denominator == 1:
        return q.norm(value)
    written = q.decimal_text(value)
    return q.norm(value) if written is not None and len(written) <= 8 else None


def _exact_div(a: q.Rational, b: q.Rational) -> q.Rational | None:
    return None if b == 0 else _short(Fraction(a) / b)


def _exact_pow(a: q.Rational, b: q.Rational) -> q.Rational | None:
    return _short(q.power(a, b)) if b.denominator == 1 and abs(b) <= 64 else None


def _fold(op: str, args: tuple[Node, ...]) -> Node | None:
    """Arithmetic on exact constants, exactly (pi and e are not folded: they stay names)."""
    values = [a.exact for a in args]  # None for a node that is not a number
    if None in values:
        return None
    if op in _FOLD:
        result = _FOLD[op](*values)
        return const(result) if q.fits(result) else None
    exact = {"div": _exact_div, "pow": _exact_pow}.get(op)
    result = exact(*values) if exact else None
    return None if result is None else const(result)


def _add(a: Node, b: Node) -> Node | None:
    return b if is_const(a, 0) else a if is_const(b, 0) else None


def _sub(a: Node, b: Node) -> Node | None:
    if a is b:
        return const(0)
    return a if is_const(b, 0) else build("neg", b) if is_const(a, 0) else None


def _mul(a: Node, b: Node) -> Node | None:
    if is_const(a, 0) or is_const(b, 0):
        return const(0)
    if is_const(a, -1):
        return build("neg", b)
    return b if is_const(a, 1) else a if is_const(b, 1) else None


def _div(a: Node, b: Node) -> Node | None:
    if is_const(a, 0):
        return const(0)
    return a if is_const(b, 1) else const(1) if a is b else None


def _neg(a: Node) -> Node | None:
    return a.args[0] if a.op == "neg" else None


def _pow(a: Node, b: Node) -> Node | None:
    return const(1) if is_const(b, 0) else a if is_const(b, 1) else None


#: 0/1 identities and sign rules: each returns an existing or smaller node, or None.
_IDENTITIES: dict[str, Callable[..., Node | None]] = {
    "add": _add,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "neg": _neg,
    "pow": _pow,
}


def build(op: str, *args: Node | Number) -> Node:
    """A node for op(args) after constant folding and 0/1 identities (used by derivative rules)."""
    nodes = tuple(as_node(a) for a in args)
    rule = _IDENTITIES.get(op)
    return _fold(op, nodes) or (rule and rule(*nodes)) or make(op, nodes)
