"""Expressions back to text: canonical input syntax (parses back to the same graph) and LaTeX.

Printing is an explicit-stack emission of pieces, never recursion; the expanded size is
computed first so that a DAG whose tree form would be huge is refused instead of printed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from adcli.core import exact
from adcli.core.arrays import key_text
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, const, make, topo_order_of

#: binding strength of each operation's printed form (atoms and calls bind tightest).
PRECEDENCE: dict[str, int] = {"add": 1, "sub": 1, "mul": 2, "div": 2, "matmul": 2, "hadamard": 2, "neg": 3, "pow": 4}
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
    "matmul": (Slot(0, 2, frozenset({"div"}), leading=True), " @ ", Slot(1, 3)),
    "transpose": (Slot(0, ATOM), "'"),
}
SHOWN = {"amax": "max", "amin": "min"}  # reductions printed by their function's name
NAMED = {math.pi: "pi", math.e: "e"}
LIMIT = 200_000  # characters in one printed expression

#: LaTeX templates, beside PLAIN: operators, then functions with a notation of their own;
#: any other function prints as \operatorname{name}\left(…\right) (or \sin etc., see LATEX_NAMES).
LATEX: dict[str, tuple[Piece, ...]] = {
    "add": (Slot(0, 1, leading=True), " + ", Slot(1, 2)),
    "sub": (Slot(0, 1, leading=True), " - ", Slot(1, 2)),
    "mul": (Slot(0, 2, leading=True), r" \cdot ", Slot(1, 3)),
    "div": (r"\frac{", Slot(0), "}{", Slot(1), "}"),
    "pow": ("{", Slot(0, ATOM, frozenset({"div"})), "}^{", Slot(1), "}"),
    "neg": ("-", Slot(0, 4)),
    "sqrt": (r"\sqrt{", Slot(0), "}"),
    "cbrt": (r"\sqrt[3]{", Slot(0), "}"),
    "abs": (r"\left|", Slot(0), r"\right|"),
    "exp": ("e^{", Slot(0), "}"),
    "log": (r"\ln\left(", Slot(0), r"\right)"),
    "log10": (r"\log_{10}\left(", Slot(0), r"\right)"),
    "log2": (r"\log_{2}\left(", Slot(0), r"\right)"),
    # arrays (issue 13): Aᵀ, the matrix product by juxtaposition, ⊙ for an elementwise product of arrays
    # (`hadamard`: a display-only node that matrix calculus puts in place of such a mul), A⁻¹, det, 1
    "transpose": ("{", Slot(0, ATOM), r"}^\top"),
    "matmul": (Slot(0, 2, frozenset({"div"}), leading=True), " ", Slot(1, 3)),
    "hadamard": (Slot(0, 2, frozenset({"div", "matmul"}), leading=True), r" \odot ", Slot(1, 3)),
    "inv": ("{", Slot(0, ATOM), "}^{-1}"),
    "det": (r"\det\left(", Slot(0), r"\right)"),
    "ones": (r"\mathbf{1}",),
}
LATEX_NAMES = {
    **{f: "\\" + f for f in ("sin", "cos", "tan", "sec", "csc", "cot", "sinh", "cosh", "tanh")},
    **{"asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan"},
}
GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa", "lambda", "mu"}
GREEK |= {"nu", "xi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi", "omega"}


def format_number(value: float) -> str:
    """Shortest text that reads back as the same float: 2 not 2.0, 1e-05 as Python writes it."""
    if abs(value) in NAMED:
        return ("-" if value < 0 else "") + NAMED[abs(value)]
    if not math.isfinite(value):  # a folded constant that overflowed (1e300*1e10): said, not converted to int
        return repr(float(value))
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def constant_text(node: Node) -> str:
    """A constant as text: its exact value where it has one (1/5 as 0.2, 10^310 as 1e+310), else its float
    (pi, e by name)."""
    return format_number(node.payload) if node.exact is None else exact.text(node.exact)  # type: ignore[arg-type]


def _negative(node: Node) -> bool:
    """A negative constant (by its exact value: one too small for a float is still negative)."""
    return node.op == "const" and (node.payload if node.exact is None else node.exact) < 0  # type: ignore[operator]


def _signed(node: Node, latex: bool = False) -> bool:
    if latex and node.op == "div":  # -\frac{x}{y}: the sign of the numerator goes in front
        return _leading_sign(node.args[0])
    return node.op == "neg" or _negative(node)


def _leading_sign(node: Node) -> bool:
    """A numerator that starts with a minus: -u, -2, or a product whose first factor does (-2*x^2), so that
    every fraction prints its sign in front: -\frac{2 x^{2}}{y^{3}} as -\frac{x^{2}}{y^{2}}."""
    while node.op == "mul":
        node = node.args[0]
    return node.op == "neg" or _negative(node)


def _prec(node: Node, latex: bool = False) -> int:
    if _negative(node):
        return PRECEDENCE["neg"]
    if latex and node.op == "div":  # \frac{…}{…} is a block of its own (-\frac{…}{…} binds as a minus)
        return PRECEDENCE["neg"] if _signed(node, latex) else ATOM
    return PRECEDENCE.get(node.op, ATOM)


def _unsigned(node: Node) -> Node:
    """-u as u, -2 as 2, -2*x as 2*x, -1*x as x (the sign printed in front of a fraction instead)."""
    if node.op == "mul":
        first = _unsigned(node.args[0])
        one = first.op == "const" and first.payload == 1 and first.exact in (None, 1)
        return node.args[1] if one else make("mul", (first, node.args[1]))
    if node.op == "neg":
        return node.args[0]
    return const(-node.payload if node.exact is None else -node.exact)  # type: ignore[operator]


def _digit_first(node: Node, labels: Mapping[Node, str]) -> bool:
    """The LaTeX of a product's right factor starts with a digit (2 \\cdot 3, x \\cdot 2^{y}): keep the dot."""
    if node in labels:
        return False
    if node.op == "pow" and node.args[0] not in labels:
        node = node.args[0]
    return node.op == "const" and not _negative(node) and node.payload not in NAMED


def _bare_base(node: Node, labels: Mapping[Node, str]) -> bool:
    """A power's base printed without braces: x^{2}, 2^{x}, \\pi^{2} (not 1 \\cdot 10^{-5})."""
    if node in labels or node.op == "var":
        return True
    if node.op != "const" or _negative(node):
        return False
    text = constant_text(node)
    return text in ("pi", "e") or "e" not in text


def _template(node: Node, latex: bool = False, labels: Mapping[Node, str] = {}) -> tuple[Piece, ...]:
    table = LATEX if latex else PLAIN
    if latex and node.op == "mul" and not _digit_first(node.args[1], labels):
        return (Slot(0, 2, leading=True), " ", Slot(1, 3))  # 2 x, x \sin\left(x\right): juxtaposed
    if latex and node.op == "pow" and _bare_base(node.args[0], labels):
        return (Slot(0, ATOM), "^{", Slot(1), "}")
    if latex and node.op == "transpose" and (node.args[0].op == "var" or node.args[0] in labels):
        return (Slot(0, ATOM), r"^\top")
    if node.op in table:
        return table[node.op]
    if node.op in ("stack", "index"):
        return _array_template(node)
    key = (node.op, len(node.args), latex)
    if key not in _CALLS:  # made once per function: a Slot is a dataclass, slow to build per node
        shown = SHOWN.get(node.op, node.op)
        name = LATEX_NAMES.get(node.op, rf"\operatorname{{{shown}}}") if latex else shown
        pieces: list[Piece] = [name, r"\left(" if latex else "("]
        for i in range(len(node.args)):
            pieces += [", "] if i else []
            pieces.append(Slot(i))
        _CALLS[key] = (*pieces, r"\right)" if latex else ")")
    return _CALLS[key]


_CALLS: dict[tuple[str, int, bool], tuple[Piece, ...]] = {}


def _array_template(node: Node) -> tuple[Piece, ...]:
    """`[a, b]` for a literal, `x[1:3]` for an index (its payload says which entries)."""
    if node.op == "index":
        return (Slot(0, ATOM), key_text(node.payload))
    pieces: list[Piece] = ["["]
    for i in range(len(node.args)):
        pieces += [", "] if i else []
        pieces.append(Slot(i))
    return (*pieces, "]")


def _latex_leaf(text: str) -> str:
    """A number or name in LaTeX: pi as \\pi, 1e-05 as 1 \\cdot 10^{-5}, x_1 as x_{1}, alpha as \\alpha."""
    sign, body = ("-", text[1:]) if text.startswith("-") else ("", text)
    if body in ("pi", "e") or body in GREEK:
        return sign + ("e" if body == "e" else "\\" + body)
    if body[:1].isdigit() or body[:1] == ".":
        mantissa, _, exponent = body.partition("e")
        return sign + (f"{mantissa} \\cdot 10^{{{int(exponent)}}}" if exponent else mantissa)
    head, _, tail = body.partition("_")
    head = head if len(head) <= 1 or head.startswith("@") else rf"\mathrm{{{head}}}"
    return sign + (f"{head}_{{{tail.replace('_', chr(92) + '_')}}}" if tail else head)


def _leaf(node: Node, labels: Mapping[Node, str], latex: bool = False) -> str | None:
    if node in labels:
        text = labels[node]
    elif node.op == "const":
        text = constant_text(node)
    elif node.op == "var":
        text = str(node.payload)
    else:
        return None
    return _latex_leaf(text) if latex else text


def expanded_size(roots: Iterable[Node], labels: Mapping[Node, str] = {}, cap: int = LIMIT) -> int:
    """Characters of the tree form (saturating at cap+1): what printing would cost.

    Every node of the tree prints at least one character, so a walk stops after cap+1 new nodes: a
    short text of a deep expression (a kink warning on each of 4,000 nested abs) costs O(cap), not O(depth).
    """
    size: dict[Node, int] = {}
    done: set[Node] = set(labels)
    total = 0
    for root in roots:
        if root not in size:
            order = topo_order_of(root, done, cap + 1)
            if order is None:
                return cap + 1
            for node in order:
                if node.args:
                    inner = sum(_size_of(a, size, labels) + 2 for a in node.args)
                    size[node] = min(cap + 1, len(node.op) + 4 + inner)
                else:
                    size[node] = _size_of(node, size, labels)
            done.update(order)
        total = min(cap + 1, total + _size_of(root, size, labels))
    return total


def _size_of(node: Node, size: Mapping[Node, int], labels: Mapping[Node, str]) -> int:
    """A node's printed size: measured, or a leaf's (a labelled node prints as its label)."""
    if node in size:
        return size[node]
    leaf = _leaf(node, labels)
    return len(leaf) if leaf is not None else 0


def to_text(
    root: Node, labels: Mapping[Node, str] = {}, limit: int = LIMIT, *, truncate: bool = False, latex: bool = False
) -> str:
    """The canonical text of root; nodes named in labels print as their names.

    Longer than limit: limit_exceeded, or with truncate the first limit characters and "…".
    With latex, the LATEX templates instead of PLAIN (see to_latex).
    """
    if not truncate and expanded_size([root], labels, limit) > limit:
        raise AdcliError(
            "limit_exceeded", f"the expression is over {limit:,} characters when printed; use shared form (--cse)"
        )
    return _plain(root, labels, limit) if not latex else _emit(root, labels, limit, latex)


def _emit(root: Node, labels: Mapping[Node, str], limit: int, latex: bool) -> str:
    """The general loop (LaTeX's templates depend on the arguments); _plain is its input-syntax twin."""
    out: list[str] = []
    stack: list[Node | str] = [root]
    written = 0
    parens = (r"\left(", r"\right)") if latex else ("(", ")")
    while stack:
        if written > limit:
            return "".join(out)[:limit] + "…"
        item = stack.pop()
        if type(item) is str:
            out.append(item)
            written += len(item)
            continue
        leaf = _leaf(item, labels, latex) if not item.args or item in labels else None  # operations: no call
        if leaf is not None:
            out.append(leaf)
            written += len(leaf)
            continue
        todo: list[Node | str] = []
        if latex and item.op == "div" and _signed(item, latex):  # -\frac{x}{y}, not \frac{-x}{y}
            todo.append("-")
            item = make("div", (_unsigned(item.args[0]), item.args[1]))
        for piece in _template(item, latex, labels):
            if type(piece) is str:
                todo.append(piece)
                continue
            arg = item.args[piece.arg]
            if arg not in labels and (
                _prec(arg, latex) < piece.min_prec
                or arg.op in piece.paren_ops
                or (not piece.leading and piece.min_prec > 0 and _signed(arg, latex))
            ):
                todo += [parens[0], arg, parens[1]]
            else:
                todo.append(arg)
        stack.extend(reversed(todo))
    text = "".join(out)
    return text if written <= limit else text[:limit] + "…"


#: (op, number of arguments) -> the plain template with each Slot as a tuple (arg, min_prec, paren_ops, leading)
_PLAIN_PIECES: dict[tuple[str, int], tuple[str | tuple[int, int, frozenset[str], bool], ...]] = {}


def _plain_pieces(node: Node) -> tuple[str | tuple[int, int, frozenset[str], bool], ...]:
    key = (node.op, len(node.args)) if node.op != "index" else (node.op, node.payload)  # type: ignore[assignment]
    if key not in _PLAIN_PIECES:
        _PLAIN_PIECES[key] = tuple(
            p if type(p) is str else (p.arg, p.min_prec, p.paren_ops, p.leading)  # type: ignore[union-attr]
            for p in _template(node)
        )
    return _PLAIN_PIECES[key]


#: the plain texts of recent long roots, by node serial (never reused), whole or as their first characters
#: (a truncated call): the REPL's `$ + 1` chain prints each result, whose left spine is every result
#: before it; with these, a line costs its own nodes only (2,000 chained lines: quadratic, 69 s under load)
_TEXTS: dict[int, tuple[str, bool]] = {}
_TEXTS_KEPT, _TEXTS_MIN = 64, 60


def _remember(root: Node, text: str, whole: bool) -> None:
    if len(text) < _TEXTS_MIN or (root.serial in _TEXTS and len(_TEXTS[root.serial][0]) >= len(text)):
        return
    if len(_TEXTS) >= _TEXTS_KEPT:
        del _TEXTS[next(iter(_TEXTS))]
    _TEXTS[root.serial] = (text, whole)


def _plain(root: Node, labels: Mapping[Node, str], limit: int) -> str:  # noqa: C901 - one loop, kept flat
    """to_text's loop for the input syntax, with _prec, _signed and _leaf written inline: printing each
    batch problem's outputs cost as much as its primal sweep."""
    out: list[str] = []
    stack: list[Node | str] = [root]
    written, neg = 0, PRECEDENCE["neg"]
    texts = _TEXTS if not labels and _TEXTS else None  # a label changes the text: no cached one then
    while stack:
        if written > limit:
            break
        item = stack.pop()
        if type(item) is str:
            out.append(item)
            written += len(item)
            continue
        if texts is not None and item.serial in texts:
            known, whole = texts[item.serial]
            if whole or written + len(known) > limit:  # a first part is enough when it reaches the limit
                out.append(known)
                written += len(known)
                continue
        if not item.args or item in labels:
            if item in labels:
                leaf = labels[item]
            else:
                leaf = constant_text(item) if item.op == "const" else str(item.payload)
            out.append(leaf)
            written += len(leaf)
            continue
        args, todo = item.args, []
        for piece in _plain_pieces(item):
            if type(piece) is str:
                todo.append(piece)
                continue
            arg_index, min_prec, paren_ops, leading = piece  # type: ignore[misc]
            arg = args[arg_index]
            if arg not in labels:
                op = arg.op
                signed = op == "neg" or (op == "const" and _negative(arg))
                prec = neg if signed and op == "const" else PRECEDENCE.get(op, ATOM)
                if prec < min_prec or op in paren_ops or (not leading and min_prec > 0 and signed):
                    todo += ("(", arg, ")")
                    continue
            todo.append(arg)
        stack.extend(reversed(todo))
    text = "".join(out)
    if written > limit:  # longer than the limit: its first limit characters and …
        if not labels:
            _remember(root, text[: limit + 1], False)
        return text[:limit] + "…"
    if not labels:
        _remember(root, text, True)
    return text


def to_latex(root: Node, labels: Mapping[Node, str] = {}, limit: int = LIMIT) -> str:
    """LaTeX for root (math mode, no delimiters): \\frac, \\sqrt, \\sin\\left(x\\right), x^{2}, 2 x."""
    return to_text(root, labels, limit, latex=True)


def _digits(x: float, digits: int) -> str:
    if not math.isfinite(x):
        return str(x)
    return str(int(x)) if x == int(x) and abs(x) < 10.0**digits else f"{x:.{digits}g}"


def compact(value: object, digits: int) -> str:
    """An array on one line, summarised (corners and …) past a dozen entries: for tables of several modes."""
    import numpy as np

    arr = np.asarray(value, dtype=float)
    return (
        np.array2string(
            arr,
            separator=", ",
            threshold=12,
            edgeitems=2,
            max_line_width=10**6,
            formatter={"float_kind": lambda v: _digits(float(v), digits)},
        )
        .replace("...", "…")
        .replace("\n", "")
        .replace(",  ", ", ")
        .replace(", ", ", ")
    )
