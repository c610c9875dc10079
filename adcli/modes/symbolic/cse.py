"""The shared form of a DAG: CasADi's `@1 = …` lines, so a derivative prints in size linear in its graph.

An operation used more than once (or too long to repeat inline) is printed once as a definition
`@k = …` and referred to by name afterwards. Definitions come children first, so each refers only
to earlier ones. One loop over the topological order; every definition prints a shallow node
whose named children are plain variables `@k`, so printing never walks the whole graph again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from adcli.core.graph import Node, make, topo_order, var
from adcli.core.printing import to_text

INLINE = 120  # characters: a longer subexpression gets a name even when it is used once


@dataclass
class SharedForm:
    definitions: list[tuple[str, Node]]  # (@k, shallow node)
    results: list[Node]  # one shallow node per root

    def text(self, latex: bool = False) -> tuple[list[tuple[str, str]], list[str]]:
        """The definitions and results as text. Each is shallow (its named parts are `@k`), so it is
        printed without sizing its tree first."""

        def show(node: Node) -> str:
            return to_text(node, latex=latex, truncate=True)

        return [(name, show(node)) for name, node in self.definitions], [show(r) for r in self.results]

    @staticmethod
    def length(printed: tuple[list[tuple[str, str]], list[str]]) -> int:
        """Characters of a printed form (`text()`): `@k = …` lines and the results."""
        definitions, results = printed
        return sum(len(n) + 3 + len(t) + 1 for n, t in definitions) + sum(len(t) + 1 for t in results)


def shared_form(roots: Sequence[Node]) -> SharedForm:
    """Name every operation used twice or more (or longer than INLINE characters); roots stay whole."""
    order = topo_order(roots)
    uses: dict[Node, int] = {}
    for node in order:
        for arg in node.args:
            uses[arg] = uses.get(arg, 0) + 1
    for root in roots:
        uses[root] = uses.get(root, 0) + 1
    whole = {root for root in roots if uses[root] == 1}  # a root used nowhere else prints whole: no name
    shallow: dict[Node, Node] = {}
    width: dict[Node, int] = {}  # printed characters of the shallow form, about
    definitions: list[tuple[str, Node]] = []
    for node in order:
        if node.op in ("const", "var"):
            shallow[node] = node
            width[node] = len(to_text(node, truncate=True))  # a leaf: its own text
            continue
        inline = make(node.op, tuple(shallow[a] for a in node.args), node.payload)
        size = len(node.op) + 4 + sum(width[a] + 2 for a in node.args)
        if node not in whole and (uses[node] > 1 and size > 3 or size > INLINE):
            name = f"@{len(definitions) + 1}"
            definitions.append((name, inline))
            shallow[node], width[node] = var(name), len(name)
        else:
            shallow[node], width[node] = inline, size
    return SharedForm(definitions, [_unwrap(shallow[r], definitions) for r in roots])


def _unwrap(node: Node, definitions: list[tuple[str, Node]]) -> Node:
    """A root that got a name prints as its definition (`@3` alone says nothing), unless shared."""
    if node.op == "var" and isinstance(node.payload, str) and node.payload.startswith("@"):
        return definitions[int(node.payload[1:]) - 1][1]
    return node
