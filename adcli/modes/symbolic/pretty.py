"""The simplifier's normal form back to the table's binary operators, as a person would write it.

Signs normalised (x - 1, 1 - x, -sin(x)*cos(x)), negative powers under the line (2*x/(x + 1)),
x^(1/2) as sqrt(x), coefficients as fractions or by name where that is what they are (x/3,
1/(log(10)*x), e - 1), the constant of a sum last. One loop over the normal form's topological
order; every node is built with graph.make, so the result prints and evaluates like any input.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction

from adcli.core.graph import Node, const, make, topo_order
from adcli.modes.symbolic.normal_form import ONE, PROD, SUM, factors_of, is_num, split_pow, split_term

#: exponents printed as functions: u^(1/2) is sqrt(u).
BY_POWER = {0.5: "sqrt"}
#: numbers printed by name when a coefficient is an integer multiple or fraction of them (log10's rule
#: hands over the number 1/log(10): it prints as 1/(log(10)*x), not 0.43429448190325176/x).
NAMED_FACTORS = ((math.log(10.0), make("log", (const(10),))), (math.log(2.0), make("log", (const(2),))))
#: constants whose sums with small integers print by name (the power rule makes e - 1 from x^e).
NAMED_CONSTANTS = (math.pi, math.e)


def pretty(roots: Sequence[Node], memo: dict[Node, Node]) -> list[Node]:
    for node in topo_order(roots):
        if node not in memo:
            memo[node] = _pretty(node, memo)
    return [memo[r] for r in roots]


def _pretty(n: Node, memo: dict[Node, Node]) -> Node:
    if n.op == "const":
        return number(n.payload)  # type: ignore[arg-type]
    if n.op == "var":
        return n
    if n.op == SUM:
        return _sum(n, memo)
    if n.op == PROD:
        return _product(n.payload, n.args, memo)  # type: ignore[arg-type]
    if n.op == "pow":
        return _product(1.0, (n,), memo)
    return make(n.op, tuple(memo[a] for a in n.args))


def _power(base: Node, e: Node | float, memo: dict[Node, Node]) -> Node:
    b = memo[base]
    if isinstance(e, Node):
        return make("pow", (b, memo[e]))
    if e == 1:
        return b
    return make(BY_POWER[e], (b,)) if e in BY_POWER else make("pow", (b, number(e)))


def _product(coef: float, factors: Sequence[Node], memo: dict[Node, Node]) -> Node:
    """c*u*v/(w*z): factors with negative powers go under the line."""
    top: list[Node] = []
    bottom: list[Node] = []
    for f in factors:
        base, e = split_pow(f)
        if is_num(e) and e.payload < 0:  # type: ignore[operator]
            bottom.append(_power(base, -e.payload, memo))  # type: ignore[operator]
        else:
            top.append(_power(base, e.payload if is_num(e) else e, memo))  # type: ignore[arg-type]
    above, below = coefficient(abs(coef))
    top, bottom = above + top, below + bottom
    if coef < 0:
        if top and top[0].op == "const":
            top[0] = const(-top[0].payload)  # type: ignore[operator]
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


def _term(c: float, m: Node, memo: dict[Node, Node], term: Node | None = None) -> Node:
    """c*m printed; term: the sum's own argument c*m when c > 0 (already printed, in memo)."""
    if term is not None and c > 0:
        return memo[term]
    return number(c) if m is ONE else _product(c, factors_of(m), memo)


def _chain(nodes: Sequence[Node]) -> Node:
    acc = nodes[0]
    for n in nodes[1:]:
        acc = make("mul", (acc, n))
    return acc


def _near_integer(k: float) -> bool:
    return k != 0 and abs(k) < 1e6 and abs(k - round(k)) <= 4e-16 * abs(k)


def _fraction(value: float) -> tuple[int, int] | None:
    """p, q for a value with a long decimal form that is the float p/q (1/3, not 0.3333333333333333)."""
    if len(repr(value)) <= 8 or not math.isfinite(value):
        return None
    f = Fraction(value).limit_denominator(1000)
    close = abs(f.numerator / f.denominator - value) <= 2 * math.ulp(value)  # 1/3 - 1 is -2/3 to an ulp
    return (f.numerator, f.denominator) if close and abs(f.numerator) < 10**6 else None


def number(value: float) -> Node:
    """A number as text would best show it: 2, 0.003, 2/3, pi, 2*pi, e - 1."""
    found = _fraction(value)
    if found is not None:
        return make("div", (const(found[0]), const(found[1])))
    for c in NAMED_CONSTANTS:
        if value not in (c, -c) and len(repr(value)) > 8:
            k = round(value - c)
            if k and abs(k) <= 100 and c + k == value:
                return make("add" if k > 0 else "sub", (const(c), const(abs(k))))
            if _near_integer(value / c) and round(value / c) * c == value:
                return make("mul", (const(round(value / c)), const(c)))
    return const(value)


def coefficient(c: float) -> tuple[list[Node], list[Node]]:
    """A positive coefficient as factors above and below the line: x/2, 2*x/3, 0.003*x, x/log(10)."""
    if c == 1:
        return [], []
    if c < 1 and (1 / c).is_integer():
        return [], [const(1 / c)]
    found = _fraction(c)
    if found is not None:
        return [const(found[0])] if found[0] != 1 else [], [const(found[1])]
    for value, name in NAMED_FACTORS:
        for k, above in ((c / value, True), (c * value, False)):
            if _near_integer(k):
                scale = [const(round(k))] if round(k) != 1 else []
                return ([*scale, name], []) if above else (scale, [name])
    return [number(c)], []
