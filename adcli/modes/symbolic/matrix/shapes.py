"""Shapes for matrix calculus, with symbolic sizes: `--shape x=n,A=nxn` (issue 13).

A size is a whole number or a name (n, m); two sizes fit only when they are the same (n fits n, not m,
not 3): a derivative found for symbolic sizes then holds for every size. The rules mirror numpy's, as
the structural primitives' shape rules in adcli.core.arrays do for numbers, so that a shape found here
for numbers is the one the tape infers. A mismatch raises `MismatchError` naming the operator and both
shapes; the caller puts the caret at the operator.
"""

from __future__ import annotations

from collections.abc import Mapping

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, topo_order
from adcli.core.primitives import TABLE

Size = int | str
Shape = tuple[Size, ...]

#: reductions to a scalar (whatever the argument's shape)
SCALAR_OUT = frozenset({"sum", "mean", "prod", "norm", "logsumexp", "amax", "amin"})
#: functions of a square matrix and the shape of their value
SQUARE = {"tr": "scalar", "det": "scalar", "logdet": "scalar", "inv": "same"}
SAME = frozenset({"softmax", "ones"})
SYMBOLS = {"matmul": "@", "transpose": "'", "index": "indexing", "stack": "the array literal"}


class MismatchError(Exception):
    """Shapes that do not fit: the message names both; `node` is the operator at fault."""

    def __init__(self, message: str, node: Node) -> None:
        super().__init__(message)
        self.node = node


def show(shape: Shape) -> str:
    if shape == ():
        return "scalar ()"
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _broadcast(node: Node, shapes: list[Shape]) -> Shape:
    """numpy's rule for elementwise operators: align from the right; a size 1 stretches."""
    width = max(len(s) for s in shapes)
    out: list[Size] = []
    for axis in range(-width, 0):
        sizes = {s[axis] for s in shapes if len(s) >= -axis} - {1}
        if len(sizes) > 1:
            raise MismatchError(f"shapes {' and '.join(map(show, shapes))} do not broadcast", node)
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _matmul(node: Node, a: Shape, b: Shape) -> Shape:
    if not a or not b or len(a) > 2 or len(b) > 2:
        why = "use * for a scalar" if not a or not b else "vectors and matrices only"
        raise MismatchError(f"@ cannot multiply shapes {show(a)} and {show(b)} ({why})", node)
    if a[-1] != b[0]:
        raise MismatchError(f"@ cannot multiply shapes {show(a)} and {show(b)}: {a[-1]} ≠ {b[0]}", node)
    return a[:-1] + b[1:]


def _square(node: Node, s: Shape) -> Shape:
    if len(s) != 2 or s[0] != s[1]:
        raise MismatchError(f"{node.op} takes a square matrix, not shape {show(s)}", node)
    return () if SQUARE[node.op] == "scalar" else s


def _vectors(node: Node, a: Shape, b: Shape) -> Shape:
    if len(a) != 1 or len(b) != 1 or (node.op == "dot" and a != b):
        raise MismatchError(f"{node.op} takes two vectors, not shapes {show(a)} and {show(b)}", node)
    return () if node.op == "dot" else (a[0], b[0])


def _diag(node: Node, s: Shape) -> Shape:
    if len(s) == 1:
        return (s[0], s[0])
    if len(s) == 2 and s[0] == s[1]:
        return (s[0],)
    if len(s) == 2:  # numeric modes take a rectangular matrix's diagonal; its adjoint is not a formula here
        raise AdcliError(
            "usage_error",
            f"symbolic matrix calculus does not handle diag of a non-square matrix {show(s)} yet: use grad or jac",
        )
    raise MismatchError(f"diag takes a vector or a matrix, not shape {show(s)}", node)


def _index(node: Node, s: Shape) -> Shape:
    out: list[Size] = []
    for axis, k in enumerate(node.payload):  # type: ignore[union-attr]
        if axis >= len(s):
            raise MismatchError(f"{len(node.payload)} indices for shape {show(s)}", node)  # type: ignore[arg-type]
        size = s[axis]
        if k[0] == "i":
            if isinstance(size, int) and not -size <= k[1] < size:
                raise MismatchError(f"index {k[1]} is out of range for axis {axis} of shape {show(s)}", node)
        elif k[1:] == (None, None):  # x[:] (a step, x[::2], is another size)
            out.append(size)
        elif isinstance(size, int):
            out.append(len(range(size)[slice(*k[1:])]))
        elif k[1:] in ((0, 1), (None, 1)):  # x[0:1]: the first entry, kept as an axis (every size is ≥ 1)
            out.append(1)
        else:
            raise MismatchError(f"a slice of the symbolic size {size} needs a number: give --shape with sizes", node)
    return tuple(out) + tuple(s[len(node.payload) :])  # type: ignore[arg-type]


def _stack(node: Node, shapes: list[Shape]) -> Shape:
    for i, s in enumerate(shapes[1:], 1):
        if s != shapes[0]:
            message = f"ragged array literal: item 0 has shape {show(shapes[0])}, item {i} has {show(s)}"
            raise MismatchError(message, node)
    return (len(shapes), *shapes[0])


def shape_of(node: Node, got: list[Shape]) -> Shape:
    """One node's shape from its arguments' shapes (MismatchError when they do not fit)."""
    op = node.op
    if op == "matmul":
        return _matmul(node, *got)
    if op == "transpose":
        if len(got[0]) > 2:
            raise MismatchError(f"transpose takes a vector or a matrix, not shape {show(got[0])}", node)
        return got[0][::-1]
    if op in SCALAR_OUT:
        return ()
    if op in SQUARE:
        return _square(node, got[0])
    if op in SAME:
        return got[0]
    if op in ("dot", "outer"):
        return _vectors(node, *got)
    if op == "diag":
        return _diag(node, got[0])
    if op == "index":
        return _index(node, got[0])
    if op == "stack":
        return _stack(node, got)
    if op in TABLE and TABLE[op].rules is None:
        return _broadcast(node, got)
    raise MismatchError(f"{op} has no shape rule in matrix calculus", node)


class Shapes:
    """Node -> shape, filled on demand (derivative graphs are built after the input's shapes are known)."""

    def __init__(self, variables: Mapping[str, Shape]) -> None:
        self.variables = dict(variables)
        self.known: dict[Node, Shape] = {}

    def __call__(self, root: Node) -> Shape:
        if root in self.known:
            return self.known[root]
        for node in topo_order([root]):
            if node in self.known:
                continue
            if node.op == "const":
                self.known[node] = ()
            elif node.op == "var":
                self.known[node] = self.variables.get(node.payload, ())  # type: ignore[arg-type]
            else:
                self.known[node] = shape_of(node, [self.known[a] for a in node.args])
        return self.known[root]

    def sizes(self) -> set[str]:
        """The symbolic sizes in use."""
        return {d for s in self.variables.values() for d in s if isinstance(d, str)}
