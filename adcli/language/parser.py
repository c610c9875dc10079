"""Text to graph: the Lark LALR parser with an inline Transformer, and parse errors with places.

The Transformer runs inside the parser (no tree is built, nothing recurses), so 100,000 nested
parentheses parse in a loop; its method names are the grammar's aliases, as in Lark's calc example.
"""

from __future__ import annotations

import difflib
import gc
import math
import re
import unicodedata
from collections.abc import Container, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from adcli.core import exact, numbers
from adcli.core.errors import AdcliError, Places
from adcli.core.graph import Node, const, make, topo_order, topo_order_of, var
from adcli.core.primitives import CONSTANTS, FUNCTIONS, TABLE
from adcli.core.printing import format_number, to_text
from adcli.language import functions as defined
from adcli.language.lalr import Driver, Token

if TYPE_CHECKING:  # Lark is imported only when the lean loop gives up (an error, or Lark's own choices)
    from lark import Lark
    from lark.exceptions import UnexpectedCharacters, UnexpectedInput

MAX_CHARS = 1_000_000  # longest text parsed (a dense 1 MB parses in about 15 s); longer is `limit_exceeded`
_PAREN_NEXT = re.compile(r"[ \t]*\(")
#: the array generators of a point (`at W = randn(3, 2)`, as --at has them), and where one is read as such:
#: right after `name =` that follows the point's `at` or a comma (a binding's value; never in an expression)
GENERATORS = frozenset({"randn", "zeros", "ones", "eye"})
_GENERATOR_AT = re.compile(r"(?:(?<![\w.])at|,)[ \t]*[^\W\d]\w*[ \t]*=[ \t]*\Z")
READ_AS_LIMIT = 10_000  # longer canonical text is shown cut, with "…"
SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻", "0123456789+-")

#: terminal names in words, for "expected …" messages.
WORDS: dict[str, str] = {
    "NUMBER": "a number",
    "NAME": "a name",
    "FUNC": "a function",
    "PI": "π",
    "SQRT": "√",
    "CBRT": "∛",
    "LPAR": "'('",
    "RPAR": "')'",
    "LSQB": "'['",
    "RSQB": "']'",
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "MATMUL": "'@'",
    "TRANSPOSE": "a transpose '",
    "COMMA": "','",
    "SEMICOLON": "';'",
    "EQUAL": "'='",
    "COLON": "':'",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "TIMES": "'*'",
    "DIV": "'/'",
    "POW": "'^'",
    "SUPERSCRIPT": "a superscript",
    "AT": "'at'",
    "_NL": "a new line",
    "$END": "the end of the input",
}
_OPERAND_WORDS = (("NUMBER", "a number"), ("NAME", "a name"), ("FUNC", "a function"), ("LPAR", "'('"))
_FUNC_BEFORE = re.compile(r"([A-Za-z_]\w*)\s*(\^|\*\*)?\s*$")
OPERAND_START = {"NUMBER", "NAME", "FUNC", "PI", "SQRT", "LPAR", "CBRT"}


@dataclass
class Binding:
    """A value in a point: one number, or (issue 5) a span start:stop:count or a list."""

    name: str
    values: list[float]
    kind: str = "value"  # "value" | "array" | "span" | "list" | "rows" (a column of a --points table)
    line: int | None = None
    column: int | None = None
    table: str = ""  # "rows": the table's file; the columns of one table are one axis of the point set


@dataclass
class Parsed:
    """What the text said: outputs, bound names, the point in the text, and how it was read."""

    source: str
    outputs: list[Node]
    labels: dict[Node, str] = field(default_factory=dict)
    assignments: list[tuple[str, Node]] = field(default_factory=list)
    point: list[Binding] = field(default_factory=list)
    positions: Places = field(default_factory=Places)
    notes: list[str] = field(default_factory=list)
    maybe_calls: list[Token] = field(default_factory=list)  # `name(...)` read as a product
    given: frozenset[str] = frozenset()  # names that stood for graphs already built (parse's `given`)
    functions: dict[str, defined.Function] = field(default_factory=dict)  # `f(x) = …`, in order
    #: each function with the number of assignments before it (read_as keeps the statements' order)
    definitions: list[tuple[int, defined.Function]] = field(default_factory=list)

    def read_as(self) -> str:
        """The canonical text: parses back to the same graph, with the parentheses that matter."""
        parts = []
        statements = [(k, (f.signature(), f.body)) for k, f in self.definitions]
        statements += [(k + 0.5, pair) for k, pair in enumerate(self.assignments)]
        for _, (name, node) in sorted(statements, key=lambda s: s[0]):
            others = {n: label for n, label in self.labels.items() if n is not node}
            parts.append(f"{name} = {to_text(node, others, READ_AS_LIMIT, truncate=True)}")
        parts.append(", ".join(to_text(n, self.labels, READ_AS_LIMIT, truncate=True) for n in self.outputs))
        return "; ".join(parts)


def _error(kind: str, message: str, token: Token | None, source: str) -> AdcliError:
    line = getattr(token, "line", None)
    column = getattr(token, "column", None)
    return AdcliError(kind, message, line=line, column=column, source=source)


class _Builder:
    """Grammar aliases -> graph nodes; one instance per parse holds that parse's bookkeeping.

    A Transformer by its methods (Lark looks them up by rule name; no base class: importing Lark's is
    importing Lark). Each method takes the rule's children as one list (Lark calls it directly; `v_args(inline=True)`
    put three wrapper calls around every reduction, a fifth of the parse).
    """

    def reset(self, source: str, strict: bool, given: Mapping[str, Node] | None = None) -> None:
        """Start a parse: the parser holds one Builder, whose state is one parse's. `given`: names that stand
        for graphs already built (the REPL's results), used as they are instead of parsing their text again."""
        self.source, self.strict = source, strict
        self.given = given or {}
        self.parsed = Parsed(source, [], given=frozenset(self.given))
        self.places = self.parsed.positions.packed
        self.env: dict[str, Node] = {}
        self.bare_numbers: set[Node] = set()
        self.numbers: dict[str, Node] = {}  # a literal's text -> its node, this parse's
        self.point_names: set[str] = set()
        self.defining: defined.Function | None = None  # the function whose body is being parsed
        self.calls: dict[Node, tuple[str, tuple[Node, ...]]] = {}  # a call's node -> the function and arguments

    def _at(self, node: Node, token: Token) -> Node:
        places = self.places
        if node not in places:  # the first place a shared node is written, packed (adcli.core.errors.Places)
            places[node] = token.line << Places.SHIFT | token.column
        return node

    def _at_all(self, node: Node, token: Token) -> Node:
        """A given graph is written where its name is: each of its nodes without a place gets that one, so
        an error inside it points at the name (the REPL then says `(in $3 = …)`)."""
        place = token.line << Places.SHIFT | token.column
        for n in topo_order_of(node, self.places) or ():
            self.places[n] = place
        return node

    def lex_name(self, token: Token) -> Token:
        """The lexer's NAME callback: function names become FUNC tokens. (Not named NAME: a Transformer
        method named for a terminal is also called on every NAME the parser shifts.)"""
        if token.value in GENERATORS and _GENERATOR_AT.search(self.source, 0, token.start_pos):
            if _PAREN_NEXT.match(self.source, token.end_pos):  # `at x = ones(2)`: an array, as --at x=ones(2)
                token.type = "GEN"
                return token
        if token.value in FUNCTIONS or token.value in self.parsed.functions:
            if self._head(token) is not None:  # `sin(x) = …`, or a second `f(x) = …`
                message = f"{token.value} is already defined: give the new function another name"
                if token.value in FUNCTIONS:
                    message = f"{token.value} is a built-in function; it cannot be redefined: name yours f, g, …"
                raise _error("syntax_error", message, token, self.source)
            return token.update(type="FUNC")
        params = self._head(token)
        if params is not None:  # `f(x, y) = …` starts a statement: a definition
            if token.value in CONSTANTS:
                message = f"{token.value} is a constant; it cannot be defined as a function"
                raise _error("syntax_error", message, token, self.source)
            self.defining = defined.Function(token.value, params)
            self.parsed.functions[token.value] = self.defining
            self.parsed.definitions.append((len(self.parsed.assignments), self.defining))
            return token.update(type="DEFNAME")
        calls = self.parsed.maybe_calls
        if _PAREN_NEXT.match(self.source, token.end_pos) and (not calls or calls[-1].start_pos < token.start_pos):
            calls.append(token)  # `f(x)`: a product if f has a value, else an unknown function
        return token

    def _head(self, token: Token) -> list[str] | None:
        """The parameters when the token starts a statement `name(a, b) = …`, else None."""
        if not defined.starts_statement(self.source, token.start_pos):
            return None
        return defined.head(self.source, token.value, token.end_pos, token.line, token.column)

    # ---- atoms
    def number(self, children: list[Token]) -> Node:
        token = children[0]
        node = self.numbers.get(token.value)  # `2` and `100` recur in a long sum: one node, read once
        if node is not None:
            return self._at(node, token)
        try:
            value = float(token.value)
        except ValueError as exc:  # pragma: no cover - the terminal only matches numbers
            raise _error("syntax_error", f"bad number {token.value!r}", token, self.source) from exc
        if not math.isfinite(value):
            said = f"the number {cut(token.value)} is too large for a float"
            raise _error("nonfinite", said, token, self.source)
        node = self.numbers[token.value] = const(exact.literal(token.value, value))  # 0.2 is 1/5 in symbolic mode
        return self._at(node, token)

    def name(self, children: list[Token]) -> Node:
        token = children[0]
        if self.defining is not None and token.value in self.defining.params:  # a parameter: local to its body
            return self._at(var(token.value), token)
        if token.value in self.env:
            return self.env[token.value]
        if self.given and token.value in self.given:
            return self._at_all(self.given[token.value], token)
        if token.value in CONSTANTS:
            return self._at(const(CONSTANTS[token.value]), token)
        return self._at(var(token.value), token)

    def pi(self, children: list[Token]) -> Node:
        return self._at(const(CONSTANTS["pi"]), children[0])

    # ---- operators
    def _binary(op: str):  # type: ignore[no-untyped-def]  # noqa: N805 - a method factory
        def method(self: _Builder, children: list) -> Node:
            a, token, b = children
            node = make(op, (a, b))
            places = self.places
            if node not in places:  # self._at, inline: a call less for every operator of a long sum
                places[node] = token.line << Places.SHIFT | token.column
            return node

        return method

    add, sub, mul, div, pow = _binary("add"), _binary("sub"), _binary("mul"), _binary("div"), _binary("pow")
    matmul = _binary("matmul")

    # ---- arrays (issue 12)
    def array(self, items: list[Node]) -> Node:
        node = make("stack", items)
        if items and items[0] in self.parsed.positions:  # the caret of a ragged literal: its first item
            line, column = self.parsed.positions[items[0]]
            self.parsed.positions.add(node, line, max(1, column - 1))
        return node

    def transpose(self, children: list) -> Node:
        a, token = children
        return self._at(make("transpose", (a,)), token)

    def index(self, children: list) -> Node:
        a, *subscripts = children
        spec = tuple(self._subscript(k) for k in subscripts)
        node = make("index", (a,), payload=spec)  # type: ignore[arg-type]
        place = self.parsed.positions.get(a)
        return self._at(node, Token.new("LSQB", "[", line=place[0], column=place[1])) if place else node

    def _subscript(self, k: object) -> tuple:
        if isinstance(k, tuple):  # a slice
            return ("s", *[None if n is None else self._integer(n) for n in k[1:]])
        return ("i", self._integer(k))  # type: ignore[arg-type]

    def _integer(self, node: Node) -> int:
        try:
            value = _constant_value(node, self.source, self.parsed.positions)
        except AdcliError as exc:  # `x[i]`: indices are fixed before anything is evaluated
            exc.kind = "syntax_error"
            exc.message = exc.message.replace("a point's value", "an index")
            raise
        if getattr(value, "ndim", 0) or value != int(value):
            line, column = self.parsed.positions.get(node, (None, None))
            message = f"an index must be a whole number, not {value!r}"
            raise AdcliError("syntax_error", message, line=line, column=column, source=self.source)
        return int(value)

    def slice_all(self, children: list) -> tuple:
        return ("s", None, None)

    def slice_from(self, children: list) -> tuple:
        return ("s", children[0], None)

    def slice_to(self, children: list) -> tuple:
        return ("s", None, children[0])

    def slice_both(self, children: list) -> tuple:
        return ("s", children[0], children[1])

    # numpy's steps, x[::2], x[::-1]: a fourth entry, only when given (the payloads of x[1:3] stay as they were)
    def slice_step(self, children: list) -> tuple:
        return ("s", None, None, children[0])

    def slice_from_step(self, children: list) -> tuple:
        return ("s", children[0], None, children[1])

    def slice_to_step(self, children: list) -> tuple:
        return ("s", None, children[0], children[1])

    def slice_both_step(self, children: list) -> tuple:
        return ("s", children[0], children[1], children[2])

    def neg(self, children: list) -> Node:
        token, a = children
        return self._at(make("neg", (a,)), token)

    def pos(self, children: list) -> Node:
        return children[1]

    def implicit_mul(self, children: list[Node]) -> Node:
        a, b = children
        if self.strict:
            raise _ImplicitProductError  # _parse finds where the factor starts (b's own position may be inside it)
        node = make("mul", (a, b))
        call = a.args[1] if a.op == "mul" and a.args[1] in self.bare_numbers else a
        if call in self.bare_numbers:
            name, number, z = call.op, to_text(call.args[0]), to_text(b, self.parsed.labels)
            self.parsed.notes.append(
                f"{name} {number}{z} read as {name}({number})*{z}: a function name before a number takes just the"
                f" number; write {name}({number}{'*' if z[0].isdigit() else ''}{z}) for the {name} of {number}{z}"
            )
        if a.op == "div":
            labels = self.parsed.labels
            z = to_text(b, labels)
            z = f"({z})" if b not in labels and b.op in ("add", "sub", "mul", "div", "neg") else z
            number = a.args[1].op == "const" and to_text(a.args[1])[-1].isdigit()
            glue = "" if z.startswith("(") or (number and b.op == "var" and z[0] not in "eE") else " "
            other = to_text(make("div", (a.args[0], make("mul", a.args[1:] + (b,)))), labels)
            self.parsed.notes.append(f"{to_text(a, labels)}{glue}{z} read as {to_text(node, labels)}, not {other}")
        return node

    def superscript(self, children: list) -> Node:
        a, token = children
        exponent = float(token.value.translate(SUPERSCRIPTS))
        power = const(abs(exponent)) if exponent >= 0 else make("neg", (const(-exponent),))  # x⁻¹ is x^-1
        return self._at(make("pow", (a, power)), token)

    # ---- calls
    def _apply(self, func: Token, args: list[Node]) -> Node:
        if func.value in self.parsed.functions:
            return self._call(self.parsed.functions[func.value], func, args)
        prim = FUNCTIONS[func.value]
        if func.value in ("max", "min") and len(args) == 1:  # max(x) of one array reduces it
            prim = TABLE["a" + func.value]
        if len(args) != prim.arity:
            want = f"{prim.arity} argument" + ("s" if prim.arity != 1 else "")
            raise _error(
                "arity_error",
                f"{func.value} takes {want} ({', '.join(prim.params)}), got {len(args)}",
                func,
                self.source,
            )
        return self._at(make(prim.name, args), func)

    def _call(self, function: defined.Function, func: Token, args: list[Node]) -> Node:
        """A call of the student's function: its body with the arguments put in, labelled `f(…)`."""
        if function.body is None:
            raise _error("syntax_error", defined.recursion_message(function.name), func, self.source)
        if len(args) != len(function.params):
            raise _error("arity_error", defined.arity_message(function, len(args)), func, self.source)
        node, new = defined.expand(function, args, self.parsed.labels)
        place = func.line << Places.SHIFT | func.column
        for made in new.values():  # a node the call made is written where the call is (errors' carets)
            self.places.setdefault(made, place)
        labels = self.parsed.labels
        for old, made in new.items():  # calls inside the body keep their labels, with this call's arguments
            if old in self.calls and made not in labels and made.op not in ("var", "const"):
                name, inner = self.calls[old]
                self._label(made, name, tuple(new.get(a, a) for a in inner))
        if node.op not in ("var", "const"):
            self._label(node, function.name, tuple(args))
        return node

    def _label(self, node: Node, name: str, args: tuple[Node, ...]) -> None:
        if node not in self.parsed.labels:
            texts = ", ".join(to_text(a, self.parsed.labels) for a in args)
            self.parsed.labels[node] = f"{name}({texts})"
            self.calls[node] = (name, args)

    def _power_of(self, call: Node, fpow: Token, func: Token) -> Node:
        if fpow.value.startswith(("-", "⁻")):
            inverse = {"sin": "asin", "cos": "acos", "tan": "atan", "sinh": "asinh", "cosh": "acosh", "tanh": "atanh"}
            minus_one = float(fpow.value.replace("⁻", "-")) == -1
            hint = f"{inverse[func.value]}(x) for the inverse or " if func.value in inverse and minus_one else ""
            raise _error(
                "syntax_error",
                f"{func.value}^{fpow.value} is ambiguous: write {hint}{func.value}(x)^{fpow.value}",
                func,
                self.source,
            )
        return self._at(make("pow", (call, const(exact.literal(fpow.value, float(fpow.value))))), func)

    def call(self, children: list) -> Node:
        func, *args = children  # the arguments are the call's own children (no `args` rule: one reduction less)
        return self._apply(func, args)

    def call_pow(self, children: list) -> Node:
        func, fpow, *args = children
        return self._power_of(self._apply(func, args), fpow, func)

    def call_bare(self, children: list) -> Node:
        func, arg = children
        node = self._apply(func, [arg])
        if arg.op == "const":
            self.bare_numbers.add(node)  # `sin 2x`: a note says how it was read
        return node

    def call_bare_pow(self, children: list) -> Node:
        func, fpow, arg = children
        return self._power_of(self._apply(func, [arg]), fpow, func)

    def fpow(self, tokens: list[Token]) -> Token:
        if len(tokens) == 1 and tokens[0].type == "SUPERSCRIPT":
            return tokens[0].update(value=tokens[0].value.translate(SUPERSCRIPTS))
        return tokens[-1]

    def fexp(self, tokens: list[Token]) -> Token:
        return tokens[-1].update(value="".join(t.value for t in tokens).replace("−", "-"))

    def root(self, children: list) -> Node:
        token, a = children
        return self._at(make("sqrt" if token.type == "SQRT" else "cbrt", (a,)), token)

    root_bare = root

    # ---- statements
    def assign(self, children: list) -> None:
        name, node = children
        if name.value in CONSTANTS:
            raise _error("syntax_error", f"{name.value} is a constant; it cannot be assigned", name, self.source)
        if name.value in self.env:
            raise _error("syntax_error", f"{name.value} is already assigned", name, self.source)
        self.env[name.value] = node
        if node.op not in ("var", "const"):
            self.parsed.labels.setdefault(node, name.value)
        self.parsed.assignments.append((name.value, node))

    def define(self, children: list) -> None:
        """`f(x) = body`: the body is the function's; later calls expand it (the name was read as DEFNAME)."""
        assert self.defining is not None
        self.defining.body = children[-1]
        self.defining = None

    def outputs(self, nodes: list[Node]) -> None:
        self.parsed.outputs = nodes

    def binding(self, children: list) -> Binding:
        name, value = children
        kind, nodes = value if isinstance(value, tuple) else ("value", [value])
        names = {n.payload for n in topo_order(nodes) if n.op == "var"}
        for token in self.parsed.maybe_calls:  # `x = sinn(1)`: a misspelt function, not a variable
            if token.value in names:
                raise unknown_function(token, self.source)
        values = [_constant_value(n, self.source, self.parsed.positions) for n in nodes]
        if name.value in self.point_names:
            raise _error("usage_error", f"{name.value} is given two values in one point", name, self.source)
        self.point_names.add(name.value)
        if kind == "value" and getattr(values[0], "ndim", 0):  # `x = [1, 2, 3]`: one array value
            kind = "array"
        elif kind in GENERATORS:
            values = _sizes(name.value, kind, values, name, self.source)
        elif kind != "value" and any(getattr(v, "ndim", 0) for v in values):
            raise _error("usage_error", f"{name.value}: a set of values holds numbers, not arrays", name, self.source)
        elif kind == "span" and (problem := numbers.span_problem(*map(float, values))) is not None:
            said = ":".join(format_number(float(v)) for v in values)
            raise _error("usage_error", f"{name.value}={said}: {problem}", name, self.source)
        return Binding(name.value, values, kind, name.line, name.column)

    def generated(self, children: list) -> tuple[str, list[Node]]:
        """`randn(3, 2)` in a point: the generator's name as the kind, its sizes as the values (the point's
        values are made where the seed is known, adcli.api)."""
        token, *sizes = children
        return (token.value, sizes)

    def span(self, nodes: list[Node]) -> tuple[str, list[Node]]:
        return ("span", nodes)

    def listing(self, items: list[Node]) -> tuple[str, list[Node]]:
        return ("list", items)

    def at_clause(self, children: list) -> None:
        self.parsed.point = children[1:]  # after the AT token

    def point(self, bindings: list[Binding]) -> list[Binding]:
        return bindings

    def program(self, _: list) -> Parsed:
        return self.parsed


def _sizes(name: str, call: str, values: list[Any], token: Token, source: str) -> list[Any]:
    """A generator's sizes: one or two whole numbers, at least 1 (eye: one), as --at takes them."""
    shown = ", ".join(format(float(v), "g") if not getattr(v, "ndim", 0) else "[…]" for v in values)
    whole = all(not getattr(v, "ndim", 0) and float(v).is_integer() and v >= 1 for v in values)
    if not whole or len(values) > (1 if call == "eye" else 2):
        want = "one size (a square matrix)" if call == "eye" else "one or two sizes, each a whole number at least 1"
        raise _error("usage_error", f"{name} = {call}({shown}): {call} takes {want}", token, source)
    return [int(v) for v in values]


def _constant_value(node: Node, source: str, positions: Places) -> float:
    """A point's value: a constant expression (pi/4, -1e-3), evaluated without any variable."""
    from adcli.core.shaped import constant_value  # the evaluator lives with the sweeps (arrays too)

    return constant_value(node, source, positions)


_BUILDER = _Builder()
_LEX_CALLBACKS = {"NAME": _BUILDER.lex_name}
_PARSER: Lark | None = None
_DRIVERS: dict[str, Driver | None] = {}
_PARSED: dict[str, int] = {}  # texts parsed per start symbol


GRAMMAR = "adcli.lark"


def grammar_text() -> str:
    """The grammar, in both layouts: the installed package adcli.grammars, or a checkout's grammars/ folder
    beside adcli/ (`python -m adcli` run in a clone imports the clone's adcli/, which has no grammars
    subpackage, even when adcli is installed). Missing in both: one line, not Lark's traceback."""
    import pkgutil  # what Lark.open_from_package reads with (importlib.resources costs 0.3 MB more at start-up)
    from pathlib import Path

    try:
        data = pkgutil.get_data("adcli.grammars", GRAMMAR)
    except (ImportError, OSError):
        data = None
    if data:
        return data.decode("utf-8")
    beside = Path(__file__).resolve().parents[2] / "grammars" / GRAMMAR  # adcli/language/parser.py
    try:
        return beside.read_text(encoding="utf-8")
    except OSError:
        message = f"adcli's grammar ({GRAMMAR}) is missing: not in the package adcli.grammars nor at {beside}"
        raise AdcliError("internal_error", message + "; reinstall adcli") from None


def _parser() -> Lark:
    """The LALR parser, from the tables shipped in the package (adcli.language.tables): no build, no cache,
    no pickle."""
    global _PARSER
    if _PARSER is None:
        from lark.exceptions import LarkError

        from adcli.language import tables

        try:
            _PARSER = tables.load(grammar_text(), transformer=_BUILDER, lexer_callbacks=_LEX_CALLBACKS)
        except LarkError as exc:  # a broken grammar file: an installation fault, said in one line
            what = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise AdcliError("internal_error", f"adcli's grammar ({GRAMMAR}) is broken: {what}") from None
    return _PARSER


def _driver(start: str) -> Driver | None:
    """The lean loop over the shipped tables (adcli/language/lalr.py); None without them (Lark parses all)."""
    if start not in _DRIVERS:
        from adcli.language import tables

        lean = tables.lean(grammar_text())
        try:
            like = next((d for d in _DRIVERS.values() if d is not None), None)  # its rules' callbacks are shared
            _DRIVERS[start] = None if lean is None else Driver(lean, start, _BUILDER, _LEX_CALLBACKS, like)
        except Exception:  # noqa: BLE001 - tables the loop cannot follow: Lark's own loop parses everything
            _DRIVERS[start] = None
    return _DRIVERS[start]


class _ImplicitProductError(Exception):
    """Raised at the first implicit product in --strict mode; `_parse` turns it into a syntax error."""


def _released(result: object) -> object:
    """A parse's result, with the builder's hold on that parse dropped: its graph then lives only as long as
    its Parsed, and a caller that is done with it frees it by reference counting. (Held until the next parse,
    the graph of a big problem was still alive when the collector ran again: a pass over all of it.)"""
    _BUILDER.reset("", False)
    return result


def _implicit_place(parser: Lark, text: str) -> tuple[int | None, int | None]:
    """Where the first implicit product's second factor starts: an operand the parser meets where
    it would also have taken a '*' (so `sin x` and `sin^2 x` are not products, `2 x` and `(a)(b)` are)."""
    _BUILDER.reset(text, False)
    interactive = parser.parse_interactive(text, start="program")
    for token in interactive.iter_parse():
        if token.type in OPERAND_START and "TIMES" in interactive.choices():
            return token.line, token.column
    return None, None  # pragma: no cover - only called once the parse met an implicit product


def _parse(text: str, start: str, strict: bool = False, given: Mapping[str, Node] | None = None) -> object:
    if len(text) > MAX_CHARS:
        raise AdcliError("limit_exceeded", f"the input has {len(text):,} characters; the limit is {MAX_CHARS:,}")
    _BUILDER.reset(text, strict, given)
    _PARSED[start] = _PARSED.get(start, 0) + 1
    driver = _driver(start)
    if driver is not None:
        collecting = gc.isenabled()
        gc.disable()  # a parse makes no cycles, only many objects: the collector's passes were 12% of a 1 MB parse
        try:
            return _released(driver.parse(text))
        except Exception:  # noqa: BLE001 - GiveUpError, or the text is wrong: Lark parses it again and says where
            _BUILDER.reset(text, strict, given)
        finally:
            if collecting:
                gc.enable()
    from lark.exceptions import UnexpectedInput

    parser = _parser()
    try:
        return _released(parser.parse(text, start=start))
    except UnexpectedInput as exc:
        raise _syntax_error(exc, text, start) from None
    except _ImplicitProductError:
        line, column = _implicit_place(parser, text)
        message = "implicit multiplication is off (--strict): write '*' here"
        raise AdcliError("syntax_error", message, line=line, column=column, source=text) from None


def _describe(token: Token) -> str:
    if token.type == "$END":
        return "end of input"
    if token.type == "_NL":
        return "end of line"  # never a raw newline inside a one-line message
    if token.type == "FUNC":
        return f"function name '{token.value}'"
    if token.type == "TRANSPOSE":
        return f'"{token.value}" (a transpose, after a name or a bracket; adcli has no strings)'
    return f"'{token.value}'"


def _expected(names: set[str]) -> str:
    words: list[str] = []
    kinds = names | ({"FUNC"} if names & {"NAME", "GEN"} else set())  # a declared terminal: Lark leaves it out
    operand = [word for kind, word in _OPERAND_WORDS if kind in kinds]
    if operand:  # exactly the kinds of operand the parser can take here (`sin^` takes only a number)
        words.append(", ".join(operand[:-1]) + (" or " if len(operand) > 1 else "") + operand[-1])
    unsaid = {"MINUS", "PLUS", "SEMICOLON", "_NL", "COMMENT", "GEN", "DEFNAME"}  # GEN, DEFNAME: names the lexer made
    words += sorted({WORDS.get(n, n) for n in names - OPERAND_START - unsaid})
    if not words:
        words = sorted(WORDS.get(n, n) for n in names)
    if len(words) > 4:
        words = [*words[:4], "…"]
    return " or ".join(words)


def _end_place(text: str) -> tuple[int, int]:
    lines = text.split("\n")
    return len(lines), len(lines[-1]) + 1


def _unicode_hint(char: str) -> str:
    """A character outside the language named, with what to write: `＋` (FULLWIDTH PLUS SIGN) is +, a
    Cyrillic х that looks like x is not one, `é` is no letter of a name (A-Z, a-z, 0-9, _ and Greek)."""
    named = unicodedata.name(char, "")
    hint = f" ({named})" if named else ""
    plain = unicodedata.normalize("NFKC", char)
    if plain != char and plain.isascii() and plain.strip() and plain.isprintable():
        return f"{hint}: write {plain}"
    if char.isalpha() or unicodedata.combining(char):
        return f"{hint}: names are written with A-Z, a-z, 0-9, _ and Greek letters"
    return hint


def _character_error(exc: UnexpectedCharacters, text: str) -> AdcliError:
    """A character no token starts with; a digit of another script (٣, １) names itself and the ASCII digit."""
    char = text[exc.pos_in_stream]
    hint = " (adcli has no strings)" if char in "'\"" else ""
    if char == "|":  # |x| of the blackboard: one function, whose kink at 0 adcli explains
        inside = re.match(r"\|([^|\n]*)\|", text[exc.pos_in_stream :])
        hint = f": for the absolute value write abs({inside.group(1).strip() if inside else 'x'})"
    shown = repr(char)
    if not char.isascii():
        hint = _unicode_hint(char)
        shown = f"'\\u{ord(char):04x}'" if unicodedata.combining(char) else shown  # a bare accent sits on the quote
    message = f"unexpected character {shown}{hint}"
    if numbers.foreign_digit(char) is not None:  # Python would read them as digits; the grammar does not
        message = numbers.digit_message(char)
    return AdcliError("syntax_error", message, line=exc.line, column=exc.column, source=text)


def _end_message(text: str, expected: set[str], start: str) -> str:
    """What an unexpected end of input lacks: a bracket closed, an output after the statements, …"""
    depth = text.count("(") - text.count(")")
    statements = [part for part in text.split("#", 1)[0].replace("\n", ";").split(";") if part.strip()]
    if depth > 0:
        message = f"unexpected end of input: {depth} '(' not closed"
    elif text.count("[") > text.count("]"):
        message = "unexpected end of input: '[' not closed (an array is [a, b, c])"
    elif text.count("{") > text.count("}"):
        message = "unexpected end of input: '{' not closed (a set of values is {a, b, c})"
    elif start == "program" and statements and re.match(r"\s*[^\W\d]\w*\s*=", statements[-1]):
        message = "the program ends with an assignment: write its output after it, as in a = x*y; sin(a)"
    elif start == "program" and statements and re.match(r"\s*[^\W\d]\w*\s*\([^()]*\)\s*=", statements[-1]):
        message = "the program ends with a definition: use it after it, as in f(x) = x^2 + 1; f(3)"
    else:
        message = f"unexpected end of input: expected {_expected(expected)}"
        message += " (a span is start:stop:count, as in 0:1:11)" if "COLON" in expected else ""
    return message


_EMPTY = {  # `x=[]`, `x={}` said "unexpected ']': expected a number, …"
    "RSQB": "an empty array: an array has at least one entry, as in [1, 2]",
    "RBRACE": "an empty set of values: a set has at least one, as in {1, 2}",
}


def _syntax_error(exc: UnexpectedInput, text: str, start: str = "program") -> AdcliError:
    """Lark's exception -> one line in words, with the place of the offending character."""
    from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedToken

    if isinstance(exc, UnexpectedCharacters):
        return _character_error(exc, text)
    token = exc.token if isinstance(exc, UnexpectedToken) else Token.new("$END", "")
    expected = set(getattr(exc, "expected", set()) or getattr(exc, "accepts", set()))
    if token.type == "$END" or isinstance(exc, UnexpectedEOF):
        line, column = _end_place(text)
        message = _end_message(text, expected, start)
        return AdcliError("syntax_error", message, line=line, column=column, source=text)
    message = f"unexpected {_describe(token)}: expected {_expected(expected)}"
    before = _FUNC_BEFORE.search(text, 0, token.start_pos)
    after_func = before is not None and before.group(1) in FUNCTIONS
    if after_func and before.group(2):
        message += f" (after {before.group(1)}^ write a whole number, as in {before.group(1)}^2(x))"
    elif after_func and token.type == "EQUAL":
        message = f"'{before.group(1)}' is a function name; it cannot be assigned or given a value"
    elif token.type == "NUMBER" and "TIMES" in expected:
        message = f"unexpected number '{token.value}' right after a factor: write an operator between them, e.g. '*'"
    elif token.type == "LSQB" and text[: token.start_pos].rstrip().endswith("]"):
        message += " ([…] right after an array literal is not an index: write ([1, 2])[0])"
    elif token.type in ("RSQB", "RBRACE") and text[: token.start_pos].rstrip().endswith(("[", "{")):
        before = text[: token.start_pos].rstrip()[:-1].rstrip()
        indexed = token.type == "RSQB" and (before[-1:].isalnum() or before[-1:] in ("_", ")", "]", "'"))
        message = "an empty index: write one, as in x[0] or x[1:3]" if indexed else _EMPTY[token.type]
    calls = [t for t in _BUILDER.parsed.maybe_calls if t.end_pos <= token.start_pos]
    if token.type == "COMMA" and calls:
        return unknown_function(calls[-1], text)
    if token.type == "FUNC" and ("EQUAL" in expected or expected & OPERAND_START == {"NAME"}):
        message = f"'{token.value}' is a function name; it cannot be assigned or given a value"
    return AdcliError("syntax_error", message, line=token.line, column=token.column, source=text)


def parse(text: str, *, strict: bool = False, given: Mapping[str, Node] | None = None) -> Parsed:
    """Parse a program: statements, outputs and an optional `at` point. `given` names stand for graphs
    already built (the REPL's `$k`: a chain of 2,000 `$ + 1` lines parsed each result's text again, 42 s)."""
    if not any(line.split("#", 1)[0].strip(" \t\r;") for line in text.split("\n")):
        raise AdcliError("syntax_error", "empty input: there is no expression", line=1, column=1, source=text)
    return _parse(text, "program", strict, given)  # type: ignore[return-value]


_LETTER = "A-Za-z_\u0391-\u03a9\u03b1-\u03bf\u03c1-\u03c9"  # the grammar's NAME
#: a name as the grammar's NAME writes it (str.isidentifier also takes `é` and `ｘ`, which no expression can name)
NAME = re.compile(rf"[{_LETTER}][{_LETTER}0-9]*")
_PLAIN = re.compile(
    rf"[ \t]*([{_LETTER}][{_LETTER}0-9]*)[ \t]*=[ \t]*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?)[ \t]*"
)


def plain_point(text: str) -> list[Binding] | None:
    """`x=1, y=-2.5e3`: names given plain numbers, read as numbers without the parser (a 5,000-variable
    --at was 5,001 expressions parsed and evaluated: 0.5 s). None for anything else (a constant
    expression, a span, a list, a name given twice, a number too large), which the parser reads."""
    found: list[Binding] = []
    seen: set[str] = set()
    start = 0
    for piece in text.split(","):
        m = _PLAIN.fullmatch(piece)
        if m is None or m.group(1) in seen or m.group(1) == "at" or m.group(1) in FUNCTIONS or m.group(1) in CONSTANTS:
            return None  # a function's or constant's name: the parser's error (`tr=1` was bound silently)
        value = float(m.group(2))
        if not math.isfinite(value):
            return None
        seen.add(m.group(1))
        found.append(Binding(m.group(1), [value], "value", 1, start + m.start(1) + 1))
        start += len(piece) + 1
    return found


def parse_point(text: str) -> list[Binding]:
    """Parse the `--at` syntax: `x=1, y=pi/4` (values are constant expressions; plain numbers are read
    as numbers, without the parser)."""
    plain = plain_point(text)
    if plain is not None:
        return plain
    if "=" not in text and text.strip():  # `--at 3`: the parser said `expected a name or a function`
        said = f"bad point {cut(text)!r}: a point names each variable, as in x={cut(text.strip())}"
        raise AdcliError("usage_error", said, line=1, column=len(text) - len(text.lstrip()) + 1, source=text)
    try:
        return _parse(text, "point")  # type: ignore[return-value]
    except AdcliError as exc:
        if exc.kind in ("syntax_error", "domain_error", "nonfinite"):  # a bad option value: exit 2
            exc.kind = "usage_error"
            exc.message = f"bad point {cut(text)!r}: {exc.message}"
            if _SPACED.search(text):  # `x=1 y=2`: the values are separated by commas
                spaced = cut(_SPACED.sub(",", text.strip()))
                exc.message = f"bad point {cut(text)!r}: separate the values with commas: {spaced}"
        raise


SHOWN = 60  # characters of a user's text quoted in a message (the caret's line shows it whole)


def cut(text: str) -> str:
    """A user's text as a message quotes it: at most SHOWN characters. A 5,000-digit --at number was quoted
    whole twice, a 10 KB "one-line" message."""
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


#: `x=1 y=2` or `x=1; y=2`: a space or a semicolon where a comma goes (`x=1;,y=2` was the advice for the latter)
_SPACED = re.compile(r"(?<=[^\s,=;])(?:\s*;\s*|\s+)(?=[^\W\d]\w*\s*=)")


def suggest(name: str, choices: list[str]) -> str | None:
    """The closest known name, for "did you mean" (None when nothing is close)."""
    found = difflib.get_close_matches(name, choices, n=1, cutoff=0.6)
    return found[0] if found else None


def unknown_function(token: Token, source: str) -> AdcliError:
    """`name(…)` where name is neither a function nor a variable with a value."""
    hint = suggest(token.value, sorted(FUNCTIONS))
    message = f"unknown function '{token.value}'" + (f": did you mean {hint}?" if hint else "")
    if not hint and token.value in CONSTANTS:
        message += f" ({token.value} is a constant: for a product write {token.value}*(…))"
    elif not hint and len(token.value) == 1:
        message += f" (for a product write {token.value}*(…), or give {token.value} a value)"
    return AdcliError("unknown_function", message, line=token.line, column=token.column, source=source)


def check_calls(parsed: Parsed, bound: Container[str] | None = None) -> None:
    """Decide each `name(…)`: a product when name is a variable, else an unknown function.

    With a point (bound), a variable is a name with a value there. Without one (diff, graph), it
    is a single letter also used elsewhere as a variable: x(1+x) is a product, f(x) and sinn(x)
    are unknown functions (the message says how to write the product).
    """
    assigned = {name for name, _ in parsed.assignments} | parsed.given  # a given graph: `$2(x+1)` is a product
    calls = [t.value for t in parsed.maybe_calls]
    for token in parsed.maybe_calls:
        name = token.value
        if name in parsed.functions:  # `a = f(2); f(x) = …`: read as a product before the definition
            message = f"{name} is used before its definition: define {parsed.functions[name].signature()} = … first"
            raise AdcliError("syntax_error", message, line=token.line, column=token.column, source=parsed.source)
        if bound is not None:
            variable = name in bound
        else:
            uses = len(re.findall(rf"(?<!\w){re.escape(name)}(?!\w)", parsed.source))
            variable = len(name) == 1 and uses > calls.count(name)
        if name not in assigned and not variable:
            raise unknown_function(token, parsed.source)
