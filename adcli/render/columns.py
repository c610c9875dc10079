"""Point sets as columns: the text of a chunk of rows made a column at a time (issue 15).

A point set's answers are numpy arrays; writing them a row at a time (a csv `writerow` or a
`json.dumps` per point) cost 30–80× the computation. Here each column is turned into its cells at
once (`float.__repr__` over the column's list: the shortest round-trip digits, as `csv` and `json`
write them) and the rows are joined by one `str.join` over `zip` of the columns per chunk, so no
Python function runs per row. A cell that is the same in every row (the file, the input, an empty
error) is made once and repeated.

The writers in adcli.render.batch decide what the columns are; this module only turns cells into
text, byte for byte as `csv.writer` (QUOTE_MINIMAL, `\\n` line ends) and `render.dumps` would.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

Cells = str | list[str]  # one text for every row, or one text per row


def floats(values: Any) -> list[str]:
    """Numbers as `repr` writes them (shortest round-trip digits; `inf`, `nan`), one per entry."""
    listed = values.tolist() if isinstance(values, np.ndarray) else values
    try:
        return list(map(float.__repr__, listed))
    except TypeError:  # ints or None among them: the general rule, cell by cell
        return [csv_cell(v) for v in listed]


def json_floats(values: Any) -> list[str]:
    """Numbers as JSON: repr's digits, and null for a number that is not finite (RFC 8259 has no NaN)."""
    texts = floats(values)
    array = np.asarray(values, dtype=float)
    if not np.all(np.isfinite(array)):
        for i in np.flatnonzero(~np.isfinite(array)).tolist():
            texts[i] = "null"
    return texts


_QUOTED: dict[str, str] = {}


def _quoted(text: str) -> str:
    """A text cell as csv.writer writes it (quoted when it holds a comma, a quote or a line end)."""
    found = _QUOTED.get(text)
    if found is None:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow([text, ""])  # two cells: "" alone would be quoted
        found = buffer.getvalue()[:-2]
        if len(_QUOTED) < 4096:
            _QUOTED[text] = found
    return found


def csv_cell(v: Any) -> str:
    """One cell as csv.writer writes it: None empty, numbers by repr/str, text quoted when it must be."""
    if v is None or v == "":
        return ""
    if isinstance(v, float):
        return float.__repr__(v)
    if isinstance(v, str):
        return _quoted(v)
    return str(v)


def csv_cells(v: Any) -> Cells:
    """A column of a chunk as cells: a list or range is one cell per row, anything else repeats."""
    if isinstance(v, range):
        return list(map(str, v))
    if isinstance(v, list):
        return floats(v)
    return csv_cell(v)


def joined(columns: Sequence[Cells], m: int, sep: str = ",", end: str = "\n") -> str:
    """m rows: the columns' cells joined by sep, each row ended by end (one join per chunk, no call per row)."""
    return "".join(rows(columns, m, sep, end))


def rows(columns: Sequence[Cells], m: int, sep: str = ",", end: str = "") -> list[str]:
    """The m rows' texts, each ended by end: neighbouring texts that repeat (a separator, a constant cell)
    are merged into one, so that each row joins as few pieces as there are columns that vary."""
    if not m:
        return []
    tokens: list[Any] = []  # str: the same in every row; list: one per row
    for i, cells in enumerate(columns):
        for token in ([sep] if i and sep else []) + [cells]:
            if isinstance(token, str) and tokens and isinstance(tokens[-1], str):
                tokens[-1] += token
            else:
                tokens.append(token)
    if all(isinstance(t, str) for t in tokens):
        return ["".join(tokens) + end] * m
    if end:
        if isinstance(tokens[-1], str):
            tokens[-1] += end
        else:
            tokens.append(end)
    parts = [itertools.repeat(t) if isinstance(t, str) else t for t in tokens]
    return list(map("".join, zip(*parts, strict=False)))


_SLOT = re.compile(r'"\\u0001(\d+)\\u0001"')


def slot(k: int) -> str:
    """A placeholder for column k in a JSON template (see template_rows)."""
    return f"\x01{k}\x01"


def template_rows(text: str, columns: Sequence[list[str]], m: int, placed: int) -> list[str] | None:
    """m JSON records from one record's text whose numbers are placeholders (slot(k), written by JSON as
    a string with escaped control characters): each placeholder becomes column k's cell of the row.
    None unless the text holds exactly the `placed` placeholders put there (a file name could hold one)."""
    pieces = _SLOT.split(text)
    found = [int(k) for k in pieces[1::2]]
    if len(found) != placed or text.count("\\u0001") != 2 * placed or any(k >= len(columns) for k in found):
        return None
    tokens: list[Cells] = []
    for k, piece in enumerate(pieces):
        tokens.append(columns[int(piece)] if k % 2 else piece)
    return rows(tokens, m, sep="")
