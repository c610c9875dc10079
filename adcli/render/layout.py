"""One layout rule for every table adcli prints on a terminal (issue 16).

A number is an atom: never cut (`4.…`) and never split over two lines (`-3.059738` / `68`). Numeric
columns are right-aligned and as wide as their widest number; a header wraps between words, never
inside one; a column of text (an expression, a rule) may fold. When the numbers do not fit the
terminal side by side, the table becomes blocks — a row's labels, then `header number` pieces folded
between pieces, never inside one — the fall-back README.md promises. Captions fold between their
` · `-separated parts. Plain text, JSON and CSV are not laid out (they are for programs and pipes).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

LABEL_MIN = 8  # characters a column of text keeps when a table is squeezed (its text folds)


def fold(pieces: Iterable[str], width: int, indent: str = "  ", gap: str = "  ") -> list[str]:
    """Pieces on lines of at most `width`, broken between pieces, never inside one (a number stays whole).
    Lines after the first are indented by `indent` twice; the first by `indent`."""
    lines, line = [], ""
    for piece in (p for p in pieces if p):
        if line and len(line) + len(gap) + len(piece) > width:
            lines.append(line)
            line = indent * 2 + piece
        else:
            line = f"{line}{gap}{piece}" if line else indent + piece
    return [*lines, line] if line else lines


NUMBER, ATOM, TEXT = "number", "atom", "text"  # right-aligned whole; left-aligned whole; left, may fold


@dataclass
class Columns:
    """A table's header and each column's kind; `lead`: the first columns name the row (a point's
    variables), the heading of its block."""

    header: list[str]
    kinds: list[str]
    lead: int = 0

    @classmethod
    def numbers(cls, header: Sequence[str], lead: int = 0) -> Columns:
        return cls(list(header), [NUMBER] * len(header), lead)


def cell_width(cell: str) -> int:
    """A cell's width: its longest line (an atom cell may hold several atoms, one a line)."""
    return max(len(line) for line in cell.split("\n"))


def _longest_word(text: str) -> int:
    return max((len(w) for w in text.split()), default=0)


def _least(name: str, kind: str, cells: list[int]) -> int:
    """A column's narrowest width: every number (and atom) whole, no header word split, text folding."""
    if kind == TEXT:
        return max(min(LABEL_MIN, max(cells, default=0)), _longest_word(name))
    return max([*cells, _longest_word(name)])


def min_width(columns: Columns, rows: Sequence[Sequence[str]]) -> int:
    """The narrowest the table can be (borders and a padding of 1 around each cell included)."""
    widths = [
        _least(h, kind, [cell_width(r[k]) for r in rows])
        for k, (h, kind) in enumerate(zip(columns.header, columns.kinds, strict=True))
    ]
    return sum(widths) + 3 * len(widths) + 1


def caption_lines(parts: Sequence[str], width: int, gap: str = " · ") -> list[str]:
    """A caption's `gap`-separated parts on lines of at most `width`, broken between parts; a part wider
    than the terminal (a long point) is broken after its commas, never inside a value."""
    lines: list[str] = []
    for part in fold(parts, width, indent="", gap=gap):
        if len(part) <= width:
            lines.append(part)
        else:
            lines += fold([p + "," for p in part.split(", ")[:-1]] + part.split(", ")[-1:], width, "", " ")
    return lines


def print_caption(console: Any, parts: Sequence[str]) -> None:
    from rich.text import Text

    for line in caption_lines(parts, console.width):
        console.print(Text(line, style="dim italic", no_wrap=True, overflow="ignore"))


def show_table(
    console: Any, columns: Columns, rows: Sequence[Sequence[str]], title: str | None = None, caption: Sequence[str] = ()
) -> None:
    """Rows as a Rich table when the numbers fit side by side, else as blocks (see above); then the caption."""
    rows = [list(r) for r in rows]
    if min_width(columns, rows) <= console.width:
        _grid(console, columns, rows, title)
    else:
        _blocks(console, columns, rows, title)
    print_caption(console, caption)


def _grid(console: Any, columns: Columns, rows: list[list[str]], title: str | None) -> None:
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(title, overflow="fold") if title else None)
    for k, (name, kind) in enumerate(zip(columns.header, columns.kinds, strict=True)):
        least = _least(name, kind, [cell_width(r[k]) for r in rows])
        side = "right" if kind == NUMBER else "left"
        head = Text(name, justify=side)  # type: ignore[arg-type]
        # the header wraps between its words; a number (or an atom) is a cell that never wraps
        grid.add_column(head, justify=side, overflow="fold", min_width=least)  # type: ignore[arg-type]
    for row in rows:
        grid.add_row(*(Text(c, no_wrap=kind != TEXT) for c, kind in zip(row, columns.kinds, strict=True)))
    console.print(grid)


def _blocks(console: Any, columns: Columns, rows: list[list[str]], title: str | None) -> None:
    """A block per row: its heading (the lead columns `x = 1, y = 2`, else its text and atom cells), bold and
    folding between pieces, then `header number` pieces, indented, folded between pieces."""
    from rich.text import Text

    header, kinds, lead = columns.header, columns.kinds, columns.lead
    if title and not (len(rows) == 1 and rows[0][0] == title):  # one row named as the title: said once
        console.print(Text(title, overflow="fold"))
    for row in rows:
        named = [k for k in range(len(row)) if k < lead or kinds[k] != NUMBER]
        heading = [f"{header[k]} = {row[k]}" if lead else row[k] for k in named]
        for line in fold(heading, console.width, indent="", gap=", " if lead else "  "):
            console.print(Text(line, style="bold", overflow="fold"))
        pieces = [f"{header[k]} {row[k]}" for k in range(len(row)) if k >= lead and kinds[k] == NUMBER]
        for line in fold(pieces, console.width):
            console.print(Text(line, no_wrap=True, overflow="ignore"))


def terms(text: str) -> list[str]:
    """`a + b*(x - 1) - c` -> [`a`, `+ b*(x - 1)`, `- c`]: split before each + or - outside brackets."""
    found, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if depth == 0 and ch in "+-" and text[i - 1 : i] == " " and text[i + 1 : i + 2] == " " and i > start:
            found.append(text[start : i - 1])
            start = i
    return [*found, text[start:]]


def print_folded(console: Any, label: str, text: str, style: str = "") -> None:
    """`label text` with the text broken between its terms (a number or a bracket never split), later lines
    indented under the text."""
    from rich.text import Text

    pad = " " * min(len(label) + 1, 12)
    lines = fold(terms(text), console.width - len(pad), indent="", gap=" ")
    for k, line in enumerate(lines):
        console.print(Text(f"{label} {line}" if k == 0 else pad + line, style=style, overflow="fold"))
