"""adcli.drawing and adcli.render_graph: the DAG as a tree (shared nodes once) and as Graphviz DOT.

DOT is checked by its nodes and edges against the tape, and by Graphviz's own `dot` where installed.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from adcli.drawing import draw, symbol
from adcli.errors import AdcliError
from adcli.render_graph import dot, tree_text

SURVEY = "ln(x1) + x1*x2 - sin(x2)"
NODE = re.compile(r'^  (v\d+) \[label="([^"]*)"', re.M)
EDGE = re.compile(r"^  (v\d+) -> (v\d+|out\d+)( \[label=\"(\w+)\"\])?;", re.M)


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


def test_symbols() -> None:
    assert [symbol(op, 2) for op in ("add", "sub", "mul", "div", "pow")] == ["+", "-", "*", "/", "^"]
    assert symbol("neg", 1) == "neg" and symbol("atan2", 2) == "atan2"


def test_dot_has_one_node_per_slot_and_one_edge_per_argument() -> None:
    text = dot(draw(SURVEY, "x1=2,x2=5"), 4, ascii=False)
    nodes = dict(NODE.findall(text))
    assert nodes["v0"] == "{ v₋₁ \\| x1 \\| data 2 \\| grad 5.5 }".replace("\\|", "|")
    assert nodes["v3"] == "{ v₂ | * | data 10 | grad 1 }"
    assert nodes["v6"] == "{ v₅ | - | data 11.65 | grad 1 }"
    edges = [(a, b, label or None) for a, b, _, label in EDGE.findall(text)]
    assert sorted(edges) == sorted(
        [
            ("v0", "v2", None),
            ("v0", "v3", "a"),
            ("v1", "v3", "b"),
            ("v1", "v4", None),
            ("v2", "v5", "a"),
            ("v3", "v5", "b"),
            ("v5", "v6", "a"),
            ("v4", "v6", "b"),
            ("v6", "out0", None),
        ]
    )


def test_dot_constants_repeated_arguments_and_ascii() -> None:
    text = dot(draw("x*x + 2", "x=3"), 4, ascii=True)
    assert 'label="2", shape=plaintext' in text
    assert text.count("v0 -> v2") == 2  # x*x: two edges, a and b
    assert "{ v[0] | x | data 3 | grad 6 }" in text
    assert text.isascii()


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


def test_tree_of_a_very_deep_expression_is_cut_not_recursed() -> None:
    deep = "x" + "".join(f" + {k}" for k in range(5000))
    d = draw(deep, "x=1")
    assert len(d.vertices) > 5000
    text = tree_text(d, 4, ascii=True, width=200)
    assert "deeper operands not drawn" in text
    assert len(text.splitlines()) < 100
    assert dot(d, 4, ascii=True).count("->") == 2 * 5000 + 1
