"""The expression graph: hash-consed immutable nodes, construction-time simplification, loops not recursion."""

from __future__ import annotations

import pytest

from adcli.core.graph import Node, build, const, is_const, make, topo_order, var, variables
from adcli.language.parser import parse

x, y, z = var("x"), var("y"), var("z")
DEEP = 100_000


def chain(op: str, depth: int, leaf: Node = x) -> Node:
    node = leaf
    for _ in range(depth):
        node = make(op, (node,))
    return node


# ---- one node per subexpression -------------------------------------------------------------------


def test_equal_subexpressions_are_one_node() -> None:
    assert var("x") is x
    assert const(2) is const(2.0)
    assert const(0.0) is const(-0.0)  # one zero
    assert make("sin", (x,)) is make("sin", (x,))
    assert make("add", (x, y)) is not make("add", (y, x))  # operation and children in order, nothing more
    assert make("const", (), 1.0) is const(1)


def test_the_parser_shares_repeated_subexpressions() -> None:
    (out,) = parse("sin(x)*sin(x) + sin(x)").outputs
    product, single = out.args
    assert product.args[0] is product.args[1] is single
    assert len(topo_order([out])) == 4  # x, sin(x), the product, the sum


def test_the_intern_table_forgets_nodes_that_are_gone() -> None:
    """A stream of problems builds and drops graphs: the table stays bounded by the live nodes."""
    import gc

    from adcli.core import graph

    gc.collect()
    graph._sweep()  # start from the live nodes: an earlier test's large graph (a 64×32 literal) set a high mark
    kept = make("sin", (make("cos", (var("kept"),)),))
    for i in range(20_000):
        make("mul", (make("exp", (var(f"gone{i}"),)), const(float(i))))
    gc.collect()
    assert len(graph._interned) < 4 * graph._SWEEP_FLOOR + 1_000  # not 60,000 entries
    assert make("sin", (make("cos", (var("kept"),)),)) is kept  # what is alive is still shared


def test_nodes_are_immutable() -> None:
    node = make("sin", (x,))
    with pytest.raises(AttributeError):
        node.op = "cos"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        del node.args
    with pytest.raises(AttributeError):
        node.extra = 1  # type: ignore[attr-defined]
    assert node.op == "sin" and make("sin", (x,)) is node and type(node) is Node


def test_nodes_compare_and_hash_by_identity() -> None:
    deep = chain("sin", DEEP)
    assert deep == deep and deep != chain("cos", 1)
    assert {deep: 1}[deep] == 1  # hashing does not walk the subtree
    assert len(repr(deep)) < 80


# ---- building with simplification (for derivative graphs) -----------------------------------------

IDENTITIES = [
    (("add", x, 0), x),
    (("add", 0, x), x),
    (("sub", x, 0), x),
    (("sub", x, x), const(0)),
    (("mul", x, 1), x),
    (("mul", 1, x), x),
    (("mul", x, 0), const(0)),
    (("mul", 0, x), const(0)),
    (("div", x, 1), x),
    (("div", 0, x), const(0)),
    (("div", x, x), const(1)),
    (("pow", x, 1), x),
    (("pow", x, 0), const(1)),
    (("add", 2, 3), const(5)),
    (("mul", 2, 3), const(6)),
    (("sub", 2, 3), const(-1)),
    (("div", 1, 2), const(0.5)),
    (("div", 6, 3), const(2)),
    (("pow", 2, 10), const(1024)),
    (("pow", 2, -1), const(0.5)),
    (("neg", 2), const(-2)),
]


@pytest.mark.parametrize(("call", "expected"), IDENTITIES, ids=[f"{c[0]}{c[1:]}" for c, _ in IDENTITIES])
def test_build_folds_constants_and_identities(call: tuple, expected: Node) -> None:
    assert build(*call) is expected


def test_build_keeps_what_would_lose_exactness() -> None:
    third = build("div", 1, 3)
    assert third.op == "div"  # 0.333… is not written as a rounded constant
    assert build("pow", 2, 0.5).op == "pow"
    assert build("pow", 0, -1).op == "pow"  # no folding into a division by zero


def test_build_sign_rules() -> None:
    minus_x = build("neg", x)
    assert build("neg", minus_x) is x
    assert build("mul", -1, x) is minus_x
    assert build("sub", 0, x) is minus_x


def test_node_arithmetic_builds_nodes() -> None:
    assert (x + 0) is x and (1 * x) is x
    expr = 2 * x**2 - y / 3 + 1
    assert isinstance(expr, Node)
    assert (x - 2).op == "sub" and (2 - x).args[0] is const(2)
    assert (-x).op == "neg" and +x is x
    assert (2**x).op == "pow" and (1 / x).op == "div"
    assert is_const(x * 0, 0.0)


# ---- walks are loops ------------------------------------------------------------------------------


def test_topo_order_puts_children_first_and_each_node_once() -> None:
    (out,) = parse("a = x*y; sin(a) + a*z").outputs
    order = topo_order([out])
    place = {node: i for i, node in enumerate(order)}
    assert len(order) == len(set(order)) == 7  # x, y, a, sin(a), z, a*z, the sum
    for node in order:
        for child in node.args:
            assert place[child] < place[node]
    assert order[-1] is out


def test_topo_order_of_several_roots_shares_their_nodes() -> None:
    a, b = parse("sin(x)*y, sin(x) + y").outputs
    order = topo_order([a, b])
    assert sum(1 for n in order if n.op == "sin") == 1
    assert order.index(a) < order.index(b)


def test_variables_in_order_of_first_appearance() -> None:
    assert variables(parse("y*x + z - x").outputs) == ["y", "x", "z"]
    assert variables(parse("θ + x_1").outputs) == ["θ", "x_1"]
    assert variables([const(1)]) == []


def test_a_graph_100000_deep_is_walked_without_recursion() -> None:
    deep = chain("sin", DEEP)
    order = topo_order([deep])
    assert len(order) == DEEP + 1 and order[0] is x and order[-1] is deep
    wide = make("add", (deep, chain("cos", DEEP)))
    assert len(topo_order([wide])) == 2 * DEEP + 2


def test_a_dag_with_exponential_tree_form_is_linear() -> None:
    """x, x*x, (x*x)*(x*x), …: 60 levels are 2^60 leaves as a tree, 61 nodes as a DAG."""
    node = x
    for _ in range(60):
        node = make("mul", (node, node))
    assert len(topo_order([node])) == 61


def test_topo_order_of_skips_known_nodes_and_stops_past_a_budget() -> None:
    from adcli.core.graph import topo_order_of

    x, y = var("x"), var("y")
    inner = make("mul", (x, y))
    root = make("add", (inner, make("sin", (x,))))
    assert topo_order_of(root) == topo_order([root])
    assert topo_order_of(root, known={inner}) == [x, make("sin", (x,)), root]  # inner and what is under it: skipped
    assert topo_order_of(root, known={root}) == []
    assert topo_order_of(root, budget=4) is None and len(topo_order_of(root, budget=5)) == 5


def test_sweep_soon_frees_a_dropped_big_graph_s_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch calls it after each problem: the sweep due within half the table's growth runs now, so a big
    graph's weak references and keys are freed at once; a table far from its sweep is left alone (O(1))."""
    from adcli.core import graph

    def build() -> list[Node]:
        return [make("sin", (var(f"swept{i}"),)) for i in range(2000)]

    nodes = build()
    monkeypatch.setattr(graph, "_sweep_at", 10 * len(graph._interned) + 10_000)
    del nodes
    graph.sweep_soon()
    assert ("var", "swept0") in graph._interned  # far from its sweep: not swept
    nodes = build()
    monkeypatch.setattr(graph, "_sweep_at", len(graph._interned))
    del nodes
    graph.sweep_soon()
    assert ("var", "swept0") not in graph._interned and ("var", "swept1999") not in graph._interned
