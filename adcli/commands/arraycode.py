"""numpy code for the structural primitives' value, JVP and VJP, for the array traces (issue 12).

`trace --emit python` on arrays writes a straight-line numpy program with these lines, and the forward
trace shows the JVP lines (without `np.`) as its tangent rows. They mirror the rules in
core/arrays.py, written out for the shapes at hand (matmul of a vector is an outer product in the
VJP, as numpy treats vectors); tests/commands/test_arrayemit.py runs the programs against the sweeps
and checks that every structural primitive has its three lines here.

Placeholders: {a} {b} the arguments, {o} the output, {g} the output's adjoint, {ta} {tb} the
arguments' tangents.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from adcli.core.arrays import key

Shape = tuple[int, ...]

PRIMAL = {
    "matmul": "{a} @ {b}",
    "transpose": "np.transpose({a})",
    "dot": "np.dot({a}, {b})",
    "outer": "np.outer({a}, {b})",
    "sum": "np.sum({a})",
    "mean": "np.mean({a})",
    "prod": "np.prod({a})",
    "norm": "np.sqrt(np.sum(np.square({a})))",
    "logsumexp": "logsumexp({a})",
    "softmax": "softmax({a})",
    "amax": "np.max({a})",
    "amin": "np.min({a})",
    "tr": "np.trace({a})",
    "det": "np.linalg.det({a})",
    "inv": "np.linalg.inv({a})",
    "logdet": "np.linalg.slogdet({a})[1]",
    "diag": "np.diag({a})",
    "ones": "np.ones(np.shape({a}))",
}

#: one term per argument (summed over the arguments that have a tangent)
JVP = {
    "matmul": ("{ta} @ {b}", "{a} @ {tb}"),
    "transpose": ("np.transpose({ta})",),
    "dot": ("np.dot({ta}, {b})", "np.dot({a}, {tb})"),
    "outer": ("np.outer({ta}, {b})", "np.outer({a}, {tb})"),
    "sum": ("np.sum({ta})",),
    "mean": ("np.mean({ta})",),
    "prod": ("np.sum(others_product({a}) * {ta})",),
    "norm": ("np.sum(norm_partial({a}, {o}) * {ta})",),
    "logsumexp": ("np.sum(np.exp({a} - {o}) * {ta})",),
    "softmax": ("{o} * ({ta} - np.sum({o} * {ta}, axis=-1, keepdims=True))",),
    "amax": ("np.sum(ties({a}, {o}) * {ta})",),
    "amin": ("np.sum(ties({a}, {o}) * {ta})",),
    "tr": ("np.trace({ta})",),
    "det": ("np.trace(adjugate({a}) @ {ta})",),
    "inv": ("-{o} @ {ta} @ {o}",),
    "logdet": ("np.trace(np.linalg.inv({a}) @ {ta})",),
    "diag": ("np.diag({ta})",),
    "ones": ("np.zeros(np.shape({o}))",),  # constant: its tangent is 0
}

#: one line per argument: that argument's share of the output's adjoint
VJP = {
    "transpose": ("np.transpose({g})",),
    "dot": ("{g} * {b}", "{g} * {a}"),
    "outer": ("{g} @ {b}", "{g}.T @ {a}"),
    "sum": ("np.full(np.shape({a}), {g})",),
    "mean": ("np.full(np.shape({a}), {g} / np.size({a}))",),
    "prod": ("{g} * others_product({a})",),
    "norm": ("{g} * norm_partial({a}, {o})",),
    "logsumexp": ("{g} * np.exp({a} - {o})",),
    "softmax": ("{o} * ({g} - np.sum({o} * {g}, axis=-1, keepdims=True))",),
    "amax": ("{g} * ties({a}, {o})",),
    "amin": ("{g} * ties({a}, {o})",),
    "tr": ("{g} * np.eye(np.shape({a})[0])",),
    "det": ("{g} * adjugate({a}).T",),
    "inv": ("-{o}.T @ {g} @ {o}.T",),
    "logdet": ("{g} * np.linalg.inv({a}).T",),
    "diag": ("diag_adjoint({g}, np.shape({a}))",),
    "ones": ("np.zeros(np.shape({a}))",),  # constant: no adjoint reaches its argument
}

#: the helpers the lines above call, defined at the top of an emitted program when used
HELPERS = {
    "diag_adjoint": [
        "def diag_adjoint(g, shape):",
        "    if len(shape) == 1 or shape[0] == shape[1]:",
        "        return np.diag(g)",
        "    k = min(shape)  # a rectangular matrix's diagonal: diag(g) bordered by zeros",
        "    return np.eye(shape[0], k) @ np.diag(g) @ np.eye(k, shape[1])",
    ],
    "logsumexp": [
        "def logsumexp(x):",
        "    m = np.max(x)  # shifted by the max: no overflow",
        "    return m + np.log(np.sum(np.exp(x - m)))",
    ],
    "softmax": [
        "def softmax(x):",
        "    e = np.exp(x - np.max(x, axis=-1, keepdims=True))",
        "    return e / np.sum(e, axis=-1, keepdims=True)",
    ],
    "others_product": [
        "def others_product(x):",
        '    """d prod(x)/d x_i: the product of the others, without dividing (exact where an entry is 0)."""',
        "    flat = np.ravel(x)",
        "    left = np.concatenate(([1.0], np.cumprod(flat[:-1])))",
        "    right = np.concatenate((np.cumprod(flat[::-1][:-1])[::-1], [1.0]))",
        "    return (left * right).reshape(np.shape(x))",
    ],
    "adjugate": [
        "def adjugate(a):",
        '    """adj(A) = det(A)·inv(A), also at a singular A: V·diag(products of the other singular values)·Uᵀ."""',
        "    u, s, vt = np.linalg.svd(a)",
        "    sign = np.sign(np.linalg.det(u)) * np.sign(np.linalg.det(vt))",
        "    return sign * (vt.T * others_product(s)) @ u.T",
    ],
    "norm_partial": [
        "def norm_partial(x, n):",
        "    return np.zeros(np.shape(x)) if n == 0 else x / n  # at 0: the subgradient 0",
    ],
    "ties": [
        "def ties(x, m):",
        "    mask = np.equal(x, m).astype(float)",
        "    return mask / np.sum(mask)  # a tie shares the derivative equally",
    ],
    "unbroadcast": [
        "def unbroadcast(g, shape):",
        '    """Sum an adjoint over the axes that broadcasting added or stretched, back to shape."""',
        "    while np.ndim(g) > len(shape):",
        "        g = np.sum(g, axis=0)",
        "    for axis, size in enumerate(shape):",
        "        if size == 1 and np.shape(g)[axis] != 1:",
        "            g = np.sum(g, axis=axis, keepdims=True)",
        "    return g",
    ],
    "scatter": [
        "def scatter(g, shape, key):",
        "    full = np.zeros(shape)",
        "    full[key] = g",
        "    return full",
    ],
}


def _slice_code(k: slice) -> str:
    return f"slice({k.start!r}, {k.stop!r}" + ("" if k.step is None else f", {k.step!r}") + ")"


def key_code(payload: Any) -> str:
    """An index node's key as Python: (1, slice(None, 2))."""
    parts = [repr(k) if isinstance(k, int) else _slice_code(k) for k in key(payload)]
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


@dataclass(frozen=True)
class Slot:
    """One structural operation of the tape, as code: its arguments' and output's names, the arguments' shapes."""

    op: str
    args: Sequence[str]
    out: str
    shapes: Sequence[Shape]
    payload: Any = None

    def fill(self) -> dict[str, str]:
        return {"a": self.args[0], "b": self.args[1] if len(self.args) > 1 else "", "o": self.out}


def primal(slot: Slot) -> str:
    if slot.op == "stack":
        return f"np.stack([{', '.join(slot.args)}])"
    if slot.op == "index":
        return f"{slot.args[0]}[{key_code(slot.payload)}]"
    return PRIMAL[slot.op].format(**slot.fill())


def jvp(slot: Slot, tangents: Sequence[str | None]) -> str:
    """The output's tangent from the arguments' (None: no tangent, a constant or an inactive argument)."""
    if slot.op == "stack":
        items = [t if t is not None else f"np.zeros({s!r})" for t, s in zip(tangents, slot.shapes, strict=True)]
        return f"np.stack([{', '.join(items)}])"
    if slot.op == "index":
        return f"{tangents[0]}[{key_code(slot.payload)}]"
    terms = [
        template.format(ta=t, tb=t, **slot.fill())
        for template, t in zip(JVP[slot.op], tangents, strict=False)
        if t is not None
    ]
    return " + ".join(terms)


def vjp(slot: Slot, k: int, g: str) -> str:
    """The k-th argument's share of the output's adjoint g."""
    if slot.op == "stack":
        return f"{g}[{k}]"
    if slot.op == "index":
        return f"scatter({g}, {slot.shapes[0]!r}, {key_code(slot.payload)})"
    if slot.op == "matmul":
        return _matmul_vjp(k, slot.args, g, slot.shapes)
    return VJP[slot.op][k].format(g=g, **slot.fill())


def _matmul_vjp(k: int, args: Sequence[str], g: str, shapes: Sequence[Shape]) -> str:
    """Ā = Ḡ@Bᵀ, B̄ = Aᵀ@Ḡ with vectors as numpy treats them (core/arrays.py's _matmul_vjp)."""
    (a, b), (sa, sb) = args, shapes
    if k == 0:
        if len(sb) == 1:
            return f"np.outer({g}, {b})" if len(sa) == 2 else f"{g} * {b}"
        return f"{b} @ {g}" if len(sa) == 1 else f"{g} @ {b}.T"
    if len(sa) == 1:
        return f"np.outer({a}, {g})" if len(sb) == 2 else f"{g} * {a}"
    return f"{a}.T @ {g}"


def readable(code: str) -> str:
    """A line of code as the trace shows it: without the `np.` of numpy's functions."""
    return code.replace("np.linalg.", "").replace("np.", "")
