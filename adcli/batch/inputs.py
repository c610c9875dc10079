"""Problems from the command line, files and pipes: one problem per line, streamed, each with its place.

Sources, in order: the EXPR argument (one problem, which may span lines; `-`: standard input in its
place), then each `--file F` (`-f -`: standard input in its place), then standard input when EXPR is
absent, no file is given and stdin is not a terminal. A file is read one line at a time (a 1 GB
pipe is never held in memory); blank lines and `#` comments are skipped; Windows line endings and a
UTF-8 byte-order mark are accepted; a lone carriage return ends a line. A line may carry its own
point (`sin(x)*y at x=1, y=2`); several statements go on one line with `;`.

What cannot be read becomes an `Item` with an error, so a batch reports it in its place and goes on:
a missing file, a line with a NUL byte or one that is not UTF-8 (that line only, naming the file and
the byte offset), a line longer than the limit (that line only; when no line end comes within 64 MiB,
as from /dev/zero, the rest of that input is given up). An empty file gives a note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from adcli.core.errors import AdcliError
from adcli.core.primitives import CONSTANTS, FUNCTIONS

MAX_LINE = 2_000_000  # bytes in one line (syntax.MAX_CHARS characters at most)
ARG, STDIN = "<arg>", "<stdin>"
BOM = b"\xef\xbb\xbf"
READ = 1 << 16  # bytes skipped per read over a line that is too long
MAX_SKIP = 64 << 20  # bytes skipped looking for the end of a line that is too long; then the file is given up


@dataclass
class Item:
    """One problem's text and where it came from (file and 1-based line), or why it could not be read."""

    text: str | None
    file: str
    line: int
    error: AdcliError | None = None
    note: str | None = None


def _decode(raw: bytes, name: str, line: int, offset: int) -> Item:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        at = offset + exc.start
        message = f"{name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} at byte offset {at:,} (line {line})"
        return Item(None, name, line, AdcliError("usage_error", message))
    return Item(text.rstrip("\r\n"), name, line)


def _skip_rest(stream: IO[Any], raw: Any) -> int | None:
    """Read past the rest of an over-long line without keeping it: the bytes skipped, or None when no line
    end comes within MAX_SKIP bytes (/dev/zero has none: skipping it never ended)."""
    skipped, newline = 0, "\n" if isinstance(raw, str) else b"\n"
    while raw and not raw.endswith(newline):
        if skipped > MAX_SKIP:
            return None
        raw = stream.readline(READ)
        skipped += len(raw)
    return skipped


def _too_long(name: str, line: int, endless: bool = False) -> Item:
    message = f"line {line} of {name} is longer than {MAX_LINE:,} bytes, the limit for one problem"
    if endless:
        message += f"; no line end follows within {MAX_SKIP // (1 << 20)} MiB: the rest of {name} is skipped"
    return Item(None, name, line, AdcliError("limit_exceeded", message))


def _binary(name: str, line: int, offset: int) -> Item:
    message = f"line {line} of {name} is not text: a NUL byte at byte offset {offset:,}"
    return Item(None, name, line, AdcliError("usage_error", message))


def _split_cr(raw: Any) -> list[Any]:
    """One line's parts: a lone carriage return (old Mac text) ends a line, as Python's universal newlines read it."""
    cr, lf = ("\r", "\n") if isinstance(raw, str) else (b"\r", b"\n")
    body = raw[:-1] if raw.endswith(lf) else raw
    body = body[:-1] if body.endswith(cr) else body  # CRLF: one line end
    return body.split(cr) if cr in body else [body]


def _carry(raw: Any) -> tuple[Any, Any]:
    """A read that hit the limit without a new line: old Mac text (lone CRs) is cut after its last CR and
    the rest goes on with the next read; (raw, rest)."""
    cr = "\r" if isinstance(raw, str) else b"\r"
    cut = raw.rfind(cr)
    return (raw[: cut + 1], raw[cut + 1 :]) if cut >= 0 else (raw, raw[:0])


def lines(stream: IO[bytes] | IO[str], name: str) -> Iterator[Item]:
    """Every line of a stream as an Item, read one line at a time (text streams are accepted too)."""
    offset, number, rest = 0, 0, None
    while True:
        raw: Any = stream.readline(MAX_LINE + 1)
        raw = raw if rest is None else rest + raw
        rest = None
        if not raw:
            return
        text = isinstance(raw, str)  # a text stream (tests, an already-decoded pipe)
        if number == 0 and not text and raw.startswith(BOM):
            raw, offset = raw[len(BOM) :], len(BOM)
        if len(raw) > MAX_LINE and not raw.endswith("\n" if text else b"\n"):
            raw, rest = _carry(raw)
            if not rest and raw[-1:] not in ("\r", b"\r"):  # no line end at all within the limit
                number += 1
                skipped = _skip_rest(stream, raw)
                yield _too_long(name, number, skipped is None)
                if skipped is None:
                    return
                offset += len(raw) + skipped
                continue
        parts = _split_cr(raw)
        for k, part in enumerate(parts, 1):
            nul = -1 if text else part.find(b"\0")
            if nul >= 0:  # this line only: the lines after it are read as usual
                yield _binary(name, number + k, offset + nul)
            else:
                yield Item(part, name, number + k) if text else _decode(part, name, number + k, offset)
            offset += len(part) + 1
        number += len(parts)
        offset += len(raw) - sum(len(p) + 1 for p in parts)


_ASSIGNMENT = re.compile(r"\s*([^\W\d]\w*)\s*=")


def _assigns_only(text: str) -> bool:
    """A line whose last statement is `name = …` has no output yet: the program goes on below.

    Only a line that can be a whole assignment: its brackets closed and its name not a function's or a
    constant's. `a = sin(x` or `log = 1` fails however it goes on, and took the next line's problem into
    its error (a bad line lost another line's result)."""
    code = text.split("#", 1)[0]
    statements = [s for s in code.split(";") if s.strip()]
    found = _ASSIGNMENT.match(statements[-1]) if statements else None
    if found is None or found.group(1) in FUNCTIONS or found.group(1) in CONSTANTS:
        return False
    return all(code.count(a) == code.count(b) for a, b in ("()", "[]", "{}"))


def _joined(pending: list[Item], item: Item | None) -> Item:
    """One problem from its lines (skipped lines kept empty, so an error's line number stays true)."""
    first = pending[0]
    texts = [""] * ((item or pending[-1]).line - first.line + 1)
    for part in [*pending, *([item] if item else [])]:
        texts[part.line - first.line] = part.text or ""
    return Item("\n".join(texts), first.file, first.line)


def problems_in(items: Iterable[Item], name: str) -> Iterator[Item]:
    """Skip blank lines and `#` comments; an input with nothing else in it gives a note instead.

    A problem is one line, or several when lines end in an assignment (`a = x*y` then `sin(a) + a`):
    those lines and the next one that has an output are one program, as in EXPR.
    """
    read = found = False
    pending: list[Item] = []
    for item in items:
        read = True
        if item.text is not None and (not item.text.strip() or item.text.lstrip().startswith("#")):
            continue
        found = True
        if item.text is not None and _assigns_only(item.text):
            pending.append(item)
            continue
        if pending and item.text is not None:
            item = _joined(pending, item)
        elif pending:  # an unreadable line ends the program above it: both are reported
            yield _joined(pending, None)
        pending = []
        yield item
    if pending:
        yield _joined(pending, None)
    if not found:
        said = "has only blank lines and comments" if read else "is empty"
        yield Item(None, name, 0, note=f"{name} {said}: nothing to do")


def read_file(path: str) -> Iterator[Item]:
    """The problems of one file, streamed; a file that cannot be opened is one Item with the error."""
    try:
        f = open(path, "rb")  # noqa: SIM115 - closed when the generator finishes
    except OSError as exc:
        reason = exc.strerror or str(exc)
        yield Item(None, path, 0, AdcliError("usage_error", f"cannot read {path}: {reason}"))
        return
    with f:
        yield from problems_in(lines(f, path), path)


def binary_stdin(stdin: Any) -> IO[bytes] | IO[str]:
    """The bytes under a text stdin (so line offsets are byte offsets), or the stream itself."""
    return getattr(stdin, "buffer", stdin)


def wants_stdin(expr: str | None, files: list[str] | None, stdin: Any) -> bool:
    """EXPR `-`, or no EXPR and no --file with stdin not a terminal."""
    if expr == "-":
        return True
    if expr is not None or files or stdin is None:
        return False
    isatty = getattr(stdin, "isatty", None)
    return not (isatty and isatty())


def problems(expr: str | None, files: list[str] | None, stdin: Any) -> Iterator[Item]:
    """All the problems, in input order: EXPR (stdin for `-`), then each file (stdin for `-f -`), then
    stdin when it is piped in with neither (usage_error: no problems at all, or stdin asked for twice)."""
    files = files or []
    asked = (expr == "-") + files.count("-")
    if asked > 1:
        raise AdcliError("usage_error", "standard input can be read once: give '-' once (as EXPR or as -f -)")
    from_stdin = asked == 1 or wants_stdin(expr, files, stdin)
    if expr is None and not files and not from_stdin:
        raise AdcliError("usage_error", "no expression: give EXPR, --file F, or pipe problems in on stdin")
    return _problems(expr, files, stdin if from_stdin else None)


def _problems(expr: str | None, files: list[str], stdin: Any) -> Iterator[Item]:
    def piped() -> Iterator[Item]:
        return problems_in(lines(binary_stdin(stdin), STDIN), STDIN)

    if expr == "-":
        yield from piped()
    elif expr is not None:
        yield Item(expr, ARG, 1)
    for path in files:
        yield from piped() if path == "-" else read_file(path)
    if stdin is not None and expr != "-" and "-" not in files:
        yield from piped()
