"""Simplifying derivative graphs: cheap, always terminating, and value-preserving on the input's domain.

Two passes, each one loop over a topological order (never recursion over the graph):

1. normal form (adcli.modes.symbolic.normal_form): every node is rebuilt from its already-simple children as a
   sum Σ(constant; terms) or a product Π(coefficient; factors) keyed on node identity, as SymPy's
   Add and Mul flatten: constants folded, 0/1 identities, x - x, x/x, like terms and numeric
   coefficients collected, powers of one base merged, common factors pulled out of sums, the
   identities below, and fractions put over one line with common polynomial factors cancelled
   (adcli.modes.symbolic.rational);
2. pretty form (adcli.modes.symbolic.pretty): back to the table's binary operators, signs normalised.

Each constructor looks one level into arguments that are already simple; nested sums and products
are flattened only up to FLATTEN parts; nested rule applications stop at DEPTH. So the work is about
linear in the graph's size and every call ends. Order is stable: factors and terms sort by the
order in which the session first read their nodes (the input's own order first).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from fractions import Fraction

import numpy as np

from adcli.core import exact
from adcli.core.errors import AdcliError
from adcli.core.exact import Rational, checked
from adcli.core.graph import Node, const, make, topo_order
from adcli.core.primitives import TABLE
from adcli.modes.symbolic import pretty, rational
from adcli.modes.symbolic.normal_form import (
    ONE,
    PROD,
    SUM,
    TWO,
    ZERO,
    factors_of,
    is_integer,
    is_named,
    is_num,
    split_pow,
    split_term,
)

FLATTEN = 12  # a nested sum or product with more parts than this stays one part (chains stay linear)
DEPTH = 4  # nested rule applications inside one constructor call

#: f(g(u)) = u where the input is defined: exp(log(u)) = u (u > 0), log(exp(u)) = u.
INVERSES = {"exp": "log", "log": "exp"}
#: f(u)^2 + sign*g(u)^2 = 1: sin² + cos² = 1, cosh² - sinh² = 1.
PYTHAGOREAN = (("sin", "cos", 1), ("cosh", "sinh", -1))
_LOG_ZERO = make("log", (const(0),))
_SQUARED = frozenset(first for first, _, _ in PYTHAGOREAN)  # sin(u)^2 in a sum: look for its partner
#: functions that are powers: sqrt(u) = u^(1/2), so sqrt(x)^2 = x (printed back as sqrt).
AS_POWER = {"sqrt": Fraction(1, 2)}
#: the arguments at which a function of numbers is folded when its value is a whole number (exp(0) = 1,
#: log(e) = 1, cos(pi) = -1): elsewhere a whole float may be a rounded irrational (tanh(20) is 1.0).
_TRIVIAL = frozenset({-1, 0, 1})


def _negative(total: Node) -> bool:
    """A sum whose every term is subtracted (-log(x) - 1): its negation reads better."""
    return total.payload <= 0 and all(split_term(t)[0] < 0 for t in total.args)  # type: ignore[operator]


def _pull_bare(maps: list[dict[Node, Node]], common: dict[Node, Node]) -> bool:
    """Pull powers of bare variables out of a sum (with integer coefficients): one term is only the
    common factors (y), another has a factor that is not a power of a variable (y*cos(x*y))."""
    whole = any(all(common.get(b) is e for b, e in mp.items()) for mp in maps)
    polynomial = all(b.op in ("var", "const") and is_num(e) for mp in maps for b, e in mp.items())
    return whole and not polynomial


MINUS_ONE = const(-1)


def _folded_call(op: str, args: Sequence[Node]) -> Node | None:
    """f(numbers) as a number where that is exact: piecewise functions (abs, sign, max, …) of numbers whose
    float stands for them (0.1, not a 20-digit literal), and whole values at the trivial points (exp(0),
    log(1), cos(pi), log(e))."""
    if not all(a.op == "const" for a in args):
        return None
    representable = all(a.exact is not None and exact.of_float(a.payload) == a.exact for a in args)  # type: ignore[arg-type]
    piecewise = not TABLE[op].analytic
    if not (representable if piecewise else all(a.exact is None or a.exact in _TRIVIAL for a in args)):
        return None
    with np.errstate(all="ignore"):
        value = float(TABLE[op].fn(*(np.float64(a.payload) for a in args)))  # type: ignore[arg-type]
    if not math.isfinite(value) or not (piecewise or value.is_integer()):
        return None
    return const(value)


class Simplifier:
    """One simplification session: a stable order (ranks) and memo tables, so shared nodes cost once."""

    def __init__(self, reading_order: Iterable[Node] = ()) -> None:
        self.rank: dict[Node, int] = {}
        self.factor_keys: dict[Node, tuple[int, int, float, int]] = {}  # sort keys (ranks never change)
        self.term_keys: dict[Node, tuple[tuple[int, int, float, int], ...]] = {}
        self.normal_of: dict[Node, Node] = {}
        self.pretty_of: dict[Node, Node] = {}
        self.depth = 0
        self.read(reading_order)

    # ---- entry points --------------------------------------------------------------------------

    def read(self, nodes: Iterable[Node]) -> None:
        """Rank nodes not seen yet in this order: earlier-read nodes print first in sums and products."""
        for node in nodes:
            self._rank(node)

    def simplify(self, roots: Sequence[Node]) -> list[Node]:
        """The simplified graphs, in the table's operators (printable, evaluable on a tape)."""
        order = topo_order(roots)
        self.read(order)
        return pretty.pretty(self.normal(roots, order), self.pretty_of)

    def normal(self, roots: Sequence[Node], order: Sequence[Node] | None = None) -> list[Node]:
        """The normal forms of roots (order: their topo_order, when the caller has it)."""
        normal_of = self.normal_of
        try:
            for node in topo_order(roots) if order is None else order:
                if node not in normal_of:
                    nf = self._normal(node, [self.normal_of[a] for a in node.args])
                    self.rank.setdefault(nf, self._rank(node))
                    self.normal_of[node] = nf
        except exact.TooLargeError as exc:
            raise AdcliError("limit_exceeded", str(exc)) from None
        return [self.normal_of[r] for r in roots]

    # ---- normal form ---------------------------------------------------------------------------

    def _rank(self, node: Node) -> int:
        r = self.rank.get(node)
        if r is None:
            r = self.rank[node] = len(self.rank)
        return r

    def _normal(self, node: Node, args: list[Node]) -> Node:
        op = node.op
        if op in ("const", "var"):
            return node
        if op == "add":
            return self.add_all(args)
        if op == "sub":
            return self.add_all([args[0], self.mul_all([MINUS_ONE, args[1]])])
        if op == "neg":
            return self.mul_all([MINUS_ONE, args[0]])
        if op == "mul":
            return self.mul_all(args)
        if op == "div":
            return self.mul_all([args[0], self.power(args[1], const(-1))])
        if op == "pow":
            return self.power(args[0], args[1])
        if op in AS_POWER:
            return self.power(args[0], const(AS_POWER[op]))
        return self.call(op, args)

    def _deeper(self) -> bool:
        """Enter one more level of nested rules, or say no (the caller then does the plain thing)."""
        if self.depth >= DEPTH:
            return False
        self.depth += 1
        return True

    def add_all(self, items: Iterable[Node]) -> Node:
        """The normal form of a sum: constants folded, like terms collected, then the identities."""
        total, coeffs = self._collect(items)
        if not self._deeper():
            return self.plain_sum(total, coeffs)
        try:
            if any(f.op == "pow" and f.args[0].op in _SQUARED for m in coeffs for f in factors_of(m)):
                total = self._pythagorean(total, coeffs)
            found = rational.together(self, total, coeffs) or self._factor(total, coeffs)
            return found or self.plain_sum(total, coeffs)
        finally:
            self.depth -= 1

    def _collect(self, items: Iterable[Node]) -> tuple[Rational, dict[Node, Rational]]:
        total: Rational = 0
        coeffs: dict[Node, Rational] = {}
        queue: list[tuple[Node, Rational]] = [(item, 1) for item in items]
        for node, c in queue:  # the queue grows while it is read: sums inside sums are flattened
            if is_num(node):
                total = checked(total + c * node.exact)  # type: ignore[operator]
            elif node.op == SUM and len(node.args) <= FLATTEN:
                total = checked(total + c * node.payload)  # type: ignore[operator]
                queue.extend((t, c) for t in node.args)
            else:
                k, m = split_term(node)
                if m.op == SUM and len(m.args) <= FLATTEN:  # 2*(x + 1) inside a sum is 2*x + 2
                    queue.append((m, checked(c * k)))
                else:
                    coeffs[m] = checked(coeffs.get(m, 0) + c * k)
        return total, {m: c for m, c in coeffs.items() if c != 0}

    def _factor_key(self, f: Node) -> tuple[int, int, float, int]:
        """Factors in a product: named constants, variables, powers with a symbolic exponent, calls,
        sums (2*pi*x, y*x^(y - 1), x^y*log(x), x^x*(log(x) + 1)); each kind in reading order."""
        key = self.factor_keys.get(f)
        if key is None:
            key = self.factor_keys[f] = self._new_factor_key(f)
        return key

    def _new_factor_key(self, f: Node) -> tuple[int, int, float, int]:
        base, e = split_pow(f)
        numeric = is_num(e)
        named = is_named(base)
        kind = 2 if not numeric else 1 if base.op in ("var", "const") else 4 if base.op == SUM else 3
        exponent = -e.payload if numeric else 0.0  # type: ignore[operator]
        return (0 if named else kind, self._rank(base), exponent, 0 if numeric else self._rank(e))

    def _term_key(self, t: Node) -> tuple[tuple[int, int, float, int], ...]:
        """Terms in a sum: in reading order of their factors (sin(x) + x stays as it was written)."""
        found = self.term_keys.get(t)
        if found is not None:
            return found
        keys = []
        for f in factors_of(split_term(t)[1]):
            base, e = split_pow(f)
            numeric = is_num(e)
            named = is_named(base)
            exponent = -e.payload if numeric else 0.0  # type: ignore[operator]
            keys.append((0 if named else 1, self._rank(base), exponent, 0 if numeric else self._rank(e)))
        found = self.term_keys[t] = tuple(keys)
        return found

    def plain_sum(self, total: Rational, coeffs: dict[Node, Rational]) -> Node:
        terms = sorted((m if c == 1 else make(PROD, factors_of(m), c) for m, c in coeffs.items()), key=self._term_key)
        if not terms:
            return const(total)
        if len(terms) == 1 and total == 0:
            return terms[0]
        return make(SUM, terms, total)

    def _monomial(self, factors: Iterable[Node]) -> Node:
        ordered = sorted(factors, key=self._factor_key)
        if not ordered:
            return ONE
        return ordered[0] if len(ordered) == 1 else make(PROD, ordered, 1)  # type: ignore[arg-type]

    def _pythagorean(self, total: Rational, coeffs: dict[Node, Rational]) -> Rational:
        """c*f(u)^2*M + sign*c*g(u)^2*M = c*M, for each pair in PYTHAGOREAN."""
        for first, second, sign in PYTHAGOREAN:
            for m in list(coeffs):
                factors = factors_of(m)
                for i, f in enumerate(factors):
                    base, e = split_pow(f)
                    if m not in coeffs or base.op != first or not is_num(e, 2):
                        continue
                    rest = factors[:i] + factors[i + 1 :]
                    partner = self._monomial((*rest, make("pow", (make(second, base.args), TWO))))
                    if coeffs.get(partner) == sign * coeffs[m]:
                        c = coeffs.pop(m)
                        del coeffs[partner]
                        left = self._monomial(rest)
                        if left is ONE:
                            total += c
                        elif coeffs.get(left, 0) + c:
                            coeffs[left] = coeffs.get(left, 0) + c
                        else:
                            coeffs.pop(left, None)
                    break
        return total

    def _factor(self, total: Rational, coeffs: dict[Node, Rational]) -> Node | None:
        """Pull out factors every term shares: x^x + x^x*log(x) = x^x*(log(x) + 1).

        Powers of a bare variable stay in the terms of a polynomial (3*x^2 + 2*x, not x*(3*x + 2));
        they are pulled out when one term is just them and another is not a polynomial
        (y + y*cos(x*y) = y*(cos(x*y) + 1)).
        """
        if total != 0 or len(coeffs) < 2:
            return None
        maps = [dict(split_pow(f) for f in factors_of(m)) for m in coeffs]
        common: dict[Node, Node] = {}
        bare: dict[Node, Node] = {}
        for base, e in maps[0].items():
            found = bare if base.op in ("var", "const") and is_num(e) else common
            exps = [mp.get(base) for mp in maps]
            if all(x is e for x in exps):
                found[base] = e
            elif all(x is not None and is_num(x) and x.exact > 0 for x in exps):  # type: ignore[operator]
                found[base] = const(min(x.exact for x in exps))  # type: ignore[union-attr,type-var]
        if bare and all(c.denominator == 1 for c in coeffs.values()) and _pull_bare(maps, {**common, **bare}):
            common.update(bare)
        if not common:
            return None
        rest = []
        for c, mp in zip(coeffs.values(), maps, strict=True):
            left = [const(c)]
            for base, e in mp.items():
                if base not in common:
                    left.append(self.power(base, e))
                elif common[base] is not e:
                    left.append(self.power(base, const(e.exact - common[base].exact)))  # type: ignore[operator]
            rest.append(self.mul_all(left))
        return self.mul_all([*(self.power(b, e) for b, e in common.items()), self.add_all(rest)])

    def mul_all(self, items: Iterable[Node]) -> Node:
        """The normal form of a product: numbers multiplied, powers of one base merged (x*x^-1 = 1)."""
        coef: Rational = 1
        powers: dict[Node, list[Node]] = {}
        queue = list(items)
        for node in queue:  # grows while read: products inside products are flattened
            op = node.op
            if node.exact is not None:
                coef = checked(coef * node.exact)
            elif op == PROD and len(node.args) <= FLATTEN:
                coef = checked(coef * node.payload)  # type: ignore[operator]
                queue.extend(node.args)
            elif op == "pow":
                powers.setdefault(node.args[0], []).append(node.args[1])
            else:
                powers.setdefault(node, []).append(ONE)
        if _LOG_ZERO in powers and any(is_num(b, 0) and not is_num(e) for b, es in powers.items() for e in es):
            return ZERO  # 0^b*log(0): the limit of a^b*log(a) as a -> 0+ (b > 0, as 0^b needs), the table's ∂(0^b)/∂b
        factors: list[Node] = []
        distributed = False  # a merged power of a product, (u*v)^2 = u^2*v^2: merge again
        for base, exps in powers.items():
            e = exps[0] if len(exps) == 1 else self.add_all(exps)
            p = base if e is ONE else self.power(base, e)
            if p.exact is not None:
                coef = checked(coef * p.exact)
            else:
                distributed |= p.op == PROD and p is not base
                factors.append(p)
        if coef == 0:
            return ZERO
        coef = self._signs(coef, factors)
        coef = self._twins(coef, factors)
        bases = [split_pow(f)[0] for f in factors]
        if len(set(bases)) < len(bases) and self._deeper():  # a negated sum met its twin: (2 - x)^-1 is -(x - 2)^-1
            try:
                return self.mul_all([const(coef), *factors])  # merge them: (x - 2)^-2, one base, one power
            finally:
                self.depth -= 1
        if not self._deeper():
            return self._product(coef, factors)
        try:
            if distributed:
                return self.mul_all([const(coef), *factors])
            return self._rewrite_product(coef, factors) or self._product(coef, factors)
        finally:
            self.depth -= 1

    def _signs(self, coef: Rational, factors: list[Node]) -> Rational:
        """Sign normalisation, in place: x^(-x)*(-log(x) - 1) is -x^(-x)*(log(x) + 1), -2*(1 - x) is
        2*(x - 1); returns the coefficient."""
        for i, f in enumerate(factors):
            base = f if f.op == SUM else f.args[0] if f.op == "pow" else f
            lead = base.args[0] if base.op == SUM else None
            if lead is None or lead.op != PROD or lead.payload >= 0:  # type: ignore[operator]
                continue  # not a sum, or its first term is added
            e = ONE if base is f else f.args[1]
            if not is_integer(e) or (len(factors) == 1 and f is base and coef > 0):
                continue
            if coef < 0 or _negative(base):
                factors[i] = self.power(self._negated(base), e)
                coef = -coef if e.exact % 2 else coef  # type: ignore[operator]
        return coef

    def _twins(self, coef: Rational, factors: list[Node]) -> Rational:
        """b^m*(-b)^k = (-1)^k*b^(m + k) for integer k, in place: (y - x)*(x - y) is -(y - x)^2, the sum
        read first kept; returns the coefficient (the merge of the equal bases is the caller's)."""
        pairs = [split_pow(f) for f in factors]
        sums = {b: i for i, (b, e) in enumerate(pairs) if b.op == SUM and is_integer(e)}
        if len(sums) < 2:
            return coef
        shapes: dict[tuple, int] = {}  # a twin has the same terms up to their signs: negate only those
        for b in sums:
            shape = (abs(b.payload), frozenset(split_term(t)[1] for t in b.args))  # type: ignore[arg-type]
            shapes[shape] = shapes.get(shape, 0) + 1
        if all(count < 2 for count in shapes.values()):
            return coef
        for base, i in sorted(sums.items(), key=lambda item: self._rank(item[0])):
            twin = self._negated(base)
            j = sums.get(twin)
            if base not in sums or j is None or j == i:
                continue
            factors[j] = self.power(base, pairs[j][1])
            coef = -coef if pairs[j][1].exact % 2 else coef  # type: ignore[operator]
            del sums[twin], sums[base]
        return coef

    def _negated(self, total: Node) -> Node:
        """-(a + b + c) as a sum, its terms in the same order."""
        coeffs = {m: -c for c, m in map(split_term, total.args)}
        return self.plain_sum(-total.payload, coeffs)  # type: ignore[operator]

    def _rewrite_product(self, coef: Rational, factors: list[Node]) -> Node | None:
        """A number spread over a sum, or a quotient of polynomials cancelled; None if neither helps."""
        if len(factors) == 1 and factors[0].op == SUM and coef != 1:
            return self._spread(coef, factors[0])
        sums = [i for i, f in enumerate(factors) if f.op == SUM]
        if len(sums) == 1 and abs(coef) != 1:  # (5534*u + 2767)/(2767*y) is (2*u + 1)/y
            spread = self._spread(coef, factors[sums[0]], strict=True)
            if spread is not None:
                return self.mul_all([spread, *factors[: sums[0]], *factors[sums[0] + 1 :]])
        if rational.cancellable(factors):
            found = rational.combine(self, 0, [(coef, self._monomial(factors))])
            if found is not None and found[0]:
                return found[1]
        return None

    def _spread(self, coef: Rational, total: Node, strict: bool = False) -> Node | None:
        """c*(a + b) as c*a + c*b when that leaves fewer numbers to write (strict: strictly fewer):
        (2*x + 4*y)/2 is x + 2*y, -(x - 1) is 1 - x, but 2*(x + 1) stays."""
        inside = [split_term(t)[0] for t in total.args]
        parts = [coef * c for c in inside]
        constant = coef * total.payload  # type: ignore[operator]
        if not all(p.denominator == 1 for p in [*parts, constant]):
            return None
        before = (abs(coef) != 1) + sum(abs(c) != 1 for c in inside) + (total.payload not in (0, 1, -1))
        after = sum(abs(p) != 1 for p in parts) + (constant not in (0, 1, -1))
        if after > before or (strict and after == before):
            return None
        return self.add_all([const(constant), *(self.mul_all([const(coef), t]) for t in total.args)])

    def _product(self, coef: Rational, factors: list[Node]) -> Node:
        factors = sorted(factors, key=self._factor_key)
        if not factors:
            return const(coef)
        if len(factors) == 1 and coef == 1:
            return factors[0]
        return make(PROD, factors, coef)

    def power(self, b: Node, e: Node) -> Node:
        """b^e: 0/1 exponents, exact numbers, (b^m)^k = b^(m*k) where valid, (u*v)^k = u^k*v^k for integer k."""
        if e is ONE:  # the common case, first
            return b
        if is_num(e, 0):
            return ONE
        if is_num(b):
            if b.exact == 1:
                return ONE
            folded = exact.power(b.exact, e.exact) if is_num(e) else None  # type: ignore[arg-type]
            return make("pow", (b, e)) if folded is None else const(folded)
        # (b^m)^k = b^(m*k) for integer k, or for a fractional m (b^m real means b >= 0 there).
        merge = b.op == "pow" and (is_integer(e) or (is_num(b.args[1]) and not is_integer(b.args[1])))
        if (merge or (b.op == PROD and is_integer(e))) and self._deeper():
            try:
                if b.op == "pow":
                    return self.power(b.args[0], self.mul_all([b.args[1], e]))
                powers = [self.power(u, self.mul_all([m, e])) for u, m in map(split_pow, b.args)]
                return self.mul_all([self.power(const(b.payload), e), *powers])  # type: ignore[arg-type]
            finally:
                self.depth -= 1
        return make("pow", (b, e))

    def call(self, op: str, args: Sequence[Node]) -> Node:
        """A function of simple arguments: exact constant results folded, inverse pairs cancelled."""
        folded = _folded_call(op, args)
        if folded is not None:
            return folded
        inner = INVERSES.get(op)
        if inner is not None and len(args) == 1 and args[0].op == inner:
            return args[0].args[0]
        return make(op, tuple(args))
