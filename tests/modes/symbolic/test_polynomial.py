"""Sparse polynomials with exact coefficients: products, exact division, GCD, and the size caps."""

from __future__ import annotations

from fractions import Fraction

from adcli.modes.symbolic import polynomial as poly


def p1(*coefficients: int) -> poly.Poly:
    """A polynomial in atom 0 from coefficients, lowest degree first."""
    out: poly.Poly = {}
    for k, c in enumerate(coefficients):
        if c:
            out[(k,) if k else ()] = Fraction(c)
    return out


def test_multiply_and_divide_exactly() -> None:
    a, b = p1(-1, 1), p1(1, 1)  # x - 1, x + 1
    product = poly.mul(a, b)
    assert product == p1(-1, 0, 1)
    assert poly.divide(product, b) == a
    assert poly.divide(product, p1(2, 1)) is None  # x + 2 does not divide x^2 - 1


def test_divide_in_two_atoms() -> None:
    x, y = poly.atom(0), poly.atom(1)
    difference = poly.add(poly.mul(x, x), poly.scale(poly.mul(y, y), Fraction(-1)))  # x^2 - y^2
    assert difference is not None
    assert poly.divide(difference, poly.add(x, y)) == poly.add(x, poly.scale(y, Fraction(-1)))


def test_gcd_is_monic() -> None:
    assert poly.gcd(p1(-2, 0, 2), p1(3, 3)) == p1(1, 1)  # gcd(2x^2 - 2, 3x + 3) = x + 1
    assert poly.gcd(p1(1, 1), p1(2, 1)) == p1(1)


def test_caps_give_none() -> None:
    assert poly.power(p1(1, 1), poly.MAX_DEGREE + 1) is None
    many = {(k,): Fraction(1) for k in range(poly.MAX_TERMS)}
    assert poly.add(many, {(poly.MAX_TERMS,): Fraction(1)}) is None


def test_dividing_by_the_zero_polynomial_is_refused_not_a_crash() -> None:
    """A2: `adcli diff "y/(x-x) - y"` reached divide(p, {}) and failed in max() of nothing."""
    assert poly.divide(p1(1, 1), {}) is None
    assert poly.divide({}, {}) is None
    assert poly.gcd(p1(1, 1), {}) == {}


def test_a_constant_is_raised_at_once_or_refused_past_the_bit_cap() -> None:
    """Issue 11: power looped k times for a constant (0.5^100000: 24 s; 2^1e308: forever)."""
    assert poly.power(poly.constant(Fraction(1, 2)), 10) == poly.constant(Fraction(1, 1024))
    assert poly.power(poly.constant(3), 0) == poly.constant(1)
    assert poly.power({}, 5) == {}  # zero stays zero
    assert poly.power(poly.constant(Fraction(1, 2)), poly.MAX_BITS + 1) is None  # 2^-4097: too long to keep exact
    assert poly.power(poly.constant(2), 10**308) is None
    assert poly.power(p1(1, 1), 3) == p1(1, 3, 3, 1)  # (1 + x)^3: the loop as before
