"""`adcli repl`: an interactive session — start-up paid once, line editing and history, settings with `:`.

A line is a problem, computed with the session's settings (`:command`, `:mode`, `:at`, `:wrt`,
`:format`, `:precision`, `:strict`). Results are numbered: `$3` is result 3's expression (in
parentheses) and `$` the last one's. `name = expr` defines a name (and computes it); `:name f`
names the last result. A line that uses a defined name has the definition put in front of it
(`f = (…); your line`), so read-as shows the name and the sharing. `:help` lists it all.
"""

from __future__ import annotations

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
DEFINE = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)\s*(.*)\Z", re.DOTALL)
REF = re.compile(r"\$(\d+)?")
WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

HELP = """\
A line is a problem: sin(x)*y   (or: sin(x)*y at x=1, y=2; several statements: a = x^2; a + 1)
  name = expr      define a name and compute it; later lines may use the name
  $3, $            result 3's expression, the last result's (one-output results)
Settings (alone: show the setting):
  :command grad|jac|eval     what a line computes (now: {command})
  :mode auto|forward|reverse how derivatives are swept (now: {mode})
  :at x=1, y=2               set these variables of the session's point (others keep theirs);
                             spans x=0:1:5 and lists x=[0,1] too; ':at -' clears the point
  :wrt x,y                   Jacobian columns; ':wrt -' goes back to the point's order
  :format table|plain|json   output (now: {format})
  :precision N               significant digits shown (now: {precision})
  :strict on|off             refuse implicit multiplication (now: {strict})
  :name f                    name the last result f
  :names                     list the names and numbered results
  :help                      this list
  :quit                      leave (also Ctrl-D)"""


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

    def expand(self, text: str) -> str:
        """`$k` and `$` become result k's (the last) expression; used names get their definitions in front."""

        def ref(match: re.Match[str]) -> str:
            if not self.results:
                raise AdcliError("usage_error", "no results yet: $ and $1, $2, … stand for results of earlier lines")
            k, n = int(match.group(1)) if match.group(1) else len(self.results), len(self.results)
            if not 1 <= k <= n:
                so_far = "the only result so far is $1" if n == 1 else f"the results so far are $1 to ${n}"
                raise AdcliError("usage_error", f"there is no result ${k}: {so_far}")
            found = self.results[k - 1]
            if found is None:
                raise AdcliError("usage_error", f"result ${k} has several outputs: $k stands for one expression")
            return f"({found})"

        text = REF.sub(ref, text)
        used = {w for w in WORD.findall(text) if w in self.names}
        if not used:
            return text
        prefix = "; ".join(f"{name} = ({self.names[name]})" for name in self.names if name in used)
        return f"{prefix}; {text}"

    # ---- one line ------------------------------------------------------------------------------

    def solve(self, text: str, name: str | None = None) -> tuple[int, Any]:
        """Compute a line (a definition of `name` when given); the result's number and the result."""
        from adcli import api
        from adcli.printing import to_text

        problem = api.prepare(self.expand(text), self.at or None, self.wrt, strict=self.strict)
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
        self.results.append(to_text(outputs[0]) if len(outputs) == 1 else None)
        if name is not None:
            self.names.pop(name, None)
            self.names[name] = self.results[-1]  # type: ignore[assignment]
        return len(self.results), result

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
            from adcli.syntax import parse_point

            given = {b.name: _binding_text(b) for b in parse_point(arg)}  # a bad point is refused now
            names = [text.partition("=")[0] for text in self.at]
            self.at = [given.pop(name, text) for name, text in zip(names, self.at, strict=True)]
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
        if not arg.isidentifier():
            raise AdcliError("usage_error", ":name needs a name, e.g. :name f")
        if not self.results or self.results[-1] is None:
            raise AdcliError("usage_error", ":name names the last result, which must have one output")
        self.names.pop(arg, None)
        self.names[arg] = self.results[-1]  # type: ignore[assignment]
        return f"{arg} = {self.names[arg]}"

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


def run(session: Session, stdin: IO[str], out: IO[str], err: IO[str], show: Show, interactive: bool) -> int:
    """The loop: settings, definitions and problems, until :quit or the end of input; returns 0."""
    from adcli import render

    if interactive:
        out.write("adcli repl: a line is a problem; :help lists the commands, :quit leaves\n")
    for line in _lines(stdin, interactive):
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
            defined = DEFINE.match(text) if ";" not in text else None
            name = defined.group(1) if defined else None
            k, result = session.solve(defined.group(2) if defined else text, name)
            if session.format != "json":
                out.write(f"${k}" + (f" = {name}" if name else "") + "\n")
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
