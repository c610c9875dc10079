"""A REPL line as the engine gets it (names and `$k` put in), and its errors placed back in the line as typed.

A line that uses a defined name has the definition put in front of it (`f = (…); your line`), and `$k`
becomes result k's expression in parentheses; `Expansion.place` moves an error's caret from that text
back under what was typed, saying which definition or result it lies in.
"""

from __future__ import annotations

import bisect
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from adcli.core.errors import AdcliError

LETTER = "A-Za-z_\u0391-\u03a9\u03b1-\u03bf\u03c1-\u03c9"  # the grammar's NAME: Latin and Greek letters, _
NAME = re.compile(f"[{LETTER}][{LETTER}0-9]*")
#: what expansion looks at: numbers (skipped, so that 1e5 holds no name e5), names, `$k` and `$`
SCAN = re.compile(rf"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|(?P<name>{NAME.pattern})|\$(?P<k>[0-9]*)")
ASSIGNED = re.compile(r"\s*=(?!=)")


@dataclass
class Expansion:
    """A line as the engine gets it (`text`) and the way back to the line as typed, for errors.

    `pieces` tile `text`: (piece, where it comes from in the line, None for the line's own text or
    what was put in, e.g. `f = x*y` or `$2 = x^2`)."""

    line: str
    pieces: list[tuple[str, int, str | None]]
    names: dict[str, str]  # the names put in front, with their definitions
    given: dict[str, Any] = field(default_factory=dict)  # placeholder name -> result k's graph (for `$k`)
    text: str = ""
    starts: list[int] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.text = "".join(piece for piece, _, _ in self.pieces)
        self.starts = list(itertools.accumulate((len(piece) for piece, _, _ in self.pieces[:-1]), initial=0))

    def place(self, exc: AdcliError) -> AdcliError:
        """exc as the line gives it: the caret under what was typed, `(in f = …)` when the fault lies in
        something put in; an error that names a definition in front says it is a session name."""
        said = re.match(rf"({NAME.pattern}) is (assigned in the expression|already assigned)", exc.message)
        if said and said.group(1) in self.names:
            name = said.group(1)
            exc.message = f"{name} is a name ({name} = {self.names[name]}); ':unname {name}' drops it"
        if exc.source != self.text:
            return exc
        exc.source = self.line
        if exc.line != 1 or exc.column is None:
            exc.line = exc.column = None
            return exc
        offset = exc.column - 1
        k = bisect.bisect_right(self.starts, offset) - 1
        _, where, put_in = self.pieces[k]
        exc.column = 1 + (where if put_in else where + offset - self.starts[k])
        if put_in:
            exc.message += f" (in {put_in})"
        return exc


class Located:
    """A result's failed points (adcli.batch.points.Failures) whose errors are placed in the line as typed."""

    def __init__(self, failures: Any, expansion: Expansion) -> None:
        self.failures, self.expansion = failures, expansion

    def __getattr__(self, key: str) -> Any:
        return getattr(self.failures, key)

    def __len__(self) -> int:
        return len(self.failures)

    def error(self, i: int) -> AdcliError:
        return self.expansion.place(self.failures.error(i))


def names_in(text: str) -> set[str]:
    return {m.group("name") for m in SCAN.finditer(text) if m.group("name")}


def expand(
    line: str, start: int, names: dict[str, str], results: Any, functions: dict[str, str] | None = None
) -> Expansion:
    """line[start:] as the engine gets it: `$k` and `$` become result k's (the last) expression, and the
    names and functions (`f(x) = …`, in the order they were defined) it uses get their definitions in front.

    `$k` becomes a placeholder name that the parser takes as result k's graph (Expansion.given;
    results is adcli.cli.repl.session.Results): a chain of `$ + 1` lines parsed every earlier result's
    text again."""
    pieces: list[tuple[str, int, str | None]] = []
    used: dict[str, int] = {}  # name -> where the line first uses it
    assigned: set[str] = set()  # names the line assigns itself: its own definition wins
    given: dict[str, Any] = {}
    done = start
    for match in SCAN.finditer(line, start):
        name, k = match.group("name"), match.group("k")
        if k is not None:
            i = _result(results, k, match.start(), line)
            put = _placeholder(i, line, names)
            given[put] = results.graphs[i - 1]
            pieces += [(line[done : match.start()], done, None), (put, match.start(), f"${i} = {results.short(i - 1)}")]
            done = match.end()
        elif name in names and ASSIGNED.match(line, match.end()):
            assigned.add(name)
        elif name in names:
            used.setdefault(name, match.start())
        elif functions and name in functions:
            used.setdefault(name, match.start())
    pieces.append((line[done:], done, None))
    calls = _functions_used(used, functions or {}, names)
    used = {n: where for n, where in used.items() if n not in assigned}
    front = [(f"{n} = ({d}); ", used[n], f"{n} = {d}") for n, d in names.items() if n in used]
    front += [(f"{functions[n]}; ", used[n], functions[n]) for n in calls]  # type: ignore[index]
    return Expansion(line, front + pieces, {n: names[n] for n in used if n in names}, given)


def _functions_used(used: dict[str, int], functions: dict[str, str], names: dict[str, str]) -> list[str]:
    """The functions the line calls and those their bodies call, each after the ones it calls; the names
    their bodies use are added to `used` at the place of the call that needs them."""
    order: list[str] = []
    for first in [n for n in used if n in functions]:
        stack, seen = [(first, False)], set(order)
        while stack:
            f, done = stack.pop()
            if done:
                order.append(f)
                continue
            if f in seen:
                continue
            seen.add(f)
            stack.append((f, True))
            head, _, body = functions[f].partition("=")
            for word in sorted(names_in(body) - names_in(head)):  # a parameter is local to the body
                if word in functions and word not in seen:
                    used.setdefault(word, used[f])
                    stack.append((word, False))
                elif word in names:
                    used.setdefault(word, used[f])
    return order


def _placeholder(k: int, line: str, names: dict[str, str]) -> str:
    """A name for result k that the line and the session's definitions do not use."""
    found = f"_r{k}"
    while found in line or any(found in d for d in names.values()):
        found = "_" + found
    return found


def _result(results: Any, k: str, where: int, line: str) -> int:
    """Result k's number (k empty: the last result's); an error goes under the `$`."""
    n = len(results)
    if not n:
        message = "no results yet: $ and $1, $2, … stand for results of earlier lines"
    elif not 1 <= (i := int(k) if k else n) <= n:
        message = f"there is no result ${i}: " + (
            "the only result so far is $1" if n == 1 else f"the results so far are $1 to ${n}"
        )
    elif results.graphs[i - 1] is None:
        message = f"result ${i} has several outputs: $k stands for one expression"
    else:
        return i
    raise AdcliError("usage_error", message, line=1, column=where + 1, source=line)
