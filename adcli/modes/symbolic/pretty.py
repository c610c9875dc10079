"""The simplifier's normal form back to the table's binary operators, as a person would write it.

Signs normalised (x - 1, 1 - x, -sin(x)*cos(x)), negative powers under the line (2*x/(x + 1)),
x^(1/2) as sqrt(x), exact coefficients as a person writes them (x/3, 2*x/3, 0.35625*x, 123/70; a
number too long for either prints rounded, as a float would), the constant of a sum last. One loop
over the normal form's topological order; every node is built with graph.make or graph.const (which
keeps the exact value), so the result prints, evaluates and differentiates again like any input.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from adcli.core.exact import Rational, decimal_text
from adcli.core.graph import Node, const, make, topo_order
from adcli.modes.symbolic.normal_form import ONE, PROD, SUM, factors_of, is_num, split_pow, split_term

#: exponents printed as functions: u^(1/2) is sqrt(u).
BY_POWER = {Fraction(1, 2): "sqrt"}
SHORT = 8  # characters of a decimal printed as it is (0.35625*x), not as a fraction
FRACTION = 20  # digits of p and q together in a coefficient printed as p/q (1/3, 123/70)


def pretty(roots: Sequence[Node], memo: dict[Node, Node]) -> list[Node]:
    for node in topo_order(roots):
        if node not in memo:
            memo[node] = _pretty(node, memo)
    return [memo[r] for r in roots]


def _pretty(n: Node, memo: dict[Node, Node]) -> Node:
    if n.op == "const":
        return n if n.exact is None else number(n.exact)  # pi and e print by name
    if n.op == "var":
        return n
    if n.op == SUM:
        return _sum(n, memo)
    if n.op == PROD:
        return _product(n.payload, n.args, memo)  # type: ignore[arg-type]
    if n.op == "pow":
        return _product(1, (n,), memo)
    return make(n.op, tuple(memo[a] for a in n.args))


def _power(base: Node, e: Node | Rational, memo: dict[Node, Node]) -> Node:
    b = memo[base]
    if isinstance(e, Node):
        return make("pow", (b, memo[e]))
    if e == 1:
        return b
    return make(BY_POWER[e], (b,)) if e in BY_POWER else make("pow", (b, number(e)))


def _product(coef: Rational, factors: Sequence[Node], memo: dict[Node, Node]) -> Node:
    """c*u*v/(w*z): factors with negative powers go under the line."""
    top: list[Node] = []
    bottom: list[Node] = []
    for f in factors:
        base, e = split_pow(f)
        if is_num(e) and e.exact < 0:  # type: ignore[operator]
            bottom.append(_power(base, -e.exact, memo))  # type: ignore[operator]
        else:
            top.append(_power(base, e.exact if is_num(e) else e, memo))  # type: ignore[arg-type]
    above, below = coefficient(abs(coef))
    top, bottom = above + top, below + bottom
    if coef < 0:
        if top and top[0].exact is not None:
            top[0] = const(-top[0].exact)
        elif top:
            top[0] = make("neg", (top[0],))
        else:
            top = [const(-1)]
    numerator = _chain(top) if top else ONE
    return make("div", (numerator, _chain(bottom))) if bottom else numerator


def _sum(n: Node, memo: dict[Node, Node]) -> Node:
    """Terms in order, the constant last, a positive term first: x - 1, 1 - x, log(x) + 1."""
    signed = [(*split_term(t), t) for t in n.args]
    if n.payload:
        signed.append((n.payload, ONE, None))  # type: ignore[arg-type]
    lead = next((i for i, (c, _, _) in enumerate(signed) if c > 0), 0)
    order = [signed[lead], *signed[:lead], *signed[lead + 1 :]]
    c0, m0, t0 = order[0]
    acc = _term(c0, m0, memo, t0)
    for c, m, t in order[1:]:
        acc = make("sub" if c < 0 else "add", (acc, _term(abs(c), m, memo, t if c > 0 else None)))
    return acc


def _term(c: Rational, m: Node, memo: dict[Node, Node], term: Node | None = None) -> Node:
    """c*m printed; term: the sum's own argument c*m when c > 0 (already printed, in memo)."""
    if term is not None and c > 0:
        return memo[term]
    return number(c) if m is ONE else _product(c, factors_of(m), memo)


def _chain(nodes: Sequence[Node]) -> Node:
    acc = nodes[0]
    for n in nodes[1:]:
        acc = make("mul", (acc, n))
    return acc


def _written(q: Rational) -> tuple[int, int] | None:
    """(p, d) when q reads best as the fraction p/d (1/3, 2/3, 123/70), None when as a decimal (0.2, 2.5,
    0.35625) or when neither is short (a number that prints rounded)."""
    if q.denominator == 1:
        return None
    decimal = decimal_text(q)
    if decimal is not None and len(decimal) <= SHORT:
        return None
    p, d = q.numerator, q.denominator
    return (p, d) if len(str(abs(p))) + len(str(d)) <= FRACTION else None


def number(q: Rational) -> Node:
    """A number as text would best show it: 2, 0.003, 2/3, -1/3."""
    found = _written(q)
    return const(q) if found is None else make("div", (const(found[0]), const(found[1])))


def coefficient(c: Rational) -> tuple[list[Node], list[Node]]:
    """A positive coefficient as factors above and below the line: x/2, x/5, 2*x/3, 0.35625*x."""
    if c == 1:
        return [], []
    if c.numerator == 1 and len(str(c.denominator)) <= FRACTION:
        return [], [const(c.denominator)]
    found = _written(c)
    if found is None:
        return [const(c)], []
    return [const(found[0])] if found[0] != 1 else [], [const(found[1])]
