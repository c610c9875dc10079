"""Running the commands with their own renderers (diff, trace, graph, compare, check): one problem or a batch.

Each command gives compute(text, given, defaults), as adcli.batch.run.solve calls it, and show(result, chosen,
place), place a batch problem's (file, line) or None; this module reads the problems, shows each, and
turns errors and disagreements into the exit code.
"""

from __future__ import annotations

import sys
from typing import Any

import typer

from adcli.cli.run import fail, pipe_closed

PRESENTED = ("table", "plain", "json", "jsonl")  # diff, trace, graph, compare and check (no csv)


def present(fmt: str | None, compute: Any, show: Any, expr: str | None, files: Any, at: Any) -> None:
    """Compute, then show in the chosen format; an AdcliError becomes its message and exit code.

    Problems from files or stdin (`expr` absent or `-`, `files`), and jsonl (one record, as grad's), go
    through _present_many.
    """
    from adcli.core.errors import AdcliError

    if expr in (None, "-") or files or fmt == "jsonl":
        _present_many(fmt, compute, show, expr, files, at)
    try:
        chosen = _chosen(fmt)
        show(compute(expr, at, ()), chosen, None)
    except AdcliError as exc:
        fail(exc, fmt)


def _chosen(fmt: str | None) -> str:
    """The format asked for, else table on a terminal and plain text in a pipe; one not in PRESENTED is refused."""
    from adcli.core.errors import AdcliError

    chosen = fmt or ("table" if sys.stdout.isatty() else "plain")
    if chosen not in PRESENTED:
        raise AdcliError("usage_error", f"unknown format {chosen!r}: choose {', '.join(PRESENTED)}")
    return chosen


def _present_many(fmt: str | None, compute: Any, show: Any, expr: Any, files: Any, at: Any) -> None:
    """Batch mode for a command with its own renderers: each problem under its file:line; json(l) records.

    --at overrides the EXPR argument's own `at` and fills in a file line's (a line's own point wins), as
    for grad, jac and eval (adcli.batch.run.solve)."""
    from adcli.batch import inputs
    from adcli.batch import run as batch
    from adcli.core.errors import AdcliError

    try:
        chosen = _chosen(fmt)
        point = batch.point_bindings(at, None)
        items = inputs.problems(expr, files, sys.stdin)
    except AdcliError as exc:
        fail(exc, fmt)
    try:
        summary = _each_problem(items, compute, show, chosen, point)
    except BrokenPipeError:
        pipe_closed()
    if summary.total > 1 or summary.failed:
        sys.stderr.write(summary.text() + "\n")
    raise typer.Exit(summary.exit_code)


def _each_problem(items: Any, compute: Any, show: Any, chosen: str, point: Any) -> Any:
    """The problems of a batch in turn, shown (json: an array of records); the summary. Ctrl-C stops after
    the problem being shown, with the json array closed (adcli.batch.run.Interrupts)."""
    from adcli.batch import run as batch

    summary, records, stopped = batch.Summary(), [0], False
    with batch.Interrupts() as interrupts:
        try:
            for item in items:
                if item.note is not None:
                    sys.stderr.write(f"note: {item.note}\n")
                    continue
                outcome = batch.solve(item, compute, point)
                interrupts.writing = True
                _one(outcome, show, chosen, summary, records)
                interrupts.written()
        except KeyboardInterrupt:
            stopped = True
        interrupts.writing = True
        if chosen == "json":
            sys.stdout.write("\n]\n" if records[0] else "[]\n")
    if stopped:
        batch.interrupted(summary)
    return summary


def _one(outcome: Any, show: Any, chosen: str, summary: Any, records: list[int]) -> None:
    """One problem's output: its record (json, jsonl) or its display, and its error on stderr."""
    from adcli.batch import inputs
    from adcli.render import batch as render_batch

    item, code, record = outcome.item, 0, None
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
        return
    sys.stdout.write(record + "\n" if chosen == "jsonl" else ("[\n" if not records[0] else ",\n") + record)
    records[0] += 1


def _shown(show: Any, outcome: Any, chosen: str) -> tuple[int, Any]:
    """show(), and the exit code it asks for (compare and check exit 1 on a disagreement); an error while
    showing (a bug, too) becomes that problem's error, so the batch goes on."""
    from adcli.batch import inputs
    from adcli.batch.run import Outcome
    from adcli.core.errors import AdcliError, internal_error

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

    from adcli.render import batch as render_batch
    from adcli.render import results as render

    code, buffer = 0, io.StringIO()
    if outcome.error is None:
        with contextlib.redirect_stdout(buffer):
            code, outcome = _shown(show, outcome, "json")
    if outcome.error is not None:
        return code, outcome, render.dumps(render_batch.error_record(outcome))
    item = outcome.item
    return code, outcome, json.dumps({"file": item.file, "line": item.line, **json.loads(buffer.getvalue())})


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


def stderr_at(place: tuple[str, int] | None) -> Any:
    """sys.stderr, or for a batch problem a stream that starts each line with its `file:line: `."""
    return sys.stderr if place is None else _Prefixed(sys.stderr, f"{place[0]}:{place[1]}: ")
