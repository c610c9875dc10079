"""The lean loop (adcli/language/lalr.py) against Lark's own parse loop: the same result, or it gives up.

The reference is Lark itself, run on the same text with the loop switched off: every field of
the parse (graph, labels, point, positions, notes, the `name(…)` tokens) must be the same, and a
text Lark refuses must be refused with the same message.
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcli.core.errors import AdcliError
from adcli.core.printing import to_text
from adcli.language import parser as syntax
from adcli.language import tables
from adcli.language.lalr import Driver, GiveUpError, is_unit
from tests.strategies import expressions

TEXTS = [
    "sin(x)*y + x^2/3",
    "1/2x",
    "sin 2x",
    "2x y z",
    "x(1+x) at x=2",
    "-x^2 + +y - -z",
    "x**y**2",
    "sin^2(x) + cos(x)^2",
    "sin²(x) + x³ + x⁻¹",
    "√x + ∛(x+1) + √2",
    "π*r² ; # area\n",
    "a = x*y\nb = sin(a) # comment\na + b, a*b at x=1, y=2",
    "\n\n;x;\n",
    "x\r\n",
    "atan2(y, x) + max(x, y, ) ",
    "f(x) + g(1, 2)",
    "x at x=0:1:11, y={0, 0.5, 1}",
    "at*2",
    "AT*2 + At + atan(x) + x_at",
    "x at at=1",
    "2e3x + 1.5e-3 + .5 + 3.",
    "x − y × z ÷ w · v",
    "θ_1 + αβ",
    "sin^-1(x)",
    "sin x^2",
    "sigmoid(3*x - y) + x/7",
    "(((((x)))))",
    "x +",
    "sin(x",
    "x $ y",
    "2 3",
    "x = 1",
    "x, , y",
    "sin = 2; sin",
    "'x'",
]


def _field_view(parsed: syntax.Parsed) -> tuple:
    tokens = [
        (t.type, t.value, t.start_pos, t.line, t.column, t.end_pos, t.end_line, t.end_column)
        for t in parsed.maybe_calls
    ]
    positions = sorted((to_text(node), place) for node, place in parsed.positions.items())
    labels = sorted((to_text(node), name) for node, name in parsed.labels.items())
    return (
        parsed.outputs,
        labels,
        parsed.assignments,
        parsed.point,
        positions,
        parsed.notes,
        tokens,
    )


def _outcome(text: str, start: str, lean: bool, monkeypatch: pytest.MonkeyPatch) -> tuple:
    """What `_parse` gives: the parse's fields, or the error's kind, message and place."""
    with monkeypatch.context() as patch:
        if not lean:
            patch.setattr(syntax, "_DRIVERS", {"program": None, "point": None})
        else:  # the loop is built for a start symbol's second text: make this one count as a second
            patch.setitem(syntax._PARSED, start, max(1, syntax._PARSED.get(start, 0)))
        try:
            result = syntax._parse(text, start)
        except AdcliError as exc:
            return ("error", exc.kind, exc.message, exc.line, exc.column)
    if start == "program":
        return ("ok", _field_view(result))
    return ("ok", [(b.name, [np.asarray(v).tolist() for v in b.values], b.kind, b.line, b.column) for b in result])


def _check(text: str, monkeypatch: pytest.MonkeyPatch, start: str = "program") -> None:
    assert _outcome(text, start, True, monkeypatch) == _outcome(text, start, False, monkeypatch)


def test_the_loop_is_in_use():
    """Without it the comparisons below would compare Lark with Lark."""
    assert isinstance(syntax._driver("program"), Driver)
    syntax._BUILDER.reset("x*y", False)
    assert syntax._driver("program").parse("x*y").outputs[0].op == "mul"


GOOD = TEXTS[:14] + ["x at x=0:1:11, y={0, 0.5, 1}", "2e3x + 1.5e-3 + .5 + 3.", "x − y × z ÷ w · v", "θ_1 + αβ"]


@pytest.mark.parametrize("text", GOOD)
def test_the_loop_parses_good_text_itself(text):
    """Good text never needs Lark's loop (else the batch would pay for both)."""
    syntax._BUILDER.reset(text, False)
    parsed = syntax._driver("program").parse(text)
    assert parsed.outputs and parsed is syntax._BUILDER.parsed


@pytest.mark.parametrize("text", TEXTS)
def test_same_as_lark(text, monkeypatch):
    _check(text, monkeypatch)


@pytest.mark.parametrize("text", ["x=1, y=pi/4", "x=0:1:5", "x={1, 2}, y=-3", "x={1, 2}, y=-3", "x=", "x=1,,y=2"])
def test_points_same_as_lark(text, monkeypatch):
    _check(text, monkeypatch, "point")


def test_examples_same_as_lark(calculus, monkeypatch):
    for problem in calculus:
        _check(problem["expr"], monkeypatch)


@pytest.mark.parametrize("text", ["x at at=1", "at*2", "x $ y", "x +", "2 3", "sin^-1(x)"])
def test_gives_up_where_lark_decides(text):
    """A token the table cannot take here, or a character no terminal matches: Lark's turn."""
    syntax._BUILDER.reset(text, False)
    with pytest.raises((GiveUpError, AdcliError)):
        syntax._driver("program").parse(text)


@settings(max_examples=300, deadline=None)
@given(expressions)
def test_generated_expressions_same_as_lark(node):
    with pytest.MonkeyPatch.context() as monkeypatch:
        _check(to_text(node), monkeypatch)


ALPHABET = list("xy2.e()+-*/^,;=: \n#[]") + ["sin", "at", "**", "√", "²", "π", "sqrt", "max"]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(ALPHABET), min_size=1, max_size=14).map("".join))
def test_random_text_same_as_lark(text):
    """Mostly bad text: whatever Lark says (result or error), the loop path says the same."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        _check(text, monkeypatch)


@functools.cache
def _without_unit_reductions() -> Driver:
    """A loop over the shipped tables with every unit reduction (`?product: unary`) taken out of the rows."""
    lean = copy.deepcopy(tables.lean(syntax.grammar_text()))
    for row in lean["states"]:
        for symbol, action in list(row.items()):
            if isinstance(action, int) and action < 0 and is_unit(lean["rules"][~action]):
                del row[symbol]
    return Driver(lean, "program", syntax._BUILDER, syntax._LEX_CALLBACKS)


@settings(max_examples=200, deadline=None)
@given(expressions)
def test_unit_reductions_are_folded_into_the_gotos(node):
    """The build step folds them (tables.fold_units): the loop never needs a unit reduction's action, so
    without those actions it parses every good text to the same graph."""
    text = to_text(node)
    syntax._BUILDER.reset(text, False)
    expected = syntax._driver("program").parse(text).outputs
    syntax._BUILDER.reset(text, False)
    assert _without_unit_reductions().parse(text).outputs == expected
