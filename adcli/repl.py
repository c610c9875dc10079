"""`adcli repl`: an interactive session — start-up paid once, line editing and history, settings with `:`.

A line is a problem, computed with the session's settings (`:command`, `:mode`, `:at`, `:wrt`,
`:format`, `:precision`, `:strict`). Results are numbered: `$3` is result 3's expression (in
parentheses) and `$` the last one's. `name = expr` defines a name (and computes it); `:name f`
names the last result and `:unname f` drops it; a name that would break later lines (a function, a
constant, a variable with a value) is refused. A line that uses a defined name has the definition put
in front of it (`f = (…); your line`), so read-as shows the name and the sharing; errors are placed
back in the line as typed (`Expansion.place`). `:help` lists it all.
"""

from __future__ import annotations

import bisect
import itertools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from adcli.errors import AdcliError, internal_error

PROMPT = "adcli> "
COMMANDS = ("grad", "jac", "eval")
MODES = ("auto", "forward", "reverse")
FORMATS = ("table", "plain", "json")
HISTORY = os.path.join(os.path.expanduser("~"), ".adcli_history")
LETTER = "A-Za-z_\u0391-\u03a9\u03b1-\u03bf\u03c1-\u03c9"  # the grammar's NAME: Latin and Greek letters, _
NAME = re.compile(f"[{LETTER}][{LETTER}0-9]*")
DEFINE = re.compile(rf"\s*({NAME.pattern})\s*=(?!=)\s*(.*)\Z", re.DOTALL)
#: what expansion looks at: numbers (skipped, so that 1e5 holds no name e5), names, `$k` and `$`
SCAN = re.compile(rf"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|(?P<name>{NAME.pattern})|\$(?P<k>\d*)")
ASSIGNED = re.compile(r"\s*=(?!=)")
NEW_WORD = "a name must be a new word: not a function, a constant or a variable with a value (e.g. f)"

HELP = """\
A line is a problem: sin(x)*y   (or: sin(x)*y at x=1, y=2; several statements: a = x^2; a + 1)
  name = expr      define a name and compute it; later lines may use the name
  $3, $            result 3's expression, the last result's (one-output results)
Settings (alone: show the setting):
  :command grad|jac|eval     what a line computes (now: {command})
  :mode auto|forward|reverse how derivatives are swept (now: {mode})
  :at x=1, y=2               set these variables of the session's point (others keep theirs;
                             a line's own at wins); spans x=0:1:5 and lists x=[0,1] too;
                             ':at -' clears the point
  :wrt x,y                   Jacobian columns; ':wrt -' goes back to the point's order
  :format table|plain|json   output (now: {format})
  :precision N               significant digits shown (now: {precision})
  :strict on|off             refuse implicit multiplication (now: {strict})
  :name f                    name the last result f (a new word: not a function, a constant
                             or a variable with a value)
  :unname f                  drop the name f
  :names                     list the names and numbered results
  :help                      this list
  :quit                      leave (also Ctrl-D)"""


@dataclass
class Expansion:
    """A line as the engine gets it (`text`) and the way back to the line as typed, for errors.

    `pieces` tile `text`: (piece, where it comes from in the line, None for the line's own text or
    what was put in, e.g. `f = x*y` or `$2 = x^2`)."""

    line: str
    pieces: list[tuple[str, int, str | None]]
    names: dict[str, str]  # the names put in front, with their definitions
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


class _Located:
    """A result's failed points (adcli.points.Failures) whose errors are placed in the line as typed."""

    def __init__(self, failures: Any, expansion: Expansion) -> None:
        self.failures, self.expansion = failures, expansion

    def __getattr__(self, key: str) -> Any:
        return getattr(self.failures, key)

    def __len__(self) -> int:
        return len(self.failures)

    def error(self, i: int) -> AdcliError:
        return self.expansion.place(self.failures.error(i))


def _names_in(text: str) -> set[str]:
    return {m.group("name") for m in SCAN.finditer(text) if m.group("name")}


@dataclass
class Session:
    """The settings and the results so far; `handle` runs one line and says what to print."""

    command: str = "jac"
    mode: str = "auto"
    at: list[str] = field(default_factory=list)
    wrt: list[str] | None = None
    format: str = "plain"
    precision: int = 10
    strict: bool = False
    results: list[str | None] = field(default_factory=list)  # result k's expression text (one output)
    names: dict[str, str] = field(default_factory=dict)
    done: bool = False

    # ---- expressions ---------------------------------------------------------------------------

    def expand(self, line: str, start: int = 0) -> Expansion:
        """line[start:] as the engine gets it: `$k` and `$` become result k's (the last) expression in
        parentheses, and the names it uses (and does not assign itself) get their definitions in front."""
        pieces: list[tuple[str, int, str | None]] = []
        used: dict[str, int] = {}  # name -> where the line first uses it
        assigned: set[str] = set()  # names the line assigns itself: its own definition wins
        done = start
        for match in SCAN.finditer(line, start):
            name, k = match.group("name"), match.group("k")
            if k is not None:
                i, found = self._result(k, match.start(), line)
                pieces += [(line[done : match.start()], done, None), (f"({found})", match.start(), f"${i} = {found}")]
                done = match.end()
            elif name in self.names and ASSIGNED.match(line, match.end()):
                assigned.add(name)
            elif name in self.names:
                used.setdefault(name, match.start())
        pieces.append((line[done:], done, None))
        used = {n: where for n, where in used.items() if n not in assigned}
        front = [(f"{n} = ({d}); ", used[n], f"{n} = {d}") for n, d in self.names.items() if n in used]
        return Expansion(line, front + pieces, {n: self.names[n] for n in used})

    def _result(self, k: str, where: int, line: str) -> tuple[int, str]:
        """Result k's number and expression (k empty: the last result's); an error goes under the `$`."""
        n = len(self.results)
        if not n:
            message = "no results yet: $ and $1, $2, … stand for results of earlier lines"
        elif not 1 <= (i := int(k) if k else n) <= n:
            message = f"there is no result ${i}: " + (
                "the only result so far is $1" if n == 1 else f"the results so far are $1 to ${n}"
            )
        elif (found := self.results[i - 1]) is None:
            message = f"result ${i} has several outputs: $k stands for one expression"
        else:
            return i, found
        raise AdcliError("usage_error", message, line=1, column=where + 1, source=line)

    def check_name(self, name: str, said: str, expression: str | None = None) -> None:
        """Refuse a name that would break the lines using it: a function, a constant, a variable with a value
        in the session's point, one of its own expression's variables or of another name's definition."""
        from adcli.primitives import CONSTANTS, FUNCTIONS

        users = [n for n, text in self.names.items() if n != name and name in _names_in(text)]
        if not NAME.fullmatch(name):
            why = f"{name!r} is not a name (letters, digits and _, not starting with a digit)"
        elif name in FUNCTIONS:
            why = f"{name} is a function"
        elif name in CONSTANTS or name == "at":
            why = f"{name} is a constant" if name in CONSTANTS else "at is the word that starts a line's own point"
        elif name in self._point_names():
            why = f"{name} has a value in the session's point (:at)"
        elif expression is not None and name in _names_in(expression):
            why = f"{name} is a variable of its own expression {expression}"
        elif users:
            why = f"{name} is a variable of {users[0]} = {self.names[users[0]]}"
        else:
            return
        raise AdcliError("usage_error", f"{said}: {why}; {NEW_WORD}")

    def _point_names(self) -> list[str]:
        return [text.partition("=")[0] for text in self.at]

    # ---- one line ------------------------------------------------------------------------------

    def solve(self, line: str) -> tuple[int, str | None, Any]:
        """Compute a line (`name = expr` also defines the name): the result's number, the name, the result.

        Errors are reported against the line as typed: a caret into a definition or a `$k` put in front
        of it moves under the name or the `$k`, and the message says which definition it was."""
        from dataclasses import replace

        defined = DEFINE.match(line) if ";" not in line else None
        name = defined.group(1) if defined else None
        if name is not None:
            self.check_name(name, f"{name} = …")
        expansion = self.expand(line, defined.start(2) if defined else 0)
        try:
            result, text = self._compute(expansion.text, name)
        except AdcliError as exc:
            raise expansion.place(exc) from None
        if name is not None:
            self.check_name(name, f"{name} = …", text)
        self.results.append(text)
        if name is not None:
            self.names.pop(name, None)
            self.names[name] = text  # type: ignore[assignment]
        failures = None if result.failures is None else _Located(result.failures, expansion)
        return len(self.results), name, replace(result, input=line, failures=failures)

    def _compute(self, text: str, name: str | None) -> tuple[Any, str | None]:
        """The result of the expanded text, and its expression's text (None for several outputs)."""
        from adcli import api
        from adcli.printing import to_text
        from adcli.syntax import parse_point

        point = [b for given in self.at for b in parse_point(given)]  # fills in; the line's own `at` wins
        problem = api.prepare(text, None, self.wrt, strict=self.strict, defaults=point, each_point=True)
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
        return result, to_text(outputs[0]) if len(outputs) == 1 else None

    # ---- settings ------------------------------------------------------------------------------

    def setting(self, line: str) -> str:
        """Run a `:` command; returns the text to show."""
        word, _, arg = line[1:].strip().partition(" ")
        arg = arg.strip()
        handler = SETTINGS.get(word)
        if handler is None:
            raise AdcliError("usage_error", f"unknown command :{word}: :help lists them")
        return handler(self, arg)

    def show_help(self, _: str) -> str:
        return HELP.format(
            command=self.command,
            mode=self.mode,
            format=self.format,
            precision=self.precision,
            strict="on" if self.strict else "off",
        )

    def set_command(self, arg: str) -> str:
        return self._choice("command", arg, COMMANDS)

    def set_mode(self, arg: str) -> str:
        return self._choice("mode", arg, MODES)

    def set_format(self, arg: str) -> str:
        return self._choice("format", arg, FORMATS)

    def _choice(self, key: str, arg: str, choices: tuple[str, ...]) -> str:
        if arg:
            if arg not in choices:
                raise AdcliError("usage_error", f":{key} is one of {', '.join(choices)}, not {arg!r}")
            setattr(self, key, arg)
        return f"{key}: {getattr(self, key)}"

    def set_at(self, arg: str) -> str:
        """`:at x=0:1:3` gives x those values and keeps the other variables' (`:at -` clears them all)."""
        if arg == "-":
            self.at = []
        elif arg:
            from adcli.primitives import CONSTANTS
            from adcli.syntax import parse_point

            given = {b.name: _binding_text(b) for b in parse_point(arg)}  # a bad point is refused now
            for name in given:
                if name in CONSTANTS:
                    raise AdcliError("usage_error", f":at {name}=…: {name} is a constant; it cannot be given a value")
                if name in self.names:
                    said = f"{name} is a name ({name} = {self.names[name]})"
                    raise AdcliError("usage_error", f":at {name}=…: {said}; ':unname {name}' drops it first")
            self.at = [given.pop(name, text) for name, text in zip(self._point_names(), self.at, strict=True)]
            self.at += given.values()
        return f"at: {', '.join(self.at) or '(no values)'}"

    def set_wrt(self, arg: str) -> str:
        if arg == "-":
            self.wrt = None
        elif arg:
            self.wrt = [w.strip() for w in arg.split(",") if w.strip()]
        return f"wrt: {', '.join(self.wrt) if self.wrt else '(the point order)'}"

    def set_precision(self, arg: str) -> str:
        if arg:
            if not arg.isdigit() or not 1 <= int(arg) <= 17:
                raise AdcliError("usage_error", f":precision is a whole number from 1 to 17, not {arg!r}")
            self.precision = int(arg)
        return f"precision: {self.precision}"

    def set_strict(self, arg: str) -> str:
        if arg:
            if arg not in ("on", "off"):
                raise AdcliError("usage_error", f":strict is on or off, not {arg!r}")
            self.strict = arg == "on"
        return f"strict: {'on' if self.strict else 'off'}"

    def set_name(self, arg: str) -> str:
        if not arg:
            raise AdcliError("usage_error", ":name needs a name, e.g. :name f")
        if not self.results or self.results[-1] is None:
            raise AdcliError("usage_error", ":name names the last result, which must have one output")
        self.check_name(arg, f":name {arg}", self.results[-1])
        self.names.pop(arg, None)
        self.names[arg] = self.results[-1]  # type: ignore[assignment]
        return f"{arg} = {self.names[arg]}"

    def unname(self, arg: str) -> str:
        """`:unname f` drops the name f (lines that used it now see a plain variable f)."""
        if arg not in self.names:
            known = f"the names are {', '.join(self.names)}" if self.names else "there are no names"
            said = f":unname {arg}: {arg} is not a name" if arg else ":unname needs a name, e.g. :unname f"
            raise AdcliError("usage_error", f"{said}; {known}")
        return f"dropped {arg} = {self.names.pop(arg)}"

    def list_names(self, _: str) -> str:
        lines = [f"{name} = {text}" for name, text in self.names.items()]
        lines += [f"${k} = {text}" for k, text in enumerate(self.results, 1) if text is not None]
        return "\n".join(lines) or "(no names or results yet)"

    def quit(self, _: str) -> str:
        self.done = True
        return ""


def _binding_text(b: Any) -> str:
    """`x=0.5`, `x=0:1:3`, `x=[1, 2]`: one binding of a point as text that reads back the same."""
    from adcli.printing import format_number as shown

    if b.kind == "span":
        return f"{b.name}={':'.join(shown(v) for v in b.values)}"
    if b.kind == "list":
        return f"{b.name}=[{', '.join(shown(v) for v in b.values)}]"
    return f"{b.name}={shown(b.values[0])}"


SETTINGS: dict[str, Callable[[Session, str], str]] = {
    "help": Session.show_help,
    "h": Session.show_help,
    "?": Session.show_help,
    "command": Session.set_command,
    "mode": Session.set_mode,
    "at": Session.set_at,
    "wrt": Session.set_wrt,
    "format": Session.set_format,
    "precision": Session.set_precision,
    "strict": Session.set_strict,
    "name": Session.set_name,
    "unname": Session.unname,
    "names": Session.list_names,
    "quit": Session.quit,
    "q": Session.quit,
    "exit": Session.quit,
}


def _lines(stdin: IO[str], interactive: bool) -> Iterator[str]:
    """Lines typed (with readline's editing and history on a terminal) or piped in."""
    if not interactive:
        for line in stdin:
            yield line.rstrip("\r\n")
        return
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        readline = None  # type: ignore[assignment]
    if readline is not None:
        try:
            readline.read_history_file(HISTORY)
        except OSError:
            pass
    try:
        while True:
            try:
                yield input(PROMPT)
            except KeyboardInterrupt:
                print()  # noqa: T201 - a fresh prompt after Ctrl-C
            except EOFError:
                print()  # noqa: T201
                return
    finally:
        if readline is not None:
            try:
                readline.write_history_file(HISTORY)
            except OSError:
                pass


Show = Callable[[Any, str, str, int], None]
REPL = "<repl>"  # the `file` of a point set's JSON records; `line` is the session's line number


class _Advice:
    """stderr, with the command line's advice to use --format jsonl or csv said the session's way."""

    def __init__(self, err: IO[str]) -> None:
        self.err = err

    def write(self, text: str) -> int:
        return self.err.write(text.replace("--format jsonl or csv", ":format json"))

    def flush(self) -> None:
        self.err.flush()


def show_points(result: Any, session: Session, number: int, out: IO[str], err: IO[str]) -> None:
    """A point set as the command line shows one (adcli.render_batch): a row per point, a failed point's
    error kind in its row and its error on stderr (table, plain), or an array of records (json)."""
    from adcli import render_batch
    from adcli.batch import Outcome, Summary
    from adcli.inputs import ARG, Item

    file = REPL if session.format == "json" else ARG  # ARG: no `file:line` heading in a table or text
    sink = render_batch.sink(session.format, session.command, session.precision, out, _Advice(err))  # type: ignore[arg-type]
    sink.emit(Outcome(Item(result.input, file, number), result))
    sink.close(Summary())  # the summary of nothing: no `0 ok, 1 failed` for a session's line


def run(session: Session, stdin: IO[str], out: IO[str], err: IO[str], show: Show, interactive: bool) -> int:
    """The loop: settings, definitions and problems, until :quit or the end of input; returns 0."""
    from adcli import render
    from adcli.points import is_many

    if interactive:
        out.write("adcli repl: a line is a problem; :help lists the commands, :quit leaves\n")
    for number, line in enumerate(_lines(stdin, interactive), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        try:
            if text.startswith(":"):
                said = session.setting(text)
                if said:
                    out.write(said + "\n")
                if session.done:
                    break
                continue
            k, name, result = session.solve(text)
            if session.format != "json":
                out.write(f"${k}" + (f" = {name}" if name else "") + "\n")
            if is_many(result.at):
                show_points(result, session, number, out, err)
            else:
                show(result, session.command, session.format, session.precision)
        except OSError:  # the output went away
            raise
        except Exception as caught:  # noqa: BLE001 - an AdcliError, or a bug in adcli: the session goes on
            exc = caught if isinstance(caught, AdcliError) else internal_error(caught)
            exc.message = exc.message.replace("with --at ", "with :at ")  # the session's way to give values
            out.flush()
            if session.format == "json":
                out.write(render.error_json(exc) + "\n")
            else:
                err.write(render.error_text(exc) + "\n")
        out.flush()
    return 0
