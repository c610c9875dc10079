"""A lean loop over Lark's own LALR table and lexer: the parser of every good line (issue 5).

Lark builds everything here: the table from grammars/adcli.lark, the terminals' regular expression,
the lexer callbacks, the Transformer's callbacks. Only the loop is ours: one regex match, one Token
and one dict lookup a token, and no call at all for a unit rule (`?product: unary`). Lark's loop
(lexer thread, contextual lexer, line counter, parser state) costs about three times as much, and
in a batch of small expressions parsing is most of the time.

It never decides anything Lark would decide differently. A token the table has no action for, a
character no terminal matches, or any exception raised while building (a Transformer error) makes
it give up (`GiveUpError`) and the caller parses the text again with Lark itself, so the errors, the
contextual lexer's choices (`at` as a name) and every edge case stay Lark's own. tests/language/test_lalr.py
checks the two agree on every expression the property tests generate.
"""

from __future__ import annotations

from typing import Any

from lark import Lark, Token
from lark.parsers.lalr_analysis import Shift


class GiveUpError(Exception):
    """Parse this text with Lark instead."""


def _unit(callback: Any, size: int) -> bool:
    """A `?rule` with one child: Lark's callback hands the child through, so the loop can too."""
    return size == 1 and type(callback).__name__ == "ExpandSingleChild"


class Driver:
    """Parses from one start symbol of a built Lark LALR parser (contextual lexer, one regex)."""

    def __init__(self, lark: Lark, start: str, like: Driver | None = None) -> None:
        """`like`: a Driver of the same parser for another start symbol, whose converted table is shared."""
        if not hasattr(Token, "_future_new"):  # the one private of Lark's used per token: check it once
            raise GiveUpError("no Token._future_new")
        frontend = lark.parser
        parser = frontend.parser.parser  # lark.parsers.lalr_parser._Parser: the table and callbacks
        table = parser.parse_table
        lexer = frontend.lexer.root_lexer
        scanner = lexer.scanner
        if len(scanner._mres) != 1:  # Lark splits a union of over 100 terminals; not worth following
            raise GiveUpError("several terminal regexes")
        self.match = scanner._mres[0].match
        self.ignore = frozenset(lexer.ignore_types)
        self.newlines = frozenset(lexer.newline_types)
        self.skip = self.ignore - self.newlines
        self.lex_callbacks = dict(lexer.callback)
        # Lark chains a keyword check (`at` read by NAME's regex is AT) before the user's callback: a
        # word that is no string terminal (any case) goes straight to the user's callback, the same result.
        self.keywords = {t.pattern.value.lower() for t in lexer.terminals if t.pattern.type == "str"}
        self.direct = {k: f for k, f in lexer.user_callbacks.items() if k in self.lex_callbacks}
        if self.ignore & set(self.lex_callbacks):  # Lark would build and call back on ignored tokens
            raise GiveUpError("callbacks on ignored terminals")
        self.start, self.end = table.start_states[start], table.end_states[start]
        callbacks = parser.callbacks
        if any(isinstance(key, str) for key in callbacks):  # a Transformer method named for a terminal
            raise GiveUpError("terminal callbacks")
        if like is not None and like.table is table:
            self.table, self.actions = table, like.actions
            return
        self.table, self.actions = table, {}
        for state, row in table.states.items():
            entries: dict[str, Any] = {}
            for symbol, (action, arg) in row.items():
                if action is Shift:
                    entries[symbol] = arg
                else:
                    size = len(arg.expansion)
                    callback = callbacks[arg]
                    entries[symbol] = (size, None if _unit(callback, size) else callback, arg.origin.name)
            self.actions[state] = entries

    def _lines(self, kind: str, value: str, pos: int, line: int, line_start: int) -> tuple[Token | None, int, int]:
        """A terminal that may hold a line end: its Token (None if ignored) and the new line and its start."""
        token = None if kind in self.ignore else Token._future_new(kind, value, pos, line, pos - line_start + 1)
        if "\n" in value:
            line += value.count("\n")
            line_start = pos + value.rindex("\n") + 1
        if token is not None:
            token.end_line, token.end_column, token.end_pos = line, pos + len(value) - line_start + 1, pos + len(value)
        return token, line, line_start

    def parse(self, text: str) -> Any:  # noqa: C901 - one loop: a call a token is what this module saves
        """The value of the start rule (what the Transformer built), or GiveUpError."""
        match, skip, newlines, lex_callbacks = self.match, self.skip, self.newlines, self.lex_callbacks
        keywords, direct = self.keywords, self.direct
        actions, end_state = self.actions, self.end
        new_token = Token._future_new
        states, values = [self.start], []
        pos, line, line_start, n = 0, 1, 0, len(text)
        while True:
            if pos < n:
                m = match(text, pos)
                if m is None:
                    raise GiveUpError("no terminal matches")
                kind, end = m.lastgroup, m.end()
                if kind in skip:  # spaces
                    pos = end
                    continue
                if kind in newlines:  # a new line, or a comment (ignored)
                    token, line, line_start = self._lines(kind, m.group(), pos, line, line_start)
                    pos = end
                    if token is None:
                        continue
                else:
                    column = pos - line_start + 1
                    token = new_token(kind, m.group(), pos, line, column, line, column + end - pos, end)
                    pos = end
                if kind in lex_callbacks:
                    quick = direct.get(kind) if token.value.lower() not in keywords else None
                    token = quick(token) if quick is not None else lex_callbacks[kind](token)
                    kind = token.type
            else:
                kind, token = "$END", None
            while True:
                entry = actions[states[-1]].get(kind)
                if entry is None:
                    raise GiveUpError("no action")
                if entry.__class__ is int:  # shift
                    if token is None:
                        raise GiveUpError("shift at the end")  # pragma: no cover - Lark asserts it never happens
                    states.append(entry)
                    values.append(token)
                    break
                size, callback, origin = entry
                if callback is None:  # a unit rule: the child is the value
                    del states[-1]
                else:
                    children = values[-size:] if size else []
                    if size:
                        del states[-size:]
                        del values[-size:]
                    values.append(callback(children))
                goto = actions[states[-1]][origin]
                states.append(goto)
                if token is None and goto == end_state:
                    return values[-1]
