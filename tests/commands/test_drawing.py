"""adcli.commands.drawing and adcli.render.graph: the DAG as a tree (shared nodes once) and as Graphviz DOT.

DOT is checked by its nodes and edges against the tape, and by Graphviz's own `dot` where installed.
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import unicodedata

import pytest

from adcli.commands.drawing import draw, symbol
from adcli.core.errors import AdcliError
from adcli.render.graph import dot, tree_text

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
NODE = re.compile(r'^  (v_m?\d+|c\d+) \[label="([^"]*)"', re.M)
EDGE = re.compile(r"^  (v_m?\d+|c\d+) -> (v_m?\d+|out\d+)( \[label=\"(\w+)\"\])?;", re.M)


def cell_len(line: str) -> int:
    """Columns a line takes on a terminal: combining accents (v̇, x̄) take none."""
    return sum(1 for ch in line if not unicodedata.combining(ch))


def test_vertices_follow_the_tape_with_values_and_adjoints() -> None:
    d = draw(SURVEY, "x1=2,x2=5")
    assert [(v.index, v.op, v.text) for v in d.vertices] == [
        (-1, "input", "x1"),
        (0, "input", "x2"),
        (1, "log", "log"),
        (2, "mul", "*"),
        (3, "sin", "sin"),
        (4, "add", "+"),
        (5, "sub", "-"),
    ]
    assert [v.uses for v in d.vertices] == [2, 2, 1, 1, 1, 1, 0]
    assert d.vertices[0].adjoint == pytest.approx(5.5, rel=1e-15)
    assert d.vertices[1].adjoint == pytest.approx(1.7163378145367738, rel=1e-15)
    assert d.vertices[4].value == pytest.approx(-0.9589242746631385, rel=1e-15)


def test_without_a_point_there_are_no_numbers() -> None:
    d = draw("a = x*y; sin(a) + a")
    assert all(v.value is None and v.adjoint is None for v in d.vertices)
    assert [v.name for v in d.vertices if v.op == "mul"] == ["a"]
    with pytest.raises(AdcliError) as info:
        draw("x", cotangent=[1])
    assert info.value.kind == "usage_error"
    with pytest.raises(AdcliError) as unknown:
        draw("foo(x)")
    assert unknown.value.kind == "unknown_function"


def test_a_constant_subexpression_gets_its_true_adjoint_not_0() -> None:
    d = draw("x^-1 + 2*3*x", "x=0.5")  # y = x^v₁ + v₂·x with v₁ = -1 and v₂ = 2*3 = 6
    by_index = {v.index: v for v in d.vertices if v.index is not None}
    assert (by_index[2].op, by_index[2].value) == ("mul", pytest.approx(6.0, rel=0))
    assert by_index[2].adjoint == pytest.approx(0.5, rel=1e-15)  # ∂y/∂v₂ = x
    assert by_index[1].adjoint == pytest.approx(2 * math.log(0.5), rel=1e-15)  # ∂y/∂v₁ = x^v₁·ln x
    assert by_index[0].adjoint == pytest.approx(-4 + 6, rel=1e-15)  # the input's adjoint is unchanged


def test_where_a_constant_branchs_partial_does_not_exist_it_is_drawn_without_grad() -> None:
    d = draw("(-2)^(1+2)*x", "x=0.5")  # ∂(a^b)/∂b = a^b·ln a has no real value at a = -2
    by_text = {v.text: v for v in d.vertices if v.op != "const"}
    assert by_text["+"].adjoint is None  # the exponent 1 + 2: no grad shown
    assert by_text["neg"].adjoint == pytest.approx(3 * 4 * 0.5, rel=1e-15)  # the base has one: b·a^(b-1)·x
    assert by_text["x"].adjoint == pytest.approx(-8.0, rel=1e-15)
    assert "    |   `-- v[2]  +   data 3" in tree_text(d, 4, ascii=True).splitlines()  # no `| grad`


@pytest.mark.parametrize(("text", "at"), [("x^2", "x=0:1:3"), ("x^2 at x={1,2}", None)])
def test_a_span_or_list_is_refused_in_plain_words(text: str, at: str | None) -> None:
    with pytest.raises(AdcliError) as info:
        draw(text, at)
    assert info.value.kind == "usage_error"
    assert info.value.message == "graph takes one point: give x one value, not a span or list"


def test_symbols() -> None:
    assert [symbol(op, 2) for op in ("add", "sub", "mul", "div", "pow")] == ["+", "-", "*", "/", "^"]
    assert symbol("neg", 1) == "neg" and symbol("atan2", 2) == "atan2"


def test_dot_has_one_node_per_slot_and_one_edge_per_argument() -> None:
    text = dot(draw(SURVEY, "x1=2,x2=5"), 4, ascii=False)
    nodes = dict(NODE.findall(text))
    assert nodes["v_m1"] == "{ v₋₁ | x1 | data 2 | grad 5.5 }"  # the node id says what the label says
    assert nodes["v_2"] == "{ v₂ | * | data 10 | grad 1 }"
    assert nodes["v_5"] == "{ v₅ | - | data 11.65 | grad 1 }"
    edges = [(a, b, label or None) for a, b, _, label in EDGE.findall(text)]
    assert sorted(edges) == sorted(
        [
            ("v_m1", "v_1", None),
            ("v_m1", "v_2", "1"),
            ("v_0", "v_2", "2"),
            ("v_0", "v_3", None),
            ("v_1", "v_4", "1"),
            ("v_2", "v_4", "2"),
            ("v_4", "v_5", "1"),
            ("v_3", "v_5", "2"),
            ("v_5", "out1", None),
        ]
    )


def test_dot_constants_repeated_arguments_and_ascii() -> None:
    text = dot(draw("x*x + 2", "x=3"), 4, ascii=True)
    assert 'c1 [label="2", shape=plaintext];' in text
    assert text.count("v_0 -> v_1") == 2  # x*x: two edges, 1 and 2
    assert "{ v[0] | x | data 3 | grad 6 }" in text
    assert text.isascii()


def test_dot_edge_labels_are_positions_not_names_a_user_may_have() -> None:
    text = dot(draw("a = x - y; b = a / x; b - a", "x=2,y=1"), 4, ascii=True)
    labels = set(re.findall(r'-> \w+ \[label="([^"]*)"\]', text))
    assert labels == {"1", "2"}
    assert "{ v[1] (a) | - |" in text and "{ v[2] (b) | / |" in text


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("text", [SURVEY, "a = x*y; b = sin(a); a + b, a*b^2", "-x^2 + atan2(y, x) / 3"])
def test_graphviz_accepts_the_dot(text: str) -> None:
    at = "x1=2,x2=5" if "x1" in text else "x=1,y=2"
    source = dot(draw(text, at), 4, ascii=False)
    done = subprocess.run(["dot", "-Tsvg"], input=source, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert "<svg" in done.stdout and "grad 5.5" in (done.stdout if "x1" in text else "grad 5.5")


def test_tree_marks_shared_nodes_and_does_not_repeat_them() -> None:
    text = tree_text(draw("a = x*y; b = sin(a); a + b, a*b^2"), 4, ascii=False)
    assert text.count("v₁  *  (a)  [shared: 3 uses]") == 1
    assert text.count("↑ v₁ *  (shared, drawn above)") == 2
    assert "f₁ = v₃  +" in text and "f₂ = v₅  *" in text


def test_a_narrow_terminal_draws_fewer_levels_and_says_how_many_are_left() -> None:
    deep = "sin(" * 20_000 + "x" + ")" * 20_000
    d = draw(deep, "x=1")
    text = tree_text(d, 4, ascii=False, width=80)
    assert max(cell_len(line) for line in text.splitlines()) <= 80  # no line wraps into one-letter columns
    assert "… 19993 more levels below (--dot draws all)" in text


def test_tree_of_a_very_deep_expression_is_cut_not_recursed() -> None:
    deep = "x" + "".join(f" + {k}" for k in range(5000))
    d = draw(deep, "x=1")
    assert len(d.vertices) > 5000
    text = tree_text(d, 4, ascii=True, width=200)
    assert "… 4976 more levels below (--dot draws all)" in text  # 24 of the 5,000 levels drawn
    assert len(text.splitlines()) < 100
    assert dot(d, 4, ascii=True).count("->") == 2 * 5000 + 1
