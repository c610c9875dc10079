"""A table of points (--points file.csv): a header row of variable names, then a row per point.

Every bad table is an error with a place in the file (file:line:column and a caret under the bad
cell, as an expression's errors have), so that a user finds the cell among thousands of rows. The
csv reader gives cells but not where they were: each record's raw lines are kept beside it and the
cells found again in them (`_starts`), with the csv dialect's own quoting.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from adcli.core import numbers
from adcli.core.errors import AdcliError
from adcli.core.primitives import CONSTANTS, FUNCTIONS
from adcli.language.parser import NAME, Binding


class _Record:
    """The file's lines as the csv reader pulls them, each at most MAX_LINE characters (a longer one is an
    error: the csv reader's own reading took a line whole, and --points /dev/zero grew to 4.6 GB in 10 s);
    `take` gives the raw text of the record just read and the number of its first line."""

    def __init__(self, f: Any, path: str) -> None:
        self.f, self.path, self.number, self.pending = f, path, 0, []

    def __iter__(self) -> Iterator[str]:
        from adcli.batch.inputs import MAX_LINE

        while line := self.f.readline(MAX_LINE + 1):
            self.number += 1
            if len(line) > MAX_LINE:
                message = f"line {self.number} is longer than {MAX_LINE:,} characters, the limit for a row of points"
                raise AdcliError("limit_exceeded", message, line=self.number, file=self.path)
            self.pending.append(line)
            yield line

    def take(self) -> tuple[int, str]:
        first, raw = self.number - len(self.pending) + 1, "".join(self.pending)
        self.pending = []
        return first, raw


class _Row:
    """One record of the table: its cells, and where each starts in the file (for the caret)."""

    def __init__(self, cells: list[str], first: int, raw: str) -> None:
        self.cells, self.first, self.raw = cells, first, raw

    def error(self, message: str, path: str, cell: int | None = None) -> AdcliError:
        """An error at cell `cell` (0-based; past the last one: the end of the record), placed in the file."""
        starts = _starts(self.raw)
        end = len(self.raw.rstrip("\r\n"))
        offset = starts[cell] if cell is not None and cell < len(starts) else end
        while offset < end and self.raw[offset] in " \t":  # the caret under the cell's text, not its indent
            offset += 1
        before = self.raw[:offset]
        line = self.first + before.count("\n")
        text = self.raw.split("\n")[before.count("\n")].rstrip("\r\n")
        column = offset - (before.rfind("\n") + 1) + 1
        return AdcliError("usage_error", message, line=line, column=column, source=text, first_line=line, file=path)


def _starts(raw: str) -> list[int]:
    """Where each cell of a raw record starts (offsets), read as csv's default dialect reads it: cells
    split at commas outside double quotes, a quote opening a cell quoting it, "" inside one a quote."""
    starts, quoted, at_start, i = [0], False, True, 0
    while i < len(raw):
        ch = raw[i]
        if quoted:
            if ch == '"' and raw[i + 1 : i + 2] == '"':
                i += 1
            elif ch == '"':
                quoted = False
        elif ch == '"' and at_start:
            quoted = True
        elif ch == ",":
            starts.append(i + 1)
            at_start = True
            i += 1
            continue
        at_start = False
        i += 1
    return starts


def _header(row: _Row, path: str) -> list[str]:
    names = [cell.strip() for cell in row.cells]
    for k, name in enumerate(names):
        if not NAME.fullmatch(name):
            other = any(sep in name for sep in ("\t", ";", "{", " ", "|"))  # TSV, a ;-separated CSV, JSON lines
            hint = ": --points reads comma-separated values, a header row x,y then rows 1,2" if other else ""
            if not hint and name.isidentifier():  # `é`, `ｘ`: a column no expression could name
                hint = " (names are written with A-Z, a-z, 0-9, _ and Greek letters)"
            raise row.error(f"header column {k + 1} ({name!r}) is not a variable name{hint}", path, k)
        if name in CONSTANTS or name in FUNCTIONS:
            what = "a constant" if name in CONSTANTS else "a function name"
            raise row.error(f"header column {k + 1} ({name}) is {what}, not a variable", path, k)
    seen: set[str] = set()  # a set: `n in names[:k]` was quadratic, 8 s for a header of 20,000 names
    twice = next((k for k, n in enumerate(names) if n in seen or seen.add(n)), None)
    if twice is not None:
        raise row.error(f"the header names {names[twice]} twice", path, twice)
    return names


def _cell(row: _Row, k: int, path: str, number: int, name: str) -> float:
    """A cell's number, as the expression language writes numbers (no 1_000, no non-ASCII digits)."""
    text = row.cells[k]
    try:
        return numbers.read_finite(text)
    except ValueError as exc:
        reason = "an empty cell is not a number" if not text.strip() else str(exc)
        raise row.error(f"row {number}, column {name}: {reason}", path, k) from None


def _cells(n: int) -> str:
    return f"{n} cell" + ("" if n == 1 else "s")


def _check_width(row: _Row, names: list[str], path: str, number: int) -> None:
    given, wanted = len(row.cells), len(names)
    said = f"row {number} has {_cells(given)} for {wanted} column{'' if wanted == 1 else 's'}"
    if given < wanted:
        raise row.error(f"{said}: no value for column {', '.join(names[given:])}", path, given)
    if given > wanted:
        raise row.error(f"{said}: column {wanted + 1} has no name in the header", path, wanted)


def _skipped(cells: list[str]) -> bool:
    """A blank line, or a comment (# in the first cell)."""
    return not cells or (len(cells) == 1 and not cells[0].strip()) or cells[0].lstrip().startswith("#")


def _rows(reader: Any, record: _Record) -> Iterator[_Row]:
    for cells in reader:
        first, raw = record.take()
        if not _skipped(cells):
            yield _Row(cells, first, raw)


def read_table(path: str) -> list[Binding]:
    """The columns of a CSV file with a header row of variable names, as zipped bindings."""
    import csv  # only --points needs it: one-expression start-up stays lean
    from array import array  # 8 bytes a value, where a list of floats takes 32

    try:
        f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise AdcliError("usage_error", f"cannot read the points file: {exc.strerror or exc}", file=path) from None
    with f:
        record = _Record(f, path)
        reader = csv.reader(record, strict=True)  # not strict, `"1"2` was the number 12 and a lone `"` no row
        rows = _rows(reader, record)
        try:
            header = next(rows, None)
            if header is None:
                raise AdcliError("usage_error", "no header row (a row of variable names, e.g. x,y)", file=path)
            names = _header(header, path)
            columns = [array("d") for _ in names]
            number = 0
            for number, row in enumerate(rows, 1):  # noqa: B007 - the count is read below
                _check_width(row, names, path, number)
                for k, (column, name) in enumerate(zip(columns, names, strict=True)):
                    column.append(_cell(row, k, path, number, name))
        except UnicodeDecodeError as exc:  # decoded a block at a time: no line to name
            raise AdcliError("usage_error", f"not UTF-8 text ({exc.reason})", file=path) from None
        except csv.Error as exc:
            raise AdcliError("usage_error", str(exc), line=reader.line_num, file=path) from None
    if number == 0:
        raise AdcliError("usage_error", "the header has no rows of points under it", line=header.first, file=path)
    pairs = zip(names, columns, strict=True)
    return [Binding(name, np.asarray(col, dtype=float), "rows", table=path) for name, col in pairs]
