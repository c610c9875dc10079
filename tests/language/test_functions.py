"""Issue 16: functions a student defines, `f(x) = x^2 + 1; g(x, y) = f(x)*y; g(sin(t), t)`.

References are closed forms: with g(t) = (sin²t + 1)·t, g'(t) = 2 sin t cos t · t + sin²t + 1.
"""

from __future__ import annotations

import math

import pytest

import adcli as api
from adcli.core.errors import AdcliError
from adcli.language.parser import check_calls, parse

PROGRAM = "f(x) = x^2 + 1; g(x, y) = f(x)*y; g(sin(t), t)"


def _g(t: float) -> tuple[float, float]:
    s, c = math.sin(t), math.cos(t)
    return (s * s + 1) * t, 2 * s * c * t + s * s + 1


@pytest.mark.parametrize("mode", ["reverse", "forward", "numeric", "symbolic"])
def test_a_call_is_differentiated_through_in_every_mode(mode: str) -> None:
    r = api.gradient(PROGRAM, t=1.3, mode=mode)
    value, slope = _g(1.3)
    assert r.value[0] == pytest.approx(value, rel=1e-14)
    assert r.gradient[0] == pytest.approx(slope, rel=1e-8 if mode == "numeric" else 1e-13)


def test_the_call_is_the_same_graph_as_the_body_written_out() -> None:
    called = parse(PROGRAM).outputs[0]
    written = parse("(sin(t)^2 + 1)*t").outputs[0]
    assert called is written  # expanded at the call: one node, as if typed out


def test_read_as_keeps_the_definitions_and_labels_the_calls() -> None:
    parsed = parse(PROGRAM + " at t = 1")
    assert parsed.read_as() == PROGRAM
    assert parse(parsed.read_as()).outputs[0] is parsed.outputs[0]  # it parses back to the same graph
    assert parsed.labels[parsed.outputs[0]] == "g(sin(t), t)"
    assert "f(sin(t))" in parsed.labels.values()  # the inner call, with this call's argument


def test_parameters_are_local_and_free_names_are_variables() -> None:
    r = api.gradient("x = 5; f(x) = x^2; f(t)", t=3)  # the parameter x is not the assigned x
    assert (r.value, r.gradient) == ([9.0], [6.0])
    r = api.gradient("f(u) = a*u^3; f(t)", a=2, t=1)  # a is the point's variable: ∂/∂a = t³, ∂/∂t = 3at²
    assert (r.value, r.gradient) == ([2.0], [1.0, 6.0])


def test_calls_may_use_a_power_and_bare_arguments() -> None:
    r = api.gradient("f(x) = x^2; f^2(t) + f t", t=2)  # t^4 + t^2: 20, 4t^3 + 2t = 36
    assert (r.value, r.gradient) == ([20.0], [36.0])


@pytest.mark.parametrize(
    ("text", "kind", "column", "words"),
    [
        ("f(x) = f(x - 1); 1", "syntax_error", 8, "f calls itself"),
        ("f(x) = x^2; f(1, 2)", "arity_error", 13, "f takes 1 argument (x), got 2"),
        ("g(x, y) = x*y; g(1)", "arity_error", 16, "g takes 2 arguments (x, y), got 1"),
        ("f(sin) = sin; f(1)", "syntax_error", 3, "the parameter sin of f is a function"),
        ("f(x, pi) = x; f(1, 2)", "syntax_error", 6, "the parameter pi of f is a constant"),
        ("f(x, x) = x; f(1, 1)", "syntax_error", 6, "f has two parameters named x"),
        ("sin(x) = x^2; sin(1)", "syntax_error", 1, "sin is a built-in function; it cannot be redefined"),
        ("f(x) = x; f(x) = x^2; f(2)", "syntax_error", 11, "f is already defined"),
        ("e(x) = x; e(1)", "syntax_error", 1, "e is a constant; it cannot be defined"),
        ("f(x) = x^2", "syntax_error", 11, "the program ends with a definition"),
    ],
)
def test_mistakes_are_clear_errors_with_a_caret(text: str, kind: str, column: int, words: str) -> None:
    with pytest.raises(AdcliError) as caught:
        parse(text)
    assert (caught.value.kind, caught.value.column) == (kind, column)
    assert words in caught.value.message


def test_a_use_before_the_definition_is_an_error_at_the_use() -> None:
    parsed = parse("a = f(2); f(x) = x^2; a")
    with pytest.raises(AdcliError) as caught:
        check_calls(parsed)
    assert caught.value.column == 5 and "f is used before its definition" in caught.value.message


def test_an_error_inside_a_body_points_at_the_call() -> None:
    with pytest.raises(AdcliError) as caught:
        api.value("f(x) = log(x); 1 + f(t - 2)", t=1)
    assert (caught.value.kind, caught.value.column) == ("domain_error", 20)


def test_a_function_name_cannot_be_given_a_value() -> None:
    with pytest.raises(AdcliError, match="f is a function name"):
        api.value("f(x) = x^2; f(2)", f=1)


def test_a_deep_chain_of_functions_does_not_recurse() -> None:
    lines = ["f0(x) = x + 1"] + [f"f{k}(x) = f{k - 1}(x) + 1" for k in range(1, 300)]
    r = api.gradient("; ".join(lines) + "; f299(t)", t=0)
    assert (r.value, r.gradient) == ([300.0], [1.0])
