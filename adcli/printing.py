"""Expressions back to text: canonical input syntax (parses back to the same graph) and LaTeX.

Printing is an explicit-stack emission of pieces, never recursion; the expanded size is
computed first so that a DAG whose tree form would be huge is refused instead of printed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from adcli.errors import AdcliError
from adcli.graph import Node, topo_order

#: binding strength of each operation's printed form (atoms and calls bind tightest).
PRECEDENCE: dict[str, int] = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
ATOM = 5


@dataclass(frozen=True)
class Slot:
    """Where an argument goes in a template, and when it needs parentheses there."""

    arg: int
    min_prec: int = 0
    paren_ops: frozenset[str] = frozenset()
    leading: bool = False  # the slot starts the printed form, so a leading minus needs no parens


Piece = str | Slot
PLAIN: dict[str, tuple[Piece, ...]] = {
    "add": (Slot(0, 1, leading=True), " + ", Slot(1, 2)),
    "sub": (Slot(0, 1, leading=True), " - ", Slot(1, 2)),
    "mul": (Slot(0, 2, frozenset({"div"}), leading=True), "*", Slot(1, 3)),
    "div": (Slot(0, 2, leading=True), "/", Slot(1, 3)),
    "pow": (Slot(0, ATOM), "^", Slot(1, ATOM)),
    "neg": ("-", Slot(0, 4)),
}
NAMED = {math.pi: "pi", math.e: "e"}
LIMIT = 200_000  # characters in one printed expression


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float: 2 not 2.0, 1e-05 as Python writes it."""
    if abs(value) in NAMED:
        return ("-" if value < 0 else "") + NAMED[abs(value)]
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def _signed(node: Node) -> bool:
    return node.op == "neg" or (node.op == "const" and node.payload < 0)  # type: ignore[operator]


def _prec(node: Node) -> int:
    if node.op == "const" and node.payload < 0:  # type: ignore[operator]
        return PRECEDENCE["neg"]
    return PRECEDENCE.get(node.op, ATOM)


def _template(node: Node) -> tuple[Piece, ...]:
    if node.op in PLAIN:
        return PLAIN[node.op]
    pieces: list[Piece] = [node.op, "("]
    for i in range(len(node.args)):
        pieces += [", "] if i else []
        pieces.append(Slot(i))
    return (*pieces, ")")


def _leaf(node: Node, labels: Mapping[Node, str]) -> str | None:
    if node in labels:
        return labels[node]
    if node.op == "const":
        return format_number(node.payload)  # type: ignore[arg-type]
    if node.op == "var":
        return str(node.payload)
    return None


def expanded_size(roots: Iterable[Node], labels: Mapping[Node, str] = {}, cap: int = LIMIT) -> int:
    """Characters of the tree form (saturating at cap+1): what printing would cost."""
    size: dict[Node, int] = {}
    roots = list(roots)
    for node in topo_order(roots):
        leaf = _leaf(node, labels)
        if leaf is not None:
            size[node] = len(leaf)
        else:
            size[node] = min(cap + 1, len(node.op) + 4 + sum(size[a] + 2 for a in node.args))
    return min(cap + 1, sum(size[r] for r in roots))


def to_text(root: Node, labels: Mapping[Node, str] = {}, limit: int = LIMIT, *, truncate: bool = False) -> str:
    """The canonical text of root; nodes named in labels print as their names.

    Longer than limit: limit_exceeded, or with truncate the first limit characters and "…".
    """
    if not truncate and expanded_size([root], labels, limit) > limit:
        raise AdcliError(
            "limit_exceeded", f"the expression is over {limit:,} characters when printed; use shared form (--cse)"
        )
    out: list[str] = []
    stack: list[Node | str] = [root]
    written = 0
    while stack:
        if written > limit:
            return "".join(out)[:limit] + "…"
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
            written += len(item)
            continue
        leaf = _leaf(item, labels)
        if leaf is not None:
            out.append(leaf)
            written += len(leaf)
            continue
        todo: list[Node | str] = []
        for piece in _template(item):
            if isinstance(piece, str):
                todo.append(piece)
                continue
            arg = item.args[piece.arg]
            named = arg in labels
            wrap = not named and (
                _prec(arg) < piece.min_prec
                or arg.op in piece.paren_ops
                or (_signed(arg) and not piece.leading and piece.min_prec > 0)
            )
            todo += ["(", arg, ")"] if wrap else [arg]
        stack.extend(reversed(todo))
    return "".join(out)
