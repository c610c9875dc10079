"""Fractions over one line, and common polynomial factors cancelled: d/dx (x^2 - 1)/(x + 1) is 1.

A sum (or a product) whose terms have denominators is read as polynomials in its atoms (variables,
calls, anything that is not a sum, product or integer power), put over the product of the
denominators, expanded, and divided by each denominator factor while it divides exactly (in one
atom, also by the GCD). The result is kept when something cancelled, or when it is smaller.
Reading is bounded (adcli.modes.symbolic.polynomial caps terms and degree), so this stays cheap.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from adcli.core.exact import Rational
from adcli.core.graph import Node, const
from adcli.modes.symbolic import polynomial as poly
from adcli.modes.symbolic.normal_form import PROD, SUM, factors_of, has_denominator, is_integer, is_num, size, split_pow


class Simplifier(Protocol):
    """What fraction combining asks of the simplifier (simplify.py), which calls this module: no import back."""

    def add_all(self, items: Iterable[Node]) -> Node: ...
    def plain_sum(self, total: Rational, coeffs: dict[Node, Rational]) -> Node: ...
    def mul_all(self, items: Iterable[Node]) -> Node: ...
    def power(self, b: Node, e: Node) -> Node: ...


WALK = 400  # nodes read from one subexpression


class Atoms:
    """The opaque parts of the expressions being combined, numbered in the order they are met."""

    def __init__(self) -> None:
        self.index: dict[Node, int] = {}
        self.nodes: list[Node] = []

    def of(self, node: Node) -> poly.Poly:
        if node not in self.index:
            self.index[node] = len(self.nodes)
            self.nodes.append(node)
        return poly.atom(self.index[node])

    def read(self, root: Node) -> poly.Poly | None:
        """root as a polynomial in atoms (None when too big): sums, products, positive integer powers."""
        found: dict[Node, poly.Poly | None] = {}
        stack: list[tuple[Node, bool]] = [(root, False)]
        budget = WALK
        while stack:
            node, expanded = stack.pop()
            if node in found:
                continue
            inner = node.op in (SUM, PROD) or (  # a power of a number is one atom: 0.5^100000 is not expanded
                node.op == "pow" and is_integer(node.args[1]) and node.args[1].exact > 0 and not is_num(node.args[0])  # type: ignore[operator]
            )
            if inner and not expanded:
                budget -= 1
                if budget < 0:
                    return None
                stack.append((node, True))
                stack.extend((a, False) for a in node.args if a not in found)
                continue
            found[node] = self._combine(node, found) if inner else self._leaf(node)
        return found[root]

    def _leaf(self, node: Node) -> poly.Poly:
        return poly.constant(node.exact) if is_num(node) else self.of(node)  # type: ignore[arg-type]

    def _combine(self, node: Node, found: dict[Node, poly.Poly | None]) -> poly.Poly | None:
        parts = [found[a] for a in node.args]
        if any(p is None for p in parts):
            return None
        if node.op == "pow":
            return poly.power(parts[0], int(node.args[1].exact))  # type: ignore[arg-type]
        out: poly.Poly | None = poly.constant(node.payload)  # type: ignore[arg-type]
        for p in parts:
            step = poly.add if node.op == SUM else poly.mul
            out = None if out is None else step(out, p)  # type: ignore[arg-type]
        return out


def cancellable(factors: list[Node]) -> bool:
    """A product that may cancel: a denominator, and a sum somewhere ((x^2 - 1)/(x + 1))."""
    if not any(f.op == "pow" for f in factors):
        return False
    pairs = [split_pow(f) for f in factors]
    return any(is_integer(e) and e.exact < 0 for _, e in pairs) and any(b.op == SUM for b, _ in pairs)  # type: ignore[operator]


def together(s: Simplifier, total: Rational, coeffs: dict[Node, Rational]) -> Node | None:
    """A sum of fractions over one line, when that cancels something or is smaller."""
    if not any(f.op == "pow" for m in coeffs for f in factors_of(m)) or not any(map(has_denominator, coeffs)):
        return None
    combined = combine(s, total, [(c, m) for m, c in coeffs.items()])
    if combined is None:
        return None
    cancelled, node = combined
    if cancelled:
        return node
    over_sums = any(has_denominator(m, (SUM,)) for m in coeffs)  # x^2/2 - 4/x^3 stays as it is
    return node if over_sums and size(node) < size(s.plain_sum(total, coeffs)) else None


def combine(s: Simplifier, total: Rational, terms: list[tuple[Rational, Node]]) -> tuple[bool, Node] | None:  # noqa: C901
    """Σ c·N/D over the product of the denominators, common factors divided out: (cancelled, node)."""
    atoms = Atoms()
    bases: dict[Node, poly.Poly] = {}
    parts: list[tuple[poly.Poly, dict[Node, int]]] = []
    for c, m in terms:
        top: poly.Poly | None = poly.constant(c)
        down: dict[Node, int] = {}
        for f in factors_of(m):
            base, e = split_pow(f)
            if is_integer(e) and e.exact < 0 and not is_num(base):  # type: ignore[operator]  # 2^-1e308: an atom
                p = bases.get(base) or atoms.read(base)
                if not p:  # too big to read, or 0: a division by zero is left for the caller to report
                    return None
                down[base], bases[base] = down.get(base, 0) - int(e.exact), p  # type: ignore[arg-type]
                continue
            p = atoms.read(f)
            top = None if p is None or top is None else poly.mul(top, p)
        if top is None:
            return None
        parts.append((top, down))
    if not bases:
        return None
    common = {b: max(d.get(b, 0) for _, d in parts) for b in bases}
    numerator = _times(poly.constant(total), bases, common)
    for top, down in parts:
        product = _times(top, bases, {b: k - down.get(b, 0) for b, k in common.items()})
        numerator = None if numerator is None or product is None else poly.add(numerator, product)
    if numerator is None:
        return None
    one_atom = len(atoms.nodes) == 1
    numerator, left, cancelled = cancel(numerator, [(b, bases[b], k) for b, k in common.items()], one_atom)
    pieces = [from_poly(s, numerator, atoms)]
    for base, p, k in left:
        pieces.append(s.power(base if base is not None else from_poly(s, p, atoms), const(-k)))
    return cancelled, s.mul_all(pieces)


def _times(p: poly.Poly | None, bases: dict[Node, poly.Poly], powers: dict[Node, int]) -> poly.Poly | None:
    for base, k in powers.items():
        raised = poly.power(bases[base], k)
        p = None if p is None or raised is None else poly.mul(p, raised)
    return p


Denominators = list[tuple[Node | None, poly.Poly, int]]


def cancel(numerator: poly.Poly, denominators: Denominators, one_atom: bool) -> tuple[poly.Poly, Denominators, bool]:
    """Divide the numerator by denominator factors while one divides exactly (one atom: also by the GCD)."""
    left: Denominators = []
    queue = list(denominators)
    cancelled = False
    for base, p, k in queue:  # the queue grows with the cofactors p/g of partial cancellations
        while k > 0 and numerator:
            quotient = poly.divide(numerator, p)
            if quotient is None:
                break
            numerator, k, cancelled = quotient, k - 1, True
        if k > 0 and numerator and one_atom and poly.degree(p) > 1:
            g = poly.gcd(numerator, p)
            if poly.degree(g) > 0:
                numerator = poly.divide(numerator, g) or numerator
                queue.append((None, poly.divide(p, g) or p, 1))
                k, cancelled = k - 1, True
                if k:
                    queue.append((base, p, k))
                    k = 0
        if k > 0:
            left.append((base, p, k))
    return numerator, left, cancelled


def from_poly(s: Simplifier, p: poly.Poly, atoms: Atoms) -> Node:
    """A polynomial back to a normal-form sum of c·Π atomᵏ."""
    terms = []
    for monomial, c in p.items():
        factors = [s.power(atoms.nodes[i], const(k)) for i, k in enumerate(monomial) if k]
        terms.append(s.mul_all([const(c), *factors]))
    return s.add_all(terms)
