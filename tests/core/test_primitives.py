"""Every primitive of the table: value, partial derivatives, domain, kinks.

ROWS mirrors `primitives.TABLE` (as JAX's LAX_GRAD_OPS mirrors lax): each row gives the primitive's
text form, its closed form with `math`, the same function in mpmath, and points inside its domain,
some of them in the tails where a careless rule loses digits. Values are checked against `math`;
each partial, in both AD modes, against mpmath's derivative at 50 digits. A primitive added to the
table without a row here fails `test_every_primitive_has_a_row`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath as mp
import numpy as np
import pytest
from strategies import DOMAINS

from adcli.api import gradient, value
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, make, var
from adcli.core.primitives import ELEMENTWISE as TABLE
from adcli.core.primitives import FUNCTIONS
from adcli.core.tape import evaluate, linearise

mp.mp.dps = 50


def _sign(x: float) -> float:
    return float((x > 0) - (x < 0))


def _mp_cbrt(x):  # noqa: ANN001, ANN202 - the real cube root (mpmath's is the principal complex one)
    return mp.sign(x) * mp.cbrt(abs(x))


@dataclass(frozen=True)
class Row:
    text: str  # in x (and y)
    value: Callable[..., float]  # closed form with math
    mp: Callable[..., object]  # the same function in mpmath, for derivatives
    points: tuple[tuple[float, ...], ...]


def row(text: str, value: Callable[..., float], mpf: Callable[..., object], *points: float | tuple[float, ...]) -> Row:
    return Row(text, value, mpf, tuple(p if isinstance(p, tuple) else (p,) for p in points))


ROWS: dict[str, Row] = {
    # operators
    "add": row("x + y", lambda a, b: a + b, lambda a, b: a + b, (0.7, 1.3), (-2.5, 3.0), (1e3, -1e-3)),
    "sub": row("x - y", lambda a, b: a - b, lambda a, b: a - b, (0.7, 1.3), (-2.5, 3.0), (1e3, -1e-3)),
    "mul": row("x*y", lambda a, b: a * b, lambda a, b: a * b, (0.7, 1.3), (-2.5, 3.0), (1e3, -1e-3)),
    "div": row("x/y", lambda a, b: a / b, lambda a, b: a / b, (0.7, 1.3), (-2.5, 3.0), (1e3, -1e-3)),
    "neg": row("-x", lambda a: -a, lambda a: -a, 0.7, -2.5),
    "pow": row("x^y", math.pow, mp.power, (1.5, 2.5), (0.3, -1.7), (2.0, 0.5), (7.0, 0.1)),
    # trigonometric
    "sin": row("sin(x)", math.sin, mp.sin, 0.7, -2.5, 10.0, 1e-3),
    "cos": row("cos(x)", math.cos, mp.cos, 0.7, -2.5, 10.0, 1e-3),
    "tan": row("tan(x)", math.tan, mp.tan, 0.4, -1.2, 1.5),
    "sec": row("sec(x)", lambda a: 1 / math.cos(a), mp.sec, 0.4, -1.2, 1.5),
    "csc": row("csc(x)", lambda a: 1 / math.sin(a), mp.csc, 0.4, -1.2, 3.0),
    "cot": row("cot(x)", lambda a: 1 / math.tan(a), mp.cot, 0.4, -1.2, 3.0),
    "asin": row("asin(x)", math.asin, mp.asin, 0.3, -0.6, 0.999, -0.9999),
    "acos": row("acos(x)", math.acos, mp.acos, 0.3, -0.6, 0.999, -0.9999),
    "atan": row("atan(x)", math.atan, mp.atan, 0.5, -7.0, 1e3),
    "atan2": row("atan2(x, y)", math.atan2, mp.atan2, (0.5, -2.0), (-3.0, 0.25), (1.0, 1.0), (-1e-3, -1.0)),
    # hyperbolic
    "sinh": row("sinh(x)", math.sinh, mp.sinh, 0.8, -1.3, 20.0),
    "cosh": row("cosh(x)", math.cosh, mp.cosh, 0.8, -1.3, 20.0),
    "tanh": row("tanh(x)", math.tanh, mp.tanh, 0.5, -2.5, 10.0, -15.0, 20.0),
    "sech": row("sech(x)", lambda a: 1 / math.cosh(a), mp.sech, 0.5, -2.5, 20.0, -300.0),
    "asinh": row("asinh(x)", math.asinh, mp.asinh, 0.5, -10.0, 1e5),
    "acosh": row("acosh(x)", math.acosh, mp.acosh, 1.5, 10.0, 1.001),
    "atanh": row("atanh(x)", math.atanh, mp.atanh, 0.5, -0.9, 0.999),
    # exponential and logarithmic
    "exp": row("exp(x)", math.exp, mp.exp, 1.0, -3.0, 50.0),
    "log": row("log(x)", math.log, mp.log, 2.0, 0.1, 1e10),
    "log10": row("log10(x)", math.log10, mp.log10, 2.0, 0.1, 1e10),
    "log2": row("log2(x)", math.log2, lambda a: mp.log(a, 2), 3.0, 0.1, 1e10),
    # roots and powers
    "sqrt": row("sqrt(x)", math.sqrt, mp.sqrt, 4.0, 0.01, 1e6),
    "cbrt": row("cbrt(x)", math.cbrt, _mp_cbrt, -8.0, 2.0, 1e-6),
    "hypot": row("hypot(x, y)", math.hypot, mp.hypot, (3.0, 4.0), (-0.7, 0.35), (1e-3, -2.0)),
    # piecewise (away from their kinks; the kinks have their own tests)
    "abs": row("abs(x)", abs, abs, 2.0, -0.5),
    "sign": row("sign(x)", _sign, mp.sign, 2.0, -0.5),
    "min": row("min(x, y)", min, min, (1.0, 2.0), (2.0, -1.0)),
    "max": row("max(x, y)", max, max, (1.0, 2.0), (2.0, -1.0)),
    # activations
    "sigmoid": row(
        "sigmoid(x)", lambda a: 1 / (1 + math.exp(-a)), lambda a: 1 / (1 + mp.exp(-a)), 0.5, -6, 20, -30, 30
    ),
    "relu": row("relu(x)", lambda a: max(a, 0.0), lambda a: max(a, 0), 1.5, -0.5),
    "softplus": row("softplus(x)", lambda a: math.log1p(math.exp(a)), lambda a: mp.log(1 + mp.exp(a)), 0.5, -30, 30),
}

CASES = [(name, p) for name, r in ROWS.items() for p in r.points]
IDS = [f"{name}{p}" for name, p in CASES]
NAMES = ("x", "y")


def test_every_primitive_has_a_row() -> None:
    """A new primitive needs its row (domain points, closed form) here before the suite passes."""
    assert set(ROWS) == set(TABLE)
    for name, r in ROWS.items():
        assert all(len(p) == TABLE[name].arity for p in r.points), name
        assert len(r.points) >= 2, name


def test_every_restricted_domain_has_a_generator_adapter() -> None:
    """The random expressions of the property tests respect each row's domain (tests/strategies.py)."""
    measure_zero = {"atan2"}  # only (0, 0) is excluded: random draws do not land there
    restricted = {name for name, prim in TABLE.items() if prim.domain is not None}
    assert restricted - measure_zero == set(DOMAINS) & restricted
    assert set(DOMAINS) <= set(TABLE)


def test_every_function_name_is_callable_by_its_text() -> None:
    for name, prim in FUNCTIONS.items():
        if prim.rules is not None:  # structural (arrays): tests/core/test_arrays.py
            continue
        r = ROWS[prim.name]
        args = ", ".join(NAMES[: prim.arity])
        got = value(f"{name}({args})", **_point(r.points[0])).value[0]  # each name, aliases too
        assert math.isclose(got, r.value(*r.points[0]), rel_tol=5e-16), name


def _point(p: tuple[float, ...]) -> dict[str, float]:
    return dict(zip(NAMES, p, strict=False))


@pytest.mark.parametrize(("name", "p"), CASES, ids=IDS)
def test_value_against_math(name: str, p: tuple[float, ...]) -> None:
    r = ROWS[name]
    got = value(r.text, **_point(p)).value[0]
    assert math.isclose(got, r.value(*p), rel_tol=5e-16, abs_tol=0.0), (got, r.value(*p))  # 2 ulp


def _mp_partials(r: Row, p: tuple[float, ...]) -> list[float]:
    args = [mp.mpf(v) for v in p]
    if len(args) == 1:
        return [float(mp.diff(r.mp, args[0]))]
    orders = [tuple(int(i == k) for i in range(len(args))) for k in range(len(args))]
    return [float(mp.diff(r.mp, tuple(args), order)) for order in orders]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(("name", "p"), CASES, ids=IDS)
def test_partials_against_mpmath(name: str, p: tuple[float, ...], mode: str) -> None:
    r = ROWS[name]
    got = gradient(r.text, mode=mode, **_point(p)).gradient
    want = _mp_partials(r, p)
    for g, w in zip(got, want, strict=True):
        assert math.isclose(g, w, rel_tol=1e-12, abs_tol=1e-300), (g, w)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_rules_give_expressions_that_agree_with_their_numbers(name: str) -> None:
    """One rule, two uses: handed nodes it builds the derivative graph, which evaluates to the same number."""
    prim, p = TABLE[name], ROWS[name].points[0]
    args = [var(n) for n in NAMES[: prim.arity]]
    out = make(name, args)
    numbers = [np.float64(v) for v in p]
    with np.errstate(all="raise", under="ignore"):
        numeric = [rule(*numbers, prim.fn(*numbers)) for rule in prim.partials]
    for rule, number in zip(prim.partials, numeric, strict=True):
        symbolic = rule(*args, out)
        if isinstance(symbolic, Node):
            tape = linearise([symbolic], [a.payload for a in args])
            symbolic = evaluate(tape, numbers)[tape.outputs[0]]
        assert math.isclose(float(symbolic), float(number), rel_tol=1e-14, abs_tol=1e-300), name


# ---- powers: the cases with a special rule ----------------------------------------------------------


def test_integer_power_of_a_negative_base() -> None:
    result = gradient("x^3", x=-2.0)
    assert result.value == [-8.0] and result.gradient == [12.0]
    assert value("(-2)^3").value == [-8.0]
    assert gradient("x^(-1)", x=-0.5).gradient == [-4.0]


def test_power_with_zero_base_has_zero_exponent_partial() -> None:
    """Regression: x^y at x=0, y=2 raised nonfinite (0·log 0); 0^y is 0 for all y > 0, so ∂/∂y = 0."""
    result = gradient("x^y", x=0.0, y=2.0)
    assert result.value == [0.0]
    assert result.gradient == [0.0, 0.0]
    assert gradient("x^y", x=0.0, y=2.0, mode="forward").gradient == [0.0, 0.0]
    assert gradient("2^x", x=1.5).gradient[0] == pytest.approx(2**1.5 * math.log(2), rel=1e-15)


def test_exponent_partial_of_a_negative_base_is_not_real() -> None:
    """(-2)^y is only defined at integer y, so ∂/∂y at y = 2 does not exist in the reals."""
    with pytest.raises(AdcliError) as caught:
        gradient("x^y", x=-2.0, y=2.0)
    assert caught.value.kind == "domain_error"
    assert gradient("x^y", wrt=["x"], x=-2.0, y=2.0).gradient == [-4.0]  # ∂/∂x alone is fine


@pytest.mark.parametrize(
    ("text", "x", "want"), [("tanh(x)", 20.0, 4 * math.exp(-40)), ("sigmoid(x)", 40.0, math.exp(-40))]
)
def test_derivatives_keep_their_digits_in_the_tails(text: str, x: float, want: float) -> None:
    """Regression: tanh' = 1 - tanh² gave 0 at x = 20, sigmoid' = o(1 - o) lost half its digits at x = 20."""
    got = gradient(text, x=x).gradient[0]
    assert math.isclose(got, want, rel_tol=1e-12)  # leading terms; the next ones are e^-40 smaller


EDGES = [  # (text, its mpmath function, points near the edge where 1 - x**2 lost up to 2e-9 relative)
    ("asin(x)", mp.asin, [0.9999999925910757, 1 - 1e-9, -(1 - 3e-8), 0.999999]),
    ("acos(x)", mp.acos, [0.9999999925910757, -(1 - 1e-9)]),
    ("atanh(x)", mp.atanh, [0.9999999925910757, -(1 - 1e-9), 1 - 3e-8]),
    ("acosh(x)", mp.acosh, [1.0000000074089243, 1 + 1e-9, 1 + 3e-8]),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(("text", "fn", "points"), EDGES, ids=[e[0] for e in EDGES])
def test_inverse_functions_keep_their_digits_near_the_domain_edge(
    text: str, fn: Callable, points: list[float], mode: str
) -> None:
    """Regression: the partials used 1 - x**2 (x**2 - 1), which rounds x² first: 1.9e-9 relative at
    x = 1 - 7.4e-9 for asin. (1 - x)(1 + x) keeps them to a few ulps (mpmath at 40 digits)."""
    mp.mp.dps = 40
    for x in points:
        got = gradient(text, mode=mode, x=x).gradient[0]
        want = float(mp.diff(fn, mp.mpf(x)))
        assert math.isclose(got, want, rel_tol=2e-15), (x, got, want)


def test_inverse_function_rules_still_print_the_textbook_form() -> None:
    """Handed nodes, the rules keep 1 - x^2, so `diff` prints it and `check` proves the textbook answer."""
    from adcli.core.printing import to_text

    x = var("x")
    texts = {name: to_text(TABLE[name].partials[0](x, make(name, [x]))) for name in ("asin", "acosh", "atanh")}
    assert texts == {"asin": "1/sqrt(1 - x^2)", "acosh": "1/sqrt(x^2 - 1)", "atanh": "1/(1 - x^2)"}


# ---- domain errors ------------------------------------------------------------------------------------

DOMAIN_ERRORS = [
    # (text, point, kind, words in the message)
    ("log(-1)", {}, "domain_error", "domain of log"),
    ("log(x)", {"x": 0.0}, "domain_error", "domain of log"),
    ("sqrt(-1)", {}, "domain_error", "domain of sqrt"),
    ("acosh(0.5)", {}, "domain_error", "domain of acosh"),
    ("(-2)^0.5", {}, "domain_error", "domain of pow"),
    ("x^y", {"x": -2.0, "y": 0.5}, "domain_error", "domain of pow"),
    ("asin(2)", {}, "domain_error", "domain of asin"),
    ("acos(x)", {"x": -1.5}, "domain_error", "domain of acos"),
    ("atanh(1)", {}, "domain_error", "domain of atanh"),
    ("log10(x) + log2(x)", {"x": -3.0}, "domain_error", "domain of log10"),
    ("atan2(x, y)", {"x": 0.0, "y": 0.0}, "domain_error", "domain of atan2"),
    ("exp(1000)", {}, "nonfinite", "overflowed"),
    ("1/x", {"x": 0.0}, "nonfinite", "divided by zero"),
    ("cot(x)", {"x": 0.0}, "nonfinite", "cot(x)"),
    ("csc(x)", {"x": 0.0}, "nonfinite", "csc(x)"),
    ("x^(-1)", {"x": 0.0}, "nonfinite", "x^(-1)"),
    ("cosh(x)", {"x": 800.0}, "nonfinite", "overflowed"),
]


@pytest.mark.parametrize(("text", "point", "kind", "words"), DOMAIN_ERRORS, ids=[e[0] for e in DOMAIN_ERRORS])
@pytest.mark.parametrize("compute", [value, gradient], ids=["value", "gradient"])
def test_domain_errors(text: str, point: dict, kind: str, words: str, compute: Callable) -> None:
    with pytest.raises(AdcliError) as caught:
        compute(text, **point)
    err = caught.value
    assert err.kind == kind
    assert err.exit_code == 1
    assert words in err.message, err.message
    assert err.line == 1 and err.column is not None and err.caret() is not None


def test_domain_error_of_a_literal_says_its_value_once() -> None:
    """Regression: the message said `at -1 = -1` for log(-1)."""
    with pytest.raises(AdcliError) as caught:
        value("log(-1)")
    assert caught.value.message == "log(-1) is outside the domain of log (the argument > 0): -1"


def test_domain_error_names_the_value() -> None:
    with pytest.raises(AdcliError) as caught:
        value("1 + log(x)", x=-0.25)
    assert "log(x)" in caught.value.message and "x = -0.25" in caught.value.message
    assert (caught.value.line, caught.value.column) == (1, 5)


# ---- kinks ----------------------------------------------------------------------------------------------

KINKS = [
    # (text, point, gradient used, node, at, left, right, words of the convention)
    ("abs(x)", {"x": 0.0}, [0.0], "abs(x)", "x = 0", "-1", "+1", "JAX uses 1, PyTorch 0"),
    ("sign(x)", {"x": 0.0}, [0.0], "sign(x)", "x = 0", "0", "0", "no derivative"),
    ("relu(x)", {"x": 0.0}, [0.5], "relu(x)", "x = 0", "0", "1", "1/2"),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, [0.5, 0.5], "max(x, y)", "x = 1, y = 1", "0", "1", "1/2 for each argument"),
    ("min(x, y)", {"x": -2.0, "y": -2.0}, [0.5, 0.5], "min(x, y)", "x = -2, y = -2", "0", "1", "1/2 for each"),
]


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize(
    ("text", "point", "used", "node", "at", "left", "right", "words"), KINKS, ids=[k[0] for k in KINKS]
)
def test_kinks_warn_and_say_which_convention(  # noqa: PLR0913
    text: str, point: dict, used: list, node: str, at: str, left: str, right: str, words: str, mode: str
) -> None:
    result = gradient(text, mode=mode, **point)
    assert result.gradient == used
    (warning,) = result.warnings
    assert warning.kind == "nondifferentiable"
    assert warning.details["node"] == node
    assert warning.details["at"] == at
    assert (warning.details["left"], warning.details["right"]) == (left, right)
    assert words in warning.details["convention"]
    assert node in warning.message and "not differentiable" in warning.message


def test_sqrt_at_zero_is_an_infinite_slope_with_the_warning_attached() -> None:
    with pytest.raises(AdcliError) as caught:
        gradient("sqrt(x)", x=0.0)
    err = caught.value
    assert err.kind == "nonfinite" and err.exit_code == 1
    (warning,) = err.warnings
    assert warning.kind == "nondifferentiable"
    assert (warning.details["node"], warning.details["at"], warning.details["right"]) == ("sqrt(x)", "x = 0", "+inf")
    assert "infinite" in warning.details["convention"]
    assert value("sqrt(x)", x=0.0).value == [0.0]  # the value alone is fine


def test_a_kink_off_the_differentiated_path_is_not_reported() -> None:
    result = gradient("x + abs(y)", wrt=["x"], x=1.0, y=0.0)
    assert result.gradient == [1.0]
    assert result.warnings == []


def test_near_a_kink_there_is_no_warning() -> None:
    result = gradient("abs(x)", x=1e-300)
    assert result.gradient == [1.0] and result.warnings == []


# ---- regressions from the review -------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_x_to_the_zero_has_derivative_zero_at_zero(mode: str) -> None:
    """x^0 is the constant 1: its slope at 0 is 0, not 0·0^-1 (which is 0·inf)."""
    assert gradient("x^0", x=0.0, mode=mode).gradient == [0.0]


@pytest.mark.parametrize("x", [10.0, 40.0, 700.0, -720.0])
def test_tanh_slope_is_sech_squared_without_overflow(x: float) -> None:
    want = mp.sech(mp.mpf(x)) ** 2
    got = gradient("tanh(x)", x=x).gradient[0]
    if want < mp.mpf(2) ** -1074:
        assert got == 0.0
    else:
        assert abs(got - float(want)) <= 1e-14 * float(want)


def test_tanh_slope_on_an_array_keeps_its_digits_in_the_band_and_the_tails() -> None:
    """An array's tanh' is sech² from one exp (core/tanh.py; 1 - tanh² lost every digit in the tails):
    every entry within 1e-14 of mpmath's sech², from 0 through the old band's edge (|x| = 2.06) to x = 720."""
    x = np.concatenate([np.linspace(-4.0, 4.0, 801), [2.06, -2.07, 10.0, 20.0, -40.0, 300.0, 700.0, -720.0]])
    got = gradient("sum(tanh(x))", x=x).gradient[0]
    for xi, gi in zip(x, got, strict=True):
        want = mp.sech(mp.mpf(float(xi))) ** 2
        if want < mp.mpf(2) ** -1022:  # below the normal range: 0 or a subnormal
            assert gi < 2.0**-1021
        else:
            assert abs(gi - float(want)) <= 1e-14 * float(want), xi


def test_asin_end_points_name_each_side() -> None:
    with pytest.raises(AdcliError) as caught:
        gradient("asin(x)", x=1.0)
    (warning,) = caught.value.warnings
    assert warning.details["left"] == "+inf" and "outside the domain" in str(warning.details["right"])


# ---- issue 10: the edges of a^b, atan2's cut, hypot's cone: one verdict in every mode ---------------

MODES = ["forward", "reverse", "numeric", "symbolic"]
REFUSED = [
    # (text, point, kind, words of the message) — the reproductions and their relatives
    ("x^x", {"x": 0.0}, "domain_error", "0^0 = 1 holds only along b = 0"),
    ("x^y", {"x": 0.0, "y": 0.0}, "domain_error", "no derivative in its exponent"),
    ("0^x", {"x": 0.0}, "domain_error", "-inf (0^b drops from 0^0 = 1 to 0 for b > 0)"),
    ("x^x", {"x": -1.0}, "domain_error", "real number only at integer b"),
    ("x^0.5", {"x": 0.0}, "nonfinite", "infinite"),
    ("hypot(x, y)", {"x": 0.0, "y": 0.0}, "nonfinite", "(0/0)"),
    ("sqrt(x^2 + y^2)", {"x": 0.0, "y": 0.0}, "nonfinite", "at x^2 + y^2 = 0"),
]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("text", "point", "kind", "words"), REFUSED, ids=[f"{r[0]} {r[1]}" for r in REFUSED])
def test_a_point_with_no_derivative_is_refused_alike_in_every_mode(
    text: str, point: dict, kind: str, words: str, mode: str
) -> None:
    """x^x at 0 gave 1 and d/dx 0 with exit 0 in forward and reverse mode; symbolic said domain_error."""
    with pytest.raises(AdcliError) as caught:
        gradient(text, mode=mode, **point)
    with pytest.raises(AdcliError) as reverse:
        gradient(text, mode="reverse", **point)
    assert caught.value.kind == kind and words in caught.value.message
    assert caught.value.message == reverse.value.message and caught.value.column == reverse.value.column
    assert text.replace(" ", "") in caught.value.message.replace(" ", "")  # the node, in the input's syntax
    (warning,) = [w for w in caught.value.warnings if w.kind == "nondifferentiable"]
    assert "left derivative" in warning.message and "right derivative" in warning.message


def test_messages_name_input_syntax_and_each_argument_once() -> None:
    with pytest.raises(AdcliError) as caught:
        gradient("sqrt(x^2+y^2)", x=0.0, y=0.0)
    assert "add(" not in caught.value.message  # was: "at add(…) = 0"
    with pytest.raises(AdcliError) as caught:
        gradient("x^x", x=-1.0)
    assert "at x = -1:" in caught.value.message and "x = -1, x = -1" not in caught.value.message
    with pytest.raises(AdcliError) as caught:
        gradient("hypot(x, y)", x=0.0, y=0.0)
    assert "infinite" not in caught.value.message and "0/0" in caught.value.message


@pytest.mark.parametrize("mode", MODES)
def test_a_constant_exponent_has_no_edge_at_zero(mode: str) -> None:
    """x^0 is the constant 1 and x^y along x alone is x^0: the 0^0 edge is about the exponent only."""

    def kinks(result: object) -> list:
        return [w for w in result.warnings if w.kind == "nondifferentiable"]  # type: ignore[attr-defined]

    assert kinks(gradient("x^0", x=0.0, mode=mode)) == []
    if mode == "symbolic":  # its formula y*x^(y - 1) is 0*0^-1 there: the table's mask (b = 0) has no formula
        return
    result = gradient("x^y", wrt=["x"], x=0.0, y=0.0, mode=mode)
    assert result.gradient == [0.0] and kinks(result) == []


@pytest.mark.parametrize("mode", MODES)
def test_atan2_on_its_branch_cut_warns_in_every_mode(mode: str) -> None:
    """atan2(y, x) jumps by 2π across y = 0, x < 0: d/dy = -1 was printed without a word."""
    result = gradient("atan2(y,x)", mode=mode, x=-1.0, y=0.0)
    (warning,) = [w for w in result.warnings if w.kind == "nondifferentiable"]
    assert warning.details["node"] == "atan2(y, x)" and warning.details["along"] == "y"
    assert "branch cut" in warning.message or "jumps here by 6.28319" in warning.message
    assert result.gradient[1] == pytest.approx(-1.0, rel=1e-9)  # 1/x, the slope of both pieces
    assert result.gradient[0] == pytest.approx(0.0, abs=1e-9)  # atan2(0, x) = π for every x < 0


def test_atan2_off_its_cut_and_along_x_alone_does_not_warn() -> None:
    assert gradient("atan2(y,x)", x=1.0, y=0.0).warnings == []  # y = 0, x > 0: smooth
    assert gradient("atan2(y,x)", wrt=["x"], x=-1.0, y=0.0).warnings == []  # the cut is about y


@pytest.mark.parametrize("mode", MODES)
def test_a_power_at_the_edge_of_its_domain_says_it_is_one_sided(mode: str) -> None:
    """x^2.5 is defined for x >= 0 only: right-hand derivative 0, and a warning that says so."""
    result = gradient("x^2.5", x=0.0, mode=mode)
    (warning,) = [w for w in result.warnings if w.kind == "nondifferentiable"]
    assert "outside the domain" in warning.details["left"] and warning.details["right"] == "0"
    bound = result.error_estimate[0][0] if result.error_estimate else 0.0
    assert abs(result.gradient[0]) <= bound


@pytest.mark.parametrize("mode", ["forward", "reverse"])
@pytest.mark.parametrize(
    ("text", "mpf"),
    [
        ("atan(x)", lambda x: 1 / (1 + x**2)),
        ("asinh(x)", lambda x: 1 / mp.sqrt(x**2 + 1)),
        ("acosh(x)", lambda x: 1 / mp.sqrt(x**2 - 1)),
    ],
)
@pytest.mark.parametrize("x", [1e200, 3e150, 2e154, 1.5, 1.0000001])
def test_partials_with_x_squared_hold_where_x_squared_overflows(text: str, mpf, x: float, mode: str) -> None:  # noqa: ANN001
    # x² overflowed past 1.3e154: "the derivative … overflowed" for derivatives of 1e-200 (atan's 1e-400 is 0)
    with mp.workdps(40):
        truth = float(mpf(mp.mpf(x)))
    assert gradient(text, x=x, mode=mode).gradient[0] == pytest.approx(truth, rel=1e-14, abs=0)
