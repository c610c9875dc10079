"""Running grad, jac and eval: one problem or a batch; an error or a closed pipe as the exit code.

The commands with their own renderers (diff, trace, graph, compare, check) run through adcli.cli.present,
which ends the same way (`fail`, `pipe_closed`).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any, NamedTuple, NoReturn

import typer

from adcli.cli.options import wrt_names

PIPE_CLOSED = 141  # 128 + SIGPIPE: what the shell reports for a program stopped by a closed pipe

#: finish(prepare) -> a Result: a command's own part of a problem; prepare() parses it at its point(s)
Finish = Callable[[Callable[[], Any]], Any]


class Request(NamedTuple):  # a NamedTuple: a tenth of a frozen dataclass's import time (start-up)
    """What grad, jac or eval was asked: the problems, their point(s), and how to read and show them."""

    command: str
    expr: str | None
    at: list[str] | None
    fmt: str | None
    precision: int
    files: list[str] | None = None
    points: list[str] | None = None
    wrt: str | None = None
    strict: bool = False
    grid: bool = True
    full: bool = False  # arrays: every entry
    save: str | None = None  # arrays: an .npz file for the value and gradients
    seed: int | None = None  # randn values in --at

    def prepare(self, text: str, given: Any, defaults: Any) -> Any:
        """The problem (adcli.api.Problem) of one text: each failing point fails alone, as in a batch."""
        from adcli import api

        combine = "grid" if self.grid else "zip"
        return api.prepare(
            text,
            given,
            wrt_names(self.wrt),
            strict=self.strict,
            defaults=defaults,
            combine=combine,
            each_point=True,
            seed=self.seed,
        )


def solve(request: Request, finish: Finish) -> None:
    """grad/jac/eval: a batch when there are several problems or points, else one expression.

    finish gets a `prepare()` that parses the problem, so that it may check its own options first."""

    def compute(text: str, given: Any = request.at, defaults: Any = ()) -> Any:
        return finish(lambda: request.prepare(text, given, defaults))

    if _many(request):
        _batch(request, compute)
    _run(request, lambda: compute(_read(request.expr)))


def _read(expr: str) -> str:
    return sys.stdin.read() if expr == "-" else expr


def _many(request: Request) -> bool:
    """Batch mode: problems from files or stdin, several points (spans, lists, --points), or jsonl/csv."""
    spans = any(":" in _outside_brackets(text) or "{" in text for text in request.at or [])
    return (
        request.expr in (None, "-")
        or bool(request.files)
        or bool(request.points)
        or spans
        or request.fmt in ("jsonl", "csv", "npz", "parquet")
    )


def _outside_brackets(text: str) -> str:
    """The text without its [...] parts: `A[:, 0]` or `x=[1:2]` is no span, `x=0:1:11` is."""
    if "[" not in text:  # a 5,000-variable --at: no loop over its 100,000 characters
        return text
    out, depth = [], 0
    for ch in text:
        depth += ch == "["
        if depth == 0:
            out.append(ch)
        depth -= ch == "]" and depth > 0
    return "".join(out)


def _batch(request: Request, solve: Any) -> NoReturn:
    """Every problem of the argument, the files and stdin, in order; exit with the worst code seen."""
    from adcli.batch import inputs
    from adcli.batch import run as batch
    from adcli.core.errors import AdcliError
    from adcli.render import batch as render_batch

    fmt = request.fmt
    try:
        chosen = fmt or ("table" if sys.stdout.isatty() else "plain")
        save = request.save
        sink = render_batch.sink(chosen, request.command, request.precision, sys.stdout, sys.stderr, save=save)
        drawn: list[bool] = []
        point = batch.point_bindings(request.at, request.points, request.seed, drawn)
        _check_point_set(point, request.grid)
        items = inputs.problems(request.expr, request.files, sys.stdin)
    except AdcliError as exc:
        fail(exc, fmt)
    if drawn:  # randn values in --at serve every line: each result says their seed
        solve = _with_seed(solve, request.seed)
    progress = render_batch.ProgressBar if sys.stderr.isatty() else None
    if sys.stderr.isatty():
        from adcli.render.progress import PointsBar

        sink.points_bar = PointsBar
    try:
        summary = batch.run(items, solve, sink, point, progress)
    except BrokenPipeError:
        pipe_closed()
    except AdcliError as exc:  # --save's file could not be written
        fail(exc, fmt)
    raise typer.Exit(summary.exit_code)


def _check_point_set(point: Any, grid: bool) -> None:
    """The command line's own point set checked once, before any problem: a span with no points
    (`x=1:2:0`) or --zip lengths that differ is the command's usage error, said once with no summary
    (a summary counts problems, and none ran), as every other option's error is."""
    from adcli.batch.points import expand

    values = {b.name: b.values[0] if b.kind in ("value", "array") else b for b in point}
    if any(b.kind not in ("value", "array") for b in point):
        expand(values, "grid" if grid else "zip")


def _with_seed(solve: Any, seed: int | None) -> Any:
    from adcli.batch.values import DEFAULT_SEED

    def seeded(*args: Any) -> Any:
        result = solve(*args)
        if getattr(result, "seed", 0) is None:
            result.seed = DEFAULT_SEED if seed is None else seed
        return result

    return seeded


def _run(request: Request, compute: Callable[[], Any]) -> None:
    """Compute, render, and turn an AdcliError into its one-line message and exit code.

    A span or list in the expression's own `at` gives many points: shown as --at spans show them."""
    from adcli.core.errors import AdcliError

    try:
        chosen = _format(request.fmt)
        result = compute()
    except AdcliError as exc:
        fail(exc, request.fmt)
    from adcli.batch.points import is_many

    if result.shapes is None and (is_many(result.at) or request.save):  # --save: the numbers' columns
        _batch(request._replace(expr=result.input, at=None, files=None, points=None), lambda *_: result)
    try:
        if result.shapes is not None:
            _show_arrays(result, request, chosen)
        else:
            _show(result, request.command, chosen, request.precision)
    except AdcliError as exc:
        fail(exc, request.fmt)
    except BrokenPipeError:
        pipe_closed()


def _format(fmt: str | None) -> str:
    from adcli.render.results import FORMATS

    if fmt is None:
        return "table" if sys.stdout.isatty() else "plain"
    if fmt not in FORMATS:  # jsonl and csv go to the batch (adcli.render.batch) before this
        from adcli.core.errors import AdcliError
        from adcli.render.batch import FORMATS as ACCEPTED

        raise AdcliError("usage_error", f"unknown format {fmt!r}: choose {', '.join(ACCEPTED)}")
    return fmt


def _show_arrays(result: Any, request: Request, fmt: str) -> None:
    from adcli.render import arrays

    if request.save:
        arrays.save(result, request.save)
    if fmt == "json":
        _show(result, request.command, fmt, request.precision)
    else:
        width = 0
        if fmt == "table":  # a terminal: no line wider than it (adcli.render.layout's rule)
            from rich.console import Console

            width = Console().width
        arrays.show(result, request.command, request.precision, sys.stdout, sys.stderr, request.full, width)


def _show(result: Any, command: str, fmt: str, precision: int) -> None:
    from adcli.render import results as render

    if fmt == "json":
        sys.stdout.write(render.as_json(result, command) + "\n")
    elif fmt == "plain":
        render.plain(result, precision, sys.stdout, sys.stderr)
    else:
        from rich.console import Console

        render.table(result, precision, Console())


def fail(exc: Any, fmt: str | None) -> NoReturn:
    """An AdcliError as its one-line message on stderr (or its JSON object with --format json or jsonl: one
    line, so that a program reading records reads it too), and its exit code."""
    from adcli.render import results as render

    if fmt in ("json", "jsonl"):
        sys.stdout.write(render.error_json(exc) + "\n")
    else:
        sys.stderr.write(render.error_text(exc) + "\n")
    raise typer.Exit(exc.exit_code)


def pipe_closed(exit: Any = typer.Exit) -> NoReturn:
    """The reader went away (| head): stop quietly, with the exit status of a program killed by SIGPIPE."""
    import os

    try:  # nothing more reaches the reader; the final flush must not complain either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass
    raise exit(PIPE_CLOSED)


class Output:
    """The command line's stdout: writes go out in pieces, and a closed pipe is remembered (`broken`).

    CPython loses the BrokenPipeError of one write() larger than the pipe when the reader goes away in
    the middle (the rest is dropped and the write returns), and Rich turns a BrokenPipeError into exit 1:
    with pieces the next one fails, and with the flag adcli.cli.app.main exits 141 whoever caught the error.
    """

    PIECE = 1 << 15

    def __init__(self, stream: Any) -> None:
        self.stream, self.broken = stream, False
        self.failed: OSError | None = None  # a write that failed otherwise (a full disk): io_error

    def write(self, text: str) -> int:
        try:  # a short text as it is (Click probes with write(b"") whether a stream takes bytes)
            if len(text) <= self.PIECE:
                return self.stream.write(text)
            for start in range(0, len(text), self.PIECE):
                self.stream.write(text[start : start + self.PIECE])
        except BrokenPipeError:
            self.broken = True
            raise
        except OSError as exc:
            self.failed = self.failed or exc
            raise
        return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except BrokenPipeError:
            self.broken = True
            raise
        except OSError as exc:
            self.failed = self.failed or exc
            raise

    def __getattr__(self, name: str) -> Any:  # isatty, fileno, encoding, …: the stream's own
        return getattr(self.stream, name)


class ClosedInput:
    """Standard input when it was closed (`<&-`: Python's sys.stdin is None): not a terminal, and reading
    it is an io_error, so a command that needs no input runs and one that does says why it cannot."""

    def isatty(self) -> bool:
        return False

    def _closed(self, *args: object) -> Any:
        import errno

        raise OSError(errno.EBADF, "standard input is closed")

    read = readline = readlines = fileno = _closed

    @property
    def buffer(self) -> ClosedInput:
        return self

    def __iter__(self) -> ClosedInput:
        return self

    def __next__(self) -> str:
        return self._closed()


def io_failed(exc: OSError, output: Output | None) -> int:
    """One line for an input or output that failed (a full disk, a closed stream), never a traceback:
    error[io_error] on stderr (if stderr is there), the rest of stdout discarded; the exit code, 74."""
    import errno
    import os

    from adcli.core.errors import EXIT_CODES

    reason = exc.strerror or str(exc)
    writing = (errno.ENOSPC, errno.EIO, errno.EFBIG, errno.EDQUOT)
    if exc.filename:  # a temporary file (csv rows are spooled), the history file
        said = f"cannot use {exc.filename}: {reason}"
    elif reason.startswith("standard "):  # standard input (or output) is closed
        said = reason
    elif (output is not None and output.failed is exc) or exc.errno in writing:
        said = f"cannot write the output: {reason}"
    else:
        said = f"input or output failed: {reason}"
    try:
        sys.stderr.write(f"error[io_error]: {said}\n")
        sys.stderr.flush()
    except (OSError, AttributeError, ValueError):  # stderr is gone too: the exit code says it
        pass
    try:  # what is still buffered cannot be written: the final flush must not complain
        if output is not None:
            os.dup2(os.open(os.devnull, os.O_WRONLY), output.stream.fileno())
    except (OSError, ValueError, AttributeError):  # no real file descriptor (tests)
        pass
    return EXIT_CODES["io_error"]


def option_error(exc: Any) -> NoReturn:
    """A Click usage error as `error[usage_error]: …` on stderr, or the JSON error object with --format json(l)."""
    from adcli.core.errors import AdcliError
    from adcli.render import results as render

    argv = sys.argv[1:]
    wants_json = any(f"--format={f}" in argv for f in ("json", "jsonl")) or any(
        a == "--format" and b in ("json", "jsonl") for a, b in zip(argv, argv[1:], strict=False)
    )
    command = "adcli"
    if exc.ctx is not None:
        command = exc.ctx.command_path
    elif argv and not argv[0].startswith("-"):  # Click leaves ctx unset for `--at` without its value
        command = f"adcli {argv[0]}"
    message = f"{exc.format_message()} ('{command} --help' lists the options)"
    extra = [a for a in argv if re.fullmatch(r"[^\W\d]\w*\s*=.*", a)] if "extra argument" in message else []
    if extra:  # `adcli grad "x^2" x=3`: a point written without its option
        message = f"{exc.format_message()}: a point is given with --at, as in --at {extra[0]}"
    option = getattr(exc, "option_name", None)
    if option is not None:
        from adcli.cli.command import hint

        pointer = hint(command.rsplit(" ", 1)[-1], option)
        message = f"No such option: {option}: {pointer}" if pointer else message
    error = AdcliError("usage_error", message)
    if wants_json:
        sys.stdout.write(render.error_json(error) + "\n")
    else:
        sys.stderr.write(render.error_text(error) + "\n")
    raise SystemExit(error.exit_code)
