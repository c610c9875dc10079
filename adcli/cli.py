"""The command line: one Typer function per subcommand; options in, a Result out to render."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer

from adcli import __version__

app = typer.Typer(
    name="adcli",
    help="A derivative calculator: forward and reverse automatic differentiation of math expressions.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

Expr = Annotated[str, typer.Argument(help="The expression, e.g. 'sin(x)*y'; '-' reads it from stdin.")]
Problems = Annotated[
    str | None,
    typer.Argument(
        help="The expression, e.g. 'sin(x)*y'. '-' or no EXPR with a pipe: one problem per line from stdin."
    ),
]
Files = Annotated[
    list[str] | None, typer.Option("--file", "-f", help="Read problems from a file, one per line; repeatable.")
]
PointsFile = Annotated[
    list[str] | None,
    typer.Option(
        "--points", help="A CSV file of points: a header row of variable names, then rows; repeatable (crossed)."
    ),
]
Grid = Annotated[
    bool,
    typer.Option("--grid/--zip", help="Cross spans and lists (every combination, the default) or pair them."),
]
At = Annotated[
    list[str] | None, typer.Option("--at", help="The point: x=1,y=2 (values may be pi/4, -1e-3); repeatable.")
]
Wrt = Annotated[str | None, typer.Option("--wrt", help="Columns of the Jacobian: x,y (default: the point's order).")]
Format = Annotated[str | None, typer.Option("--format", help="table | plain | json (default: table on a terminal).")]
Presented = Annotated[
    str | None,
    typer.Option("--format", help="table | plain | json | jsonl (default: table on a terminal)."),
]
BatchFormat = Annotated[
    str | None, typer.Option("--format", help="table | plain | json | jsonl | csv (default: table on a terminal).")
]
Precision = Annotated[int, typer.Option("--precision", min=1, max=17, help="Significant digits shown (JSON: all).")]
Strict = Annotated[bool, typer.Option("--strict", help="Refuse implicit multiplication (2x, x(1+x)).")]
Method = Annotated[
    str | None,
    typer.Option("--method", help="With --mode numeric: richardson (default), central, forward, backward, complex."),
]
Step = Annotated[  # text, so that 1e-400 is refused for what it is rather than read as 0.0
    str | None,
    typer.Option("--step", metavar="FLOAT", help="With --mode numeric: the (largest) step h, not the scaled default."),
]
Sweep = Annotated[
    bool, typer.Option("--sweep", help="With --mode numeric: also the error-versus-step curve of the first partial.")
]


def _read(expr: str) -> str:
    return sys.stdin.read() if expr == "-" else expr


def _format(fmt: str | None) -> str:
    from adcli.render import FORMATS

    if fmt is None:
        return "table" if sys.stdout.isatty() else "plain"
    if fmt not in FORMATS:
        from adcli.errors import AdcliError

        raise AdcliError("usage_error", f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")
    return fmt


def _wrt(wrt: str | None) -> list[str] | None:
    if wrt is None:
        return None
    names = [w.strip() for w in wrt.split(",") if w.strip()]
    if not names:
        from adcli.errors import AdcliError

        raise AdcliError("usage_error", "--wrt names no variable: give x or x,y")
    return names


def _show(result: Any, command: str, fmt: str, precision: int) -> None:
    from adcli import render

    if fmt == "json":
        sys.stdout.write(render.as_json(result, command) + "\n")
    elif fmt == "plain":
        render.plain(result, precision, sys.stdout, sys.stderr)
    else:
        from rich.console import Console

        render.table(result, precision, Console())


def _fail(exc: Any, fmt: str | None) -> None:
    from adcli import render

    if fmt == "json":
        sys.stdout.write(render.error_json(exc) + "\n")
    else:
        sys.stderr.write(render.error_text(exc) + "\n")
    raise typer.Exit(exc.exit_code)


def _many(
    expr: str | None, files: list[str] | None, at: list[str] | None, points: list[str] | None, fmt: str | None
) -> bool:
    """Batch mode: problems from files or stdin, several points (spans, lists, --points), or jsonl/csv."""
    spans = any(":" in text or "[" in text for text in at or [])
    return expr in (None, "-") or bool(files) or bool(points) or spans or fmt in ("jsonl", "csv")


def _solve(
    command: str, expr: str | None, files: Any, at: Any, points: Any, fmt: str | None, precision: int, compute: Any
) -> None:
    """grad/jac/eval: a batch when there are several problems or points, else one expression."""
    if _many(expr, files, at, points, fmt):
        _batch(command, expr, files, at, points, fmt, precision, compute)
    _run(command, fmt, precision, lambda: compute(_read(expr)))


def _batch(
    command: str, expr: str | None, files: Any, at: Any, points: Any, fmt: str | None, precision: int, solve: Any
) -> None:
    """Every problem of the argument, the files and stdin, in order; exit with the worst code seen."""
    from adcli import batch, inputs, render_batch
    from adcli.errors import AdcliError

    try:
        chosen = fmt or ("table" if sys.stdout.isatty() else "plain")
        sink = render_batch.sink(chosen, command, precision, sys.stdout, sys.stderr)
        point = batch.point_bindings(at, points)
        items = inputs.problems(expr, files, sys.stdin)
    except AdcliError as exc:
        _fail(exc, fmt)
    progress = render_batch.ProgressBar if sys.stderr.isatty() else None
    try:
        summary = batch.run(items, solve, sink, point, progress)
    except BrokenPipeError:
        _pipe_closed()
    raise typer.Exit(summary.exit_code)


PIPE_CLOSED = 141  # 128 + SIGPIPE: what the shell reports for a program stopped by a closed pipe


def _pipe_closed() -> None:
    """The reader went away (| head): stop quietly, with the exit status of a program killed by SIGPIPE."""
    import os

    try:  # nothing more reaches the reader; the final flush must not complain either
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (tests)
        pass
    raise typer.Exit(PIPE_CLOSED)


def _numeric(mode: str, method: str | None, step: str | None, sweep: bool, precision: int) -> Any:
    """Numeric mode's options (adcli.modes.numeric.Options), or None for the other modes."""
    if mode != "numeric":
        if method is not None or step is not None or sweep:
            from adcli.errors import AdcliError

            raise AdcliError("usage_error", "--method, --step and --sweep go with --mode numeric")
        return None
    from adcli.modes.numeric import Options, parse_step

    return Options(method or "richardson", None if step is None else parse_step(step), precision, sweep)


def _run(command: str, fmt: str | None, precision: int, compute: Any) -> None:
    """Compute, render, and turn an AdcliError into its one-line message and exit code.

    A span or list in the expression's own `at` gives many points: shown as --at spans show them."""
    from adcli.errors import AdcliError

    try:
        chosen = _format(fmt)
        result = compute()
    except AdcliError as exc:
        _fail(exc, fmt)
    from adcli.points import is_many

    if is_many(result.at):
        _batch(command, result.input, None, None, None, fmt, precision, lambda *_: result)
    try:
        _show(result, command, chosen, precision)
    except AdcliError as exc:
        _fail(exc, fmt)
    except BrokenPipeError:
        _pipe_closed()


@app.command()
def grad(
    expr: Problems = None,
    at: At = None,
    wrt: Wrt = None,
    mode: Annotated[str, typer.Option("--mode", help="reverse | forward | numeric | symbolic")] = "reverse",
    fmt: BatchFormat = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
    points: PointsFile = None,
    grid: Grid = True,
    method: Method = None,
    step: Step = None,
    sweep: Sweep = False,
) -> None:
    """Value and gradient of a single-output expression (reverse mode by default).

    Example: adcli grad "sin(x)*y" --at x=1,y=2
    """
    from adcli import api

    def compute(text: str, given: Any = at, defaults: Any = ()) -> Any:
        if mode not in ("reverse", "forward", "numeric", "symbolic"):
            raise api.AdcliError("usage_error", f"grad --mode is reverse, forward, numeric or symbolic, not {mode!r}")
        combine = "grid" if grid else "zip"
        problem = api.prepare(
            text, given, _wrt(wrt), strict=strict, defaults=defaults, combine=combine, each_point=True
        )
        if len(problem.tape.outputs) != 1:
            n = len(problem.tape.outputs)
            raise api.AdcliError("usage_error", f"grad needs one output; this expression has {n}: use adcli jac")
        return api.differentiate(problem, mode, numeric=_numeric(mode, method, step, sweep, precision))

    _solve("grad", expr, files, at, points, fmt, precision, compute)


@app.command()
def jac(
    expr: Problems = None,
    at: At = None,
    wrt: Wrt = None,
    mode: Annotated[str, typer.Option("--mode", help="auto | forward | reverse | numeric | symbolic")] = "auto",
    direction: Annotated[str | None, typer.Option("--dir", help="JVP along a direction: x=1,y=0 (one sweep).")] = None,
    cot: Annotated[str | None, typer.Option("--cot", help="VJP with output weights: 1,0 (one sweep).")] = None,
    fmt: BatchFormat = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
    points: PointsFile = None,
    grid: Grid = True,
    method: Method = None,
    step: Step = None,
    sweep: Sweep = False,
) -> None:
    """The Jacobian of a (multi-output) expression; auto mode picks forward when inputs <= outputs.

    Example: adcli jac "x*y, x+y, sin(x)" --at x=1,y=2
    """
    from adcli import api

    def compute(text: str, given: Any = at, defaults: Any = ()) -> Any:
        combine = "grid" if grid else "zip"
        problem = api.prepare(
            text, given, _wrt(wrt), strict=strict, defaults=defaults, combine=combine, each_point=True
        )
        d = api.point_values(direction) if direction is not None else None
        c = api.constants(cot) if cot is not None else None
        if d is not None and c is not None:
            raise api.AdcliError("usage_error", "--dir and --cot ask for different sweeps: give one")
        numeric = _numeric(mode, method, step, sweep, precision)
        return api.differentiate(problem, mode, direction=d, cotangent=c, numeric=numeric)

    _solve("jac", expr, files, at, points, fmt, precision, compute)


@app.command()
def diff(
    expr: Problems = None,
    wrt: Annotated[str | None, typer.Option("--wrt", help="Differentiate by x,y (default: every variable).")] = None,
    order: Annotated[int, typer.Option("--order", help="Derivative order: 2 gives all second partials.")] = 1,
    at: At = None,
    latex: Annotated[bool, typer.Option("--latex", help="Print LaTeX instead of the input syntax.")] = False,
    cse: Annotated[bool, typer.Option("--cse", help="Shared form: @1 = … for repeated parts, when shorter.")] = False,
    steps: Annotated[bool, typer.Option("--steps", help="Show the rules applied, node by node.")] = False,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Derivative expressions (symbolic mode), printed so that they parse back; --at evaluates them too.

    Example: adcli diff "x^x" ; adcli diff "x^2*y" --wrt x,y --order 2 --at x=1,y=2
    """

    def compute(text: str, given: Any, defaults: Any) -> Any:
        from adcli.diff import diff as derivatives

        options = {"latex": latex, "cse": cse, "steps": steps, "strict": strict}
        return derivatives(text, _wrt(wrt), order, given, defaults=defaults, each_point=True, **options)

    def show(result: Any, chosen: str, place: Any) -> None:
        from adcli import render

        if chosen == "json":
            sys.stdout.write(render.json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        elif chosen == "plain":
            render.diff_plain(result, precision, sys.stdout, sys.stderr, place)
        else:
            from rich.console import Console

            render.diff_table(result, precision, Console(), sys.stderr, place)
        if result.failures is not None:  # a point that failed: the problem exits 1 (as grad's)
            raise typer.Exit(1)

    _present(fmt, compute, show, expr, files, at)


@app.command("eval")
def evaluate(
    expr: Problems = None,
    at: At = None,
    fmt: BatchFormat = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
    points: PointsFile = None,
    grid: Grid = True,
) -> None:
    """The value(s) of an expression at a point.

    Example: adcli eval "x^2 + 1, sqrt(x)" --at x=4
    """
    from adcli import api

    def compute(text: str, given: Any = at, defaults: Any = ()) -> Any:
        combine = "grid" if grid else "zip"
        problem = api.prepare(text, given, strict=strict, defaults=defaults, combine=combine, each_point=True)
        return api.evaluate_problem(problem)

    _solve("eval", expr, files, at, points, fmt, precision, compute)


@app.command()
def repl(
    at: At = None,
    wrt: Wrt = None,
    mode: Annotated[str, typer.Option("--mode", help="auto | forward | reverse")] = "auto",
    command: Annotated[str, typer.Option("--command", help="What a line computes: grad | jac | eval.")] = "jac",
    fmt: Format = None,
    precision: Precision = 10,
    strict: Strict = False,
) -> None:
    """An interactive session: a line is a problem; :mode, :at, :format … change settings; :help lists them.

    Example: adcli repl --at x=1,y=2
    """
    from adcli import render, render_batch
    from adcli import repl as loop
    from adcli.errors import AdcliError

    session = loop.Session(precision=precision, strict=strict, wrt=_wrt(wrt))
    try:
        session.set_command(command)
        session.set_mode(mode)
        session.set_format(fmt or ("table" if sys.stdout.isatty() else "plain"))
        for text in at or []:
            session.set_at(text)
    except AdcliError as exc:
        sys.stderr.write(render.error_text(exc) + "\n")
        raise typer.Exit(exc.exit_code) from None

    def show(result: Any, command: str, fmt: str, digits: int) -> None:
        render_batch.show(result, command, fmt, digits, sys.stdout, sys.stderr)

    raise typer.Exit(loop.run(session, sys.stdin, sys.stdout, sys.stderr, show, sys.stdin.isatty()))


@app.command()
def functions(fmt: Format = None) -> None:
    """Every function adcli knows, with its arity, domain and derivative rule (printed from the rule table).

    Example: adcli functions --format plain
    """
    from adcli import api, render

    rows = api.function_table()
    chosen = "table" if fmt is None and sys.stdout.isatty() else (fmt or "plain")
    if chosen == "json":
        import json

        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    elif chosen == "table":
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text

        grid = Table("name", "arity", "domain", "derivative", title="adcli functions")
        for r in rows:
            grid.add_row(Text(r["name"]), str(r["arity"]), Text(r["domain"]), Text(r["derivative"]))
        Console().print(grid)
    else:
        sys.stdout.write(render.functions_rows(rows) + "\n")


Ascii = Annotated[bool, typer.Option("--ascii", help="Write v[-1], vdot[2], vbar[0] (automatic if needed).")]
Cot = Annotated[str | None, typer.Option("--cot", help="The adjoint seed: output weights 1,0 (default: 1, 0, …).")]


PRESENTED = ("table", "plain", "json", "jsonl")  # diff, trace, graph, compare and check (no csv)


def _present(fmt: str | None, compute: Any, show: Any, expr: str | None, files: Any, at: Any) -> None:
    """Compute, then show in the chosen format; an AdcliError becomes its message and exit code.

    compute(text, given, defaults) as in adcli.batch.solve; show(result, chosen, place), place a batch
    problem's (file, line) or None. Problems from files or stdin (`expr` absent or `-`, `files`), and
    jsonl (one record, as grad's), go through _present_many.
    """
    from adcli.errors import AdcliError

    if expr in (None, "-") or files or fmt == "jsonl":
        _present_many(fmt, compute, show, expr, files, at)
    try:
        chosen = fmt or ("table" if sys.stdout.isatty() else "plain")
        if chosen not in PRESENTED:
            raise AdcliError("usage_error", f"unknown format {chosen!r}: choose {', '.join(PRESENTED)}")
        show(compute(expr, at, ()), chosen, None)
    except AdcliError as exc:
        _fail(exc, fmt)


class _Prefixed:
    """A text stream whose every line starts with a prefix: a batch problem's `file:line: ` before its
    warnings and notes on stderr (for renderers that write them without one)."""

    def __init__(self, stream: Any, prefix: str) -> None:
        self.stream, self.prefix, self.fresh = stream, prefix, True

    def write(self, text: str) -> int:
        for piece in text.splitlines(keepends=True):
            self.stream.write(self.prefix + piece if self.fresh else piece)
            self.fresh = piece.endswith("\n")
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def _stderr(place: tuple[str, int] | None) -> Any:
    """sys.stderr, or for a batch problem a stream that starts each line with its `file:line: `."""
    return sys.stderr if place is None else _Prefixed(sys.stderr, f"{place[0]}:{place[1]}: ")


def _shown(show: Any, outcome: Any, chosen: str) -> tuple[int, Any]:
    """show(), and the exit code it asks for (compare and check exit 1 on a disagreement); an error while
    showing (a bug, too) becomes that problem's error, so the batch goes on."""
    from adcli import inputs
    from adcli.batch import Outcome
    from adcli.errors import AdcliError, internal_error

    item = outcome.item
    try:
        show(outcome.result, chosen, None if item.file == inputs.ARG else (item.file, item.line))
    except typer.Exit as done:
        return done.exit_code, outcome
    except AdcliError as exc:
        return 0, Outcome(outcome.item, error=exc)
    except OSError:  # the output went away
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in adcli must not lose the other lines of a batch
        return 0, Outcome(outcome.item, error=internal_error(exc))
    return 0, outcome


def _as_record(show: Any, outcome: Any) -> tuple[int, Any, str]:
    """One problem of a json(l) batch: the exit code it asks for, the outcome, and its JSON record (the
    command's own object with `file` and `line`, or the error record)."""
    import contextlib
    import io
    import json

    from adcli import render_batch

    code, buffer = 0, io.StringIO()
    if outcome.error is None:
        with contextlib.redirect_stdout(buffer):
            code, outcome = _shown(show, outcome, "json")
    if outcome.error is not None:
        return code, outcome, json.dumps(render_batch.error_record(outcome), ensure_ascii=False)
    item = outcome.item
    return code, outcome, json.dumps({"file": item.file, "line": item.line, **json.loads(buffer.getvalue())})


def _present_many(fmt: str | None, compute: Any, show: Any, expr: Any, files: Any, at: Any) -> None:
    """Batch mode for a command with its own renderers: each problem under its file:line; json(l) records.

    --at overrides the EXPR argument's own `at` and fills in a file line's (a line's own point wins), as
    for grad, jac and eval (adcli.batch.solve)."""
    from adcli import batch, inputs
    from adcli.errors import AdcliError

    try:
        chosen = fmt or ("table" if sys.stdout.isatty() else "plain")
        if chosen not in PRESENTED:
            raise AdcliError("usage_error", f"unknown format {chosen!r}: choose {', '.join(PRESENTED)}")
        point = batch.point_bindings(at, None)
        items = inputs.problems(expr, files, sys.stdin)
    except AdcliError as exc:
        _fail(exc, fmt)
    try:
        summary = _each_problem(items, compute, show, chosen, point)
    except BrokenPipeError:
        _pipe_closed()
    if summary.total > 1 or summary.failed:
        sys.stderr.write(summary.text() + "\n")
    raise typer.Exit(summary.exit_code)


def _each_problem(items: Any, compute: Any, show: Any, chosen: str, point: Any) -> Any:
    """The problems of a batch in turn, shown (json: an array of records); the summary."""
    from adcli import batch, inputs, render_batch

    summary, records = batch.Summary(), 0
    for item in items:
        if item.note is not None:
            sys.stderr.write(f"note: {item.note}\n")
            continue
        outcome, code, record = batch.solve(item, compute, point), 0, None
        if chosen in ("json", "jsonl"):
            code, outcome, record = _as_record(show, outcome)
        elif outcome.error is None:
            sys.stdout.write("" if item.file == inputs.ARG else f"# {item.file}:{item.line}\n")
            code, outcome = _shown(show, outcome, chosen)
        summary.count(outcome, code)  # a disagreement or a wrong answer (exit 1) counts as failed
        if record is None:
            if outcome.error is not None:
                sys.stdout.flush()
                sys.stderr.write(render_batch.error_text(outcome) + "\n")
            continue
        sys.stdout.write(record + "\n" if chosen == "jsonl" else ("[\n" if not records else ",\n") + record)
        records += 1
    if chosen == "json":
        sys.stdout.write("\n]\n" if records else "[]\n")
    return summary


def _ascii(flag: bool) -> bool:
    from adcli.notation import can_show

    return flag or not can_show(getattr(sys.stdout, "encoding", None))


def _seed(option: str, text: str | None) -> Any:
    """`x=1,y=0` (by name) or `1,0` (in order) -> a dict or a list of finite numbers; bad text is a usage error."""
    if text is None:
        return None
    import math

    from adcli import api
    from adcli.syntax import parse_point

    try:
        if "=" in text:
            bindings = parse_point(text)
            names = [b.name for b in bindings]
            twice = next((n for n in names if names.count(n) > 1), None)
            if twice is not None:
                raise api.AdcliError("usage_error", f"{twice} is given two values in one point")
            many = next((b.name for b in bindings if b.kind != "value"), None)
            if many is not None:
                raise api.AdcliError("usage_error", f"{many} takes one number, not a span or list")
            values: Any = {b.name: b.values[0] for b in bindings}
        else:
            values = api.constants(text)
    except api.AdcliError as exc:  # a number too large for a float is bad text too: exit 2
        reason = exc.message.removeprefix(f"{text!r}: ").replace("weights must be", "entries must be")
        exc.kind, exc.message = "usage_error", f"bad {option} {text!r}: {reason}"
        raise
    if not all(math.isfinite(v) for v in (values.values() if isinstance(values, dict) else values)):
        raise api.AdcliError("usage_error", f"bad {option} {text!r}: entries must be finite numbers")
    return values


def _console(ascii: bool) -> Any:
    from rich.console import Console

    return Console(safe_box=True, emoji=False, highlight=False) if not ascii else Console(emoji=False, highlight=False)


@app.command()
def trace(
    expr: Problems = None,
    at: At = None,
    direction: Annotated[
        str | None, typer.Option("--dir", help="The tangent seed: x=1,y=0 or 1,0 (default: 1 for the first variable).")
    ] = None,
    cot: Cot = None,
    mode: Annotated[str, typer.Option("--mode", help="forward | reverse | both")] = "both",
    ascii: Ascii = False,
    fmt: Presented = None,
    precision: Precision = 5,
    emit: Annotated[str | None, typer.Option("--emit", help="python: the sweep(s) as a Python function.")] = None,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """The primal, tangent and adjoint traces, row by row, as in Baydin et al. (2018), Tables 2 and 3.

    Example: adcli trace "ln(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5
    """
    from adcli import api, render_trace
    from adcli import trace as tracing

    plain = _ascii(ascii)
    emitted = [0]  # programs written so far: in a batch the second one defines forward_2(), …

    def compute(text: str, given: Any, defaults: Any) -> Any:
        if emit not in (None, "python"):
            raise api.AdcliError("usage_error", f"--emit {emit!r}: the only language is python")
        if emit is not None and fmt is not None:
            raise api.AdcliError("usage_error", "--emit writes Python source, not a --format: give one of the two")
        problem = api.prepare(text, given, strict=strict, defaults=defaults)
        return tracing.compute(problem, mode, _seed("--dir", direction), _seed("--cot", cot))

    def show(result: Any, chosen: str, place: Any) -> None:
        if emit is not None:
            from adcli.emit import python_source

            emitted[0] += 1
            sys.stdout.write(python_source(result, f"_{emitted[0]}" if emitted[0] > 1 else ""))
        elif chosen == "json":
            sys.stdout.write(render_trace.as_json(result) + "\n")
        elif chosen == "plain":
            render_trace.plain(result, precision, plain, sys.stdout, _stderr(place))
        else:
            render_trace.table(result, precision, plain, _console(plain))

    _present(fmt, compute, show, expr, files, at)


@app.command()
def graph(
    expr: Problems = None,
    at: At = None,
    dot: Annotated[bool, typer.Option("--dot", help="Graphviz DOT (make an SVG with: | dot -Tsvg -o f.svg).")] = False,
    cot: Cot = None,
    ascii: Ascii = False,
    fmt: Presented = None,
    precision: Precision = 4,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """The expression DAG: a tree (shared nodes marked), or Graphviz DOT; with --at, each node's data and grad.

    Example: adcli graph "ln(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --dot | dot -Tsvg -o f.svg
    """
    from adcli import drawing, render_graph
    from adcli.errors import AdcliError

    if dot and fmt in ("json", "jsonl"):  # DOT is not JSON: a record could not hold it
        _fail(AdcliError("usage_error", f"--dot writes Graphviz DOT, not {fmt}: give one of the two"), fmt)
    plain = _ascii(ascii)

    def compute(text: str, given: Any, defaults: Any) -> Any:
        if defaults:  # a file's line: its own `at` wins over --at, which fills in (as for grad)
            from adcli.syntax import parse

            given = [*defaults, *parse(text, strict=strict).point]
        return drawing.draw(text, given or None, _seed("--cot", cot), strict=strict)

    def show(result: Any, chosen: str, place: Any) -> None:
        if dot:
            sys.stdout.write(render_graph.dot(result, precision, plain))
        elif chosen == "json":
            sys.stdout.write(render_graph.as_json(result) + "\n")
        else:
            console = _console(plain)
            console.print(render_graph.tree(result, precision, plain, console.width))

    _present(fmt, compute, show, expr, files, at)


@app.command()
def compare(
    expr: Problems = None,
    at: At = None,
    wrt: Wrt = None,
    modes: Annotated[
        str | None, typer.Option("--modes", help="forward,reverse,numeric,symbolic (default: every one installed).")
    ] = None,
    peers: Annotated[
        str | None, typer.Option("--with", help="torch,jax: the same Jacobian by PyTorch autograd and by JAX.")
    ] = None,
    strict_peers: Annotated[
        bool, typer.Option("--strict-peers", help="Peers that disagree or do not run count toward the exit code.")
    ] = False,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance of agreement.")] = 1e-6,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance of agreement.")] = 1e-9,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Every mode's Jacobian side by side, deviations, cost; exit 1 when they disagree (a gradient check).

    Example: adcli compare "x*y, sin(x)" --at x=1,y=2
    """
    from adcli import api, render_compare
    from adcli import compare as comparing

    def compute(text: str, given: Any, defaults: Any) -> Any:
        frameworks = comparing.peers(_wrt(peers) or [])
        problem = api.prepare(text, given, _wrt(wrt), strict=strict, defaults=defaults)
        return comparing.compare(problem, _wrt(modes), rtol, atol, frameworks=frameworks, strict_peers=strict_peers)

    def show(result: Any, chosen: str, place: Any) -> None:
        if chosen == "json":
            sys.stdout.write(render_compare.as_json(result) + "\n")
        elif chosen == "plain":
            render_compare.plain(result, precision, sys.stdout)
        else:
            render_compare.table(result, precision, _console(False))
        if not result.agree:
            raise typer.Exit(1)

    _present(fmt, compute, show, expr, files, at)


@app.command(context_settings={"ignore_unknown_options": True})
def check(
    of: Annotated[str, typer.Option("--of", help="The expression it should be the derivative of.")],
    answer: Annotated[
        str | None,
        typer.Argument(help="The derivative to check, e.g. '2*x*cos(x^2)'; '-' or a pipe: one per line."),
    ] = None,
    wrt: Annotated[
        str | None, typer.Option("--wrt", help="The variable(s); several: the answer is the gradient a, b.")
    ] = None,
    at: At = None,
    samples: Annotated[int, typer.Option("--samples", help="Random in-domain points to check at.")] = 12,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the random points.")] = 0,
    rtol: Annotated[float, typer.Option("--rtol", help="Relative tolerance.")] = 1e-7,
    atol: Annotated[float, typer.Option("--atol", help="Absolute tolerance.")] = 1e-9,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Is ANSWER a correct derivative of --of EXPR? Symbolic where it can decide, else at random points; exit 0/1.

    Example: adcli check "2*x*cos(x^2)" --of "sin(x^2)"
    """
    from adcli import check as checking
    from adcli import render_compare

    def compute(text: str, given: Any, defaults: Any) -> Any:
        options = checking.Options(samples=samples, seed=seed, rtol=rtol, atol=atol)
        return checking.check(text, of, _wrt(wrt), given, options, strict=strict, defaults=defaults)

    def show(result: Any, chosen: str, place: Any) -> None:
        if chosen == "json":
            import json

            sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False) + "\n")
        else:
            sys.stdout.write(render_compare.check_text(result, precision) + "\n")
        raise typer.Exit(result.exit_code)

    _present(fmt, compute, show, answer, files, at)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"adcli {__version__}\n")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """adcli: differentiate math expressions, and see how each mode gets its answer."""


def main() -> None:
    import os

    # adcli's arithmetic is elementwise and never calls BLAS, but numpy's OpenBLAS starts a thread per
    # core when it is imported: 20-50 ms of a one-shot run on a busy 2-core machine. A user's own
    # setting wins. (Only the command line does this; the Python API leaves the environment alone.)
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    try:
        from typer._click.exceptions import UsageError  # typer 0.26+ carries its own copy of Click
    except ImportError:  # pragma: no cover - older typer
        from click.exceptions import UsageError

    try:
        code = app(standalone_mode=False)
    except UsageError as exc:  # a bad option or value: the same error[usage_error] line (or JSON) as ours
        if exc.ctx is None or type(exc).__name__ == "NoArgsIsHelpError":
            raise SystemExit(app()) from None  # Click's own display (the help for a bare `adcli`)
        _option_error(exc)
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        raise SystemExit(1) from None
    raise SystemExit(code if isinstance(code, int) else 0)


def _option_error(exc: Any) -> None:
    """A Click usage error as `error[usage_error]: …` on stderr, or the JSON error object with --format json."""
    from adcli import render
    from adcli.errors import AdcliError

    argv = sys.argv[1:]
    wants_json = "--format=json" in argv or any(
        a == "--format" and b == "json" for a, b in zip(argv, argv[1:], strict=False)
    )
    message = f"{exc.format_message()} ('{exc.ctx.command_path} --help' lists the options)"
    error = AdcliError("usage_error", message)
    if wants_json:
        sys.stdout.write(render.error_json(error) + "\n")
    else:
        sys.stderr.write(render.error_text(error) + "\n")
    raise SystemExit(error.exit_code)
