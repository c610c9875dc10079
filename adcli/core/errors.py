"""Error kinds, exit codes and warnings: every failure a user can cause is a value with a place."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

#: kind -> exit code (DESIGN.md, "Error kinds and exit codes").
EXIT_CODES: dict[str, int] = {
    "syntax_error": 2,
    "unknown_function": 2,
    "unbound_variable": 2,
    "arity_error": 2,
    "usage_error": 2,
    "shape_error": 2,  # array shapes that do not fit an operator (issue 12)
    "limit_exceeded": 2,
    "domain_error": 1,
    "nondifferentiable": 1,  # a derivative of order >= 2 at a kink (adcli hess, adcli taylor)
    "nonfinite": 1,
    "internal_error": 3,  # a bug in adcli, caught per problem so that a batch goes on (README)
    "io_error": 74,  # the output or input failed (a full disk, a closed stream): EX_IOERR of sysexits.h
}


#: exit codes that are not an error kind: `check`'s "agrees at the points checked, not proven" (README)
EXIT_AGREES = 4
#: how bad an exit code is, for a batch's worst one: agreeing without proof is better than any failure
_SEVERITY = {0: 0, EXIT_AGREES: 1, 1: 2, 2: 3, 3: 4}


#: control characters shown as their Unicode pictures (␀, ␛, ␡), C1 controls as �: an ESC in the text
#: (`x+\x1b[31m`, a cell of a --points file) went to the terminal as it is in the caret's line
_VISIBLE = {c: 0x2400 + c for c in range(0x20) if c != 0x09} | {0x7F: 0x2421} | dict.fromkeys(range(0x80, 0xA0), 0xFFFD)


def _visible(text: str) -> str:
    """The caret's line as it can be shown: controls as pictures, invisible format characters (a zero-width
    space, a BOM, a bidi override that reordered the line) as �, each one column, so the caret finds them."""
    import unicodedata

    text = text.translate(_VISIBLE)
    if text.isascii():
        return text
    return "".join("\ufffd" if unicodedata.category(ch) in ("Cf", "Cs") else ch for ch in text)  # Cs: undecodable bytes


def _pad(ch: str) -> str:
    """The blank under one character of the caret's line: two for a wide one (CJK), none for a combining mark."""
    import unicodedata

    if ch == "\t":  # tabs line up as tabs
        return "\t"
    if ch.isascii():
        return " "
    if unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me"):
        return ""
    return "  " if unicodedata.east_asian_width(ch) in "WF" else " "


class AdcliError(Exception):
    """A user-caused failure: a kind, a one-line message and, where the text is to blame, a place."""

    def __init__(  # noqa: PLR0913 - keyword-only: the parts of a place
        self,
        kind: str,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        source: str | None = None,
        warnings: list[AdcliWarning] | None = None,
        file: str | None = None,
        first_line: int = 1,
    ) -> None:
        if kind not in EXIT_CODES:
            raise ValueError(f"unknown error kind {kind!r}")
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.line = line
        self.column = column
        self.source = source
        self.warnings = list(warnings or [])
        self.file = file  # a file to blame (--points pts.csv): the place is in it, file:line:column
        self.first_line = first_line  # the line of the file that source's first line is (source: a part)

    def __str__(self) -> str:
        """The message as it is now: layers add to it on the way out (the failing point, `(in f = …)`), and
        the Python API's str(error) must say what the command line says."""
        return self.message

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.kind]

    def caret(self) -> str | None:
        """The offending source line and a caret under the column, or None when there is no place."""
        if self.source is None or self.line is None or self.column is None:
            return None
        lines = self.source.split("\n")
        if not 0 <= self.line - self.first_line < len(lines):
            return None
        text = lines[self.line - self.first_line].rstrip("\r").replace("\r", " ")  # a lone CR would send the caret home
        shown = _visible(text)
        pad = "".join(_pad(ch) for ch in shown[: self.column - 1])
        return f"{shown}\n{pad}^"

    def place(self) -> str:
        """`line:column: ` (nothing without both), or with a file `file:line:column: `, `file:line: `, `file: `."""
        if self.file is None:
            return f"{self.line}:{self.column}: " if self.line is not None and self.column is not None else ""
        parts = [self.file] + ([str(self.line)] if self.line is not None else [])
        parts += [str(self.column)] if self.line is not None and self.column is not None else []
        return ":".join(parts) + ": "

    def to_dict(self) -> dict[str, object]:
        """kind, message, line, column (and file, for an error in a file such as --points' table)."""
        found: dict[str, object] = {"kind": self.kind, "message": self.message}
        found.update(line=self.line, column=self.column)
        return found if self.file is None else {**found, "file": self.file}


class Places(Mapping[Any, tuple[int, int]]):
    """Where each node of a parsed text is first written: node -> (line, column), for errors' carets.

    The parser records a place for every node; a (line, column) tuple and its column cost two objects
    per node, a fifth of a long text's memory. A place is kept packed in one small int instead
    (line << 24 | column: a column is at most the 2,000,000-byte line limit, under 2^24)."""

    __slots__ = ("packed",)
    SHIFT = 24

    def __init__(self) -> None:
        self.packed: dict[Any, int] = {}  # node -> line << SHIFT | column (the parser writes it directly)

    def add(self, node: Any, line: int, column: int) -> None:
        """The node's place, unless it has one already (the first place a shared node is written)."""
        if node not in self.packed:
            self.packed[node] = line << self.SHIFT | column

    def __getitem__(self, node: Any) -> tuple[int, int]:
        packed = self.packed[node]
        return packed >> self.SHIFT, packed & ((1 << self.SHIFT) - 1)

    def __contains__(self, node: object) -> bool:
        return node in self.packed

    def __iter__(self) -> Iterator[Any]:
        return iter(self.packed)

    def __len__(self) -> int:
        return len(self.packed)


@dataclass(frozen=True)
class AdcliWarning:
    """A reported condition that does not stop the answer (exit stays 0)."""

    kind: str  # "nondifferentiable" | "inaccurate" | "note" | "unused_variable"
    message: str
    details: dict[str, object] = field(default_factory=dict)
    #: many points: a boolean array marking the points it applies to (None: all); not in the JSON
    where: Any = field(default=None, compare=False, repr=False)
    #: many points, a kink: i -> the kink's argument values at point i (`x = 0`); not in the JSON
    at_point: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, object]:
        return {"kind": self.kind, "message": self.message, **self.details}


def internal_error(exc: Exception) -> AdcliError:
    """An unexpected exception (a bug in adcli) as an error of one problem, so that the others go on."""
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:300]
    return AdcliError("internal_error", f"adcli failed on this problem ({what}); this is a bug, please report it")


def worst_exit(codes: list[int]) -> int:
    """The exit code of a batch: the worst one seen (3 beats 2 beats 1 beats 4, check's "agrees", beats 0)."""
    return max(codes, default=0, key=lambda code: _SEVERITY.get(code, code))
