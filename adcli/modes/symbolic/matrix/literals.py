"""Array literals in derivatives: the unit vectors and sparse literals that entry-by-entry Jacobians make.

The Jacobian of an array output is found one entry at a time, so its rows start as unit vectors
(`[0, 1, 0]`, an entry's adjoint scattered into zeros). These rules fold them back: M @ eᵢ is the
column M[:, i], sum(v ⊙ eᵢ) is v[i], literals add entry by entry, a literal of M's rows in order is
M. Each is an identity of the values (numpy's), so folding never changes a number.
"""

from __future__ import annotations

from typing import Any

from adcli.core.graph import Node, const, make

ALL = ("s", None, None)


def unit(node: Node) -> tuple[int, Node] | None:
    """(k, c) when node is the literal c·eₖ (constants, all zero but entry k)."""
    if node.op != "stack" or not all(a.op == "const" for a in node.args):
        return None
    nonzero = [k for k, a in enumerate(node.args) if a.exact != 0]
    return (nonzero[0], node.args[nonzero[0]]) if len(nonzero) == 1 else None


def column(alg: Any, matrix: Node, k: int) -> Node:
    """M[:, k], or N[k, :] for M = N'."""
    if matrix.op == "transpose":
        return index(alg, matrix.args[0], (("i", k), ALL))
    return index(alg, matrix, (ALL, ("i", k)))


def index(alg: Any, a: Node, payload: tuple) -> Node:
    """a[...] with [e0, e1, …][k] = eₖ and N'[:, k] = N[k, :]."""
    if a.op == "stack" and payload and payload[0][0] == "i":
        item = a.args[payload[0][1] % len(a.args)]
        return index(alg, item, payload[1:]) if payload[1:] else item
    inner = a.payload if a.op == "index" else ()
    if len(inner) == len(payload) and all(k[0] == "s" and len(k) == 3 and (k[1] or 0) >= 0 for k in inner):
        if all(k[0] == "i" and k[1] >= 0 for k in payload):  # x[1:3][0] is x[1]
            return index(alg, a.args[0], tuple(("i", (s[1] or 0) + k[1]) for s, k in zip(inner, payload, strict=True)))
    if a.op == "transpose" and len(payload) == 2:
        return index(alg, a.args[0], payload[::-1])
    if a.op == "ones":
        inner = index(alg, a.args[0], payload)
        return const(1) if alg.shape(inner) == () else make("ones", (inner,))
    if a.op in ("mul", "div", "neg"):  # (c·u ⊙ v)[k] = c·u[k]·v[k] when the factors have a's shape
        coef, factors = alg.monomial(a)
        shape = alg.shape(a)
        if all(alg.shape(f) in (shape, ()) for f, _ in factors):
            picked = [(f if alg.shape(f) == () else index(alg, f, payload), k) for f, k in factors]
            return alg.product(coef, picked)
    return make("index", (a,), payload)


def stack(alg: Any, items: tuple[Node, ...]) -> Node:
    """[M[0, :], M[1, :], …] of all M's rows in order is M (a vector's entries: the vector)."""
    first = items[0] if items else None
    if first is not None and first.op == "index":
        source = first.args[0]
        shape = alg.shape(source)
        rows = len(shape) == 2 and all(
            it.op == "index" and it.args[0] is source and it.payload == (("i", k), ALL) for k, it in enumerate(items)
        )
        entries = len(shape) == 1 and all(
            it.op == "index" and it.args[0] is source and it.payload == (("i", k),) for k, it in enumerate(items)
        )
        if (rows or entries) and shape[0] == len(items):
            return source
        columns = len(shape) == 2 and all(
            it.op == "index" and it.args[0] is source and it.payload == (ALL, ("i", k)) for k, it in enumerate(items)
        )
        if columns and shape[1] == len(items):
            return alg.t(source)
    diagonal = _diagonal(alg, items)
    return diagonal if diagonal is not None else make("stack", items)


def _diagonal(alg: Any, items: tuple[Node, ...]) -> Node | None:
    """[[c·u[0]·v[0], 0], [0, c·u[1]·v[1]]] is diag(c·u ⊙ v)."""
    signature = None
    for i, row in enumerate(items):
        if row.op != "stack" or len(row.args) != len(items):
            return None
        if any(i != j and not (e.op == "const" and e.exact == 0) for j, e in enumerate(row.args)):
            return None
        coef, factors = alg.monomial(row.args[i])
        if not factors or any(f.op != "index" or f.payload != (("i", i),) for f, _ in factors):
            return None
        mine = (coef, tuple((f.args[0], k) for f, k in factors))
        if signature is not None and mine != signature:
            return None
        signature = mine
    if signature is None:
        return None
    return make("diag", (alg.product(signature[0], list(signature[1])),))


def total(alg: Any, a: Node) -> Node:
    """sum of a literal: the sum of its items (each summed when it is an array)."""
    if a.op == "stack":
        return alg.add(*[item if alg.shape(item) == () else total(alg, item) for item in a.args])
    scalar, array = alg.split(a)
    if scalar.op == "const" and scalar.exact == 1:
        return make("sum", (a,))
    return alg.mul(scalar, make("sum", (array,)))  # sum(c*v) = c*sum(v)


def merge(alg: Any, items: list[tuple[Any, Node]]) -> list[tuple[Any, Node]]:
    """Terms that are literals of one shape add entry by entry: [0, a] + [b, 0] is [b, a]."""
    literals = [(c, core) for c, core in items if core.op == "stack"]
    if len(literals) < 2:
        return items
    shape = alg.shape(literals[0][1])
    same = [(c, core) for c, core in literals if alg.shape(core) == shape]
    if len(same) < 2:
        return items
    width = len(same[0][1].args)
    entries = [alg.add(*[alg.mul(_number(c), core.args[k]) for c, core in same]) for k in range(width)]
    merged = stack(alg, tuple(entries))
    return [(1, merged)] + [item for item in items if item not in same]


def spread(alg: Any, factors: list[tuple[Node, int]], coef: Any) -> tuple[list[tuple[Node, int]], Any]:
    """c·v ⊙ [0, a, 0] is [0, c·a·v[1], 0]: a literal with zeros times scalars and vectors of its length,
    entry by entry (so that a Jacobian's rows stay literals that fold: diag(v), M[:, k])."""
    for i, (literal, k) in enumerate(factors):
        if k != 1 or literal.op != "stack" or not any(a.op == "const" and a.exact == 0 for a in literal.args):
            continue
        shape = alg.shape(literal)
        others = [(f, j) for n, (f, j) in enumerate(factors) if n != i]
        if len(shape) != 1 or not all(alg.shape(f) in (shape, ()) and j == 1 for f, j in others):
            continue
        items = []
        for n, item in enumerate(literal.args):
            parts = [_number(coef), item] + [f if alg.shape(f) == () else index(alg, f, (("i", n),)) for f, _ in others]
            items.append(alg.mul(*parts))
        return [(stack(alg, tuple(items)), 1)], 1
    return factors, coef


def _number(c: Any) -> Node:
    from fractions import Fraction

    return const(c if isinstance(c, float) else Fraction(c))
