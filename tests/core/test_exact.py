"""Exact rationals (adcli.core.exact) and the exact value a constant node carries (graph.const).

References: the rationals written out by hand (5/2, 1/10, 2^-1030), Python's own float parsing of the
printed text, and mpmath at 50 digits for numbers past the float range.
"""

from __future__ import annotations

import math
from fractions import Fraction

import mpmath
import pytest

from adcli.core import exact
from adcli.core.graph import build, const, make, var
from adcli.language.parser import parse

mpmath.mp.dps = 50


# ---- what a literal spells -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2.5", Fraction(5, 2)),
        ("0.2", Fraction(1, 5)),
        ("49", 49),
        ("3.7", Fraction(37, 10)),
        ("1e300", 10**300),  # not the float's binary expansion (1.0000000000000000525e300)
        ("0.20000000000000001", Fraction(20000000000000001, 10**17)),  # more digits than a float keeps
        ("1.23456789012345678901234", Fraction(123456789012345678901234, 10**23)),
        ("1e-310", Fraction(1, 10**310)),  # a subnormal float: still the decimal
        ("1e-400", 0),  # below the smallest float: 0 in every mode (read as x*0)
    ],
)
def test_a_literal_is_the_rational_it_spells(text: str, value: Fraction) -> None:
    node = parse(text).outputs[0]
    assert node.exact == value
    assert node.payload == float(text)  # the tapes evaluate the nearest float


def test_a_float_stands_for_the_decimal_it_prints_as() -> None:
    """const(0.1) is the node the literal 0.1 makes: printing and parsing back give the same node."""
    assert const(0.1) is parse("0.1").outputs[0]
    assert const(0.1).exact == Fraction(1, 10)
    assert const(2.0).exact == 2 and type(const(2.0).exact) is int
    assert const(Fraction(1, 10)) is const(0.1)
    assert parse("0.20000000000000001").outputs[0] is not const(0.2)  # a different rational, a different node


def test_pi_and_e_have_no_exact_value() -> None:
    assert const(math.pi).exact is None and const(math.e).exact is None
    assert build("mul", const(math.pi), 2).op == "mul"  # kept by name: 2*pi, never 6.283185307179586


def test_a_very_long_literal_is_read_as_its_float() -> None:
    text = "0." + "3" * 500
    node = parse(text).outputs[0]
    assert node.exact == exact.of_float(1 / 3)  # past 400 characters: the nearest float's decimal


# ---- folding at construction is exact ----------------------------------------------------------------


def test_build_folds_exactly() -> None:
    assert build("mul", const(0.1), const(3)).exact == Fraction(3, 10)  # the float product is 0.30000000000000004
    assert build("sub", const(1.1), 1).exact == Fraction(1, 10)  # d/dx x^1.1 = 1.1*x^0.1, not x^0.10000000000000009
    assert build("add", const(0.1), const(0.2)).exact == Fraction(3, 10)
    assert build("div", const(1), const(3)).op == "div"  # 1/3 stays a quotient (it prints as one)
    assert build("pow", const(2), const(-3)).exact == Fraction(1, 8)


def test_identities_compare_exact_values() -> None:
    """A 20-digit literal whose float is 1.0 is not 1: x*1.00000000000000000001 keeps its factor."""
    x = var("x")
    almost = parse("1.00000000000000000001").outputs[0]
    assert almost.payload == 1.0
    assert build("mul", x, almost).op == "mul"
    assert build("mul", x, const(1)) is x


# ---- powers: exact where rational, refused (not computed) where huge ----------------------------------


@pytest.mark.parametrize(
    ("base", "power", "value"),
    [
        (2, -1030, Fraction(1, 2**1030)),
        (Fraction(1, 2), 3, Fraction(1, 8)),
        (4, Fraction(1, 2), 2),
        (8, Fraction(1, 3), 2),
        (-8, Fraction(1, 3), -2),
        (Fraction(9, 4), Fraction(3, 2), Fraction(27, 8)),
        (Fraction(1, 10), -2, 100),
        (0, 5, 0),
        (1, 10**308, 1),
        (-1, 10**308 + 1, -1),
    ],
)
def test_exact_powers(base: Fraction, power: Fraction, value: Fraction) -> None:
    assert exact.power(base, power) == value


@pytest.mark.parametrize(
    ("base", "power"),
    [
        (2, Fraction(1, 2)),  # irrational
        (-4, Fraction(1, 2)),  # not real
        (0, -1),  # 1/0
        (Fraction(1, 2), 100_000),  # 100,000 bits: past the cap, not computed
        (2, -(10**308)),  # past the cap by far: answered at once from the sizes
        (3, Fraction(1, 10**6)),  # a root of a huge degree
    ],
)
def test_powers_that_stay_powers(base: Fraction, power: Fraction) -> None:
    assert exact.power(base, power) is None


def test_results_past_the_cap_raise() -> None:
    assert exact.checked(Fraction(1, 2**4095)) == Fraction(1, 2**4095)  # 4,096 bits: at the cap
    with pytest.raises(exact.TooLargeError):
        exact.checked(Fraction(1, 2**4096))


# ---- printing: exact where a short decimal says it, rounded past that ------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (2, "2"),
        (Fraction(1, 5), "0.2"),
        (Fraction(-5, 2), "-2.5"),
        (Fraction(1, 10**5), "1e-05"),  # as Python writes floats
        (10**310, "1e+310"),  # past the float range: still exact
        (Fraction(15, 10**401), "1.5e-400"),
        (10**20 + 1, "1.00000000000000000001e+20"),
        (Fraction(20000000000000001, 10**17), "0.20000000000000001"),
        (Fraction(1, 3), "0.3333333333333333"),  # not a finite decimal: rounded as its float prints
        (Fraction(1, 2**1030), repr(2.0**-1030)),  # 8.691694759794e-311: the float is exact, 311 digits are not
    ],
)
def test_text(value: Fraction, text: str) -> None:
    assert exact.text(value) == text


def test_text_past_the_float_range_is_rounded_to_17_digits() -> None:
    found = exact.text(Fraction(1, 3 * 2**1100))  # below the smallest float
    assert mpmath.mpf(found) == pytest.approx(mpmath.mpf(1) / (3 * mpmath.mpf(2) ** 1100), rel=1e-16)
    assert len(found.split("e")[0].replace(".", "")) == 17


def test_printed_constants_parse_back_to_the_same_node() -> None:
    for value in (Fraction(1, 5), 10**310 // 10**300, Fraction(20000000000000001, 10**17), Fraction(123, 1000)):
        node = const(value)
        assert parse(exact.text(value)).outputs[0] is node
    assert make("const", payload=0.25) is const(Fraction(1, 4))
