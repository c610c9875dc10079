"""Batch output: one record per problem and point, as JSON Lines, a JSON array, CSV, plain text or tables.

The record schemas (README, "Batch output") are built here and nowhere else:

- json/jsonl: the single-problem object (`Result.to_dict`) plus `file`, `line` (1-based, in its
  file) and `point` (1-based, within the problem's point set), with `at`, `value`, `jacobian`,
  `gradient`, `jvp`, `vjp` for that point; a failed problem gives `{file, line, input, error, warnings}`.
- csv: `file,line,point,input`, one column per variable, `f1…fm` (values), `d(fi)/d(x)` (Jacobian
  entries, row-major), `jvp(fi)`, `vjp(x)`, `warnings`, `error`. The header is the union over the
  batch in first-seen order, so rows are spooled to a temporary file and written at the end.

Errors of table/plain output go to stderr as `file:line:column: error[kind]: message` with a caret.
Only this module, render.py and cli.py import rich, and only when a table or progress bar is drawn.
"""

from __future__ import annotations

import csv
import itertools
import json
import tempfile
from collections.abc import Iterator
from typing import IO, Any

import numpy as np

from adcli import render
from adcli.batch import Outcome, Summary
from adcli.errors import AdcliError
from adcli.inputs import ARG, Item
from adcli.points import size

FORMATS = ("table", "plain", "json", "jsonl", "csv")
LEAD = ("file", "line", "point", "input")
TAIL = ("warnings", "error")
TABLE_ROWS = 1000  # rows of a points table drawn on a terminal; csv and jsonl have them all


# ---- records ------------------------------------------------------------------------------------


def error_record(outcome: Outcome) -> dict[str, Any]:
    exc = outcome.error
    assert exc is not None
    file, line, column = outcome.place
    error = {"kind": exc.kind, "message": exc.message, "line": line, "column": column}
    warnings = [w.to_dict() for w in exc.warnings]
    return {"file": file, "line": line, "input": outcome.item.text, "error": error, "warnings": warnings}


def _listed(x: Any) -> Any:
    return x.tolist() if isinstance(x, np.ndarray) else x


def records(outcome: Outcome, command: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of one outcome: one per point, or its error object."""
    if outcome.error is not None:
        yield error_record(outcome)
        return
    result, item = outcome.result, outcome.item
    body = result.to_dict(command)
    n = size(result.at)
    if n == 1:
        yield {"file": item.file, "line": item.line, "point": 1, **body}
        return
    at = {k: _listed(v) for k, v in result.at.items()}
    per_point = {
        key: [_listed(v) if key != "jacobian" else [_listed(e) for e in v] for v in body[key]]
        for key in ("value", "jacobian", "jvp", "vjp")
        if body.get(key) is not None
    }
    for i in range(n):
        record = {"file": item.file, "line": item.line, "point": i + 1, **body}
        record["at"] = {k: v[i] if isinstance(v, list) else v for k, v in at.items()}
        for key, entries in per_point.items():
            if key == "jacobian":
                record[key] = [[e[i] if isinstance(e, list) else e for e in row] for row in entries]
            else:
                record[key] = [v[i] if isinstance(v, list) else v for v in entries]
        if "gradient" in body:
            record["gradient"] = record["jacobian"][0] if len(record["jacobian"]) == 1 else None
        yield record


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON record as CSV cells (see the module docstring for the columns)."""
    row = {key: record.get(key) for key in LEAD}
    fixed = set(LEAD) | set(TAIL)
    for name, v in (record.get("at") or {}).items():
        clash = name in fixed or (name[:1] == "f" and name[1:].isdigit())
        row[f"at({name})" if clash else name] = v
    for i, v in enumerate(record.get("value") or [], 1):
        row[f"f{i}"] = v
    wrt = record.get("wrt") or []
    for i, entries in enumerate(record.get("jacobian") or [], 1):
        row.update((f"d(f{i})/d({w})", e) for w, e in zip(wrt, entries, strict=True))
    for i, v in enumerate(record.get("jvp") or [], 1):
        row[f"jvp(f{i})"] = v
    row.update((f"vjp({w})", v) for w, v in zip(wrt, record.get("vjp") or [], strict=False))
    row["warnings"] = "; ".join(w["message"] for w in record.get("warnings") or [])
    error = record.get("error")
    if error:
        where = f" (column {error['column']})" if error.get("column") else ""
        row["error"] = f"{error['kind']}: {error['message']}{where}"
    return row


def _group(column: str) -> int:
    if column in LEAD:
        return 0
    if column in TAIL:
        return 6
    if column.startswith("d("):
        return 3
    if column.startswith("jvp("):
        return 4
    if column.startswith("vjp("):
        return 5
    return 2 if column[:1] == "f" and column[1:].isdigit() else 1


# ---- messages on stderr -------------------------------------------------------------------------


def error_text(outcome: Outcome) -> str:
    """`file:line:column: error[kind]: message`, the line and a caret (no prefix for the argument)."""
    exc = outcome.error
    assert exc is not None
    if outcome.item.file == ARG:
        return render.error_text(exc)
    file, line, column = outcome.place
    place = ":".join(str(p) for p in (file, line, column) if p)
    lines = [f"{place}: error[{exc.kind}]: {exc.message}"]
    caret = exc.caret()
    if caret and len(caret) < 400:
        lines.append(caret)
    lines += [f"warning[{w.kind}]: {w.message}" for w in exc.warnings]
    return "\n".join(lines)


class _Sink:
    """Notes and the summary on stderr; subclasses write the outcomes."""

    def __init__(self, command: str, digits: int, out: IO[str], err: IO[str]) -> None:
        self.command, self.digits, self.out, self.err = command, digits, out, err
        self.notes = 0

    def note(self, item: Item) -> None:
        self.notes += 1
        self.err.write(f"note: {item.note}\n")

    def close(self, summary: Summary) -> None:
        if summary.total > 1 or summary.failed or (self.notes and summary.total):
            self.err.write(summary.text() + "\n")
        self.out.flush()


class JsonlSink(_Sink):
    def emit(self, outcome: Outcome) -> None:
        write = self.out.write
        for record in records(outcome, self.command):
            write(json.dumps(record, ensure_ascii=False) + "\n")


class JsonSink(_Sink):
    """One JSON array of the jsonl records, streamed."""

    started = False

    def emit(self, outcome: Outcome) -> None:
        for record in records(outcome, self.command):
            self.out.write(("[\n" if not self.started else ",\n") + json.dumps(record, ensure_ascii=False))
            self.started = True

    def close(self, summary: Summary) -> None:
        self.out.write("\n]\n" if self.started else "[]\n")
        super().close(summary)


class CsvSink(_Sink):
    """Rows spooled to a temporary file (memory stays flat); the header is known at the end."""

    def __init__(self, command: str, digits: int, out: IO[str], err: IO[str]) -> None:
        super().__init__(command, digits, out, err)
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 - closed in close()
        self.columns: dict[str, int] = {}

    def emit(self, outcome: Outcome) -> None:
        for record in records(outcome, self.command):
            row = csv_row(record)
            for column in row:
                self.columns.setdefault(column, len(self.columns))
            self.spool.write(json.dumps(row, ensure_ascii=False) + "\n")

    def close(self, summary: Summary) -> None:
        for column in (*LEAD, *TAIL):
            self.columns.setdefault(column, len(self.columns))
        header = sorted(self.columns, key=lambda c: (_group(c), self.columns[c]))
        writer = csv.DictWriter(self.out, header, lineterminator="\n")
        writer.writeheader()
        self.spool.seek(0)
        for line in self.spool:
            writer.writerow(json.loads(line))
        self.spool.close()
        super().close(summary)


# ---- text and tables ----------------------------------------------------------------------------


def _how(result: Any) -> str:
    if result.mode is None:
        return "evaluated"
    return f"{result.mode} mode, {result.sweeps} sweep" + ("s" if result.sweeps != 1 else "")


def _heading(outcome: Outcome) -> str | None:
    item = outcome.item
    return None if item.file == ARG else f"{item.file}:{item.line}"


def point_columns(result: Any, digits: int) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of a many-point result: the point, the value(s), the Jacobian or JVP/VJP."""
    n = size(result.at)
    header = list(result.at)
    columns = [np.broadcast_to(v, (n,)) for v in result.at.values()]
    one = len(result.value) == 1
    names = ["value"] if one else [f"f{i}" for i in range(1, len(result.value) + 1)]
    header += names
    columns += list(result.value)
    for i, row in enumerate(result.jacobian or [], 1):
        header += [f"d/d{w}" if one else f"d(f{i})/d({w})" for w in result.wrt]
        columns += list(row)
    if result.jvp is not None:
        header += [f"jvp({name})" for name in names]
        columns += list(result.jvp)
    if result.vjp is not None:
        header += [f"vjp({w})" for w in result.wrt]
        columns += list(result.vjp)
    lists = [np.broadcast_to(c, (n,)).tolist() for c in columns]
    rows = ([render.number(c[i], digits) for c in lists] for i in range(n))
    return header, rows


class PlainSink(_Sink):
    def emit(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.out.flush()
            self.err.write(error_text(outcome) + "\n")
            return
        heading, result = _heading(outcome), outcome.result
        if heading:
            self.out.write(f"# {heading}\n")
        if size(result.at) == 1:
            render.plain(result, self.digits, self.out, self.err)
        else:
            self._points(result)
        if heading:
            self.out.write("\n")

    def _points(self, result: Any) -> None:
        header, rows = point_columns(result, self.digits)
        first = list(itertools.islice(rows, TABLE_ROWS))  # the widths come from the first rows
        widths = [max(len(r[k]) for r in [header, *first]) for k in range(len(header))]
        self.out.write(f"read as: {result.read_as}\nmode:    {_how(result)}\n\n")
        for row in itertools.chain([header], first, rows):
            self.out.write("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) + "\n")
        for note in result.notes:
            self.err.write(f"note: {note}\n")
        for w in result.warnings:
            self.err.write(f"warning[{w.kind}]: {w.message}\n")


class TableSink(_Sink):
    """Rich tables on stdout, one group per problem under its file:line; errors on stderr."""

    def __init__(self, command: str, digits: int, out: IO[str], err: IO[str]) -> None:
        super().__init__(command, digits, out, err)
        from rich.console import Console

        self.console = Console(file=out)

    def emit(self, outcome: Outcome) -> None:
        from rich.text import Text

        if outcome.error is not None:
            self.err.write(error_text(outcome) + "\n")
            return
        heading, result = _heading(outcome), outcome.result
        if heading:
            self.console.rule(Text(heading), align="left")
        if size(result.at) == 1:
            render.table(result, self.digits, self.console)
        else:
            self._points(result)

    def _points(self, result: Any) -> None:
        from rich.table import Table
        from rich.text import Text

        header, rows = point_columns(result, self.digits)
        n = size(result.at)
        caption = f"{n:,} points · {_how(result)}"
        grid = Table(title=Text(result.read_as), caption=caption)
        for h in header:
            grid.add_column(Text(h), justify="right")
        for i, row in enumerate(rows):
            if i == TABLE_ROWS:
                break
            grid.add_row(*(Text(c) for c in row))
        self.console.print(grid)
        if n > TABLE_ROWS:
            self.console.print(Text(f"… {n - TABLE_ROWS:,} more points: --format csv or jsonl lists them all"))
        for note in result.notes:
            self.console.print(Text(f"note: {note}", style="cyan"))
        for w in result.warnings:
            self.console.print(Text(f"warning[{w.kind}]: {w.message}", style="yellow"))


SINKS = {"jsonl": JsonlSink, "json": JsonSink, "csv": CsvSink, "plain": PlainSink, "table": TableSink}


def sink(fmt: str, command: str, digits: int, out: IO[str], err: IO[str]) -> _Sink:
    if fmt not in SINKS:
        raise AdcliError("usage_error", f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")
    return SINKS[fmt](command, digits, out, err)


class ProgressBar:
    """A Rich progress display on stderr (a terminal only), for batches that take over a second."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.completed:,} problems · {task.fields[failed]:,} failed"),
            TimeElapsedColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("batch", total=None, failed=0)
        self.progress.start()

    def update(self, done: int, failed: int) -> None:
        self.progress.update(self.task, completed=done, failed=failed)

    def close(self) -> None:
        self.progress.stop()


def show(result: Any, command: str, fmt: str, digits: int, out: IO[str], err: IO[str]) -> None:
    """One result, at one point or many, in any format (the repl's output)."""
    if size(result.at) > 1 or fmt in ("jsonl", "csv"):
        chosen = sink(fmt, command, digits, out, err)
        chosen.emit(Outcome(Item(result.input, ARG, 1), result))
        chosen.close(Summary(ok=1))
    elif fmt == "json":
        out.write(render.as_json(result, command) + "\n")
    elif fmt == "table":
        from rich.console import Console

        render.table(result, digits, Console(file=out))
    else:
        render.plain(result, digits, out, err)
