"""`adcli taylor`: every row of tests/data/taylor.jsonl through the installed command line, each primitive's
series rule against SymPy's, closed forms, kinks and domain edges, and the bad input of issue 14.

References: the rows' coefficients are SymPy derivatives at 50 digits divided by k!; the per-primitive
check differentiates with SymPy and evaluates at 30 digits; closed forms are written out here.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import json_cli as cli

from adcli import api
from adcli.commands.hessian import hessian
from adcli.commands.taylor import taylor
from adcli.core.primitives import ELEMENTWISE as TABLE  # structural (array) primitives have no series rule yet
from adcli.modes import taylor as mode

ROWS = [json.loads(line) for line in (Path(__file__).parents[1] / "data" / "taylor.jsonl").read_text().splitlines()]


def close(found: object, expected: object, rel: float, floor: float = 1e-15) -> None:
    """Each coefficient within rel of itself, or within floor of the largest one (cancellation to ~0)."""
    a, b = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    assert a.shape == b.shape
    scale = float(np.abs(b).max(initial=0.0))
    assert np.all(np.abs(a - b) <= rel * np.abs(b) + floor * scale), (a, b)


@pytest.mark.parametrize("row", ROWS, ids=[row["id"] for row in ROWS])
def test_every_row_through_the_command_line(row: dict) -> None:
    args = [
        "taylor",
        row["expr"],
        "--at",
        ",".join(f"{k}={v!r}" for k, v in row["at"].items()),
        "--order",
        str(row["order"]),
    ]
    if "dir" in row:
        args += ["--dir", ",".join(f"{k}={v!r}" for k, v in row["dir"].items())]
    code, out = cli(*args)
    assert code == 0, out
    close(out["coefficients"], row["coefficients"], 1e-12)
    close(out["derivatives"], row["derivatives"], 1e-12)
    assert len(out["coefficients"]) == row["order"] + 1


def test_the_series_table_covers_every_primitive() -> None:
    assert set(mode.SERIES) == set(TABLE)


#: primitive -> (the call as text, a point inside its domain where its argument moves)
POINTS = {
    "add": ("x + 0.3", 0.7), "sub": ("0.3 - x", 0.7), "mul": ("x*x", 0.7), "div": ("1.5/x", 0.7), "neg": ("-x", 0.7),
    "pow": ("x^x", 0.7), "asin": ("asin(x)", 0.3), "acos": ("acos(x)", -0.4), "acosh": ("acosh(x)", 1.7),
    "atanh": ("atanh(x)", 0.4), "atan2": ("atan2(x, 1 - x)", 0.7), "hypot": ("hypot(x, 2*x - 1)", 0.2),
    "min": ("min(x, 1 - x)", 0.7), "max": ("max(x, 1 - x)", 0.7), "abs": ("abs(x - 1)", 0.7),
    "relu": ("relu(x - 0.2)", 0.7), "sign": ("sign(x - 1)*x", 0.7), "cbrt": ("cbrt(x - 1)", 0.7),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(TABLE))
def test_each_primitives_series_rule_against_sympy(name: str) -> None:
    sympy = pytest.importorskip("sympy")
    text, a = POINTS.get(name, (f"{name}(x)", 0.7))
    x = sympy.Symbol("x", real=True)
    names = {
        "cbrt": lambda u: sympy.sign(u) * sympy.Abs(u) ** sympy.Rational(1, 3),
        "sigmoid": lambda u: 1 / (1 + sympy.exp(-u)),
    }
    names |= {"relu": lambda u: sympy.Max(u, 0), "softplus": lambda u: sympy.log(1 + sympy.exp(u)), "log": sympy.log}
    names |= {"sech": sympy.sech, "hypot": lambda a, b: sympy.sqrt(a**2 + b**2), "min": sympy.Min, "max": sympy.Max}
    names |= {"log10": lambda u: sympy.log(u, 10), "log2": lambda u: sympy.log(u, 2), "abs": sympy.Abs}
    names |= {"atan2": sympy.atan2, "sign": sympy.sign}
    f = sympy.sympify(text.replace("^", "**"), locals={"x": x, **names})
    order = 6
    found = taylor(api.prepare(text, f"x={a!r}"), order).coefficients
    expected, g = [], f
    for k in range(order + 1):
        expected.append(float(sympy.N(g.subs(x, sympy.Rational(str(a))), 30)) / math.factorial(k))
        g = sympy.diff(g, x)
    close(found, expected, 1e-12, 1e-14)


@pytest.mark.parametrize(
    ("text", "at", "closed"),
    [
        ("exp(x)", "x=0", lambda k: 1 / math.factorial(k)),
        ("sin(x)", "x=0", lambda k: 0.0 if k % 2 == 0 else (-1) ** (k // 2) / math.factorial(k)),
        ("log(1 + x)", "x=0", lambda k: 0.0 if k == 0 else (-1) ** (k + 1) / k),
        ("1/(1 - x)", "x=0", lambda k: 1.0),
        ("sqrt(1 + x)", "x=0", lambda k: math.comb(2 * k, k) * (-1) ** (k + 1) / (4**k * (2 * k - 1))),
        ("atan(x)", "x=0", lambda k: 0.0 if k % 2 == 0 else (-1) ** (k // 2) / k),
        (
            "exp(2*x)*cos(x)",
            "x=0",
            lambda k: (
                sum(math.comb(k, j) * 2 ** (k - j) * math.cos(math.pi * j / 2) for j in range(k + 1))
                / math.factorial(k)
            ),
        ),
    ],
)
def test_closed_forms(text: str, at: str, closed: object) -> None:
    found = taylor(api.prepare(text, at), 15).coefficients
    close(found, [closed(k) for k in range(16)], 1e-13, 1e-16)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("text", "x"),
    [
        ("asin(x)", 0.9999999925910757),
        ("acos(x)", -(1 - 1e-9)),
        ("atanh(x)", 1 - 3e-8),
        ("acosh(x)", 1.0000000074089243),
        ("asin(x/2)^2", 1.99999999),
    ],
)
def test_inverse_functions_near_their_edge_keep_every_order(text: str, x: float) -> None:
    """Regression: the series rules took 1 − u₀² (u₀² − 1) for the constant term under the root, which rounds
    u₀² first: 6.7e-11 relative at order 6 for asin at 1 − 1e-9. Against mpmath's taylor at 50 digits."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 50
    fn = {"asin(x)": mpmath.asin, "acos(x)": mpmath.acos, "atanh(x)": mpmath.atanh, "acosh(x)": mpmath.acosh}
    f = fn.get(text, lambda u: mpmath.asin(u / 2) ** 2)
    expected = [float(c) for c in mpmath.taylor(f, mpmath.mpf(x), 8)]
    close(taylor(api.prepare(text, f"x={x!r}"), 8).coefficients, expected, 1e-14, 0)


def test_derivatives_are_k_factorial_times_the_coefficients_and_agree_with_nested_ad() -> None:
    text, at, d = "sin(x*y) + exp(x - y)*log(1 + y^2)", "x=1.3,y=0.7", {"x": 0.6, "y": -1.1}
    found = taylor(api.prepare(text, at), 4, d)
    assert found.derivatives == [c * math.factorial(k) for k, c in enumerate(found.coefficients)]
    h = hessian(api.prepare(text, at), "forward-over-reverse")
    v = np.array([d["x"], d["y"]])
    assert found.derivatives[1] == pytest.approx(float(np.dot(h.gradient, v)), rel=1e-13)
    assert found.derivatives[2] == pytest.approx(float(v @ np.array(h.hessian) @ v), rel=1e-13)


def test_the_polynomial_parses_back_and_gives_the_same_values() -> None:
    found = taylor(api.prepare("exp(sin(x))", "x=0.5"), 8)
    near = 0.55
    expected = sum(c * (near - 0.5) ** k for k, c in enumerate(found.coefficients))
    assert api.value(found.polynomial, x=near).value[0] == pytest.approx(expected, rel=1e-15)
    assert abs(expected - math.exp(math.sin(near))) < 1e-10


# ---- kinks, domain edges, bad input --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "order"),
    [
        ("abs(x)", "nondifferentiable", 1),
        ("relu(x)", "nondifferentiable", 1),
        ("relu(x^3)", "nondifferentiable", 3),
        ("max(x, -x)", "nondifferentiable", 1),
        ("sqrt(x)", "domain_error", 1),
        ("x^2.5", "domain_error", 3),
        ("cbrt(x)", "nonfinite", 1),
    ],
)
def test_at_a_kink_or_a_domain_edge_the_error_names_the_node_and_the_order(text: str, kind: str, order: int) -> None:
    code, out = cli("taylor", text, "--at", "x=0", "--order", "4")
    assert code == 1 and out["kind"] == kind and f"from order {order}" in out["message"]


@pytest.mark.parametrize(
    ("text", "expected"), [("abs(x^2)", [0, 0, 1, 0, 0]), ("relu(x^2) + abs(x - 1)", [1, -1, 1, 0, 0])]
)
def test_a_kink_the_series_does_not_cross_is_no_error(text: str, expected: list[float]) -> None:
    close(taylor(api.prepare(text, "x=0"), 4).coefficients, expected, 0, 1e-16)


@pytest.mark.parametrize(
    ("args", "kind", "words"),
    [
        (["x*y", "--at", "x=1,y=2", "--dir", "x=0,y=0"], "usage_error", "all zeros"),
        (["x*y", "--at", "x=1,y=2"], "usage_error", "--dir"),
        (["x*y", "--at", "x=1,y=2", "--dir", "z=1"], "usage_error", "names z"),
        (["x", "--at", "x=1", "--order", "101"], "limit_exceeded", "100"),
        (["x", "--at", "x=1", "--order", "-1"], "usage_error", "--order"),
        (["x, x^2", "--at", "x=1"], "usage_error", "one output"),
        (["log(x)", "--at", "x=-1"], "domain_error", "log"),
    ],
)
def test_bad_input(args: list[str], kind: str, words: str) -> None:
    code, out = cli("taylor", *args)
    assert code == (1 if kind == "domain_error" else 2) and out["kind"] == kind and words in out["message"]


def test_an_integer_power_whose_value_underflows_keeps_its_coefficients() -> None:
    # regression: the power recurrence started from x₀² = 0 (underflow) and gave 0 for every coefficient
    close(
        taylor(api.prepare("z^2", "z=2.7526629179469764e-174"), 3).coefficients,
        [0, 5.505325835893953e-174, 1, 0],
        1e-15,
        0,
    )
    # z^2.5 at 1e-200 underflows in a double (1e-500): long double's range holds it, and the coefficients
    # 2.5 z^1.5, 1.875 z^0.5, 0.3125 z^-0.5 are doubles; without long double the recurrence cannot start
    from adcli.commands.taylor import WIDE

    if WIDE is np.float64:
        with pytest.raises(api.AdcliError) as caught:
            taylor(api.prepare("z^2.5", "z=1e-200"), 3)
        assert caught.value.kind == "nonfinite"
    else:
        close(taylor(api.prepare("z^2.5", "z=1e-200"), 3).coefficients, [0, 2.5e-300, 1.875e-100, 3.125e99], 1e-15, 0)


def test_a_primitive_without_a_series_rule_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(mode.SERIES, "sin")
    with pytest.raises(api.AdcliError) as caught:
        taylor(api.prepare("sin(x)", "x=1"), 3)
    assert caught.value.kind == "usage_error" and "sin" in caught.value.message


# ---- rounding that eats the higher coefficients (hardening of issue 14) ----------------------------------


def test_a_quotient_whose_coefficients_are_lost_to_rounding_says_so() -> None:
    # sin(x)/x at 0.3: the quotient recurrence multiplies rounding by 1/0.3 per order; the true 20th
    # coefficient is 1.877e-20 (mpmath.taylor at 50 digits), float arithmetic gives ~5e-7
    found = taylor(api.prepare("sin(x)/x", "x=0.3"), 20)
    assert abs(found.coefficients[20] - 1.8774282023059554e-20) > 1e-10  # the numbers are noise ...
    (warning,) = [w for w in found.warnings if w.kind == "inaccurate"]  # ... and adcli says so
    assert 2 <= warning.details["order"] <= 12 and "not accurate" in warning.message
    # the low orders before the named one are right (reference: mpmath.taylor, 50 digits)
    assert found.coefficients[2] == pytest.approx(-0.16219071763342613, rel=1e-12)


@pytest.mark.parametrize(
    ("text", "at"), [("exp(sin(x))", "x=0.5"), ("1/(1 - x)", "x=0.5"), ("tan(x)", "x=0.5"), ("x*x - x^2", "x=0.3")]
)
def test_accurate_expansions_carry_no_warning(text: str, at: str) -> None:
    assert taylor(api.prepare(text, at), 40).warnings == []


def test_a_quotient_that_amplifies_rounding_keeps_more_digits_in_long_double() -> None:
    """sin(x)/x at 0.7: the quotient recurrence multiplies rounding by 1/0.7 an order. In doubles c₁₂ was
    1.7e-5 off (relative); run in long double it is within 1e-6 of a 40-digit reference (mpmath)."""
    mpmath = pytest.importorskip("mpmath")
    from adcli.commands.taylor import WIDE

    if WIDE is np.float64:
        pytest.skip("this platform's long double is a double")
    mpmath.mp.dps = 40
    reference = [float(c) for c in mpmath.taylor(lambda x: mpmath.sin(x) / x, mpmath.mpf(0.7), 12)]
    found = taylor(api.prepare("sin(x)/x", "x=0.7"), 12).coefficients
    close(found[:10], reference[:10], 1e-9, 0)
    close(found[10:], reference[10:], 1e-6, 0)
