"""Batch output: one record per problem and point, as JSON Lines, a JSON array, CSV, plain text or tables.

The records and their schemas are adcli.render.records; the sinks here write them: jsonl and json a
record at a time (a point set a chunk at a time), csv under a header that is the union of the batch's
columns (CsvSink says how it gets there without rewriting every row), plain text and tables.

Errors of table/plain output go to stderr as `file:line:column: error[kind]: message` with a caret.
Only the render and cli packages import rich (the layers contract), and only when a table or progress bar is drawn.
"""

from __future__ import annotations

import csv
import io
import itertools
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from adcli.batch.inputs import ARG, Item
from adcli.batch.points import column as values_of
from adcli.batch.points import is_many, size
from adcli.batch.run import Outcome, Summary
from adcli.core.errors import AdcliError
from adcli.render import arrays, binary, columns
from adcli.render import results as render
from adcli.render.progress import ProgressBar, Ticker
from adcli.render.records import (
    ARRAYS_IN_CSV,
    LEAD,
    TAIL,
    chunks,
    csv_chunk,
    csv_row,
    error_record,
    group,
    point_error_record,
    point_lines,
    records,
)

__all__ = ["ProgressBar", "csv_row", "error_record", "point_error_record", "records"]  # used through this module

FORMATS = ("table", "plain", "json", "jsonl", "csv", "npz", "parquet")
TABLE_ROWS = 1000  # rows of a points table drawn on a terminal; csv and jsonl have them all


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
        self.points_bar: Callable[[int], Any] | None = None  # a terminal's bar for long point sets (the cli's)
        self.stopping: Callable[[], bool] = lambda: False  # Ctrl-C: stop a point set between chunks (batch.run's)
        self.cut: int | None = None  # the points written of a point set so stopped

    def note(self, item: Item) -> None:
        self.notes += 1
        self.err.write(f"note: {item.note}\n")

    def close(self, summary: Summary) -> None:
        if summary.total > 1 or summary.failed or (self.notes and summary.total):
            self.err.write(summary.text() + "\n")
        self.out.flush()

    def _point_chunks(self, outcome: Outcome) -> Iterator[tuple[int, int]]:
        """A point set's chunks, with a progress bar on a terminal when they take over a second."""
        n = size(outcome.result.at)
        tick = Ticker(n, self.points_bar)
        try:
            for start, stop in chunks(n):
                yield start, stop
                tick(stop)
                if stop < n and self.stopping():  # Ctrl-C: the rows written are whole, the rest is left out
                    self.cut = stop
                    return
        finally:
            tick.close()


def is_point_set(outcome: Outcome) -> bool:
    return outcome.error is None and outcome.result.shapes is None and is_many(outcome.result.at)


class JsonlSink(_Sink):
    def emit(self, outcome: Outcome) -> None:
        write = self.out.write
        if is_point_set(outcome):  # a column at a time, a chunk per write
            for start, stop in self._point_chunks(outcome):
                write("\n".join(point_lines(outcome, self.command, start, stop)) + "\n")
            return
        for record in records(outcome, self.command):
            write(render.dumps(record) + "\n")


class JsonSink(_Sink):
    """One JSON array of the jsonl records, streamed."""

    started = False

    def emit(self, outcome: Outcome) -> None:
        if is_point_set(outcome):
            for start, stop in self._point_chunks(outcome):
                lines = point_lines(outcome, self.command, start, stop)
                self.out.write(("[\n" if not self.started else ",\n") + ",\n".join(lines))
                self.started = True
            return
        for record in records(outcome, self.command):
            self.out.write(("[\n" if not self.started else ",\n") + render.dumps(record))
            self.started = True

    def close(self, summary: Summary) -> None:
        self.out.write("\n]\n" if self.started else "[]\n")
        super().close(summary)


Piece = tuple[tuple[str, ...], str]  # csv rows as text, and their columns in the order they are written


class CsvSink(_Sink):
    """The header is the union of the batch's columns in their documented order, known at the end.

    So the last problem is held until the next one comes or the batch ends, and the problems before
    it are spooled to a temporary file as text, in blocks of rows with the same columns. At the end: the
    header, each block copied as it is when its columns are the header's (laid out again otherwise: a
    batch that mixes variables), then the last problem straight to the output. One problem, a point
    set of a million points too, is never spooled; its rows are made a column at a time (csv_chunk)."""

    def __init__(self, command: str, digits: int, out: IO[str], err: IO[str]) -> None:
        super().__init__(command, digits, out, err)
        self.columns: dict[str, int] = {}
        self.held: Outcome | None = None
        self.spool: IO[str] | None = None
        self.blocks: list[list[Any]] = []  # [columns, characters] of the spooled text, in order

    def emit(self, outcome: Outcome) -> Outcome:
        """Hold the outcome; an array result, which has no flat row, becomes that problem's usage_error
        (returned, so that the batch's exit code counts it: it was written as an error cell with exit 0)."""
        if outcome.error is None and outcome.result.shapes is not None:
            outcome = Outcome(outcome.item, error=AdcliError("usage_error", ARRAYS_IN_CSV))
        if self.held is not None:
            self._spool(self.held)
        self.held = outcome
        return outcome

    def _pieces(self, outcome: Outcome) -> Iterator[Piece]:
        """The outcome's rows, a chunk of a point set or a record at a time, in their own column order."""
        if is_point_set(outcome):
            for start, stop in self._point_chunks(outcome):
                row = csv_chunk(outcome, self.command, start, stop)
                yield self._seen(row), columns.joined(list(row.values()), stop - start)
            return
        for record in records(outcome, self.command):
            row = csv_row(record)
            yield self._seen(row), columns.joined([columns.csv_cell(v) for v in row.values()], 1)

    def _seen(self, row: dict[str, Any]) -> tuple[str, ...]:
        for name in row:
            self.columns.setdefault(name, len(self.columns))
        return tuple(row)

    def _spool(self, outcome: Outcome) -> None:
        try:
            if self.spool is None:
                self.spool = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 - closed in close()
            for names, text in self._pieces(outcome):
                self.spool.write(text)
                if self.blocks and self.blocks[-1][0] == names:
                    self.blocks[-1][1] += len(text)
                else:
                    self.blocks.append([names, len(text)])
        except OSError as exc:  # the temporary folder is full: say so, not "cannot write the output"
            where = f"the temporary file of the csv rows ({tempfile.gettempdir()})"
            raise OSError(exc.errno, exc.strerror, where) from exc

    def close(self, summary: Summary) -> None:
        held = self._pieces(self.held) if self.held is not None else iter(())
        first = next(held, None)  # its columns count for the header
        for name in (*LEAD, *TAIL):
            self.columns.setdefault(name, len(self.columns))
        header = tuple(sorted(self.columns, key=lambda c: (group(c), self.columns[c])))
        self.out.write(columns.joined([columns.csv_cell(h) for h in header], 1))
        if self.spool is not None:
            self.spool.seek(0)
            for names, count in self.blocks:
                self._copy(names, count, header)
            self.spool.close()
        for names, text in itertools.chain([first] if first else [], held):
            self.out.write(text if names == header else _laid_out(text, names, header))
        super().close(summary)

    def _copy(self, names: tuple[str, ...], count: int, header: tuple[str, ...]) -> None:
        assert self.spool is not None
        while count > 0:
            text = self.spool.read(min(count, 1 << 20) if names == header else count)
            count -= len(text)
            self.out.write(text if names == header else _laid_out(text, names, header))


def _laid_out(text: str, names: tuple[str, ...], header: tuple[str, ...]) -> str:
    """csv rows of some of the header's columns, as rows of all of them (a cell they lack is empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    for cells in csv.reader(io.StringIO(text, newline="")):
        row = dict(zip(names, cells, strict=False))
        writer.writerow([row.get(h, "") for h in header])
    return out.getvalue()


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
    for start, stop in chunks(size(result.at)):
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
        lines.append(f"… {more:,} more point{'s' if more != 1 else ''} failed: {everything} gives each one's error")
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
            arrays.show(result, self.command, self.digits, self.console.file, self.err, width=self.console.width)
        elif not is_many(result.at):
            render.table(result, self.digits, self.console)
        else:
            self._points(outcome)

    def _points(self, outcome: Outcome) -> None:
        from rich.text import Text

        from adcli.render.layout import Columns, show_table

        result = outcome.result
        header, rows = point_columns(result, self.digits)
        n = size(result.at)
        caption = [f"{n:,} point{'s' if n != 1 else ''}", _how(result)]
        shown = list(itertools.islice(rows, TABLE_ROWS))
        show_table(self.console, Columns.numbers(header, len(result.at)), shown, result.read_as, caption)
        if n > TABLE_ROWS:
            more = n - TABLE_ROWS
            said = f"… {more:,} more point{'s' if more != 1 else ''}: {self.everything} lists them all"
            self.console.print(Text(said))
        self.console.file.flush()
        for line in point_errors(outcome, self.everything):
            self.err.write(line + "\n")
        for note in result.notes:
            self.console.print(Text(f"note: {note}", style="cyan"))
        for w in result.warnings:
            self.console.print(Text(f"warning[{w.kind}]: {w.message}", style="yellow"))


class BinarySink(_Sink):
    """npz (or parquet): the batch's numbers as named columns, written at the end (adcli.render.binary);
    errors, failed points and warnings on stderr as plain text puts them. With `path` (--save) it writes
    that file and says nothing: the sink it goes beside (Tee) speaks."""

    def __init__(self, command: str, digits: int, out: IO[str], err: IO[str], fmt: str = "npz") -> None:
        super().__init__(command, digits, out, err)
        self.fmt, self.path, self.collected = fmt, None, binary.Collected()
        self.arrays: list[Outcome] = []  # array results: alone in the output, their own arrays (as --save)

    def emit(self, outcome: Outcome) -> None:
        quiet = self.path is not None
        if outcome.error is not None:
            if not quiet:
                self.err.write(error_text(outcome) + "\n")
            return
        result, origin = outcome.result, _origin(outcome)
        if result.shapes is not None:
            self.arrays.append(outcome)
            if len(self.arrays) > 1 and not quiet:
                said = "an array result is not columns of numbers: give it alone, or use json"
                self.err.write(f"{origin}note: {said}\n")
            return
        self.collected.add(*binary.point_columns(outcome, self.command))
        if not quiet:
            lines = point_errors(outcome, self.everything) + [f"{origin}note: {n}" for n in result.notes]
            lines += [f"{origin}warning[{w.kind}]: {w.message}" for w in result.warnings]
            self.err.write("".join(line + "\n" for line in lines))

    def close(self, summary: Summary) -> None:
        alone = len(self.arrays) == 1 and not self.collected.blocks and self.path is None
        named = arrays.named(self.arrays[0].result) if alone else self.collected.arrays()
        binary.writer(self.fmt, self.out, self.path)(named)
        if self.path is None:
            super().close(summary)


class Tee:
    """Two sinks fed the same outcomes: the output format's, and --save's file (a BinarySink with a path)."""

    def __init__(self, first: _Sink, second: BinarySink) -> None:
        self.first, self.second = first, second

    def emit(self, outcome: Outcome) -> None:
        self.first.emit(outcome)
        self.second.emit(outcome)

    def note(self, item: Item) -> None:
        self.first.note(item)

    def close(self, summary: Summary) -> None:
        self.first.close(summary)  # the output is whole before the file is written (or fails: io_error)
        self.second.close(summary)


SINKS = {"jsonl": JsonlSink, "json": JsonSink, "csv": CsvSink, "plain": PlainSink, "table": TableSink}


def sink(  # noqa: PLR0913 - the output, and where a file goes
    fmt: str,
    command: str,
    digits: int,
    out: IO[str],
    err: IO[str],
    everything: str = EVERYTHING,
    save: str | None = None,
) -> Any:
    """The sink of a format; `everything` is the advice for seeing every point of a cut-short table;
    `save` a file (.npz, .parquet) that gets the numbers as well."""
    if fmt in binary.BINARY:
        binary.check(fmt, out)
        chosen: Any = BinarySink(command, digits, out, err, fmt)
    elif fmt in SINKS:
        chosen = SINKS[fmt](command, digits, out, err)
    else:
        raise AdcliError("usage_error", f"unknown format {fmt!r}: choose {', '.join(FORMATS)}")
    chosen.everything = everything
    if save is None:
        return chosen
    saved = BinarySink(command, digits, out, err, binary.saved_format(save))
    saved.path = save
    return Tee(chosen, saved)


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
