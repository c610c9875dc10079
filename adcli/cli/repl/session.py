"""What a REPL session holds — settings, names and numbered results — and solving one line with them.

The `:` commands that change a session are adcli.cli.repl.loop.Session's methods; the loop is adcli.cli.repl.loop.run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from adcli.cli.repl.expand import NAME, Expansion, Located, expand, names_in
from adcli.core.errors import AdcliError

DEFINE = re.compile(rf"\s*({NAME.pattern})\s*=(?!=)\s*(.*)\Z", re.DOTALL)
#: `f(x, y) = body`: a function of the session's (`:def` may be left out)
FUNCTION = re.compile(rf"\s*({NAME.pattern})\s*\(\s*{NAME.pattern}(?:\s*,\s*{NAME.pattern})*\s*\)\s*=(?!=)\s*\S")
NEW_WORD = "a name must be a new word: not a function, a constant or a variable with a value (e.g. f)"


class Results:
    """The numbered results: each one-output result's graph, and its text made when asked. A chain of 2,000
    `$ + 1` lines printed every result in full (the 2,000th is 8,000 characters) and parsed it again."""

    def __init__(self) -> None:
        self.graphs: list[Any] = []  # result k's graph (None: several outputs)
        self._texts: dict[int, str] = {}

    def append(self, graph: Any) -> None:
        self.graphs.append(graph)

    def __len__(self) -> int:
        return len(self.graphs)

    def __getitem__(self, i: int) -> str | None:
        """Result i's expression text (0-based; -1 the last), None for several outputs."""
        from adcli.core.printing import to_text

        i = range(len(self.graphs))[i]
        if self.graphs[i] is None:
            return None
        if i not in self._texts:
            self._texts[i] = to_text(self.graphs[i])
        return self._texts[i]

    def __iter__(self) -> Iterator[str | None]:
        return (self[i] for i in range(len(self)))

    def short(self, i: int, limit: int = 80) -> str:
        """Result i's text cut to limit characters, for messages (`(in $3 = …)`)."""
        from adcli.core.printing import to_text

        return to_text(self.graphs[i], {}, limit, truncate=True)


@dataclass
class State:
    """The settings and the results so far; `solve` runs one line."""

    command: str = "jac"
    mode: str = "auto"
    at: list[str] = field(default_factory=list)  # the point as shown: `x=1`, `W=randn(64,32)`, one a variable
    bound: dict[str, Any] = field(default_factory=dict)  # name -> its Binding, read once by :at (arrays drawn once)
    drawn: set[str] = field(default_factory=set)  # the variables whose values randn drew (the result says the seed)
    seed: int | None = None  # randn's seed (--seed; None: adcli.batch.values.DEFAULT_SEED)
    wrt: list[str] | None = None
    format: str = "plain"
    precision: int = 10
    strict: bool = False
    results: Results = field(default_factory=Results)  # result k's graph and text (one output)
    names: dict[str, str] = field(default_factory=dict)
    done: bool = False
    variables_seen: set[str] = field(default_factory=set)  # the variables of lines so far (Tab offers them)
    functions: dict[str, str] = field(default_factory=dict)  # name -> `f(x) = x^2 + 1`, in definition order

    def has_value(self, word: str) -> bool:
        """Whether the session gave `word` a meaning (a name, or a value in its point): then `quit` typed
        alone is that expression, not the command."""
        return word in self.names or word in self.point_names()

    def expand(self, line: str, start: int = 0) -> Expansion:
        """line[start:] with the session's names and results put in (adcli.cli.repl.expand.expand)."""
        return expand(line, start, self.names, self.results, self.functions)

    def define(self, text: str) -> str:
        """`f(x) = x^2 + 1`: a function for later lines (adcli.language.functions), checked now by parsing it;
        defining f again replaces it (lines after use the new body, as functions that call f do)."""
        from adcli.language.parser import check_calls, parse

        found = FUNCTION.match(text)
        if found is None or ";" in text:
            raise AdcliError("usage_error", ":def takes one definition, as in :def f(x) = x^2 + 1")
        name = found.group(1)
        if name in self.names or name in self.point_names():
            where = "is a name (:unname drops it)" if name in self.names else "has a value in the session's point"
            raise AdcliError("usage_error", f":def {name}(…): {name} {where}")
        others = {n: d for n, d in self.functions.items() if n != name}  # its old body is not in front
        expansion = expand(f"{text.strip()}\n0", 0, self.names, self.results, others)
        try:
            parsed = parse(expansion.text, strict=self.strict, given=expansion.given)
            check_calls(parsed)  # a call of a function that does not exist (yet) is an error now
        except AdcliError as exc:
            raise expansion.place(exc) from None
        function = parsed.functions[name]
        self.functions[name] = f"{function.signature()} = {text.strip().partition('=')[2].strip()}"
        return self.functions[name]

    def check_name(self, name: str, said: str, expression: str | None = None) -> None:
        """Refuse a name that would break the lines using it: a function, a constant, a variable with a value
        in the session's point, one of its own expression's variables or of another name's definition."""
        from adcli.core.primitives import CONSTANTS, FUNCTIONS

        users = [n for n, text in self.names.items() if n != name and name in names_in(text)]
        if not NAME.fullmatch(name):
            why = f"{name!r} is not a name (letters, digits and _, not starting with a digit)"
        elif name in FUNCTIONS:
            why = f"{name} is a function"
        elif name in CONSTANTS or name == "at":
            why = f"{name} is a constant" if name in CONSTANTS else "at is the word that starts a line's own point"
        elif name in self.point_names():
            why = f"{name} has a value in the session's point (:at)"
        elif name in self.functions:
            why = f"{name} is a function of the session ({self.functions[name]})"
        elif expression is not None and name in names_in(expression):
            why = f"{name} is a variable of its own expression {expression}"
        elif users:
            why = f"{name} is a variable of {users[0]} = {self.names[users[0]]}"
        else:
            return
        raise AdcliError("usage_error", f"{said}: {why}; {NEW_WORD}")

    def point_names(self) -> list[str]:
        return [text.partition("=")[0] for text in self.at]

    def solve(self, line: str) -> tuple[int, str | None, Any]:
        """Compute a line (`name = expr` also defines the name): the result's number, the name, the result.

        Errors are reported against the line as typed: a caret into a definition or a `$k` put in front
        of it moves under the name or the `$k`, and the message says which definition it was."""
        from dataclasses import replace

        from adcli.core.primitives import CONSTANTS, FUNCTIONS

        self.variables_seen.update(n for n in names_in(line) if n not in FUNCTIONS and n not in CONSTANTS and n != "at")
        defined = DEFINE.match(line) if ";" not in line else None
        name = defined.group(1) if defined else None
        if name is not None:
            self.check_name(name, f"{name} = …")
        expansion = self.expand(line, defined.start(2) if defined else 0)
        try:
            result, graph = self._compute(expansion, name)
        except AdcliError as exc:
            raise expansion.place(exc) from None
        self.results.append(graph)
        if name is not None:
            text = self.results[-1]
            try:
                self.check_name(name, f"{name} = …", text)
            except AdcliError:
                self.results.graphs.pop()
                raise
            self.names.pop(name, None)
            self.names[name] = text  # type: ignore[assignment]
        failures = None if result.failures is None else Located(result.failures, expansion)
        return len(self.results), name, replace(result, input=line, failures=failures)

    def _compute(self, expansion: Expansion, name: str | None) -> tuple[Any, Any]:
        """The result of the expanded line, and its expression's graph (None for several outputs)."""
        from adcli import api
        from adcli.language.parser import parse

        point = self._point()  # fills in; the line's own `at` wins
        text = expansion.text
        parsed = parse(text, strict=self.strict, given=expansion.given)
        problem = api.prepare(
            text, None, self.wrt, strict=self.strict, defaults=point, each_point=True, parsed=parsed, seed=self.seed
        )
        outputs = problem.parsed.outputs
        if name is not None and len(outputs) != 1:
            raise AdcliError("usage_error", f"{name} = …: a name stands for one expression, this has several")
        if self.command == "eval":
            result = api.evaluate_problem(problem)
        elif self.command == "grad" and len(outputs) != 1:
            raise AdcliError("usage_error", f"grad needs one output; this has {len(outputs)}: try :command jac")
        else:
            mode = "reverse" if self.mode == "auto" and self.command == "grad" else self.mode
            result = api.differentiate(problem, mode)
        if getattr(result, "seed", 0) is None and any(n in self.drawn for n in problem.tape.names):
            from adcli.batch.values import DEFAULT_SEED

            result.seed = DEFAULT_SEED if self.seed is None else self.seed  # as --at W=randn(…) says it
        return result, outputs[0] if len(outputs) == 1 else None

    def _point(self) -> list[Any]:
        """The session's point as bindings: each as :at read it (a text set directly is read now)."""
        from adcli.batch.values import point_bindings

        found = []
        for text in self.at:
            name = text.partition("=")[0]
            found += [self.bound[name]] if name in self.bound else point_bindings(text, self.seed)[0]
        return found
