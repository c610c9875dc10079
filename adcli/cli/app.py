"""The command line: one Typer function per subcommand; options in, a Result out to render.

The options several commands share are declared in adcli.cli.options; grad, jac and eval run through
adcli.cli.run, the commands with their own renderers through adcli.cli.present (both imported when a
command runs).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer

from adcli import __version__
from adcli.cli.command import ExpressionCommand
from adcli.cli.options import (
    Absolute,
    AbsoluteAgreement,
    Ascii,
    At,
    BatchFormat,
    CheckSeed,
    Cot,
    Files,
    Format,
    Full,
    Grid,
    Method,
    Order,
    PointsFile,
    Precision,
    Presented,
    Problems,
    Relative,
    RelativeAgreement,
    Samples,
    Save,
    Seed,
    Shape,
    Step,
    Strict,
    Sweep,
    Wrt,
    numeric_options,
    seed_values,
    wrt_names,
)

app = typer.Typer(
    name="adcli",
    help="A derivative calculator: forward and reverse automatic differentiation of math expressions.",
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},  # -h is help, never the expression -h
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",  # panels and examples set apart; Rich is imported only when help is shown
)


def _examples(*lines: str) -> str:
    """A command's examples, set apart at the end of its --help (Rich markup: brackets escaped)."""
    shown = "\n\n".join(f"  [bold]$[/bold] {line.replace('[', chr(92) + '[')}" for line in lines)
    return f"[bold]Examples[/bold]\n\n{shown}"


@app.command(
    cls=ExpressionCommand,
    epilog=_examples(
        'adcli grad "sin(x)*y" --at x=1,y=2',
        'adcli grad "f(x) = x^2 + 1; f(sin(t))" --at t=1 --mode forward',
        'adcli grad "x^2*y" --at x=0:1:5 --at y=2',
    ),
    rich_help_panel="Derivatives",
)
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
    full: Full = False,
    save: Save = None,
    seed: Seed = None,
) -> None:
    """Value and gradient of a single-output expression (reverse mode by default)."""
    from adcli import api
    from adcli.cli import run as cli_run

    def finish(prepare: Callable[[], Any]) -> Any:
        if mode not in ("reverse", "forward", "numeric", "symbolic"):
            raise api.AdcliError("usage_error", f"grad --mode is reverse, forward, numeric or symbolic, not {mode!r}")
        problem = prepare()
        api.check_scalar(problem)
        if len(problem.tape.outputs) != 1:
            n = len(problem.tape.outputs)
            raise api.AdcliError("usage_error", f"grad needs one output; this expression has {n}: use adcli jac")
        return api.differentiate(problem, mode, numeric=numeric_options(mode, method, step, sweep, precision))

    request = cli_run.Request("grad", expr, at, fmt, precision, files, points, wrt, strict, grid, full, save, seed)
    cli_run.solve(request, finish)


@app.command(
    cls=ExpressionCommand, epilog=_examples('adcli jac "x*y, x+y, sin(x)" --at x=1,y=2'), rich_help_panel="Derivatives"
)
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
    full: Full = False,
    save: Save = None,
    seed: Seed = None,
) -> None:
    """The Jacobian of a (multi-output) expression; auto mode picks forward when inputs <= outputs."""
    from adcli import api
    from adcli.cli import run as cli_run

    d, c = _seeds(direction, cot, fmt, seed=seed)  # once, before any problem: a bad seed is the command's error

    def finish(prepare: Callable[[], Any]) -> Any:
        from adcli.commands.trace import resolve_cotangent, resolve_direction

        problem = prepare()
        if problem.tape.shapes is not None:  # arrays: the seeds keep their shapes (checked against the variables')
            along, weights = _array_seeds(problem, d, c)
        else:
            along = resolve_direction(problem.wrt, d) if d is not None else None
            weights = resolve_cotangent(len(problem.tape.outputs), c) if c is not None else None
        numeric = numeric_options(mode, method, step, sweep, precision)
        return api.differentiate(problem, mode, direction=along, cotangent=weights, numeric=numeric)

    request = cli_run.Request("jac", expr, at, fmt, precision, files, points, wrt, strict, grid, full, save, seed)
    cli_run.solve(request, finish)


def _array_trace(problem: Any, mode: str, d: Any, c: Any, refused: bool) -> Any:
    """An array problem's trace: shapes, a few entries, the matrix rules applied (adcli.commands.arraytrace)."""
    from adcli.commands import arraytrace
    from adcli.core.errors import AdcliError

    if refused:
        raise AdcliError("usage_error", "trace --order 2 does not take arrays yet")
    d, c = _array_seeds(problem, d, c)
    return arraytrace.compute(problem, mode, d, c)


def _array_seeds(problem: Any, d: Any, c: Any) -> tuple[Any, Any]:
    """--dir by name or in --wrt order, --cot one weight (array) per output, for an array problem."""
    from adcli.core import seeds

    if d is not None:  # every wrt variable's entry, in its shape, as grad lays out a gradient
        d = seeds.entries("--dir", d, problem.wrt, problem.tape.shapes[: len(problem.wrt)])
    if c is not None:
        c = seeds.weights(c, len(problem.tape.outputs))
    return d, c


def _seeds(
    direction: str | None, cot: str | None, fmt: str | None, both: bool = False, seed: int | None = None
) -> tuple[Any, Any]:
    """--dir and --cot read once, before any problem: a bad value (or both, when `both` is not allowed) is a
    usage error of the command, reported once (not once per line of a batch)."""
    from adcli.cli import run as cli_run
    from adcli.core.errors import AdcliError

    try:
        d, c = seed_values("--dir", direction, seed), seed_values("--cot", cot, seed)
        if d is not None and c is not None and not both:
            raise AdcliError("usage_error", "--dir and --cot ask for different sweeps: give one")
    except AdcliError as exc:
        cli_run.fail(exc, fmt)
    return d, c


@app.command(
    cls=ExpressionCommand,
    epilog=_examples('adcli diff "x^x"', 'adcli diff "x^2*y" --wrt x,y --order 2 --at x=1,y=2'),
    rich_help_panel="Derivatives",
)
def diff(
    expr: Problems = None,
    wrt: Annotated[str | None, typer.Option("--wrt", help="Differentiate by x,y (default: every variable).")] = None,
    order: Order = 1,
    at: At = None,
    latex: Annotated[bool, typer.Option("--latex", help="Print LaTeX instead of the input syntax.")] = False,
    cse: Annotated[bool, typer.Option("--cse", help="Shared form: @1 = … for repeated parts, when shorter.")] = False,
    steps: Annotated[bool, typer.Option("--steps", help="Show the rules applied, node by node.")] = False,
    shape: Shape = None,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Derivative expressions (symbolic mode), printed so that they parse back; --at evaluates them too."""
    from adcli.cli import present as cli_present

    def compute(text: str, given: Any, defaults: Any) -> Any:
        from adcli.commands.diff import diff as derivatives

        options = {"latex": latex, "cse": cse, "steps": steps, "strict": strict, "shape": shape}
        return derivatives(text, wrt_names(wrt), order, given, defaults=defaults, each_point=True, **options)

    def show(result: Any, chosen: str, place: Any) -> None:
        from adcli.render import results as render

        if chosen == "json":
            sys.stdout.write(render.dumps(result.to_dict()) + "\n")
        elif chosen == "plain":
            render.diff_plain(result, precision, sys.stdout, sys.stderr, place)
        else:
            from rich.console import Console

            render.diff_table(result, precision, Console(), sys.stderr, place)
        if result.failures is not None:  # a point that failed: the problem exits 1 (as grad's)
            raise typer.Exit(1)

    cli_present.present(fmt, compute, show, expr, files, at)


@app.command(
    cls=ExpressionCommand,
    epilog=_examples('adcli hess "(1-x)^2 + 100*(y-x^2)^2" --at x=1,y=1'),
    rich_help_panel="Derivatives",
)
def hess(
    expr: Problems = None,
    at: At = None,
    wrt: Wrt = None,
    mode: Annotated[
        str,
        typer.Option(
            "--mode", help="auto | forward-over-reverse | forward-over-forward | numeric | symbolic (auto: by size)."
        ),
    ] = "auto",
    hvp: Annotated[
        str | None, typer.Option("--hvp", help="The Hessian-vector product H·v alone: x=1,y=0 or 1,0 (one sweep).")
    ] = None,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """The Hessian of a one-output expression, its gradient and eigenvalues, and a verdict on the point."""
    from adcli import api
    from adcli.cli import present as cli_present
    from adcli.cli.run import fail
    from adcli.render import hessian as render_hessian

    try:
        vector = seed_values("--hvp", hvp)
    except api.AdcliError as exc:
        fail(exc, fmt)

    def compute(text: str, given: Any, defaults: Any) -> Any:
        from adcli.commands.hessian import hessian

        problem = api.prepare(text, given, wrt_names(wrt), strict=strict, defaults=defaults)
        return hessian(problem, mode, vector)

    def show(result: Any, chosen: str, place: Any) -> None:
        if chosen == "json":
            sys.stdout.write(render_hessian.as_json(result) + "\n")
        elif chosen == "plain":
            render_hessian.hess_plain(result, precision, sys.stdout, cli_present.stderr_at(place))
        else:
            render_hessian.hess_table(result, precision, _console(False))

    cli_present.present(fmt, compute, show, expr, files, at)


@app.command(
    cls=ExpressionCommand,
    epilog=_examples('adcli taylor "exp(sin(x))" --at x=0.5 --order 6'),
    rich_help_panel="Derivatives",
)
def taylor(
    expr: Problems = None,
    at: At = None,
    order: Annotated[int, typer.Option("--order", help="The highest power of the expansion (at most 100).")] = 5,
    direction: Annotated[
        str | None, typer.Option("--dir", help="For several variables, the direction: x=1,y=2 or 1,2.")
    ] = None,
    latex: Annotated[bool, typer.Option("--latex", help="Also the polynomial in LaTeX.")] = False,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Taylor coefficients, derivatives f⁽ᵏ⁾(a) and the polynomial at a point, by Taylor-mode arithmetic."""
    from adcli import api
    from adcli.cli import present as cli_present
    from adcli.cli.run import fail
    from adcli.render import hessian as render_hessian

    try:
        from adcli.commands.taylor import check_order

        check_order(order)
        d = seed_values("--dir", direction)
    except api.AdcliError as exc:
        fail(exc, fmt)

    def compute(text: str, given: Any, defaults: Any) -> Any:
        from adcli.commands.taylor import taylor as expand

        problem = api.prepare(text, given, strict=strict, defaults=defaults)
        return expand(problem, order, d, latex)

    def show(result: Any, chosen: str, place: Any) -> None:
        if chosen == "json":
            sys.stdout.write(render_hessian.as_json(result) + "\n")
        elif chosen == "plain":
            render_hessian.taylor_plain(result, precision, sys.stdout, cli_present.stderr_at(place))
        else:
            render_hessian.taylor_table(result, precision, _console(False))

    cli_present.present(fmt, compute, show, expr, files, at)


@app.command(
    "eval",
    cls=ExpressionCommand,
    epilog=_examples('adcli eval "x^2 + 1, sqrt(x)" --at x=4', 'adcli eval "-x^2" --at x=3'),
    rich_help_panel="Values and the language",
)
def evaluate(
    expr: Problems = None,
    at: At = None,
    fmt: BatchFormat = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
    points: PointsFile = None,
    grid: Grid = True,
    full: Full = False,
    save: Save = None,
    seed: Seed = None,
) -> None:
    """The value(s) of an expression at a point."""
    from adcli import api
    from adcli.cli import run as cli_run

    request = cli_run.Request(
        "eval", expr, at, fmt, precision, files, points, strict=strict, grid=grid, full=full, save=save, seed=seed
    )
    cli_run.solve(request, lambda prepare: api.evaluate_problem(prepare()))


@app.command(epilog=_examples("adcli repl --at x=1,y=2"), rich_help_panel="Values and the language")
def repl(
    at: At = None,
    wrt: Wrt = None,
    mode: Annotated[str, typer.Option("--mode", help="auto | forward | reverse")] = "auto",
    command: Annotated[str, typer.Option("--command", help="What a line computes: grad | jac | eval.")] = "jac",
    fmt: Format = None,
    precision: Precision = 10,
    strict: Strict = False,
    seed: Seed = None,
) -> None:
    """An interactive session: a line is a problem; :mode, :at, :format … change settings; :help lists them."""
    from adcli.cli.repl import loop
    from adcli.core.errors import AdcliError
    from adcli.render import batch as render_batch
    from adcli.render import results as render

    session = loop.Session(precision=precision, strict=strict, wrt=wrt_names(wrt), seed=seed)
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


@app.command(
    epilog=_examples("adcli functions --format plain", 'adcli functions "f(x) = x^2 + 1; g(x, y) = f(x)*y"'),
    rich_help_panel="Values and the language",
)
def functions(
    defined: Annotated[
        str | None, typer.Argument(help="Your own functions, e.g. 'f(x) = x^2 + 1; g(x, y) = f(x)*y'.")
    ] = None,
    fmt: Format = None,
) -> None:
    """Every function adcli knows, with its arity, domain and derivative rule (printed from the rule table).

    Given definitions, those functions instead, each with its partial derivatives worked out from its body.
    """
    from adcli import api
    from adcli.render import results as render

    chosen = "table" if fmt is None and sys.stdout.isatty() else (fmt or "plain")
    if chosen not in render.FORMATS:
        from adcli.cli.run import fail

        message = f"unknown format {chosen!r}: functions takes {', '.join(render.FORMATS)}"
        fail(api.AdcliError("usage_error", message), fmt)
    if defined is not None:
        from adcli.commands.own import function_rows

        try:
            rows: list[dict[str, Any]] = function_rows(defined)
        except api.AdcliError as exc:
            from adcli.cli.run import fail

            fail(exc, fmt)
    else:
        rows = api.function_table()
    if chosen == "json":
        import json

        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
    elif chosen == "table":
        from rich.console import Console

        render.functions_table(rows, Console())
    else:
        sys.stdout.write(render.functions_rows(rows) + "\n")


def _ascii(flag: bool) -> bool:
    from adcli.core.notation import can_show

    return flag or not can_show(getattr(sys.stdout, "encoding", None))


def _console(ascii: bool) -> Any:
    from rich.console import Console

    return Console(safe_box=True, emoji=False, highlight=False) if not ascii else Console(emoji=False, highlight=False)


@app.command(
    cls=ExpressionCommand,
    epilog=_examples('adcli trace "ln(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5'),
    rich_help_panel="See how each mode works",
)
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
    order: Annotated[
        int, typer.Option("--order", help="2: also the forward-over-reverse trace (tangents of the adjoints: H·v).")
    ] = 1,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """The primal, tangent and adjoint traces, row by row, as in Baydin et al. (2018), Tables 2 and 3."""
    from adcli import api
    from adcli.cli import present as cli_present
    from adcli.cli.run import fail
    from adcli.commands import trace as tracing
    from adcli.render import trace as render_trace

    if emit not in (None, "python"):  # the options' own errors: once, before any problem
        fail(api.AdcliError("usage_error", f"--emit {emit!r}: the only language is python"), fmt)
    if emit is not None and fmt is not None:
        fail(api.AdcliError("usage_error", "--emit writes Python source, not a --format: give one of the two"), fmt)
    if order not in (1, 2):
        kind = "limit_exceeded" if order > 2 else "usage_error"
        fail(api.AdcliError(kind, f"trace --order is 1 or 2 (forward-over-reverse), not {order}"), fmt)
    if order == 2 and (emit is not None or mode != "both"):
        fail(api.AdcliError("usage_error", "trace --order 2 runs every sweep (no --mode, no --emit)"), fmt)
    d, c = _seeds(direction, cot, fmt, both=True)
    plain = _ascii(ascii)
    emitted = [0]  # programs written so far: in a batch the second one defines forward_2(), …

    def compute(text: str, given: Any, defaults: Any) -> Any:
        from adcli.core.tape import require_detailed_text

        require_detailed_text(text, "trace")  # refused before parsing when far over
        problem = api.prepare(text, given, strict=strict, defaults=defaults)
        if problem.tape.shapes is not None:
            return _array_trace(problem, mode, d, c, order == 2)
        if order == 2:
            from adcli.commands.adjoint_tangents import compute_second

            return compute_second(problem, d, c)
        return tracing.compute(problem, mode, d, c)

    def show(result: Any, chosen: str, place: Any) -> None:
        if emit is not None:
            from adcli.commands import arrayemit
            from adcli.commands import emit as scalar_emit

            emitted[0] += 1
            writer = arrayemit.python_source if arrayemit.is_array_trace(result) else scalar_emit.python_source
            sys.stdout.write(writer(result, f"_{emitted[0]}" if emitted[0] > 1 else ""))
        elif chosen == "json":
            sys.stdout.write(render_trace.as_json(result) + "\n")
        elif chosen == "plain":
            render_trace.plain(result, precision, plain, sys.stdout, cli_present.stderr_at(place))
        else:
            render_trace.table(result, precision, plain, _console(plain))

    cli_present.present(fmt, compute, show, expr, files, at)


@app.command(
    cls=ExpressionCommand,
    epilog=_examples('adcli graph "ln(x1) + x1*x2 - sin(x2)" --at x1=2,x2=5 --dot | dot -Tsvg -o f.svg'),
    rich_help_panel="See how each mode works",
)
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
    """The expression DAG: a tree (shared nodes marked), or Graphviz DOT; with --at, each node's data and grad."""
    from adcli.cli import present as cli_present
    from adcli.cli import run as cli_run
    from adcli.commands import drawing
    from adcli.core.errors import AdcliError
    from adcli.render import graph as render_graph

    if dot and fmt in ("json", "jsonl"):  # DOT is not JSON: a record could not hold it
        cli_run.fail(AdcliError("usage_error", f"--dot writes Graphviz DOT, not {fmt}: give one of the two"), fmt)
    _, weights = _seeds(None, cot, fmt)
    plain = _ascii(ascii)

    def compute(text: str, given: Any, defaults: Any) -> Any:  # a file's line: its own `at` wins over --at
        return drawing.draw(text, given or None, weights, strict=strict, defaults=defaults)

    def show(result: Any, chosen: str, place: Any) -> None:
        if dot:
            sys.stdout.write(render_graph.dot(result, precision, plain))
        elif chosen == "json":  # its notes are in the object
            sys.stdout.write(render_graph.as_json(result) + "\n")
            return
        else:
            console = _console(plain)
            console.print(render_graph.tree(result, precision, plain, console.width))
        sys.stdout.flush()
        for note in result.notes:
            cli_present.stderr_at(place).write(f"note: {note}\n")

    cli_present.present(fmt, compute, show, expr, files, at)


@app.command(
    cls=ExpressionCommand,
    epilog=_examples('adcli compare "x*y, sin(x)" --at x=1,y=2'),
    rich_help_panel="See how each mode works",
)
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
    rtol: RelativeAgreement = 1e-6,
    atol: AbsoluteAgreement = 1e-9,
    order: Annotated[int, typer.Option("--order", help="2: the Hessian from each mode (hess's modes).")] = 1,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Every mode's Jacobian side by side, deviations, cost; exit 1 when they disagree (a gradient check)."""
    from adcli import api
    from adcli.cli import present as cli_present
    from adcli.cli.run import fail
    from adcli.commands import compare as comparing
    from adcli.render import compare as render_compare

    if order not in (1, 2):
        kind = "limit_exceeded" if order > 2 else "usage_error"
        fail(api.AdcliError(kind, f"compare --order is 1 (Jacobians) or 2 (Hessians), not {order}"), fmt)

    def compute(text: str, given: Any, defaults: Any) -> Any:
        frameworks = comparing.peers(wrt_names(peers, "--with") or [])
        from adcli.core.tape import require_detailed_text

        require_detailed_text(text, "compare")  # refused before parsing when far over
        problem = api.prepare(text, given, wrt_names(wrt), strict=strict, defaults=defaults)
        if order == 2:
            from adcli.commands import crosscheck

            return crosscheck.compare(
                problem, wrt_names(modes, "--modes"), rtol, atol, frameworks=frameworks, strict_peers=strict_peers
            )
        return comparing.compare(
            problem, wrt_names(modes, "--modes"), rtol, atol, frameworks=frameworks, strict_peers=strict_peers
        )

    def show(result: Any, chosen: str, place: Any) -> None:
        if chosen == "json":
            sys.stdout.write(render_compare.as_json(result) + "\n")
        elif chosen == "plain":
            render_compare.plain(result, precision, sys.stdout)
        else:
            render_compare.table(result, precision, _console(False))
        if getattr(result, "inconclusive", False):  # numeric's estimate covers its difference: exit as "not proven"
            from adcli.core.errors import EXIT_AGREES

            raise typer.Exit(EXIT_AGREES)
        if not result.agree:
            raise typer.Exit(1)

    cli_present.present(fmt, compute, show, expr, files, at)


@app.command(
    cls=ExpressionCommand,
    context_settings={"ignore_unknown_options": True},
    epilog=_examples('adcli check "2*x*cos(x^2)" --of "sin(x^2)"'),
    rich_help_panel="See how each mode works",
)
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
    samples: Samples = 12,
    seed: CheckSeed = 0,
    rtol: Relative = 1e-7,
    atol: Absolute = 1e-9,
    shape: Shape = None,
    fmt: Presented = None,
    precision: Precision = 10,
    strict: Strict = False,
    files: Files = None,
) -> None:
    """Is ANSWER the derivative of --of EXPR? Exit 0 proven symbolically, 4 agrees at random points, 1 wrong."""
    from adcli.cli import present as cli_present
    from adcli.commands import check as checking
    from adcli.render import compare as render_compare

    def compute(text: str, given: Any, defaults: Any) -> Any:
        options = checking.Options(samples=samples, seed=seed, rtol=rtol, atol=atol)
        return checking.check(text, of, wrt_names(wrt), given, options, strict=strict, defaults=defaults, shape=shape)

    def show(result: Any, chosen: str, place: Any) -> None:
        if chosen == "json":
            from adcli.render import results as render

            sys.stdout.write(render.dumps(result.to_dict()) + "\n")
        elif chosen == "table":  # wrapped between words at the terminal's width (a number has no space)
            from rich.text import Text

            _console(False).print(Text(render_compare.check_text(result, precision)))
        else:
            sys.stdout.write(render_compare.check_text(result, precision) + "\n")
        raise typer.Exit(result.exit_code)

    cli_present.present(fmt, compute, show, answer, files, at)


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

    from adcli.cli.run import ClosedInput, Output, io_failed, pipe_closed

    # Scalar work never calls BLAS, but numpy's OpenBLAS starts a thread per core when it is imported:
    # 20-50 ms of a one-shot run on a busy 2-core machine. A user's own setting wins.
    # (Only the command line does this; the Python API leaves the environment alone.)
    # Arrays from files or generators (`W=@w.npy`, `randn(256,32)`) can be large enough for BLAS threads to
    # pay (issue 12): there numpy keeps its own default; literal arrays and scalars stay on one thread.
    if not any(_large_arrays(arg) for arg in sys.argv[1:]):
        os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    if sys.stdout is None:  # `>&-`: there is nowhere to write the answer
        raise SystemExit(io_failed(OSError(9, "standard output is closed"), None))
    if sys.stdin is None:  # `<&-`: fine unless the command reads it
        sys.stdin = ClosedInput()  # type: ignore[assignment]
    output = sys.stdout = Output(sys.stdout)  # notices a closed pipe, whoever catches the error (Rich, Click)
    try:
        code = _run()
    except SystemExit as done:
        code = done.code
    except OSError as exc:  # a full disk, a closed stream, no temporary folder (a broken pipe is below)
        code = 0 if isinstance(exc, BrokenPipeError) else io_failed(exc, output)
    except Exception as exc:  # noqa: BLE001 - the last resort: a bug is one line and exit 3, never a traceback
        if os.environ.get("ADCLI_DEBUG"):
            raise
        code = _internal(exc)
    try:
        output.flush()  # here, not at the interpreter's exit, where a closed pipe is a message and exit 120
    except BrokenPipeError:
        pass
    except OSError as exc:
        code = io_failed(exc, output)
    finally:
        sys.stdout = output.stream
    if output.broken:
        pipe_closed(exit=SystemExit)
    if output.failed is not None and code != 74:  # a write failed and someone (Rich) swallowed the error
        code = io_failed(output.failed, output)
    raise SystemExit(code)


def _internal(exc: Exception) -> int:
    """A bug that escaped every command's own handling: internal_error's one line (or JSON object, when
    the arguments ask for json or jsonl) and its exit code; ADCLI_DEBUG=1 shows the traceback instead."""
    from adcli.core.errors import internal_error
    from adcli.render import results as render

    error = internal_error(exc)
    args = " ".join(sys.argv[1:])
    if any(f"--format{sep}{fmt}" in args for sep in (" ", "=") for fmt in ("json", "jsonl")):
        sys.stdout.write(render.error_json(error) + "\n")
    else:
        sys.stderr.write(render.error_text(error) + "\n")
    return error.exit_code


def _large_arrays(arg: str) -> bool:
    """An argument that loads or generates arrays (`=@file`, randn/zeros/ones/eye): BLAS may want threads."""
    import re

    return bool(re.search(r"=\s*@|\b(randn|zeros|ones|eye)\s*\(", arg))


def _app_for(args: list[str]) -> typer.Typer:
    """The app with only the command these arguments run: Typer builds a Click command from each function's
    signature on every run (0.04 s of CPU for all twelve, a third of a short run); `adcli --help`, no
    command or an unknown one get the whole app (its list, its "did you mean")."""
    import copy

    name = next((arg for arg in args if not arg.startswith("-")), None)  # the group's options take no value
    chosen = [c for c in app.registered_commands if (c.name or c.callback.__name__) == name]  # type: ignore[union-attr]
    if len(chosen) != 1:
        return app
    one = copy.copy(app)
    one.registered_commands = chosen
    return one


def _run() -> int:
    """The app: its exit code; a usage error as adcli's error line (or JSON object)."""
    try:
        from typer._click.exceptions import UsageError  # typer 0.26+ carries its own copy of Click
    except ImportError:  # pragma: no cover - older typer
        from click.exceptions import UsageError

    try:
        code = _app_for(sys.argv[1:])(standalone_mode=False)
    except UsageError as exc:  # a bad option or value: the same error[usage_error] line (or JSON) as ours
        if type(exc).__name__ == "NoArgsIsHelpError":
            raise SystemExit(app()) from None  # Click's own display (the help for a bare `adcli`)
        from adcli.cli.run import option_error

        option_error(exc)
    except typer.Abort:
        sys.stderr.write("Aborted!\n")
        raise SystemExit(1) from None
    return code if isinstance(code, int) else 0
