"""`adcli repl`: an interactive session — start-up paid once, line editing and history, settings with `:`.

A line is a problem, computed with the session's settings (`:command`, `:mode`, `:at`, `:wrt`,
`:format`, `:precision`, `:strict`). Results are numbered: `$3` is result 3's expression (in
parentheses) and `$` the last one's. `name = expr` defines a name (and computes it); `:name f`
names the last result and `:unname f` drops it; a name that would break later lines (a function, a
constant, a variable with a value) is refused. A line that uses a defined name has the definition put
in front of it (`f = (…); your line`), so read-as shows the name and the sharing; errors are placed
back in the line as typed (adcli.cli.repl.expand). What a session holds and how it solves a line is
adcli.cli.repl.session; this module has the `:` commands and the loop. `:help` lists it all.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from typing import IO, Any

from adcli.cli.repl.session import FUNCTION, State
from adcli.core import numbers
from adcli.core.errors import AdcliError, internal_error

PROMPT = "adcli> "
COMMANDS = ("grad", "jac", "eval")
MODES = ("auto", "forward", "reverse")
FORMATS = ("table", "plain", "json")
HOME = os.path.expanduser("~")
LEGACY_HISTORY = os.path.join(HOME, ".adcli_history")  # read when the XDG file does not exist yet


def _history_path() -> str:
    """$XDG_DATA_HOME/adcli/history (default ~/.local/share/adcli/history), as the XDG base directory
    specification puts user data; a relative XDG_DATA_HOME is ignored, as the specification says."""
    data = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data):
        data = os.path.join(HOME, ".local", "share")
    return os.path.join(data, "adcli", "history")


HISTORY = _history_path()
#: words typed alone that act as the command of the same name, unless the session gave the word a value
WORDS = {"help": ":help", "exit": ":quit", "quit": ":quit"}

HELP = """\
A line is a problem: sin(x)*y   (or: sin(x)*y at x=1, y=2; several statements: a = x^2; a + 1)
  name = expr      define a name and compute it; later lines may use the name
  f(x) = x^2 + 1   define a function (also :def f(x) = …); later lines may call it: f(sin(t))
  $3, $            result 3's expression, the last result's (one-output results)
Settings (alone: show the setting):
  :command grad|jac|eval     what a line computes (now: {command})
  :mode auto|forward|reverse how derivatives are swept (now: {mode})
  :at x=1, y=2               set these variables of the session's point (others keep theirs;
                             a line's own at wins); as --at: spans x=0:1:5, sets x={{0,1}},
                             arrays x=[1,2], W=randn(3,2) (--seed), zeros/ones(n), eye(n),
                             W=@w.npy; ':at -' clears the point
  :wrt x,y                   Jacobian columns; ':wrt -' goes back to the point's order
  :format table|plain|json   output (now: {format})
  :precision N               significant digits shown (now: {precision})
  :strict on|off             refuse implicit multiplication (now: {strict})
  :name f                    name the last result f (a new word: not a function, a constant
                             or a variable with a value)
  :unname f                  drop the name (or function) f
  :names, :functions         list the names and numbered results; the session's functions
  :help                      this list (also help)
  :quit                      leave (also quit, exit, Ctrl-D)
Keys: Tab completes commands, functions, variables and names; Up/Down walk the history (kept in
{history}); Ctrl-C cancels the line being typed or computed; Ctrl-D leaves."""


class Session(State):
    """A session (adcli.cli.repl.session.State) with the `:` commands that change it; `setting` runs one."""

    def setting(self, line: str) -> str:
        """Run a `:` command; returns the text to show."""
        word, _, arg = line[1:].strip().partition(" ")
        arg = arg.strip()
        handler = SETTINGS.get(word)
        if handler is None:
            said = f"unknown command :{word}" if word else "a ':' needs a command after it, as in :help"
            raise AdcliError("usage_error", f"{said}: :help lists them" if word else said)
        return handler(self, arg)

    def show_help(self, _: str) -> str:
        return HELP.format(
            command=self.command,
            mode=self.mode,
            format=self.format,
            precision=self.precision,
            strict="on" if self.strict else "off",
            history=HISTORY,
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
        """`:at x=0:1:3` gives x those values and keeps the other variables' (`:at -` clears them all). The
        text is read as --at reads it (adcli.batch.values: arrays, randn(…) with the session's seed, @a.npy),
        once: a drawn or loaded array keeps its values for every later line."""
        if arg == "-":
            self.at, self.bound, self.drawn = [], {}, set()
        elif arg:
            from adcli.batch.values import made_outside, pieces, point_bindings
            from adcli.core.primitives import CONSTANTS

            found, _ = point_bindings(arg, self.seed)  # a bad point is refused now
            given = {b.name: b for b in found}
            for name in given:
                if name in CONSTANTS:
                    raise AdcliError("usage_error", f":at {name}=…: {name} is a constant; it cannot be given a value")
                if name in self.functions:
                    raise AdcliError("usage_error", f":at {name}=…: {name} is a function ({self.functions[name]})")
                if name in self.names:
                    said = f"{name} is a name ({name} = {self.names[name]})"
                    raise AdcliError("usage_error", f":at {name}=…: {said}; ':unname {name}' drops it first")
            made = made_outside(arg)
            sides = [p.partition("=") for p in pieces(arg)]  # `W = randn(2)` shown W=randn(2): a name ends at '='
            written = {name.strip(): f"{name.strip()}={value.strip()}" for name, _, value in sides}
            texts = {name: written[name] if name in made else _binding_text(b) for name, b in given.items()}
            self.bound = {name: b for name, b in self.bound.items() if name not in given} | given
            self.drawn = (self.drawn - set(given)) | {name for name, call in made.items() if call == "randn"}
            self.at = [texts.pop(name, text) for name, text in zip(self.point_names(), self.at, strict=True)]
            self.at += texts.values()
        return f"at: {', '.join(self.at) or '(no values)'}"

    def set_wrt(self, arg: str) -> str:
        if arg == "-":
            self.wrt = None
        elif arg:
            wrt = [w.strip() for w in arg.split(",") if w.strip()]
            if not wrt:  # `:wrt ,`: no columns, and every later line an error that says --wrt
                raise AdcliError("usage_error", ":wrt names no variable: give x,y (or ':wrt -' for the point order)")
            self.wrt = wrt
        return f"wrt: {', '.join(self.wrt) if self.wrt else '(the point order)'}"

    def set_precision(self, arg: str) -> str:
        if arg:
            try:
                digits = numbers.read_int(arg)
            except ValueError as exc:
                raise AdcliError("usage_error", f":precision is a whole number from 1 to 17: {exc}") from None
            if not 1 <= digits <= 17:
                raise AdcliError("usage_error", f":precision is a whole number from 1 to 17, not {arg!r}")
            self.precision = digits
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
        if not self.results:
            raise AdcliError("usage_error", ":name names the last result: there is none yet")
        if self.results[-1] is None:
            raise AdcliError("usage_error", ":name names the last result, which must have one output")
        self.check_name(arg, f":name {arg}", self.results[-1])
        self.names.pop(arg, None)
        self.names[arg] = self.results[-1]  # type: ignore[assignment]
        return f"{arg} = {self.names[arg]}"

    def define_function(self, arg: str) -> str:
        return self.define(arg)

    def list_functions(self, _: str) -> str:
        """The session's functions, each with its partials (adcli.commands.own), then where the built-ins are."""
        if not self.functions:
            return "(no functions of the session yet: f(x) = x^2 + 1 defines one; adcli functions lists the built-in)"
        from adcli.commands.own import function_rows

        rows = function_rows("; ".join(self.functions.values()), self.strict)
        lines = [f"{d}  ({r['derivative']})" for d, r in zip(self.functions.values(), rows, strict=True)]
        return "\n".join([*lines, "(the built-in functions: adcli functions lists them)"])

    def unname(self, arg: str) -> str:
        """`:unname f` drops the name f (lines that used it now see a plain variable f), or the function f."""
        if arg in self.functions:
            return f"dropped {self.functions.pop(arg)}"
        if arg not in self.names:
            known = f"the names are {', '.join(self.names)}" if self.names else "there are no names"
            said = f":unname {arg}: {arg} is not a name" if arg else ":unname needs a name, e.g. :unname f"
            raise AdcliError("usage_error", f"{said}; {known}")
        return f"dropped {arg} = {self.names.pop(arg)}"

    def list_names(self, _: str) -> str:
        lines = [f"{name} = {text}" for name, text in self.names.items()] + list(self.functions.values())
        lines += [f"${k} = {text}" for k, text in enumerate(self.results, 1) if text is not None]
        return "\n".join(lines) or "(no names or results yet)"

    def quit(self, _: str) -> str:
        self.done = True
        return ""

    def completions(self, buffer: str, text: str) -> list[str]:
        """What Tab offers for the word `text` of the line `buffer` (adcli.cli.repl.complete)."""
        from adcli.cli.repl.complete import candidates
        from adcli.core.primitives import CONSTANTS, FUNCTIONS

        commands = [word for word in SETTINGS if len(word) > 1]
        choices = {"command": COMMANDS, "mode": MODES, "format": FORMATS, "strict": ("on", "off")}
        choices |= {"unname": [*self.names, *self.functions], "name": (), "help": (), "quit": ()}
        words = [*FUNCTIONS, *CONSTANTS, *self.point_names(), *self.names, *self.functions, *self.variables_seen]
        return candidates(buffer, text, commands, choices, words)


def _binding_text(b: Any) -> str:
    """`x=0.5`, `x=0:1:3`, `x={1, 2}`, `x=[1, 2]`: one binding of a point as text that reads back the same."""
    from adcli.core.printing import format_number as shown

    if b.kind == "span":
        return f"{b.name}={':'.join(shown(v) for v in b.values)}"
    if b.kind == "list":
        return f"{b.name}={{{', '.join(shown(v) for v in b.values)}}}"
    if b.kind == "array":  # an array value (issue 12), as a literal that reads back the same
        import numpy as np

        as_text = {"float_kind": shown}
        return (
            f"{b.name}={np.array2string(np.asarray(b.values[0]), separator=', ', threshold=10**9, formatter=as_text)}"
        )
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
    "def": Session.define_function,
    "functions": Session.list_functions,
    "quit": Session.quit,
    "q": Session.quit,
    "exit": Session.quit,
}


def _lines(stdin: IO[str], interactive: bool, complete: Any = None) -> Iterator[str]:
    """Lines typed (with readline's editing, history and, given `complete`, Tab completion on a terminal)
    or piped in. Ctrl-C while typing drops the line and gives a fresh prompt."""
    if not interactive:
        for line in stdin:
            yield line.rstrip("\r\n")
        return
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        readline = None  # type: ignore[assignment]
    if readline is not None:
        _read_history(readline)
        if complete is not None:
            from adcli.cli.repl.complete import attach

            attach(readline, complete)
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
            _write_history(readline)


MAX_HISTORY = 1 << 20  # bytes: a bigger history file is not read


def _read_history(readline: Any) -> None:
    """The history file, if it is a regular file of the user's, not too big: a FIFO there would hang the
    session's start, a link to /dev/zero read forever."""
    import stat

    path = HISTORY if os.path.lexists(HISTORY) or HISTORY != _history_path() else LEGACY_HISTORY
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return
    try:
        info = os.fstat(fd)
        if stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and info.st_size <= MAX_HISTORY:
            opened = f"/proc/self/fd/{fd}"  # the file checked, even if the name is swapped meanwhile
            readline.read_history_file(opened if os.path.exists(opened) else path)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_history(readline: Any) -> None:
    """Written whole or not at all: into a temporary file beside it, then renamed over it (a full disk
    left a cut history); a home folder that does not exist is not created."""
    import tempfile

    folder = os.path.dirname(HISTORY)
    parent = os.path.dirname(folder)
    if os.path.isdir(parent) or (os.path.isdir(HOME) and parent == os.path.join(HOME, ".local", "share")):
        with contextlib.suppress(OSError):  # XDG: the adcli folder (and ~/.local/share) made 0700 if missing
            os.makedirs(folder, mode=0o700, exist_ok=True)
    try:
        fd, temporary = tempfile.mkstemp(prefix=".history.", dir=folder)
    except OSError:
        return
    os.close(fd)
    try:
        readline.write_history_file(temporary)
        os.replace(temporary, HISTORY)
    except OSError:
        with contextlib.suppress(OSError):
            os.remove(temporary)


Show = Callable[[Any, str, str, int], None]
REPL = "<repl>"  # the `file` of a point set's JSON records; `line` is the session's line number


def show_points(result: Any, session: Session, number: int, out: IO[str], err: IO[str]) -> None:
    """A point set as the command line shows one (adcli.render.batch): a row per point, a failed point's
    error kind in its row and its error on stderr (table, plain), or an array of records (json)."""
    from adcli.batch.inputs import ARG, Item
    from adcli.batch.run import Outcome, Summary
    from adcli.render import batch as render_batch

    file = REPL if session.format == "json" else ARG  # ARG: no `file:line` heading in a table or text
    sink = render_batch.sink(session.format, session.command, session.precision, out, err, ":format json")
    sink.emit(Outcome(Item(result.input, file, number), result))
    sink.close(Summary())  # the summary of nothing: no `0 ok, 1 failed` for a session's line


def _answer(session: Session, text: str, number: int, out: IO[str], err: IO[str], show: Show) -> None:
    """One line: a `:` command, or a problem computed and shown."""
    from adcli.batch.points import is_many

    if FUNCTION.match(text) and ";" not in text:  # `f(x) = x^2 + 1`: as :def
        text = f":def {text}"
    if text.startswith(":"):
        said = session.setting(text)
        if said:
            out.write(said + "\n")
        return
    k, name, result = session.solve(text)
    if session.format != "json":
        out.write(f"${k}" + (f" = {name}" if name else "") + "\n")
    if result.shapes is None and is_many(result.at):
        show_points(result, session, number, out, err)
    else:
        show(result, session.command, session.format, session.precision)


def run(session: Session, stdin: IO[str], out: IO[str], err: IO[str], show: Show, interactive: bool) -> int:
    """The loop: settings, definitions and problems, until :quit or the end of input; returns 0."""
    from adcli.render import results as render

    if interactive:
        out.write("adcli repl: a line is a problem; :help lists the commands, :quit leaves\n")
    for number, line in enumerate(_lines(stdin, interactive, session.completions), 1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        if text in WORDS and not session.has_value(text):  # `quit` as people type it in every REPL
            text = WORDS[text]
        try:
            _answer(session, text, number, out, err, show)
        except OSError:  # the output went away
            raise
        except KeyboardInterrupt:  # Ctrl-C during a long line: that line is dropped, the session goes on
            if not interactive:
                raise
            out.flush()
            err.write("cancelled (Ctrl-C); the session goes on (Ctrl-D or quit leaves)\n")
        except Exception as caught:  # noqa: BLE001 - an AdcliError, or a bug in adcli: the session goes on
            exc = caught if isinstance(caught, AdcliError) else internal_error(caught)
            exc.message = exc.message.replace("with --at ", "with :at ")  # the session's way to give values
            out.flush()
            if session.format == "json":
                out.write(render.error_json(exc) + "\n")
            else:
                err.write(render.error_text(exc) + "\n")
        out.flush()
        if session.done:
            break
    return 0
