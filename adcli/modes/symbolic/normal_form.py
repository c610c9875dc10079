"""The simplifier's normal form: n-ary sums Σ(constant; terms) and products Π(coefficient; factors).

These are graph nodes with internal operation names (never printed, never evaluated: adcli.modes.symbolic.pretty
turns them back into the table's operators). A term is c·monomial, a monomial a product of
factors with coefficient 1, a factor base^exponent. Helpers here read that structure, one level.

Numbers are exact (adcli.core.exact): a number is a const node's `exact` value, and the constant of a
sum and the coefficient of a product (their payloads) are ints or Fractions.
"""

from __future__ import annotations

from collections.abc import Iterable

from adcli.core.exact import Rational
from adcli.core.graph import Node, const, make, topo_order_of

SUM, PROD = "Σ", "Π"
ZERO, ONE, TWO = const(0), const(1), const(2)


def is_num(node: Node, value: Rational | None = None) -> bool:
    """A numeric constant (pi and e are kept as names, so they are not numbers here)."""
    return node.exact is not None and (value is None or node.exact == value)


def is_named(node: Node) -> bool:
    """pi or e: a constant kept by name (2*pi, not 6.283185307179586)."""
    return node.op == "const" and node.exact is None


def is_integer(node: Node) -> bool:
    return node.exact is not None and node.exact.denominator == 1


def is_negative_integer(node: Node) -> bool:
    return is_integer(node) and node.exact < 0  # type: ignore[operator]


def split_pow(node: Node) -> tuple[Node, Node]:
    """base, exponent of a factor (x is x^1)."""
    return (node.args[0], node.args[1]) if node.op == "pow" else (node, ONE)


def split_term(node: Node) -> tuple[Rational, Node]:
    """coefficient, monomial of a term: 3*x*y is (3, x*y)."""
    if node.op != PROD or node.payload == 1:
        return 1, node
    monomial = node.args[0] if len(node.args) == 1 else make(PROD, node.args, 1)  # type: ignore[arg-type]
    return node.payload, monomial  # type: ignore[return-value]


def factors_of(monomial: Node) -> tuple[Node, ...]:
    return monomial.args if monomial.op == PROD else (monomial,)


def has_denominator(monomial: Node, ops: Iterable[str] | None = None) -> bool:
    """A factor 1/p^k (p any base, or one whose operation is in ops): a fraction to put over one line."""
    return any(is_negative_integer(e) and (ops is None or b.op in ops) for b, e in map(split_pow, factors_of(monomial)))


def size(node: Node, budget: int = 400) -> int:
    """Distinct nodes under node (budget + 1 when larger): the measure "smaller" means here."""
    order = topo_order_of(node, budget=budget)
    return budget + 1 if order is None else len(order)
