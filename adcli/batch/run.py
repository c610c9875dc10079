"""Many problems in one run: each line succeeds or fails on its own, in input order, worst exit wins.

`run` takes the problems as they stream in (adcli.batch.inputs), computes each one, and hands every
outcome to a sink (adcli.render.batch) at once, so output keeps pace with input and memory stays
flat. The exit code is the worst one seen (DESIGN.md); the sink prints the summary.
"""

from __future__ import annotations

import contextlib
import gc
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from adcli.batch.inputs import ARG, Item
from adcli.core.errors import EXIT_AGREES, AdcliError, internal_error, worst_exit
from adcli.core.graph import sweep_soon
from adcli.language.parser import Binding

PROGRESS_AFTER = 1.0  # seconds before a progress bar appears (terminals only)
PROGRESS_EVERY = 0.1  # seconds between its updates

#: compute(text, given, defaults): a Result. `given` overrides the text's own `at`, `defaults` fill in.
Compute = Callable[[str, Sequence[Binding], Sequence[Binding]], Any]


@dataclass
class Outcome:
    """One problem's result or error, with where it came from."""

    item: Item
    result: Any = None
    error: AdcliError | None = None

    @property
    def place(self) -> tuple[str, int | None, int | None]:
        """(file, line, column) of the error in the input: the problem's line plus the error's."""
        exc, item = self.error, self.item
        if exc is None or exc.line is None or not item.line:
            return item.file, item.line or None, None
        return item.file, item.line + exc.line - 1, exc.column


class Sink(Protocol):
    """Where outcomes go: a renderer for one output format."""

    def emit(self, outcome: Outcome) -> Outcome | None:
        """Write the outcome; return another one where the format turned it into an error (csv of arrays)."""
        ...

    def note(self, item: Item) -> None: ...

    def close(self, summary: Summary) -> None: ...


class Progress(Protocol):
    def update(self, done: int, failed: int, lines: int = 0) -> None: ...

    def close(self) -> None: ...


@dataclass
class Summary:
    ok: int = 0
    failed: int = 0
    exit_code: int = 0
    points_failed: int = 0  # points of point sets that failed (their problems count as failed)

    @property
    def total(self) -> int:
        return self.ok + self.failed

    def count(self, outcome: Outcome, exit_code: int = 0) -> None:
        """Add one outcome; a problem with failed points, or whose answer says no (exit_code), failed."""
        failures = getattr(outcome.result, "failures", None) if outcome.error is None else None
        if outcome.error is not None:
            exit_code = worst_exit([exit_code, outcome.error.exit_code])
        elif failures is not None and len(failures):
            self.points_failed += len(failures)
            exit_code = worst_exit([exit_code, failures.exit_code])
        if exit_code not in (0, EXIT_AGREES):  # check's "agrees, not proven" is an answer, not a failure
            self.failed += 1
        else:
            self.ok += 1
        self.exit_code = worst_exit([self.exit_code, exit_code])

    def text(self) -> str:
        points = f" ({self.points_failed:,} failed point{'s' if self.points_failed != 1 else ''})"
        return f"{self.ok:,} ok, {self.failed:,} failed" + (points if self.points_failed else "")


def solve(item: Item, compute: Compute, point: Sequence[Binding]) -> Outcome:
    """One problem: the argument's --at overrides its own `at` (as for one expression); a line's own wins."""
    if item.error is not None:
        return Outcome(item, error=item.error)
    try:
        if item.file == ARG:
            return Outcome(item, compute(item.text or "", point, ()))
        return Outcome(item, compute(item.text or "", (), point))
    except AdcliError as exc:
        return Outcome(item, error=exc)
    except MemoryError:
        return Outcome(item, error=AdcliError("limit_exceeded", "this problem ran out of memory"))
    except Exception as exc:  # noqa: BLE001 - a bug in adcli must not lose the other lines of a batch
        return Outcome(item, error=internal_error(exc))


def _emit(sink: Sink, outcome: Outcome) -> Outcome:
    """sink.emit, with a failure to render (a bug) reported as that problem's error; output errors stop."""
    try:
        written = sink.emit(outcome)
    except OSError:  # a closed pipe or a full disk: nothing more can be written
        raise
    except Exception as exc:  # noqa: BLE001 - a bug in adcli must not lose the other lines of a batch
        outcome = Outcome(outcome.item, error=internal_error(exc))
        sink.emit(outcome)
        return outcome
    return outcome if written is None else written


class Interrupts:
    """Ctrl-C in a batch: the record being written is finished first, and the caller closes its output.

    Within `writing` a SIGINT is held until the record is whole; elsewhere it is a KeyboardInterrupt
    at once (a long problem stops). The batch then writes what it has (csv's spooled rows, json's closing
    bracket: Ctrl-C left 0 bytes of csv and an unterminated json array) and the command exits 130.
    Only the main thread's default handler is replaced (the Python API and tests keep theirs)."""

    def __init__(self) -> None:
        self.writing = self.pending = False
        self.previous: Any = None

    def __enter__(self) -> Interrupts:
        main = threading.current_thread() is threading.main_thread()
        if main and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            self.previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handler(self, signum: int, frame: Any) -> None:
        if self.writing:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def written(self) -> None:
        """A record is whole: a Ctrl-C held meanwhile stops the batch now."""
        self.writing = False
        if self.pending:
            raise KeyboardInterrupt


def interrupted(summary: Summary, cut: int | None = None) -> NoReturn:
    """Say how far an interrupted batch got, then stop with exit 130 (as a shell reports SIGINT).
    `cut`: a point set was stopped after that many points (whole rows), as the sink said."""
    import sys

    said = f"interrupted: {summary.total:,} problems done, their output is complete"
    if cut is not None:
        said += f"; the last one's point set was cut after {cut:,} points (whole records)"
    sys.stderr.write(said + "\n")
    raise KeyboardInterrupt


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while one problem is computed and written.

    A problem makes no reference cycles, but many objects (a 1,000-term sum: ~50,000 nodes, tuples and
    floats), and each pass of the collector walks the objects made since the last one, or all objects:
    in the Rosenbrock benchmark beside PyTorch, passes were ~15% of the run, mostly a full one right after
    the parse. Paused, the problem's objects are freed by reference counting when it is written (the parser
    keeps none of them), so a later pass walks none of them; cycles made meanwhile wait for that pass."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def run(
    items: Iterable[Item],
    compute: Compute,
    sink: Sink,
    point: Sequence[Binding] = (),
    progress: Callable[[], Progress] | None = None,
) -> Summary:
    """Compute every problem in order and emit each outcome at once; the summary holds the worst exit.

    Ctrl-C stops after the record being written; the output is closed as after the last problem."""
    summary = Summary()
    started = last = time.monotonic()
    bar: Progress | None = None
    stopped = False
    lines = LinesRead()
    with Interrupts() as interrupts:
        if hasattr(sink, "stopping"):  # a long point set stops between chunks (whole records)
            sink.stopping = lambda: interrupts.pending
        try:
            for item in items:
                lines.count(item)
                if item.note is not None:
                    sink.note(item)
                    continue
                with _collector_paused():
                    outcome = solve(item, compute, point)
                    interrupts.writing = True
                    summary.count(_emit(sink, outcome))
                    interrupts.written()
                    del outcome  # freed before the collector runs again: it is never traversed
                    sweep_soon()  # and so are the graph's entries in the node table, when it was big
                if progress is not None:
                    now = time.monotonic()
                    if now - last >= PROGRESS_EVERY and now - started >= PROGRESS_AFTER:
                        bar = bar or progress()
                        bar.update(summary.total, summary.failed, lines.total)
                        last = now
        except KeyboardInterrupt:
            stopped = True
        finally:
            if bar is not None:
                bar.close()
        interrupts.writing = True  # closing writes the output (csv: all of it): never cut short
        sink.close(summary)
    if stopped or interrupts.pending:  # Ctrl-C while the output was closed (csv writes its rows then)
        interrupted(summary, getattr(sink, "cut", None))
    return summary


class LinesRead:
    """How many input lines the batch has read, over all its files (a progress display's count)."""

    def __init__(self) -> None:
        self.file: str | None = None
        self.before = self.line = 0

    def count(self, item: Item) -> None:
        if item.file != self.file:
            self.file, self.before, self.line = item.file, self.before + self.line, 0
        self.line = max(self.line, item.line or 0)

    @property
    def total(self) -> int:
        return self.before + self.line


def point_bindings(
    at: Sequence[str] | None,
    points: Sequence[str] | str | None,
    seed: int | None = None,
    drawn: list[bool] | None = None,
) -> list[Binding]:
    """The command line's point, parsed once for the whole batch: each --points table's columns, then --at.

    Several tables are axes of their own (crossed, or paired with --zip); a variable may be a column of
    one table only. An --at value for a column of a table replaces that column in its place (the
    Jacobian's columns keep the table's order). Arrays from files and generators (`W=@w.npy`,
    `randn(64,32)`, drawn once with `seed`: every line sees the same W) are read as for one expression;
    `drawn` gets True appended when randn was used."""
    from adcli.batch.table import read_table
    from adcli.batch.values import point_bindings as parse_at

    paths = [points] if isinstance(points, str) else list(points or [])
    table: list[Binding] = []
    named: dict[str, Binding] = {}  # a dict: a scan of the columns so far per column was 54 s for 20,000 of them
    for path in paths:
        for b in read_table(path):
            clash = named.setdefault(b.name, b)
            if clash is not b:
                message = f"{b.name} is a column of both {clash.table} and {path}: give each variable one table"
                raise AdcliError("usage_error", message)
            table.append(b)
    given = []
    for text in at or []:
        found, random = parse_at(text, seed)
        given += found
        if random and drawn is not None:
            drawn.append(True)
    last = {b.name: b for b in given}
    in_table = {b.name for b in table}
    return [_replaced(b, last.get(b.name)) for b in table] + [b for b in given if b.name not in in_table]


def _replaced(column: Binding, value: Binding | None) -> Binding:
    """A table's column, or the --at value given for it: one number fills the column (the table keeps
    its rows, even when every column is given), a span or a list is an axis of its own."""
    if value is None:
        return column
    if value.kind != "value":
        return value
    import numpy as np

    filled = np.full(len(column.values), value.values[0], dtype=float)
    return Binding(column.name, filled, "rows", value.line, value.column, table=column.table)
