"""Forms of matrix expressions: the identity matrix as the language writes it, sizes, the printed look.

Kept apart from the simplifier (matrix_algebra): these neither simplify nor need shapes.
"""

from __future__ import annotations

from collections.abc import Callable

from adcli.core.graph import Node, make, topo_order


def identity(square: Node) -> Node:
    """The identity matrix shaped like a square matrix, in the language: diag(ones(diag(A)))."""
    return make("diag", (make("ones", (make("diag", (square,)),)),))


def is_identity(node: Node) -> bool:
    return node.op == "diag" and node.args[0].op == "ones" and node.args[0].args[0].op == "diag"


def size(node: Node) -> int:
    """Operations of the printed tree (each occurrence counted)."""
    count: dict[Node, int] = {}
    for n in topo_order([node]):
        count[n] = (1 if n.args else 0) + sum(count[a] for a in n.args)
    return count[node]


def _into_left(chain: Node, wrap: Callable[[Node], Node]) -> Node:
    """wrap applied to the leftmost factor of a chain of @ (L @ M @ R is (L @ M) @ R)."""
    spine = [chain]
    while spine[-1].op == "matmul":
        spine.append(spine[-1].args[0])
    node = wrap(spine.pop())
    while spine:
        node = make("matmul", (node, spine.pop().args[1]))
    return node


def presented(node: Node) -> Node:
    """For printing: c*(L @ R) as c*L @ R and -(L @ R) as -L @ R (the same value, the textbook's look)."""
    memo: dict[Node, Node] = {}
    for n in topo_order([node]):
        args = tuple(memo[a] for a in n.args)
        new = make(n.op, args, n.payload) if args else n
        if n.op == "neg" and args[0].op == "matmul":
            new = _into_left(args[0], lambda left: make("neg", (left,)))
        elif n.op == "mul" and args[1].op == "matmul" and args[0].op == "const":
            new = _into_left(args[1], lambda left, c=args[0]: make("mul", (c, left)))
        memo[n] = new
    return memo[node]
