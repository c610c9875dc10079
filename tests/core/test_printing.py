"""Graphs back to text: numbers, the parentheses that matter, labels, and the size limit."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, const, make, topo_order, var, variables
from adcli.core.printing import LIMIT, expanded_size, format_number, to_text
from adcli.core.tape import evaluate, linearise
from adcli.language.parser import parse
from tests.strategies import expressions

x, y, z = var("x"), var("y"), var("z")


def op(name: str, *args: Node) -> Node:
    return make(name, args)


NUMBERS = [
    (2.0, "2"),
    (-3.0, "-3"),
    (0.5, "0.5"),
    (1e-5, "1e-05"),
    (0.001, "0.001"),
    (2.5e10, "25000000000"),
    (1e20, "1e+20"),
    (123456789012345.0, "123456789012345"),
    (1e16, "1e+16"),
    (0.1, "0.1"),
    (math.pi, "pi"),
    (-math.pi, "-pi"),
    (math.e, "e"),
    (1 / 3, "0.3333333333333333"),
]


@pytest.mark.parametrize(("number", "text"), NUMBERS)
def test_format_number(number: float, text: str) -> None:
    assert format_number(number) == text


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_number_reads_back_as_the_same_float(number: float) -> None:
    text = format_number(number)
    back = {"pi": math.pi, "-pi": -math.pi, "e": math.e, "-e": -math.e}.get(text)
    assert (float(text) if back is None else back) == number


@given(st.floats(min_value=0.0, allow_nan=False, allow_infinity=False))
def test_a_printed_constant_parses_to_the_same_node(number: float) -> None:
    (node,) = parse(format_number(number)).outputs
    assert node is const(number)


TEXTS = [
    # (graph, text) — the parentheses that matter and no others
    (op("add", x, op("mul", y, z)), "x + y*z"),
    (op("mul", op("add", x, y), z), "(x + y)*z"),
    (op("sub", x, op("sub", y, z)), "x - (y - z)"),
    (op("sub", op("sub", x, y), z), "x - y - z"),
    (op("sub", x, op("add", y, z)), "x - (y + z)"),
    (op("div", x, op("mul", y, z)), "x/(y*z)"),
    (op("mul", op("div", x, y), z), "(x/y)*z"),  # never x/y*z, which readers split on
    (op("div", op("mul", x, y), z), "x*y/z"),
    (op("pow", x, op("pow", y, z)), "x^(y^z)"),
    (op("pow", op("pow", x, y), z), "(x^y)^z"),
    (op("neg", op("pow", x, const(2))), "-x^2"),
    (op("pow", op("neg", x), const(2)), "(-x)^2"),
    (op("mul", x, op("neg", y)), "x*(-y)"),
    (op("add", x, op("neg", y)), "x + (-y)"),
    (op("neg", op("add", x, y)), "-(x + y)"),
    (op("neg", op("neg", x)), "-(-x)"),
    (op("mul", op("neg", x), y), "-x*y"),
    (op("pow", const(-2.0), const(3)), "(-2)^3"),
    (op("mul", x, const(-2.0)), "x*(-2)"),
    (op("add", const(-2.0), x), "-2 + x"),
    (op("atan2", y, op("add", x, const(1))), "atan2(y, x + 1)"),
    (op("sin", op("mul", const(2), x)), "sin(2*x)"),
    (op("pow", op("sin", x), const(2)), "sin(x)^2"),
    (op("mul", const(math.pi), x), "pi*x"),
]


@pytest.mark.parametrize(("node", "text"), TEXTS, ids=[t for _, t in TEXTS])
def test_canonical_text(node: Node, text: str) -> None:
    assert to_text(node) == text


@pytest.mark.parametrize(("node", "text"), TEXTS, ids=[t for _, t in TEXTS])
def test_canonical_text_means_the_same(node: Node, text: str) -> None:
    """Every printed form evaluates to the graph's value (negative constants read back as neg(c))."""
    (back,) = parse(text).outputs
    point = {"x": 0.7, "y": 1.3, "z": -0.4}
    assert _value(back, point) == pytest.approx(_value(node, point), rel=1e-15)
    if all(n.op != "const" or n.payload >= 0 for n in topo_order([node])):
        assert back is node


def _value(node: Node, point: dict[str, float]) -> float:
    names = variables([node])
    tape = linearise([node], names)
    return float(evaluate(tape, [point[n] for n in names])[tape.outputs[0]])


def test_labels_print_as_names() -> None:
    a = op("mul", x, y)
    node = op("add", op("sin", a), a)
    assert to_text(node, {a: "a"}) == "sin(a) + a"
    assert to_text(op("pow", op("add", x, y), const(2)), {op("add", x, y): "s"}) == "s^2"  # a name needs no parentheses


def test_expanded_size_counts_the_tree_form_and_saturates() -> None:
    assert expanded_size([x]) == 1
    node = x
    for _ in range(200):
        node = op("mul", node, node)  # 2^200 leaves as a tree
    assert expanded_size([node]) == LIMIT + 1
    assert expanded_size([node], cap=100) == 101


def test_expanded_size_is_the_printed_length_when_it_fits() -> None:
    """An independent measure: the length of the text itself (labels print as their names)."""
    a = op("mul", x, y)
    for node, labels in [(op("add", op("sin", a), a), {a: "a"}), (op("add", op("sin", a), a), {}), (a, {a: "a"})]:
        assert expanded_size([node], labels) >= len(to_text(node, labels))
        assert expanded_size([node], labels, cap=3) == min(4, expanded_size([node], labels))
    assert expanded_size([x, y, x]) == 3


def test_expanded_size_of_a_deep_node_costs_its_cap_not_its_depth() -> None:
    """Issue 11: each kink message measured its node's whole subtree (4,000 nested abs: 22.6 s)."""
    node = x
    for _ in range(50_000):
        node = op("abs", node)
    assert all(expanded_size([node], {}, 60) == 61 for _ in range(2_000))  # 2,000 × 50,000 nodes if it walked
    labelled = op("sin", node)
    assert expanded_size([labelled], {node: "big"}, 60) == expanded_size([op("sin", var("big"))])  # a label stops it


def test_a_huge_tree_form_is_refused_or_cut() -> None:
    node = x
    for _ in range(30):
        node = op("mul", node, node)
    with pytest.raises(AdcliError) as caught:
        to_text(node)
    assert caught.value.kind == "limit_exceeded" and caught.value.exit_code == 2
    cut = to_text(node, limit=1000, truncate=True)
    assert cut.endswith("…") and len(cut) == 1001
    assert cut.startswith("x*x*(x*x)*(x*x*(x*x))")


def test_deep_graphs_print_without_recursion() -> None:
    depth = 20_000
    node = x
    for _ in range(depth):
        node = op("sin", node)
    text = to_text(node)
    assert text == "sin(" * depth + "x" + ")" * depth
    assert parse(text).outputs[0] is node
    minus = x
    for _ in range(depth):
        minus = op("neg", minus)
    assert to_text(minus) == "-(" * (depth - 1) + "-x" + ")" * (depth - 1)


def _tricky() -> list[Node]:
    x, y, z = var("x"), var("y"), var("z")
    m = make
    return [
        m("mul", (m("div", (x, y)), z)),  # (x/y)*z: a quotient on the left of a product keeps its parentheses
        m("sub", (x, m("neg", (y,)))),
        m("sub", (x, m("add", (y, z)))),
        m("pow", (m("neg", (x,)), const(2))),
        m("pow", (m("pow", (x, y)), z)),
        m("add", (x, const(-2))),
        m("mul", (const(-2), x)),
        m("div", (x, m("mul", (y, z)))),
        m("neg", (m("neg", (x,)),)),
        m("atan2", (m("neg", (y,)), m("add", (x, const(1))))),
    ]


@pytest.mark.parametrize("node", _tricky(), ids=lambda n: to_text(n))
def test_the_input_syntax_loop_on_the_precedence_corners(node: Node) -> None:
    from adcli.core.printing import _emit, _plain

    assert _plain(node, {}, LIMIT) == _emit(node, {}, LIMIT, latex=False)
    if all(n.op != "const" or n.payload >= 0 for n in topo_order([node])):  # the language writes -2 as -(2)
        assert parse(_plain(node, {}, LIMIT)).outputs == [node]  # and it reads back as the same graph


@settings(max_examples=300, deadline=None)
@given(expressions, st.booleans())
def test_the_input_syntax_loop_prints_what_the_general_loop_prints(node: Node, labelled: bool) -> None:
    """_plain (the fast loop for the input syntax) against _emit, the general loop LaTeX still uses."""
    from adcli.core.printing import _emit, _plain

    inner = [n for n in topo_order([node]) if n.args and n is not node]
    labels = {inner[0]: "a"} if labelled and inner else {}
    assert _plain(node, labels, LIMIT) == _emit(node, labels, LIMIT, latex=False)
    assert _plain(node, labels, 5) == _emit(node, labels, 5, latex=False)  # cut at the limit alike


def test_an_overflowed_constant_prints_in_a_message() -> None:
    """Fuzzing found diff "1e308*x*x" an internal_error: its derivative's 2e308 is inf, and printing it failed."""
    assert (format_number(math.inf), format_number(-math.inf), format_number(math.nan)) == ("inf", "-inf", "nan")
    from adcli.commands.diff import diff

    with pytest.raises(AdcliError) as caught:
        diff("1e308*x*x")
    assert caught.value.kind == "nonfinite" and "overflows" in caught.value.message


def test_texts_remembered_for_a_chain_equal_the_texts_walked_afresh() -> None:
    """The REPL's `$ + 1` chain: each root's text is found from its left child's remembered text (whole, or
    its first characters when cut). Every text, cut or whole, must equal the one walked with nothing remembered."""
    from adcli.core import printing
    from adcli.core.graph import build, const, var

    node, chain = build("pow", var("x"), const(2)), []
    for k in range(300):
        node = build("add", node, build("mul", const(k + 2), var("y")) if k % 3 else const(1))
        chain.append(node)
    remembered = [
        (to_text(n, {}, 200, truncate=True), to_text(n, {}, 80, truncate=True), to_text(n, {}, 10**6)) for n in chain
    ]
    printing._TEXTS.clear()
    for n, texts in zip(chain, remembered, strict=True):
        printing._TEXTS.clear()
        assert texts[0] == to_text(n, {}, 200, truncate=True)
        printing._TEXTS.clear()
        assert texts[1] == to_text(n, {}, 80, truncate=True)
        printing._TEXTS.clear()
        assert texts[2] == to_text(n, {}, 10**6)


@pytest.mark.parametrize(
    ("text", "latex"),
    [
        ("-2*x^2/y^3", r"-\frac{2 x^{2}}{y^{3}}"),  # a negative coefficient: the sign in front (issue 16)
        ("-x^2/y^2", r"-\frac{x^{2}}{y^{2}}"),
        ("(-1)*x/y", r"-\frac{x}{y}"),
        ("2*x^2/y^3", r"\frac{2 x^{2}}{y^{3}}"),
        ("x - 2*y/z", r"x - \frac{2 y}{z}"),
    ],
)
def test_a_fraction_prints_its_sign_in_front_in_latex(text: str, latex: str) -> None:
    from adcli.core.printing import to_latex
    from adcli.language.parser import parse

    assert to_latex(parse(text).outputs[0]) == latex
