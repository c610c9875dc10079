"""The simplifier: the forms people expect, values never changed, exact coefficients, and every call ends.

References: hand-written canonical forms, the unsimplified graph itself evaluated on the tape (the
property: simplification never changes a value where the input is defined), closed forms and mpmath
at 50 digits for derivatives with decimal coefficients, and reverse-mode AD (of the input, and of the
rule table's unsimplified derivative graphs for orders 2 and 3).
"""

from __future__ import annotations

import math
import re
import subprocess
import sys
from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from strategies import decimal_expressions, decimal_texts, decimals, expressions, points

from adcli import api
from adcli.commands.diff import diff
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, const, make, topo_order, var, variables
from adcli.core.printing import to_text
from adcli.core.tape import evaluate, linearise, local_partials
from adcli.language.parser import parse
from adcli.modes import reverse
from adcli.modes.symbolic.derivative import derivative_table, evaluate_graphs, tangent_sweep
from adcli.modes.symbolic.simplify import Simplifier

mpmath.mp.dps = 50


def simplified(text: str) -> str:
    outputs = parse(text).outputs
    return to_text(Simplifier(topo_order(outputs)).simplify(outputs)[0])


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("x^2 - 1 - x^2", "-1"),
        ("x/x", "1"),
        ("x - x", "0"),
        ("2*x*3*x", "6*x^2"),
        ("x*x^(x-1) + x^x*log(x)", "x^x*(log(x) + 1)"),
        ("(x^2 - 1)/(x + 1)", "x - 1"),
        ("sin(x)^2 + cos(x)^2", "1"),
        ("3*sin(y)^2*z + 3*z*cos(y)^2", "3*z"),
        ("cosh(x)^2 - sinh(x)^2", "1"),
        ("exp(log(x))", "x"),
        ("log(exp(x))", "x"),
        ("-(-x)", "x"),
        ("-1 + x", "x - 1"),
        ("-x + 1", "1 - x"),
        ("2*(x + 1) - 2*x", "2"),
        ("sqrt(x)*sqrt(x)", "x"),
        ("x^2*x^3/x", "x^4"),
        ("0.5*x", "x/2"),
        ("x/3 + x/3", "2*x/3"),
        ("-(sin(x)*cos(x))", "-sin(x)*cos(x)"),
        ("pi*2*x", "2*pi*x"),
        ("sin(0) + cos(pi) + exp(0)", "0"),
        ("x*y - y*x", "0"),
        ("a/(x + 1) + b/(x + 1)", "(a + b)/(x + 1)"),
        ("1/(x - y) - (x + y)/(x - y)^2", "-2*y/(x - y)^2"),
        ("(sin(x)^2 - 1)/(sin(x) + 1)", "sin(x) - 1"),
        ("(x^3 - x)/(x^2 + x)", "x - 1"),
        ("(2*w*x + 4*b)/2", "w*x + 2*b"),
        ("x^3/6 + 2/x/x", "x^3/6 + 2/x^2"),
        ("3*x^2 + 2*x + x^2", "4*x^2 + 2*x"),
        # the audit's polish items: a bare variable pulled out beside a non-polynomial term, the
        # signs of a subtracted sum, and factor order (variables, symbolic powers, calls, sums)
        ("y + y*cos(y*x)", "y*(cos(y*x) + 1)"),
        ("x^(-x)*(-log(x) - 1)", "-x^(-x)*(log(x) + 1)"),
        ("x^(y - 1)*y", "y*x^(y - 1)"),
        ("log(x)*x^y", "x^y*log(x)"),
        ("-2*(1 - x)", "2*(x - 1)"),
        ("(-x - 1)^2*sin(x)", "sin(x)*(x + 1)^2"),
        ("x/(-x - 1)", "-x/(x + 1)"),
        ("sin(x)*(1 - x)", "sin(x)*(1 - x)"),
        ("x^3 + x^2", "x^3 + x^2"),
        ("0^x*log(0)", "0"),
    ],
)
def test_simplified_forms(text: str, form: str) -> None:
    assert simplified(text) == form


def test_order_does_not_depend_on_what_was_built_before() -> None:
    make("cos", (var("x"),))  # cos(x) exists first in this process; sin(x) still leads: it is read first
    assert simplified("sin(x)*cos(x)") == "sin(x)*cos(x)"
    assert simplified("cos(x)*sin(x)") == "cos(x)*sin(x)"


def _values(node: Node, names: list[str], point: dict[str, float]) -> float:
    tape = linearise([node], names)
    return float(evaluate(tape, [np.float64(point[n]) for n in names])[tape.outputs[0]])


@given(expressions, points)
def test_simplification_never_changes_a_value(node: Node, point: dict[str, float]) -> None:
    names = variables([node]) or ["x"]
    try:
        before = _values(node, names, point)
    except AdcliError:
        assume(False)
    assume(math.isfinite(before) and abs(before) < 1e12)
    (after_node,) = Simplifier(topo_order([node])).simplify([node])
    after = _values(after_node, names, point)  # where the input is defined, so is the simplified form
    assert after == pytest.approx(before, rel=1e-12, abs=1e-12)


# ---- every call ends, and cheaply: adversarial inputs ----------------------------------------------


def _chain(op: str, leaf: Node, other: Node, n: int) -> Node:
    node = leaf
    for _ in range(n):
        node = make(op, (node, other))
    return node


def test_long_sum_of_like_terms() -> None:
    x = var("x")
    assert to_text(Simplifier().simplify([_chain("add", x, x, 5_000)])[0]) == "5001*x"


def test_deep_division_tower_and_power_tower() -> None:
    x = var("x")
    tower = x
    for _ in range(2_000):
        tower = make("div", (x, tower))  # x/(x/(x/…)) alternates x and 1
    assert to_text(Simplifier().simplify([tower])[0]) in ("1", "x")
    power = x
    for _ in range(500):
        power = make("pow", (make("pow", (power, const(2))), const(0.5)))  # (x^2)^0.5 is |x|: not merged
    (out,) = Simplifier().simplify([power])
    assert _values(out, ["x"], {"x": -1.5}) == pytest.approx(1.5)


def test_deep_inverse_pairs_cancel() -> None:
    node = var("x")
    for _ in range(1_000):
        node = make("exp", (make("log", (node,)),))
    assert to_text(Simplifier().simplify([node])[0]) == "x"


def test_big_polynomials_are_left_alone_quickly() -> None:
    big = simplified("((x + 1)^30 - 1)/x")
    assert "30" in big  # past the degree cap: not expanded, still correct
    assert simplified("(x + 1)^24/(x + 1)^23") == "x + 1"
    text = " + ".join(f"1/(x + {k})" for k in range(1, 201))
    node = parse(text).outputs[0]
    (out,) = Simplifier().simplify([node])
    assert _values(out, ["x"], {"x": 0.3}) == pytest.approx(_values(node, ["x"], {"x": 0.3}), rel=1e-12)


def test_nested_identities() -> None:
    assert simplified("sin(sin(x)^2 + cos(x)^2)") == "sin(1)"
    assert simplified("(sin(x)^2 + cos(x)^2)^x") == "1"


def test_long_product_stays_linear() -> None:
    text = "*".join(f"(x - {k})" for k in range(1, 301))
    node = parse(text).outputs[0]
    (out,) = Simplifier().simplify([node])
    ops = sum(1 for n in topo_order([out]) if n.op not in ("const", "var"))
    assert ops <= 2 * 300


# ---- exact coefficients: a decimal is the rational it spells (issue 10) --------------------------------
# The simplifier multiplied coefficients as floats and treated the rounded products as exact: factors
# that should cancel left a one-ulp residue (x/(2.5*x) printed -1/(1.8014398509481984e+16*x)), which
# tiny points and higher orders then blew up.


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("x/(2.5*x)", "0"),
        ("x/(49*x)", "0"),
        ("3.7/(3.7*x)", "-1/x^2"),
        ("x^(1/3)*x^(2/3)", "1"),
        ("x^1.1", "1.1*x^0.1"),
        ("(0.1 + 0.2)*x", "0.3"),
        ("x*0.1*0.1", "0.01"),
        ("x*1.00000000000000000001", "1.00000000000000000001"),  # 21 digits: more than a float holds
        ("x^pi", "pi*x^(pi - 1)"),  # pi, e and log(10) stay names
        ("log10(x)", "1/(x*log(10))"),
    ],
)
def test_decimal_coefficients_are_exact(text: str, printed: str) -> None:
    assert diff(text).derivatives == [[printed]]


def test_a_cancelled_decimal_factor_leaves_nothing_at_tiny_points() -> None:
    """grad x/(2.5*x) at 1e-15 gave -0.0555 in symbolic mode (reverse mode: 0); x/(49*x) at 1e-16 gave 0.0347."""
    for mode in ("symbolic", "reverse"):
        assert api.jacobian("x/(2.5*x)", {"x": 1e-15}, mode=mode).jacobian == [[0.0]]
    found = diff("x/(49*x)", at={"x": 1e-16})
    assert (found.derivatives, found.values) == ([["0"]], [[0.0]])


def test_a_removable_decimal_factor_at_order_three() -> None:
    """(1.5x + 0.05)(x - 0.2)/(x - 0.2)·sqrt(x) at x = 0.200001 gave 3.4694; closed form of
    d³/dx³ (1.5x^1.5 + 0.05x^0.5) = -0.5625x^-1.5 + 0.01875x^-2.5."""
    text = "(1.5*x + 0.05)*(x - 0.2)/(x - 0.2)*sqrt(x)"
    found = diff(text, order=3, at={"x": 0.200001})
    x = mpmath.mpf(0.200001)
    closed = -mpmath.mpf("0.5625") * x**-1.5 + mpmath.mpf("0.01875") * x**-2.5
    assert found.values[0][0] == pytest.approx(float(closed), rel=1e-12)  # -5.2408…
    assert found.derivatives == diff("(1.5*x + 0.05)*sqrt(x)", order=3).derivatives


def test_no_ulp_residue_at_order_three() -> None:
    """12.3*log(x)/(x + 2.5) at order 3 printed x^2*log(x)/140737488355328: a 2^-47 residue."""
    found = diff("12.3*log(x)/(x + 2.5)", order=3, at={"x": 1.7})
    text = found.derivatives[0][0]
    assert not re.search(r"\d{9}", text), text  # no long numbers: every coefficient a short decimal
    c, a = mpmath.mpf("12.3"), mpmath.mpf("2.5")
    reference = mpmath.diff(lambda t: c * mpmath.log(t) / (t + a), mpmath.mpf(1.7), 3)
    assert found.values[0][0] == pytest.approx(float(reference), rel=1e-12)


def test_a_representable_constant_is_not_an_overflow() -> None:
    """x*2^-1030 said `the derivative overflows everywhere: 2^1030`; it is 2^-1030, a subnormal float."""
    found = diff("x*2^-1030", at={"x": 1.0})
    assert found.values == [[2.0**-1030]]
    assert float(found.derivatives[0][0]) == 2.0**-1030  # 8.691694759794e-311, parsed back exactly
    assert api.jacobian("x*2^-1030", {"x": 1.0}, mode="symbolic").jacobian == [[2.0**-1030]]


def test_numbers_past_the_float_range_print_exactly() -> None:
    assert diff("x*1e-200*1e-200").derivatives == [["1e-400"]]  # exact, though its float is 0
    assert api.jacobian("x*1e-200*1e-200", {"x": 1.0}, mode="symbolic").jacobian == [[0.0]]  # as reverse mode
    with pytest.raises(AdcliError) as info:  # its float overflows: a value nowhere, as in the AD modes
        diff("x*1e300*1e10")
    assert info.value.kind == "nonfinite" and "1e+310" in info.value.message


def test_exact_arithmetic_is_capped() -> None:
    """Past 4,096 bits a power stays a power; any other number is refused, never a long computation."""
    assert diff("x*0.5^100000").derivatives == [["0.5^100000"]]
    with pytest.raises(AdcliError) as info:
        diff("x*1e-300*1e-300*1e-300*1e-300*1e-300")
    assert info.value.kind == "limit_exceeded"


@pytest.mark.parametrize("text", ["x + 2^(-1e308)", "x*0.5^100000", "x/(x^2 + 0.5^100000)", "atan2(x, 0.5^(1e6))"])
def test_huge_exact_powers_do_not_hang(text: str) -> None:
    """A power of a number past the cap is one opaque atom, never expanded (60 s: a generous hang limit)."""
    code = f"from adcli.commands.diff import diff; print(diff({text!r}).derivatives)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr


@given(decimal_texts)
def test_c_x_over_c_x_is_one_for_every_decimal(c: str) -> None:
    assert simplified(f"{c}*x/({c}*x)") == "1"
    assert diff(f"x/({c}*x)").derivatives == [["0"]]


@given(decimals, decimals, expressions)
def test_scaled_copies_cancel_to_the_ratio_of_the_scales(c: Node, d: Node, u: Node) -> None:
    """(c*u)/(d*u) is the number c/d, exactly, for any expression u that is not 0."""
    session = Simplifier(topo_order([u]))
    assume(session.normal([u])[0].exact != 0)
    node = make("div", (make("mul", (c, u)), make("mul", (d, u))))
    assert session.normal([node])[0].exact == Fraction(c.exact, d.exact)  # type: ignore[arg-type]


def _rule_derivative(node: Node, wrt: str, order: int) -> Node:
    """The rule table's derivative graph, unsimplified (graph.build's folding only)."""
    for _ in range(order):
        node = tangent_sweep([node], wrt).get(node, const(0))
    return node


def _reverse(node: Node, names: list[str], point: dict[str, float], wrt: str) -> tuple[float, float]:
    """(∂node/∂wrt by reverse-mode AD, the same sweep over |partials|): the second is the size of the terms
    the chain rule adds, so |AD error| <~ eps times it; far above the derivative means cancellation."""
    tape = linearise([node], names)
    with np.errstate(all="raise"):
        vals = evaluate(tape, [np.float64(point[n]) for n in names], tape.active([wrt]), [])
        partials = local_partials(tape, vals, tape.active([wrt]))
        sizes = [None if p is None else tuple(None if q is None else abs(q) for q in p) for p in partials]
        k = names.index(wrt)
        return float(reverse.jacobian(tape, vals, partials, len(names))[0][k]), float(
            reverse.jacobian(tape, vals, sizes, len(names))[0][k]
        )


def _against_reverse(node: Node, reference: Node, point: dict[str, float], order: int) -> None:
    """The simplified derivative of node of this order at point, against reverse mode on the rule table's
    derivative of reference of order - 1 (reference: node, or an equal expression without cancellation)."""
    names = variables([node, reference])
    assume(names)
    # not where squares underflow (subnormal and zero results round differently in different formulas), nor
    # where a partial underflows to 0 while the chain multiplies it by a huge one: atan2(y, (1/y)^3) at
    # y = 6.8e-49 has ∂/∂x = -y/(x² + y²) = -7e-338 → 0, and reverse mode (as any float64 AD) gives y³, not 4y³
    assume(all(point[n] == 0 or abs(point[n]) > 1e-20 for n in names))
    wrt = names[0]
    table = derivative_table([node], [wrt], order, Simplifier(topo_order([node])))  # first, as `adcli diff` does
    rule = _rule_derivative(reference, wrt, order - 1)
    nudged = {n: v * (1 + 2.0**-50) for n, v in point.items()}  # 4 ulps: how much rounding the inputs moves AD
    try:
        (ad, size), (moved, _) = _reverse(rule, names, point, wrt), _reverse(rule, names, nudged, wrt)
    except (AdcliError, FloatingPointError):
        assume(False)
    assume(math.isfinite(size) and size < 1e12 and size <= 1e3 * abs(ad))  # away from cancellation
    (found,) = evaluate_graphs(table.rows[0], names, [np.float64(point[n]) for n in names])
    # the error of either side: ulps of the terms the chain rule adds, and of ill-conditioned arguments
    # (cos((x/0.01)^2) at x = 1.06: the argument 11229 to an ulp moves the derivative by 1e-12)
    assert float(found) == pytest.approx(ad, rel=1e-12, abs=1e-12 * size + 10 * abs(moved - ad))


@given(decimal_expressions, points, st.integers(1, 3))
def test_decimal_coefficients_against_reverse_mode(node: Node, point: dict[str, float], order: int) -> None:
    _against_reverse(node, node, point, order)


@given(decimal_expressions, st.tuples(decimals, decimals, decimals), points, st.integers(1, 3), st.floats(1e-9, 1e-3))
def test_a_removable_factor_near_its_root(g: Node, abc: tuple[Node, ...], point: dict, order: int, gap: float) -> None:
    """(a*x + b)*(x - c)/(x - c)*g at a point within `gap` of the decimal c is f = (a*x + b)*g: checked against
    reverse mode on f, which has no cancellation there (the float residues grew like 1/gap^order)."""
    a, b, c = abc
    x = var(variables([g])[0] if variables([g]) else "x")
    line, factor = make("add", (make("mul", (a, x)), b)), make("sub", (x, c))
    f = make("mul", (line, g))
    removable = make("mul", (make("div", (make("mul", (line, factor)), factor)), g))  # as the text reads it
    near = {**point, x.payload: float(c.payload) + gap}  # type: ignore[arg-type]
    _against_reverse(removable, f, near, order)
