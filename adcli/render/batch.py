"""Batch output: one record per problem and point, as JSON Lines, a JSON array, CSV, plain text or tables.

The record schemas (README, "Batch output") are built here and nowhere else:

- json/jsonl: the single-problem object (`Result.to_dict`) plus `file`, `line` (1-based, in its
  file) and `point` (1-based, within the problem's point set), with `at`, `value`, `jacobian`,
  `gradient`, `jvp`, `vjp` for that point; a failed problem gives `{file, line, input, error, warnings}`.
- csv: `file,line,point,input`, one column per variable, `f1…fm` (values), `d(fi)/d(x)` (Jacobian
  entries, row-major), `jvp(fi)`, `vjp(x)`, `warnings`, `error`. The header is the union over the
  batch in first-seen order, so rows are spooled to a temporary file and written at the end.

Errors of table/plain output go to stderr as `file:line:column: error[kind]: message` with a caret.
Only the render and cli packages import rich (the layers contract), and only when a table or progress bar is drawn.
"""

from __future__ import annotations

import csv
import itertools
import tempfile
from collections.abc import Iterator
from typing import IO, Any

from adcli.batch.inputs import ARG, Item
from adcli.batch.points import CHUNK, is_many, size, warning_at
from adcli.batch.points import column as values_of
from adcli.batch.run import Outcome, Summary
from adcli.core.errors import AdcliError
from adcli.render import arrays
from adcli.render import results as render

FORMATS = ("table", "plain", "json", "jsonl", "csv")
LEAD = ("file", "line", "point", "input")
TAIL = ("warnings", "error")
TABLE_ROWS = 1000  # rows of a points table drawn on a terminal; csv and jsonl have them all


# ---- records ------------------------------------------------------------------------------------


INPUT_SHOWN = 1000  # characters of a failed problem's text echoed in its record


def _shown_input(text: str | None) -> str | None:
    if text is None or len(text) <= INPUT_SHOWN:
        return text
    return f"{text[:INPUT_SHOWN]}… ({len(text):,} characters)"


def error_record(outcome: Outcome) -> dict[str, Any]:
    exc = outcome.error
    assert exc is not None
    file, line, column = outcome.place  # the error's own line; the record's `line` is the problem's first
    error = {"kind": exc.kind, "message": exc.message, "line": line, "column": column}
    warnings = [w.to_dict() for w in exc.warnings]
    first = outcome.item.line or None
    return {"file": file, "line": first, "input": _shown_input(outcome.item.text), "error": error, "warnings": warnings}


def point_error_record(outcome: Outcome, i: int, exc: AdcliError, at: dict[str, float]) -> dict[str, Any]:
    """A point of a set where the computation failed: the error record with `point` and `at`."""
    record = error_record(Outcome(outcome.item, error=exc))
    lead = {"file": record["file"], "line": record["line"], "point": i + 1, "input": record["input"], "at": at}
    return {**lead, "error": record["error"], "warnings": record["warnings"]}


def _chunks(n: int) -> Iterator[tuple[int, int]]:
    for start in range(0, n, CHUNK):
        yield start, min(start + CHUNK, n)


def records(outcome: Outcome, command: str) -> Iterator[dict[str, Any]]:
    """The JSON objects of one outcome: one per point, or its error object."""
    if outcome.error is not None:
        yield error_record(outcome)
        return
    result, item = outcome.result, outcome.item
    body = result.to_dict(command)
    if result.shapes is not None or not is_many(
        result.at
    ):  # one point (a point set of one point has arrays of one: below)
        yield {"file": item.file, "line": item.line, "point": 1, **body}
        return
    always = [w.to_dict() for w in result.warnings if w.where is None]
    marked = [w for w in result.warnings if w.where is not None]  # kinks: their points, each with its own values
    failed = result.failures.mask if result.failures is not None else None
    keys = [key for key in ("value", "jvp", "vjp") if body.get(key) is not None]
    for start, stop in _chunks(size(result.at)):
        at = {k: values_of(v, start, stop).tolist() for k, v in result.at.items()}
        lists = {key: [values_of(v, start, stop).tolist() for v in body[key]] for key in keys}
        jacobian = [[values_of(e, start, stop).tolist() for e in row] for row in body.get("jacobian") or []]
        for j, i in enumerate(range(start, stop)):
            point = {k: v[j] for k, v in at.items()}
            if failed is not None and failed[i]:
                yield point_error_record(outcome, i, result.failures.error(i), point)
                continue
            record = {"file": item.file, "line": item.line, "point": i + 1, **body, "at": point}
            record.update((key, [v[j] for v in entries]) for key, entries in lists.items())
            if body.get("jacobian") is not None:
                record["jacobian"] = [[e[j] for e in row] for row in jacobian]
                if "gradient" in body:
                    record["gradient"] = record["jacobian"][0] if len(jacobian) == 1 else None
            record["warnings"] = always + [warning_at(w, i) for w in marked if w.where[i]]
            yield record


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A JSON record as CSV cells (see the module docstring for the columns)."""
    row = {key: record.get(key) for key in LEAD}
    if "shapes" in record:  # an array result has no flat row: said in its error cell
        row["error"] = "usage_error: csv holds numbers; for arrays use --format json or jsonl, or --save FILE.npz"
        return row
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
        if error.get("column") and error.get("line") != record.get("line"):  # a program of several lines
            where = f" (line {error['line']}, column {error['column']})"
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
        self.everything = EVERYTHING  # how to see every point: the repl says it its own way

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
            write(render.dumps(record) + "\n")


class JsonSink(_Sink):
    """One JSON array of the jsonl records, streamed."""

    started = False

    def emit(self, outcome: Outcome) -> None:
        for record in records(outcome, self.command):
            self.out.write(("[\n" if not self.started else ",\n") + render.dumps(record))
            self.started = True

    def close(self, summary: Summary) -> None:
        self.out.write("\n]\n" if self.started else "[]\n")
        super().close(summary)


class CsvSink(_Sink):
    """Rows spooled to a temporary file in first-seen column order (memory stays flat); the header, the
    union of the columns in their documented order, is known at the end, when the rows are rearranged."""

    def __init__(self, command: str, digits: int, out: IO[str], err: IO[str]) -> None:
        super().__init__(command, digits, out, err)
        self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
        self.writer = csv.writer(self.spool, lineterminator="\n")
        self.columns: dict[str, int] = {}

    def emit(self, outcome: Outcome) -> None:
        if outcome.error is None and outcome.result.shapes is None and is_many(outcome.result.at):
            for start, stop in _chunks(size(outcome.result.at)):
                self._write(self._chunk(outcome, start, stop), stop - start, chunk=True)
            return
        for record in records(outcome, self.command):
            self._write(csv_row(record), 1)

    def _write(self, row: dict[str, Any], m: int, chunk: bool = False) -> None:
        """m rows in first-seen column order; in a chunk a list or range is a column, any other cell repeats."""
        columns = self.columns
        for name in row:
            if name not in columns:
                columns[name] = len(columns)
        cells: list[Any] = [itertools.repeat(None)] * len(columns)
        for name, v in row.items():
            cells[columns[name]] = v if chunk and isinstance(v, list | range) else itertools.repeat(v)
        try:
            self.writer.writerows(itertools.islice(zip(*cells, strict=False), m))
        except OSError as exc:  # the temporary folder is full: say so, not "cannot write the output"
            where = f"the temporary file of the csv rows ({tempfile.gettempdir()})"
            raise OSError(exc.errno, exc.strerror, where) from exc

    def _chunk(self, outcome: Outcome, start: int, stop: int) -> dict[str, Any]:
        """The rows of points [start, stop) of a point set, column by column: csv_row of a record whose
        entries are the chunk's lists (the same columns as one record per point, made far faster)."""
        result, item = outcome.result, outcome.item
        body = result.to_dict(self.command)

        def cells(v: Any) -> list[float]:
            return values_of(v, start, stop).tolist()

        record = {"file": item.file, "line": item.line, "point": range(start + 1, stop + 1), "input": body["input"]}
        record.update(at={k: cells(v) for k, v in result.at.items()}, wrt=body["wrt"])
        record.update((key, [cells(v) for v in body[key]]) for key in ("value", "jvp", "vjp") if body.get(key))
        if body.get("jacobian") is not None:
            record["jacobian"] = [[cells(e) for e in row] for row in body["jacobian"]]
        row = csv_row(record)
        always = [w.message for w in result.warnings if w.where is None]
        marked = [w for w in result.warnings if w.where is not None]
        row["warnings"] = [
            "; ".join(always + [warning_at(w, i)["message"] for w in marked if w.where[i]]) for i in range(start, stop)
        ]
        row["error"] = [""] * (stop - start)
        failures = result.failures
        failed = [] if failures is None else failures.index[(failures.index >= start) & (failures.index < stop)]
        answers = [row[name] for name in row if 2 <= _group(name) <= 5]
        for i in failed.tolist() if len(failed) else []:
            exc, j = failures.error(i), i - start
            where = f" (column {exc.column})" if exc.column else ""
            row["error"][j], row["warnings"][j] = f"{exc.kind}: {exc.message}{where}", ""
            for column in answers:
                column[j] = None
        return row

    def close(self, summary: Summary) -> None:
        for name in (*LEAD, *TAIL):
            self.columns.setdefault(name, len(self.columns))
        header = sorted(self.columns, key=lambda c: (_group(c), self.columns[c]))
        order, width = [self.columns[c] for c in header], len(self.columns)
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(header)
        self.spool.seek(0)
        for cells in csv.reader(self.spool):
            cells += [""] * (width - len(cells))
            writer.writerow([cells[k] for k in order])
        self.spool.close()
        super().close(summary)


# ---- text and tables ----------------------------------------------------------------------------

POINT_ERRORS = 20  # failed points whose errors a table or plain text lists on stderr


def _how(result: Any) -> str:
    if result.mode is None:
        return "evaluated"
    return f"{result.mode} mode, {result.sweeps} sweep" + ("s" if result.sweeps != 1 else "")


def _heading(outcome: Outcome) -> str | None:
    item = outcome.item
    return None if item.file == ARG else f"{item.file}:{item.line}"


def _origin(outcome: Outcome) -> str:
    """`file:line: `, the prefix of a batch problem's warnings and notes on stderr (none for EXPR)."""
    heading = _heading(outcome)
    return f"{heading}: " if heading else ""


def point_columns(result: Any, digits: int) -> tuple[list[str], Iterator[list[str]]]:
    """Header and rows of a many-point result: the point, the value(s), the Jacobian or JVP/VJP.

    A point that failed shows its error kind in the first answer column and `-` in the others."""
    header, columns = list(result.at), list(result.at.values())
    lead = len(columns)
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
    return header, _point_rows(result, columns, lead, digits)


def _point_rows(result: Any, columns: list[Any], lead: int, digits: int) -> Iterator[list[str]]:
    failures = result.failures
    for start, stop in _chunks(size(result.at)):
        lists = [values_of(c, start, stop).tolist() for c in columns]
        for j, i in enumerate(range(start, stop)):
            if failures is not None and failures.mask[i]:
                cells = [render.number(c[j], digits) for c in lists[:lead]]
                yield cells + [failures.error(i).kind] + ["-"] * (len(lists) - lead - 1)
            else:
                yield [render.number(c[j], digits) for c in lists]


EVERYTHING = "--format jsonl or csv"  # the advice when a table or text shows only some of the points


def point_errors(outcome: Outcome, everything: str = EVERYTHING) -> list[str]:
    """The errors of the points that failed, for stderr: `file:line:col: error[kind]: point 3 of 5: …`."""
    failures = outcome.result.failures
    if failures is None:
        return []
    n, lines = size(outcome.result.at), []
    for i in failures.index[:POINT_ERRORS].tolist():
        exc = failures.error(i)
        file, line, column = Outcome(outcome.item, error=exc).place
        place = "" if outcome.item.file == ARG else ":".join(str(p) for p in (file, line, column) if p) + ": "
        lines.append(f"{place}error[{exc.kind}]: point {i + 1:,} of {n:,}: {exc.message}")
    if len(failures) > POINT_ERRORS:
        more = len(failures) - POINT_ERRORS
        lines.append(f"… {more:,} more points failed: {everything} gives each one's error")
    return lines


class PlainSink(_Sink):
    def emit(self, outcome: Outcome) -> None:
        if outcome.error is not None:
            self.out.flush()
            self.err.write(error_text(outcome) + "\n")
            return
        heading, result = _heading(outcome), outcome.result
        if heading:
            self.out.write(f"# {heading}\n")
        if result.shapes is not None:  # arrays: labelled, summarised
            arrays.show(result, self.command, self.digits, self.out, self.err)
        elif not is_many(result.at):
            render.plain(result, self.digits, self.out, self.err, _origin(outcome))
        else:
            self._points(outcome)
        if heading:
            self.out.write("\n")

    def _points(self, outcome: Outcome) -> None:
        result, origin = outcome.result, _origin(outcome)
        header, rows = point_columns(result, self.digits)
        first = list(itertools.islice(rows, TABLE_ROWS))  # the widths come from the first rows
        widths = [max(len(r[k]) for r in [header, *first]) for k in range(len(header))]
        self.out.write(f"read as: {result.read_as}\nmode:    {_how(result)}\n\n")
        for row in itertools.chain([header], first, rows):
            self.out.write("  ".join(cell.rjust(w) for cell, w in zip(row, widths, strict=True)) + "\n")
        self.out.flush()
        for line in point_errors(outcome, self.everything):
            self.err.write(line + "\n")
        for note in result.notes:
            self.err.write(f"{origin}note: {note}\n")
        for w in result.warnings:
            self.err.write(f"{origin}warning[{w.kind}]: {w.message}\n")


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
        if result.shapes is not None:  # arrays: labelled, summarised
            arrays.show(result, self.command, self.digits, self.console.file, self.err)
        elif not is_many(result.at):
            render.table(result, self.digits, self.console)
        else:
            self._points(outcome)

    def _points(self, outcome: Outcome) -> None:
        from rich.table import Table
        from rich.text import Text

        result = outcome.result
        header, rows = point_columns(result, self.digits)
        n = size(result.at)
        caption = f"{n:,} point{'s' if n != 1 else ''} · {_how(result)}"
        grid = Table(title=Text(result.read_as), caption=caption)
        for h in header:
            grid.add_column(Text(h), justify="right", no_wrap=True)
        for row in itertools.islice(rows, TABLE_ROWS):
            grid.add_row(*(Text(c) for c in row))
        self.console.print(grid)
        if n > TABLE_ROWS:
            self.console.print(Text(f"… {n - TABLE_ROWS:,} more points: {self.everything} lists them all"))
        self.console.file.flush()
        for line in point_errors(outcome, self.everything):
            self.err.write(line + "\n")
        for note in result.notes:
            self.console.print(Text(f"note: {note}", style="cyan"))
        for w in result.warnings:
            self.console.print(Text(f"warning[{w.kind}]: {w.message}", style="yellow"))


SINKS = {"jsonl": JsonlSink, "json": JsonSink, "csv": CsvSink, "plain": PlainSink, "table": TableSink}


def sink(fmt: str, command: str, digits: int, out: IO[str], err: IO[str], everything: str = EVERYTHING) -> _Sink:
    """The sink of a format; `everything` is the advice for seeing every point of a cut-short table."""
    if fmt not in SINKS:
        raise AdcliError("usage_error", f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")
    chosen = SINKS[fmt](command, digits, out, err)
    chosen.everything = everything
    return chosen


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
    if result.shapes is not None and fmt in ("table", "plain"):  # arrays: labelled, summarised
        arrays.show(result, command, digits, out, err)
        return
    if (result.shapes is None and is_many(result.at)) or fmt in ("jsonl", "csv"):
        chosen, outcome, summary = (
            sink(fmt, command, digits, out, err),
            Outcome(Item(result.input, ARG, 1), result),
            Summary(),
        )
        chosen.emit(outcome)
        summary.count(outcome)
        chosen.close(summary)
    elif fmt == "json":
        out.write(render.as_json(result, command) + "\n")
    elif fmt == "table":
        from rich.console import Console

        render.table(result, digits, Console(file=out))
    else:
        render.plain(result, digits, out, err)
