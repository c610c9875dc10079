"""Undefined everywhere: inputs and derivatives that no point can evaluate, refused with a place.

References: the AD modes at a point (the same error kinds and places), reverse-mode values for the
table's convention at 0^y, and hand-checked messages. Regression tests for the audit's A2 and A3
(`adcli diff "y/(x-x) - y"` was a traceback; `adcli diff "x/0"` printed `1/0`).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from adcli import api
from adcli.commands.diff import diff
from adcli.core.errors import AdcliError
from adcli.core.graph import const, make, var
from adcli.language.parser import parse
from adcli.modes.symbolic.defined import Scan
from adcli.modes.symbolic.simplify import Simplifier


def _refused(text: str) -> AdcliError:
    with pytest.raises(AdcliError) as caught:
        diff(text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "kind", "column", "said"),
    [
        ("2x/0x", "nonfinite", 3, "divides by zero for every value of x"),
        ("2x/(0x)", "nonfinite", 3, "it simplifies to 2*x/0"),
        ("y/(x-x) - y", "nonfinite", 2, "y/(x - x) divides by zero for every value of y, x"),
        ("x/0", "nonfinite", 2, "x/0 divides by zero"),
        ("x/(sin(x)^2 + cos(x)^2 - 1)", "nonfinite", 2, "it simplifies to x/0"),
        ("log(x - x)", "domain_error", 1, "outside the domain of log (the argument > 0) for every value of x"),
        ("x + sqrt(x - x - 1)", "domain_error", 5, "outside the domain of sqrt"),
    ],
)
def test_an_input_undefined_everywhere_is_refused_at_its_place(text: str, kind: str, column: int, said: str) -> None:
    exc = _refused(text)
    assert (exc.kind, exc.line, exc.column) == (kind, 1, column)
    assert said in exc.message
    assert exc.caret() is not None


@pytest.mark.parametrize(("text", "column"), [("log(-1)*x", 1), ("asin(2)+x", 1), ("x + 1/0", 6)])
def test_constant_parts_are_evaluated_as_the_ad_modes_do(text: str, column: int) -> None:
    """A part without variables is evaluated on a tape: the same kind and message as grad at any point."""
    exc = _refused(text)
    with pytest.raises(AdcliError) as ad:
        api.gradient(text, x=0.5)
    assert (exc.kind, exc.message, exc.column) == (ad.value.kind, ad.value.message, column)


def test_an_input_without_variables_is_checked_too() -> None:
    assert _refused("log(-1)").kind == "domain_error"


@pytest.mark.parametrize(("text", "printed"), [("(0/x)^x", "0"), ("0^x", "0"), ("(x - x)^y", "0")])
def test_zero_to_a_power_has_the_tables_exponent_partial(text: str, printed: str) -> None:
    """0^b*log(0) is the limit of a^b*log(a) as a -> 0+ (b > 0): 0, as the table's rule gives at a = 0."""
    found = diff(text)
    assert all(d == printed for row in found.derivatives for d in row)


def test_symbolic_mode_agrees_with_reverse_mode_at_zero_to_a_power() -> None:
    sym = api.gradient("(x-x)^y", x=1.0, y=2.0, mode="symbolic")
    ad = api.gradient("(x-x)^y", x=1.0, y=2.0, mode="reverse")
    np.testing.assert_allclose(sym.gradient, ad.gradient, atol=0)  # type: ignore[arg-type]
    assert ad.gradient == [0.0, 0.0]


def test_a_derivative_failing_at_the_point_names_the_input_node() -> None:
    """grad "1/x" --at x=1e-160 --mode symbolic: the caret under 1/x, as in reverse mode."""
    with pytest.raises(AdcliError) as caught:
        api.gradient("x*y + 1/x", x=1e-160, y=1.0, mode="symbolic")
    exc = caught.value
    assert (exc.kind, exc.line, exc.column) == ("nonfinite", 1, 8)
    assert exc.message.startswith("the derivative of 1/x: ")
    with pytest.raises(AdcliError) as pointed:
        diff("1/x", at={"x": 1e-160})
    assert (pointed.value.kind, pointed.value.column) == ("nonfinite", 2)


def test_a_defined_input_is_not_refused() -> None:
    assert diff("sqrt(x - x) + x").derivatives == [["1"]]  # sqrt(0) is 0: defined, constant
    assert diff("x/x").derivatives == [["0"]]  # x ≠ 0 is implied by the input's domain


def test_scan_finds_the_first_undefined_operation() -> None:
    x = var("x")
    scan = Scan()
    bad = make("div", (x, const(0)))
    fault = scan.first(make("sin", (make("add", (x, bad)),)))
    assert fault is not None and fault.node is bad and fault.kind == "nonfinite"
    assert scan.first(make("log", (const(-2),))).kind == "domain_error"  # type: ignore[union-attr]
    assert scan.first(make("mul", (x, make("exp", (const(1000),))))).reason == "overflows"  # type: ignore[union-attr]
    assert scan.first(make("div", (const(1), x))) is None  # depends on x: not undefined everywhere
    assert Scan({"x": np.float64(0.0)}).first(make("div", (const(1), x))) is not None  # at x = 0 it is


def test_the_simplifier_does_not_fail_on_a_zero_denominator() -> None:
    """A2: rational cancellation divided by the zero polynomial (ValueError: max() arg is an empty sequence)."""
    outputs = parse("y/(x-x) - y").outputs
    (out,) = Simplifier().simplify(outputs)
    assert Scan().first(out) is not None  # still undefined: never folded into a number


def _adcli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "adcli", *args], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("text", ["2x/0x", "y/(x-x) - y", "x/0", "log(-1)*x", "asin(2)+x"])
def test_cli_says_one_line_and_a_caret_not_a_traceback(text: str) -> None:
    done = _adcli("diff", text)
    assert done.returncode == 1 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert lines[0].startswith("1:") and "error[" in lines[0]
    assert lines[1] == text and lines[2].strip() == "^"
