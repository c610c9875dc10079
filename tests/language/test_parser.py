"""The expression language: precedence, implicit products, Unicode, statements, and every parse error.

Each reading is checked twice: by value (evaluated at a point, against a closed form computed here
with `math`) and, where the issue states the reading, by the canonical read-as text.
"""

from __future__ import annotations

import gc
import importlib.resources
import math
import time
import weakref

import pytest
from hypothesis import given
from lark import Lark
from strategies import expressions

from adcli.api import prepare, value
from adcli.core.errors import AdcliError
from adcli.core.graph import variables
from adcli.language import parser as syntax
from adcli.language.parser import MAX_CHARS, parse, parse_point

X, Y = 0.7, 1.3
AT = {"x": X, "y": Y}
sin, cos, sqrt, pi = math.sin, math.cos, math.sqrt, math.pi

#: (text, closed form at x=0.7, y=1.3, read-as text or None where the issue does not state one)
READINGS = [
    # power: right-associative, tighter than unary minus; ^ and ** are one operator
    ("2^3^2", 512.0, "2^(3^2)"),
    ("2**3**2", 512.0, "2^(3^2)"),
    ("(2^3)^2", 64.0, "(2^3)^2"),
    ("-x^2", -(X**2), "-x^2"),
    ("-2^2", -4.0, "-2^2"),
    ("(-2)^2", 4.0, "(-2)^2"),
    ("x^-2", X**-2, "x^(-2)"),
    ("2^-x^2", 2 ** -(X**2), "2^(-x^2)"),
    ("(-2)^3", -8.0, "(-2)^3"),
    ("x^y", X**Y, "x^y"),
    # + - * / left to right, unary signs
    ("x - y - 1", X - Y - 1, "x - y - 1"),
    ("x - (y - 1)", X - (Y - 1), "x - (y - 1)"),
    ("x/y/2", X / Y / 2, "x/y/2"),
    ("x/(y/2)", X / (Y / 2), "x/(y/2)"),
    ("x*y/2", X * Y / 2, "x*y/2"),
    ("+x", X, "x"),
    ("--x", X, "-(-x)"),
    ("x*-y", X * -Y, "x*(-y)"),
    # implicit multiplication: the precedence of *, left to right
    ("1/2x", 0.5 * X, "(1/2)*x"),
    ("1/2 x", 0.5 * X, "(1/2)*x"),
    ("2x", 2 * X, "2*x"),
    ("2 x", 2 * X, "2*x"),
    ("2 sin(x)", 2 * sin(X), "2*sin(x)"),
    ("3pi", 3 * pi, "3*pi"),
    ("2(x+1)", 2 * (X + 1), "2*(x + 1)"),
    ("(x+1)(x-1)", (X + 1) * (X - 1), "(x + 1)*(x - 1)"),
    ("(x+1)y", (X + 1) * Y, "(x + 1)*y"),
    ("x(1+x)", X * (1 + X), "x*(1 + x)"),
    ("2x^2", 2 * X**2, "2*x^2"),
    ("-2x", -2 * X, "-2*x"),
    ("x^2 y", X**2 * Y, "x^2*y"),
    # a function name before a single factor; powers of functions
    ("sin x", sin(X), "sin(x)"),
    ("sin x^2", sin(X**2), "sin(x^2)"),
    ("2 sin x cos x", 2 * sin(X) * cos(X), "2*sin(x)*cos(x)"),
    ("sin x cos x", sin(X) * cos(X), "sin(x)*cos(x)"),
    ("sin x + 1", sin(X) + 1, "sin(x) + 1"),
    ("sin 2", sin(2), "sin(2)"),
    ("sin 2x", sin(2) * X, "sin(2)*x"),  # a number is a whole factor: sin 2x = sin(2)*x, as the read-as shows
    ("sin^2(x)", sin(X) ** 2, "sin(x)^2"),
    ("sin^2 x", sin(X) ** 2, "sin(x)^2"),
    ("sin²x", sin(X) ** 2, "sin(x)^2"),
    ("sin^2(x) + cos^2(x)", 1.0, "sin(x)^2 + cos(x)^2"),
    ("ln x", math.log(X), "log(x)"),
    ("log(x)", math.log(X), "log(x)"),
    ("e^x", math.exp(X), "e^x"),
    ("pow(x, y)", X**Y, "x^y"),
    # Unicode as pasted
    ("x − y", X - Y, "x - y"),
    ("x × y", X * Y, "x*y"),
    ("x · y", X * Y, "x*y"),
    ("x ÷ y", X / Y, "x/y"),
    ("π", pi, "pi"),
    ("2π", 2 * pi, "2*pi"),
    ("√x", sqrt(X), "sqrt(x)"),
    ("√(x+1)", sqrt(X + 1), "sqrt(x + 1)"),
    ("x²", X**2, "x^2"),
    ("x³", X**3, "x^3"),
    ("x⁻¹", 1 / X, "x^(-1)"),
    ("x²³", X**23, "x^23"),
    ("−x²", -(X**2), "-x^2"),
    ("θ^2 at θ=0.7", X**2, "θ^2"),
    # numbers
    ("2", 2.0, "2"),
    ("2.5", 2.5, "2.5"),
    (".5", 0.5, "0.5"),
    ("1e-3", 1e-3, "0.001"),
    ("2.5E+10", 2.5e10, "25000000000"),
    ("2.", 2.0, "2"),
    ("1e300", 1e300, "1e+300"),
    # comments, statements, the `at` clause
    ("x + 1 # one more", X + 1, "x + 1"),
    ("# a comment line\nx*y", X * Y, "x*y"),
    ("a = x*y; sin(a) + a", sin(X * Y) + X * Y, "a = x*y; sin(a) + a"),
    ("a = x*y\nb = a + 1\na*b", X * Y * (X * Y + 1), "a = x*y; b = a + 1; a*b"),
    ("k = 2; k*x", 2 * X, "k = 2; 2*x"),
    ("sin(x)*y at x=1, y=2", sin(1) * 2, "sin(x)*y"),
    ("x at x = pi/4", pi / 4, "x"),
    ("x*y at x=-1e-3, y=2^3", -1e-3 * 8, "x*y"),
]


@pytest.mark.parametrize(("text", "expected", "read_as"), READINGS, ids=[r[0] for r in READINGS])
def test_reading(text: str, expected: float, read_as: str) -> None:
    parsed = parse(text)
    own = {b.name for b in parsed.point}  # the text's `at` clause gives these
    point = {n: AT[n] for n in variables(parsed.outputs) if n not in own}
    result = value(text, **point)
    assert math.isclose(result.value[0], expected, rel_tol=1e-14, abs_tol=1e-300)
    assert result.read_as == read_as


def test_implicit_product_after_a_division_is_noted() -> None:
    parsed = parse("1/2x")
    assert parsed.notes == ["1/2x read as (1/2)*x, not 1/(2*x)"]
    assert parse("(1/2)*x").notes == []
    assert parse("x/2").notes == []


def test_the_note_keeps_the_parentheses_of_the_factor() -> None:
    # regression: the note once said "1/2x + 1 read as (1/2)*x + 1" for 1/2(x+1)
    assert parse("1/2(x+1)").notes == ["1/2(x + 1) read as (1/2)*(x + 1), not 1/(2*(x + 1))"]
    assert parse("1/x y").notes == ["1/x y read as (1/x)*y, not 1/(x*y)"]
    assert value("1/2(x+1)", x=X).value[0] == pytest.approx(0.5 * (X + 1), rel=1e-15)


def test_a_run_of_letters_is_one_name() -> None:
    assert value("xy", xy=3.0).value == [3.0]
    assert value("x2 + x_1", x2=1.0, x_1=2.0).value == [3.0]
    assert parse("xy").read_as() == "xy"


def test_several_outputs() -> None:
    result = value("x*y, x+y, sin(x)", **AT)
    expected = [X * Y, X + Y, sin(X)]
    assert len(result.value) == 3
    for got, want in zip(result.value, expected, strict=True):
        assert math.isclose(got, want, rel_tol=1e-15)
    assert result.read_as == "x*y, x + y, sin(x)"
    assert result.outputs == ["x*y", "x + y", "sin(x)"]


def test_bindings_label_their_nodes() -> None:
    parsed = parse("a = x*y; sin(a) + a")
    (output,) = parsed.outputs
    a = output.args[1]
    assert parsed.labels == {a: "a"}
    assert output.args[0].args[0] is a  # sin(a) and the sum share the one node
    assert [name for name, _ in parsed.assignments] == ["a"]


def test_at_clause_and_command_line_point() -> None:
    parsed = parse("sin(x)*y at x=1, y=2")
    assert [(b.name, b.values) for b in parsed.point] == [("x", [1.0]), ("y", [2.0])]
    # the command line's point adds to and overrides the text's
    result = value("sin(x)*y at x=1, y=2", "y=3")
    assert math.isclose(result.value[0], sin(1) * 3, rel_tol=1e-15)
    assert [(b.name, b.values) for b in parse_point("x=pi/4, y=-1e-3")] == [("x", [pi / 4]), ("y", [-1e-3])]


# ---- the read-as text parses back to the same graph ------------------------------------------------

ROUND_TRIP = [text for text, _, _ in READINGS] + [
    "x*(y/z)",
    "(x/y)*z",
    "(x*y)/z",
    "x/(y*z)",
    "-(x + y)",
    "-(x*y)",
    "(-x)^2",
    "x^y^z",
    "(x^y)^z",
    "x - (-y)",
    "2*(-3)",
    "x⁻¹ + x^-1",
    "sqrt(x)^2",
    "√x²",
    "a = x*y; b = a + 1; a*b, b",
    "a = x; a + 1",
    "atan2(y, x)*hypot(x, y) - min(x, y)/max(x, 2)",
    "exp(-x^2/2)/sqrt(2*pi)",
    "1e-300*x + 1e300",
    "0.1 + 0.2*x",
]


def _same(text: str) -> None:
    first = parse(text)
    again = parse(first.read_as())
    assert len(again.outputs) == len(first.outputs)
    for a, b in zip(first.outputs, again.outputs, strict=True):
        assert a is b, (text, first.read_as())
    assert again.read_as() == first.read_as()


@pytest.mark.parametrize("text", ROUND_TRIP)
def test_read_as_parses_back_to_the_same_graph(text: str) -> None:
    _same(text)


@given(expressions)
def test_read_as_round_trip_on_random_graphs(node) -> None:  # noqa: ANN001
    from adcli.core.printing import to_text

    text = to_text(node)
    (again,) = parse(text).outputs
    assert again is node, text


# ---- errors, each with its kind and place ------------------------------------------------------------

ERRORS = [
    # (text, kind, line, column, words in the message)
    ("sin(x", "syntax_error", 1, 6, "'(' not closed"),
    ("x**", "syntax_error", 1, 4, "expected a number, a name, a function or '('"),
    ("2 +* 3", "syntax_error", 1, 4, "unexpected '*'"),
    ("", "syntax_error", 1, 1, "empty input"),
    ("   ", "syntax_error", 1, 1, "empty input"),
    ("# only a comment", "syntax_error", 1, 1, "empty input"),
    ("x +\ny", "syntax_error", 1, 4, "unexpected end of line"),  # a newline ends a statement
    ("a = x\ny +", "syntax_error", 2, 4, "unexpected end of input"),
    ("x\ny", "syntax_error", 2, 1, "unexpected 'y'"),  # only assignments come before the outputs
    ("x)", "syntax_error", 1, 2, "unexpected ')'"),
    (
        "2 3",
        "syntax_error",
        1,
        3,
        "unexpected number '3' right after a factor: write an operator",
    ),  # not "expected a number"
    ("x 2", "syntax_error", 1, 3, "unexpected number '2' right after a factor: write an operator"),
    ("atan2(x)", "arity_error", 1, 1, "atan2 takes 2 arguments (y, x), got 1"),
    ("sin(x, y)", "arity_error", 1, 1, "sin takes 1 argument (x), got 2"),
    ("x + atan2(x)", "arity_error", 1, 5, "atan2 takes 2 arguments"),
    ("sin^-1(x)", "syntax_error", 1, 1, "asin(x)"),
    ("sin^-1 x", "syntax_error", 1, 1, "sin(x)^-1"),
    ("cosh^-1(x)", "syntax_error", 1, 1, "acosh(x)"),
    ("__import__('os').system('ls')", "syntax_error", 1, 12, 'unexpected "\'"'),
    ("().__class__", "syntax_error", 1, 2, "unexpected ')'"),
    ("lambda: 0", "syntax_error", 1, 7, "unexpected ':'"),
    ("pi = 3; x", "syntax_error", 1, 1, "pi is a constant"),
    ("a = x; a = y; a", "syntax_error", 1, 8, "already assigned"),
    ("sin = 2; x", "syntax_error", 1, 5, "'sin' is a function name; it cannot be assigned"),
    ("x at sin=1", "syntax_error", 1, 6, "'sin' is a function name"),
    ("x^2 at x=0:1", "syntax_error", 1, 13, "expected ':' (a span is start:stop:count"),
    ("x^2 at x=[0,1", "syntax_error", 1, 14, "'[' not closed"),
    ("x +\r2", "syntax_error", 1, 4, "unexpected end of line"),  # a lone carriage return ends a line too
    ("x # c\ry", "syntax_error", 1, 7, "unexpected 'y'"),  # and a comment: y is not swallowed by it
]


@pytest.mark.parametrize(
    ("text", "words"),
    [("x=1:2", "expected ':' (a span is start:stop:count"), ("x=[1,2", "'[' not closed"), ("x=", "expected a number")],
)
def test_a_bad_point_says_what_is_missing_not_that_a_program_ends_with_an_assignment(text: str, words: str) -> None:
    with pytest.raises(AdcliError) as info:
        parse_point(text)
    assert info.value.kind == "usage_error" and words in info.value.message
    assert "assignment" not in info.value.message


@pytest.mark.parametrize(("text", "kind", "line", "column", "words"), ERRORS, ids=[e[0] or "empty" for e in ERRORS])
def test_parse_errors(text: str, kind: str, line: int, column: int, words: str) -> None:
    with pytest.raises(AdcliError) as caught:
        parse(text)
    err = caught.value
    assert (err.kind, err.line, err.column) == (kind, line, column), err.message
    assert words in err.message
    assert err.exit_code == 2


def test_sin_inverse_suggests_asin_or_reciprocal() -> None:
    with pytest.raises(AdcliError) as caught:
        parse("sin^-1(x)")
    assert "asin(x)" in caught.value.message and "sin(x)^-1" in caught.value.message


NAME_ERRORS = [
    # (text, point, kind, line, column, words) — errors found once the point is known
    ("sinn(x)", "x=1", "unknown_function", 1, 1, "unknown function 'sinn': did you mean sin?"),
    ("2 + expp(x)", "x=1", "unknown_function", 1, 5, "did you mean exp?"),
    ("f(x)", "x=1", "unknown_function", 1, 1, "unknown function 'f'"),
    ("e(x)", "x=1", "unknown_function", 1, 1, "(e is a constant: for a product write e*(…))"),  # not "give e a value"
    ("xy", "x=1,y=2", "unbound_variable", 1, 1, "did you mean x*y?"),
    ("1 + xyz", "x=1,y=2,z=3", "unbound_variable", 1, 5, "did you mean x*y*z?"),
    ("sinx", "x=1", "unbound_variable", 1, 1, "did you mean sin(x)?"),
    ("x + w", "x=1", "unbound_variable", 1, 5, "no value for w"),
    ("x + pi", "pi=3", "usage_error", None, None, "pi is a constant"),
    ("x + e at e=2", "x=1", "usage_error", None, None, "e is a constant"),
    ("π*x", "π=3,x=1", "usage_error", 1, 1, "bad point 'π=3,x=1': unexpected 'π': expected a name"),
]


@pytest.mark.parametrize(
    ("text", "at", "kind", "line", "column", "words"), NAME_ERRORS, ids=[e[0] for e in NAME_ERRORS]
)
def test_name_errors(text: str, at: str, kind: str, line: int | None, column: int | None, words: str) -> None:
    with pytest.raises(AdcliError) as caught:
        prepare(text, at)
    err = caught.value
    assert (err.kind, err.line, err.column) == (kind, line, column), err.message
    assert words in err.message
    assert err.exit_code == 2


def test_xy_unbound_refuses_to_guess() -> None:
    """`xy` is never x*y: with x and y bound it is an error that says what the user may have meant."""
    with pytest.raises(AdcliError) as caught:
        value("xy", x=1.0, y=2.0)
    assert caught.value.kind == "unbound_variable"


STRICT = [
    ("2x + 3", 2),
    ("x + 2 sin(x)", 7),
    ("2(x+1)", 2),
    ("(x+1)(x-1)", 6),
    ("(x+1)y", 6),
    ("x(1+x)", 2),
    ("2 x^2", 3),
    ("3pi", 2),
    ("y + 2 sin x cos x", 7),
]


@pytest.mark.parametrize(("text", "column"), STRICT)
def test_strict_refuses_implicit_products_where_the_star_goes(text: str, column: int) -> None:
    parse(text)  # fine without --strict
    with pytest.raises(AdcliError) as caught:
        parse(text, strict=True)
    err = caught.value
    assert (err.kind, err.line, err.column) == ("syntax_error", 1, column)
    assert "write '*' here" in err.message
    assert err.caret() == f"{text}\n{' ' * (column - 1)}^"


def test_strict_on_a_later_line() -> None:
    with pytest.raises(AdcliError) as caught:
        parse("a = x\nb = 3(a+1)\nb", strict=True)
    assert (caught.value.line, caught.value.column) == (2, 6)


@pytest.mark.parametrize("text", ["sin x", "sin^2 x", "sin x^2", "x*y", "√x", "2*x at x=1", "x^2*y"])
def test_strict_accepts_what_has_no_implicit_product(text: str) -> None:
    parse(text, strict=True)


# ---- the grammar itself ----------------------------------------------------------------------------


def test_grammar_builds_with_strict_lark() -> None:
    """No shift/reduce or reduce/reduce conflicts, no colliding terminals (needs lark[interegular])."""
    pytest.importorskip("interegular")
    text = importlib.resources.files("adcli.grammars").joinpath("adcli.lark").read_text(encoding="utf-8")
    Lark(text, parser="lalr", start=["program", "point"], strict=True)


def _alternatives(grammar: str, rule: str) -> list[str]:
    """The alternatives of one rule in the .lark text, whitespace normalised."""
    lines = grammar.split("\n")
    start = next(i for i, line in enumerate(lines) if line.startswith((f"?{rule}:", f"{rule}:")))
    block = [lines[start].split(":", 1)[1]]
    for line in lines[start + 1 :]:
        if not line.startswith(" "):
            break
        block.append(line.strip().removeprefix("|"))
    return [" ".join(alt.split()) for alt in block]


def test_unary_repeats_every_operand_form() -> None:
    """unary lists operand's forms again (one reduction less per factor): the two must not drift apart."""
    text = importlib.resources.files("adcli.grammars").joinpath("adcli.lark").read_text(encoding="utf-8")
    operand, unary = _alternatives(text, "operand"), _alternatives(text, "unary")
    assert len(operand) >= 6
    assert [alt for alt in operand if alt not in unary] == []


# ---- size and depth ----------------------------------------------------------------------------------

DEPTH = 100_000


def _timed(text: str, **point: float):  # noqa: ANN202
    started = time.perf_counter()
    result = value(text, **point)
    print(f"{len(text):,} characters: {time.perf_counter() - started:.2f} s")  # by eye, not asserted
    return result


def test_deeply_nested_parentheses() -> None:
    result = _timed("(" * DEPTH + "x" + ")" * DEPTH, x=0.5)
    assert result.value == [0.5]


def test_deep_chain_of_calls() -> None:
    text = "sin(" * DEPTH + "x" + ")" * DEPTH
    result = _timed(text, x=0.5)
    v = 0.5
    for _ in range(DEPTH):
        v = math.sin(v)
    assert math.isclose(result.value[0], v, rel_tol=1e-12)
    assert result.read_as.startswith("sin(sin(") and result.read_as.endswith("…")  # shown cut, not refused


def test_deep_unary_minus() -> None:
    assert _timed("-" * DEPTH + "x", x=0.5).value == [0.5]


def test_input_over_the_size_limit() -> None:
    text = "x+" * (MAX_CHARS // 2) + "x"
    with pytest.raises(AdcliError) as caught:
        parse(text)
    assert caught.value.kind == "limit_exceeded"
    assert caught.value.exit_code == 2


# ---- name(…) without a point: product or unknown function ------------------------------------------


@pytest.mark.parametrize(
    ("text", "product"),
    [("x(1+x)", True), ("x(1+x) + 2x", True), ("f(x)", False), ("sinn(x)", False), ("foo(x)", False)],
)
def test_calls_without_a_point(text: str, product: bool) -> None:
    from adcli.core.errors import AdcliError
    from adcli.language.parser import check_calls

    parsed = parse(text)
    if product:
        check_calls(parsed)
        assert parsed.outputs[0].op in ("mul", "add")
    else:
        with pytest.raises(AdcliError) as caught:
            check_calls(parsed)
        assert caught.value.kind == "unknown_function"
        assert caught.value.column == 1


def test_calls_with_a_point_are_products_only_for_bound_names() -> None:
    from adcli.core.errors import AdcliError
    from adcli.language.parser import check_calls

    check_calls(parse("f(x)"), {"f": 2.0, "x": 1.0})
    with pytest.raises(AdcliError) as caught:
        check_calls(parse("f(x)"), {"x": 1.0})
    assert "f*(…)" in caught.value.message


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sin^(2)(x)", "expected a number (after sin^ write a whole number"),
        ("sin^x(x)", "expected a number (after sin^ write"),
        ("sin = 2; sin", "'sin' is a function name; it cannot be assigned"),
        ("sin^-2(x)", "write sin(x)^-2"),
    ],
)
def test_error_messages_do_not_contradict_themselves(text: str, words: str) -> None:
    with pytest.raises(AdcliError) as caught:
        parse(text)
    assert words in caught.value.message
    assert "asin" not in caught.value.message


def test_a_function_before_a_number_says_how_it_was_read() -> None:
    parsed = parse("sin 2x")
    assert parsed.read_as() == "sin(2)*x"
    assert any("sin 2x read as sin(2)*x" in note and "sin(2x)" in note for note in parsed.notes)


@pytest.mark.parametrize(("text", "want"), [("∛8", 2.0), ("∛(x+7)", 2.0), ("x – 1", 0.0), ("2 ∗ x", 2.0)])
def test_more_pasted_unicode(text: str, want: float) -> None:
    assert value(text, x=1.0).value[0] == pytest.approx(want, rel=1e-15)


@pytest.mark.parametrize("lean", [True, False])
def test_a_parse_keeps_no_hold_on_its_graph(lean, monkeypatch):
    """Once its Parsed is dropped, a parse's graph is freed by reference counting (the parser keeps none of
    it): a batch pauses the collector per problem, and a graph still held would be walked by its next pass."""
    if not lean:
        monkeypatch.setattr(syntax, "_DRIVERS", {"program": None, "point": None})
    parsed = syntax.parse("a = sin(u)*w\na + u^3/7 at u=1")
    node = weakref.ref(parsed.outputs[0])
    collecting = gc.isenabled()
    gc.disable()  # only reference counting may free it
    try:
        del parsed
        assert node() is None
    finally:
        if collecting:
            gc.enable()
