"""Sparse polynomials with exact rational coefficients: enough to put fractions over one line and cancel.

A polynomial is a dict from monomials to `Fraction`s; a monomial is a tuple of exponents, one per
atom (the simplifier numbers its atoms: variables, function calls, other opaque parts), trailing
zeros dropped. Sizes are capped (MAX_TERMS, MAX_DEGREE, and adcli.core.exact.MAX_BITS in a coefficient):
past them an operation returns None and the simplifier leaves the expression as it was. Exact
division works in any number of atoms (division by leading terms in lexicographic order); the GCD
is Euclid's, for one atom.
"""

from __future__ import annotations

from fractions import Fraction

from adcli.core.exact import MAX_BITS, fits

Monomial = tuple[int, ...]
Poly = dict[Monomial, Fraction]

MAX_TERMS = 64
MAX_DEGREE = 24
MAX_STEPS = 2_000  # division steps


def _trim(m: Monomial) -> Monomial:
    end = len(m)
    while end and m[end - 1] == 0:
        end -= 1
    return m[:end]


def _times(a: Monomial, b: Monomial) -> Monomial:
    n = max(len(a), len(b))
    return _trim(tuple((a[i] if i < len(a) else 0) + (b[i] if i < len(b) else 0) for i in range(n)))


def _over(a: Monomial, b: Monomial) -> Monomial | None:
    """a / b when b divides a, else None."""
    if len(b) > len(a) or any(b[i] > a[i] for i in range(len(b))):
        return None
    return _trim(tuple(a[i] - (b[i] if i < len(b) else 0) for i in range(len(a))))


def constant(c: Fraction | float | int) -> Poly:
    return {(): Fraction(c)} if c else {}


def atom(index: int, power: int = 1) -> Poly:
    return {(0,) * index + (power,): Fraction(1)}


def degree(p: Poly) -> int:
    return max((sum(m) for m in p), default=-1)


def atoms(p: Poly) -> int:
    """How many atoms p may mention (the longest monomial)."""
    return max((len(m) for m in p), default=0)


def add(p: Poly, q: Poly) -> Poly | None:
    out = dict(p)
    for m, c in q.items():
        s = out.get(m, 0) + c
        if s:
            out[m] = s
        else:
            out.pop(m, None)
    return out if len(out) <= MAX_TERMS and _small(out) else None


def scale(p: Poly, c: Fraction) -> Poly:
    return {m: c * a for m, a in p.items()} if c else {}


def mul(p: Poly, q: Poly) -> Poly | None:
    if len(p) * len(q) > MAX_TERMS * MAX_TERMS:
        return None
    out: Poly = {}
    for m, a in p.items():
        for n, b in q.items():
            k = _times(m, n)
            out[k] = out.get(k, 0) + a * b
    out = {m: c for m, c in out.items() if c}
    return out if len(out) <= MAX_TERMS and degree(out) <= MAX_DEGREE and _small(out) else None


def _small(p: Poly) -> bool:
    """Every coefficient within the bit cap (exact arithmetic past it would only get slower)."""
    return all(fits(c) for c in p.values())


def power(p: Poly, k: int) -> Poly | None:
    """p^k, or None past the caps; a constant is raised at once (0.5^100000 looped 100,000 times, 2^-1e308 forever)."""
    if degree(p) * k > MAX_DEGREE:
        return None
    if degree(p) <= 0:
        c = p.get((), Fraction(0))
        if k * max(c.numerator.bit_length(), c.denominator.bit_length()) > MAX_BITS:
            return None
        return constant(c**k)
    out: Poly | None = constant(1)
    for _ in range(k):
        out = None if out is None else mul(out, p)
    return out


def _leading(p: Poly) -> Monomial:
    width = atoms(p)
    return max(p, key=lambda m: m + (0,) * (width - len(m)))


def divide(p: Poly, q: Poly) -> Poly | None:
    """p / q when q divides p exactly, else None (lexicographic division by leading terms; None for q = 0)."""
    if not q:
        return None
    lead = _leading(q)
    quotient: Poly = {}
    rest = dict(p)
    for _ in range(MAX_STEPS):
        if not rest:
            return quotient
        top = _leading(rest)
        shift = _over(top, lead)
        if shift is None:
            return None
        c = rest[top] / q[lead]
        if not fits(c):
            return None
        quotient[shift] = quotient.get(shift, 0) + c
        for m, b in q.items():
            k = _times(m, shift)
            s = rest.get(k, 0) - c * b
            if s:
                rest[k] = s
            else:
                rest.pop(k, None)
    return None


def _dense(p: Poly) -> list[Fraction]:
    out = [Fraction(0)] * (degree(p) + 1)
    for m, c in p.items():
        out[m[0] if m else 0] = c
    return out


def _remainder(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    p = list(p)
    while len(p) >= len(q) and p:
        factor, shift = p[-1] / q[-1], len(p) - len(q)
        for i, b in enumerate(q):
            p[shift + i] -= factor * b
        while p and p[-1] == 0:
            p.pop()
    return p


def gcd(p: Poly, q: Poly) -> Poly:
    """The monic GCD of two polynomials in one atom (Euclid's algorithm, exact)."""
    if not p or not q:
        return {}  # no cancellation is claimed with a zero polynomial
    a, b = _dense(p), _dense(q)
    while b:
        if not all(fits(c) for c in b):
            return {}  # coefficients past the cap: no cancellation claimed
        a, b = b, _remainder(a, b)
    if not a:
        return {}
    return {((i,) if i else ()): c / a[-1] for i, c in enumerate(a) if c}
