"""Exact rational numbers for symbolic mode: the value a decimal literal spells, and arithmetic that never rounds.

Symbolic mode computes coefficients and exponents as rationals (2.5 is 5/2, 0.2 is 1/5), so factors
that should cancel do cancel: x/(2.5*x) is 0.4, not 0.4 plus an ulp. A rational is an `int` when it is
a whole number (fast, and most coefficients are) and a `Fraction` otherwise (`Rational` below); both
have .numerator and .denominator. Floats appear only where a value is printed or evaluated.

Sizes are capped (MAX_BITS in a numerator or denominator), so a chain like 0.5^100000 or
(x^(1/3))^… cannot make arithmetic crawl: a power past the cap is not folded (it stays a power),
and any other result past it raises `TooLargeError`, which symbolic mode reports as limit_exceeded.
"""

from __future__ import annotations

import functools
import math
from decimal import Context, Decimal
from fractions import Fraction

Rational = int | Fraction

#: bits in a numerator or a denominator: 2^-1030 (1031 bits) and 1e300*1e10 fit; 0.5^100000 does not.
MAX_BITS = 4096
#: significant digits printed exactly as a decimal (past them a value prints rounded, as a float would).
DIGITS = 30
_LITERAL_LENGTH = 400  # characters of a literal read exactly (a longer one is read as its nearest float)
_FAST_LITERAL = 15  # a literal this short has <= 15 digits: its float prints back as the same decimal


class TooLargeError(ArithmeticError):
    """An exact result with more than MAX_BITS bits in its numerator or denominator."""


def norm(q: Rational) -> Rational:
    """A whole number as an int (int arithmetic is fifty times faster than Fraction's)."""
    return q.numerator if type(q) is Fraction and q.denominator == 1 else q


def fits(q: Rational) -> bool:
    return q.numerator.bit_length() <= MAX_BITS and q.denominator.bit_length() <= MAX_BITS


def checked(q: Rational) -> Rational:
    """q (whole numbers as int), or TooLargeError past the cap."""
    if not fits(q):
        digits = MAX_BITS * 30103 // 100000
        raise TooLargeError(
            f"a number in the result needs more than {MAX_BITS} bits (about {digits:,} digits),"
            " the limit of symbolic mode's exact arithmetic"
        )
    return norm(q)


def to_float(q: Rational) -> float:
    """The nearest float, with ±inf past the largest (float() raises OverflowError there)."""
    try:
        return float(q)
    except OverflowError:
        return math.inf if q > 0 else -math.inf


@functools.lru_cache(maxsize=4096)
def of_float(value: float) -> Rational:
    """The decimal a float prints as (0.1 is 1/10): a float in the graph stands for its shortest text,
    so const(0.1) is the node the literal `0.1` makes."""
    if value.is_integer() and abs(value) < 2**53:
        return int(value)
    return norm(Fraction(repr(value)))  # 1e300 is 10^300, not the float's binary value


def literal(text: str, value: float) -> Rational | float:
    """The rational a decimal literal spells (value: its float, finite), or the float itself where the
    literal cannot be exact: below the smallest float (1e-400 reads as 0, in every mode alike) or longer
    than _LITERAL_LENGTH characters (its nearest float)."""
    if value == 0 or len(text) <= _FAST_LITERAL:
        return value  # of_float(value) is the literal's own decimal: a short literal has at most 15 digits
    if len(text) > _LITERAL_LENGTH:
        return value
    q = Fraction(text)
    return norm(q) if fits(q) else value


def _root(n: int, k: int) -> int | None:
    """The integer k-th root of n >= 0 when it is exact."""
    if n < 2:
        return n
    r = round(n ** (1.0 / k)) if n.bit_length() < 1000 else _newton_root(n, k)
    for c in (r - 1, r, r + 1):
        if c >= 0 and c**k == n:
            return c
    return None


def _newton_root(n: int, k: int) -> int:
    x = 1 << -(-n.bit_length() // k)  # an upper bound
    while True:
        y = ((k - 1) * x + n // x ** (k - 1)) // k
        if y >= x:
            return x
        x = y


def power(base: Rational, exponent: Rational) -> Rational | None:
    """base^exponent when it is rational and within the cap (6^-1 is 1/6, 4^0.5 is 2, 8^(1/3) is 2), else
    None: the caller keeps the power as it is. Sizes are estimated before anything is computed."""
    if exponent == 0:
        return 1
    if base == 0:
        return 0 if exponent > 0 else None
    if base in (1, -1) and exponent.denominator == 1:
        return base if exponent.numerator % 2 else 1
    k, root = exponent.numerator, exponent.denominator
    if root > 64 or (base < 0 and root % 2 == 0):
        return None
    bits = max(base.numerator.bit_length(), base.denominator.bit_length())
    if bits * abs(k) > MAX_BITS * root + root:  # the result's size, about (a root first shrinks it)
        return None
    if root > 1:
        top, bottom = _root(abs(base.numerator), root), _root(base.denominator, root)
        if top is None or bottom is None:
            return None
        base = Fraction(top if base > 0 else -top, bottom)  # an odd root keeps the sign
    result = Fraction(base) ** k
    return norm(result) if fits(result) else None


def _decimal_digits(q: Rational) -> tuple[int, int] | None:
    """(m, k) with q = m·10^k, m not a multiple of 10, when q is a finite decimal of <= DIGITS digits."""
    d = q.denominator
    twos = (d & -d).bit_length() - 1
    rest = d >> twos
    fives = 0
    while rest % 5 == 0:
        rest //= 5
        fives += 1
    if rest != 1 or max(twos, fives) > 4 * DIGITS + 400:
        return None
    k = max(twos, fives)
    m = q.numerator * 2 ** (k - twos) * 5 ** (k - fives)
    exponent = -k
    if m == 0:
        return 0, 0
    while m % 10 == 0:
        m //= 10
        exponent += 1
    return (m, exponent) if len(str(abs(m))) <= DIGITS else None


def _scientific(digits: str, exponent: int, negative: bool) -> str:
    """Digits d1 d2 … times 10^exponent (of the last digit), written as Python writes floats."""
    point = len(digits) + exponent  # digits before the decimal point
    lead = point - 1  # the exponent in scientific notation
    if -4 <= lead < 16:
        if exponent >= 0:
            text = digits + "0" * exponent
        elif point > 0:
            text = digits[:point] + "." + digits[point:]
        else:
            text = "0." + "0" * -point + digits
    else:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        text = f"{mantissa}e{'+' if lead >= 0 else '-'}{abs(lead):02d}"
    return ("-" if negative else "") + text


def decimal_text(q: Rational) -> str | None:
    """q written exactly as a decimal (0.2, 1.5e+310), or None when it is not a short finite decimal."""
    found = _decimal_digits(q)
    if found is None:
        return None
    m, exponent = found
    return _scientific(str(abs(m)), exponent, m < 0)


def text(q: Rational) -> str:
    """q as a number literal: exact where a short decimal says it (2, 0.2, 1e+310, 1.00000000000000000001),
    else rounded to 17 digits, as its float prints (1/3 is 0.3333333333333333; printing a fraction as
    p/q is adcli.modes.symbolic.pretty's choice, made before)."""
    value = to_float(q)
    if math.isfinite(value) and value != 0 and of_float(value) == q:
        return _float_text(value)
    exact = decimal_text(q)
    if exact is not None:
        return exact
    if math.isfinite(value) and (value != 0 or q == 0):
        return _float_text(value)
    rounded = Context(prec=17).divide(Decimal(q.numerator), Decimal(q.denominator))  # past the float range
    sign, digits, exponent = rounded.normalize().as_tuple()
    return _scientific("".join(map(str, digits)), int(exponent), bool(sign))


def _float_text(value: float) -> str:
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)
