"""A lean LALR loop over tables shipped as JSON: the parser of every good text, without importing Lark.

Lark builds everything the loop reads, once, in the build step (`python -m adcli.language.tables`,
`lean_tables` there): the parse table, the terminals' one regular expression, which words of a
regex terminal are keywords (`at` read by NAME's regex is AT), and, for each rule, how Lark's tree
builder shapes its children (tokens filtered out, `_rule`s inlined, `?rule`s with one child handed
through). At run time only `json` and `re` are needed: importing Lark costs more than a whole short
run (0.08 s of CPU), so a good text never imports it.

The loop never decides anything Lark would decide differently. A token the table has no action for,
a character no terminal matches, or any exception raised while building (a Transformer error) makes
it give up (`GiveUpError`) and the caller parses the text again with Lark itself, so the errors, the
contextual lexer's choices (`at` as a name) and every edge case stay Lark's own.
tests/language/test_lalr.py checks the two agree on every expression the property tests generate.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any


class GiveUpError(Exception):
    """Parse this text with Lark instead."""


class Token(tuple):
    """A terminal as the Transformer sees it: the fields of Lark's Token that adcli reads, by name.

    A tuple (made by tuple.__new__ in C, read by C field getters): the loop makes one a token, and a
    class with an __init__ cost as much as the rest of the lexing. Immutable: `update` makes another."""

    __slots__ = ()
    type = property(itemgetter(0))
    value = property(itemgetter(1))
    start_pos = property(itemgetter(2))
    line = property(itemgetter(3))
    column = property(itemgetter(4))
    end_line = property(itemgetter(5))
    end_column = property(itemgetter(6))
    end_pos = property(itemgetter(7))

    @classmethod
    def new(  # noqa: PLR0913 - Lark's Token's fields, in Lark's order
        cls,
        type: str,  # noqa: A002 - Lark's name
        value: str,
        start_pos: int | None = None,
        line: int | None = None,
        column: int | None = None,
        end_line: int | None = None,
        end_column: int | None = None,
        end_pos: int | None = None,
    ) -> Token:
        return tuple.__new__(cls, (type, value, start_pos, line, column, end_line, end_column, end_pos))

    def update(self, type: str | None = None, value: str | None = None) -> Token:  # noqa: A002
        """A copy with another type or value, in the same place (Lark's Token.update)."""
        return tuple.__new__(Token, (self[0] if type is None else type, self[1] if value is None else value, *self[2:]))

    def __repr__(self) -> str:
        return f"Token({self[0]!r}, {self[1]!r})"


class Subtree:
    """What Lark builds for a rule the Transformer has no method for: only `_rule`s, which the rule
    that holds them inlines (their children go in its place)."""

    __slots__ = ("data", "children")

    def __init__(self, data: str, children: list) -> None:
        self.data, self.children = data, children


def is_unit(rule: list) -> bool:
    """A rule `?a: b` whose reduction only changes the state: the child is the value (ExpandSingleChild)."""
    _, size, _, expand1, include = rule
    return bool(expand1) and size == 1 and include is None


def _shaper(name: str, include: list[tuple[int, bool]] | None, expand1: bool, method: Callable | None) -> Callable:
    """A rule's callback on its children as shifted and reduced: Lark's ChildFilter (keep `include`,
    inline `_rule`s) then ExpandSingleChild (a `?rule` with one child is that child) then the method."""
    if expand1 and include is not None and len(include) == 1 and not include[0][1]:
        return itemgetter(include[0][0])  # `?operand: "(" expr ")"`: the one child kept is the value (in C)
    build = method if method is not None else (lambda children: Subtree(name, children))
    if expand1:
        inner = build

        def build(children: list) -> Any:
            return children[0] if len(children) == 1 else inner(children)

    if include is None:
        return build
    plan = tuple(include)

    def shaped(children: list) -> Any:
        kept: list = []
        for i, inline in plan:
            if inline:
                kept += children[i].children
            else:
                kept.append(children[i])
        return build(kept)

    return shaped


class Driver:
    """Parses from one start symbol with the lean tables (`tables.lean_tables`'s dictionary)."""

    def __init__(
        self,
        lean: Mapping[str, Any],
        start: str,
        transformer: object,
        lex_callbacks: Mapping[str, Callable[[Token], Token]],
        like: Driver | None = None,
    ) -> None:
        """`like`: a Driver of the same tables for another start symbol, whose rules' callbacks are shared."""
        self.start, self.end = lean["start_states"][start], lean["end_states"][start]
        self.states: list[dict[str, int]] = lean["states"]
        self.silent = frozenset(lean["silent"])
        self.ignore = frozenset(lean["ignore"])
        self.newlines = frozenset(lean["newlines"])
        self.keywords: dict[str, dict[str, str]] = lean["keywords"]
        self.callbacks = dict(lex_callbacks)
        if (self.silent | self.ignore) & set(self.callbacks):  # Lark would call back on them
            raise GiveUpError("a callback on a token the tree drops")
        pattern = re.compile(lean["pattern"])
        self.scan = pattern.finditer
        special = self.silent | self.ignore | self.newlines | set(self.keywords) | set(self.callbacks)
        self.plain = frozenset(pattern.groupindex) - special  # a Token as scanned, nothing to decide
        if like is not None and like.states is self.states:
            self.rules = like.rules
            return
        self.rules = [self._rule(rule, transformer) for rule in lean["rules"]]

    @staticmethod
    def _rule(rule: list, transformer: object) -> tuple[str, int, Callable | None]:
        """(origin, size, callback): callback None for a unit rule (`?product: unary`: the child is the value)."""
        origin, size, name, expand1, include = rule
        if is_unit(rule):
            return origin, size, None
        method = getattr(transformer, name, None)  # a rule's name from the shipped tables, never user text
        if method is None and not name.startswith("_") and not expand1:
            raise GiveUpError(f"no method for rule {name}")
        return origin, size, _shaper(name, include, expand1, method)

    def _lines(self, kind: str, m: re.Match, line: int, line_start: int) -> tuple[Token, int, int]:
        """A terminal that may hold a line end (a new line, a comment): its Token and the new line and its start."""
        start, end, value = m.start(), m.end(), m.group()
        first, column = line, start - line_start + 1
        if "\n" in value:  # Lark's line counter counts '\n' only
            line += value.count("\n")
            line_start = start + value.rindex("\n") + 1
        return Token.new(kind, value, start, first, column, line, end - line_start + 1, end), line, line_start

    def parse(self, text: str) -> Any:  # noqa: C901 - one loop: a call a token is what this module saves
        """The value of the start rule (what the Transformer built), or GiveUpError."""
        states, rules, end_state = self.states, self.rules, self.end
        silent, ignore, newlines = self.silent, self.ignore, self.newlines
        keywords, callbacks, plain, spaces = self.keywords, self.callbacks, self.plain, self.ignore - self.newlines
        stack, values = [self.start], []
        pos, line, line_start, new = 0, 1, 0, tuple.__new__
        for m in chain(self.scan(text), (None,)):
            if m is None:  # the end: every character was a token
                if pos != len(text):
                    raise GiveUpError("no terminal matches")
                kind, token = "$END", None
            else:
                start = m.start()
                if start != pos:  # finditer skipped a character no terminal matches
                    raise GiveUpError("no terminal matches")
                kind, pos = m.lastgroup, m.end()
                if kind in plain:  # most tokens: `+`, a number
                    column = start - line_start + 1
                    token = new(Token, (kind, m.group(), start, line, column, line, column + pos - start, pos))
                elif kind in spaces:
                    continue
                else:
                    if kind in newlines:
                        token, line, line_start = self._lines(kind, m, line, line_start)
                        if kind in ignore:
                            continue
                    elif kind in silent:  # `(`, `,`: the tree drops it, so no Token is made
                        token = None
                    else:
                        column = start - line_start + 1
                        token = new(Token, (kind, m.group(), start, line, column, line, column + pos - start, pos))
                    if kind in keywords and token[1] in keywords[kind]:  # `at` read by NAME's regex is AT
                        kind = keywords[kind][token[1]]
                        token = token.update(type=kind)
                    elif kind in callbacks:
                        token = callbacks[kind](token)
                        kind = token.type
            while True:
                action = states[stack[-1]].get(kind)
                if action is None:
                    raise GiveUpError("no action")
                if action >= 0:  # shift
                    stack.append(action)
                    values.append(token)
                    break
                origin, size, callback = rules[~action]
                if callback is None:  # a unit rule the tables could not fold (entered by a shift): the state changes
                    del stack[-1]
                else:
                    children = values[-size:] if size else []
                    if size:
                        del stack[-size:]
                        del values[-size:]
                    values.append(callback(children))
                goto = states[stack[-1]][origin]
                if goto.__class__ is dict:  # unit rules folded into the goto (tables.fold_units): by the lookahead
                    goto = goto.get(kind)
                    if goto is None:
                        raise GiveUpError("no action")
                stack.append(goto)
                if token is None and kind == "$END" and goto == end_state:
                    return values[-1]
