"""Problems from arguments, files and pipes: line numbers, skipping, bad bytes, limits, streaming."""

from __future__ import annotations

import io
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adcli.batch import inputs
from adcli.batch.inputs import ARG, STDIN, Item, lines, problems, problems_in, read_file
from adcli.core.errors import AdcliError


class Tty(io.BytesIO):
    def isatty(self) -> bool:
        return True


class Pipe(io.BytesIO):
    def isatty(self) -> bool:
        return False


class Generated:
    """A binary stream whose lines come from a generator, counting how many were handed out."""

    def __init__(self, source: Iterator[bytes]) -> None:
        self.source, self.handed = source, 0

    def readline(self, limit: int = -1) -> bytes:
        line = next(self.source, b"")
        self.handed += bool(line)
        return line

    def isatty(self) -> bool:
        return False


def texts(items: list[Item]) -> list[tuple[str | None, int]]:
    return [(i.text, i.line) for i in items]


def write(tmp_path: Path, name: str, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_blank_lines_and_comments_are_skipped_and_lines_keep_their_numbers(tmp_path: Path) -> None:
    path = write(tmp_path, "p.txt", b"sin(x)\n\n# a comment\n   \n  # indented comment\nx^2 at x=3  # trailing\n")
    assert texts(list(read_file(path))) == [("sin(x)", 1), ("x^2 at x=3  # trailing", 6)]


def test_windows_line_endings_and_a_byte_order_mark(tmp_path: Path) -> None:
    path = write(tmp_path, "p.txt", b"\xef\xbb\xbfsin(x)\r\n\r\nx*y\r\n")
    assert texts(list(read_file(path))) == [("sin(x)", 1), ("x*y", 3)]


def test_a_lone_carriage_return_ends_a_line(tmp_path: Path) -> None:
    """Old Mac text: `x+1\rx^2` is two problems, never the product x + 1*x^2."""
    path = write(tmp_path, "mac.txt", b"x+1\rx^2\r\nsin(x)\r\r\ny")
    assert texts(list(read_file(path))) == [("x+1", 1), ("x^2", 2), ("sin(x)", 3), ("y", 5)]
    assert texts(list(lines(io.StringIO("a\rb\n"), "s"))) == [("a", 1), ("b", 2)]


def test_old_mac_text_longer_than_the_line_limit_is_read_line_by_line(tmp_path: Path) -> None:
    """readline() ends lines at LF only: a 2.4 MB file of CR-ended lines is one read over the limit,
    cut after its last CR and carried on, never refused as one long line."""
    path = write(tmp_path, "mac.txt", b"x+1\r" * 600_000 + b"y")
    got = list(read_file(path))
    assert len(got) == 600_001 and all(i.error is None for i in got)
    assert texts(got[:2]) == [("x+1", 1), ("x+1", 2)] and texts(got[-1:]) == [("y", 600_001)]
    stream = io.StringIO("a\r" * 1_200_000)  # a text stream, the same way
    assert sum(1 for _ in lines(stream, "s")) == 1_200_000


def test_byte_offsets_after_a_lone_carriage_return(tmp_path: Path) -> None:
    path = write(tmp_path, "mac.txt", b"x\rcaf\xe9\ny\n")
    got = list(read_file(path))
    assert [i.text for i in got] == ["x", None, "y"]
    assert "byte offset 5 (line 2)" in got[1].error.message  # x \r c a f: the bad byte is the sixth


def test_last_line_without_newline(tmp_path: Path) -> None:
    path = write(tmp_path, "p.txt", b"a\nb")
    assert texts(list(read_file(path))) == [("a", 1), ("b", 2)]


def test_non_utf8_line_names_the_file_and_byte_offset_and_the_rest_goes_on(tmp_path: Path) -> None:
    path = write(tmp_path, "latin.txt", b"x^2\ncaf\xe9\nx+1\n")
    got = list(read_file(path))
    assert [i.text for i in got] == ["x^2", None, "x+1"]
    bad = got[1]
    assert bad.line == 2 and bad.error is not None and bad.error.kind == "usage_error"
    assert "latin.txt" in bad.error.message and "byte offset 7" in bad.error.message
    assert bad.error.exit_code == 2


def test_a_nul_byte_loses_only_its_own_line(tmp_path: Path) -> None:
    """Issue 11: one NUL on line 501 of 1,001 lost lines 502-1,001, and the error said line null."""
    lines = [b"x^2"] * 1001
    lines[500] = b"x\x00+1"
    path = write(tmp_path, "data.txt", b"\n".join(lines) + b"\n")
    got = list(read_file(path))
    assert len(got) == 1001 and [i.line for i in got] == list(range(1, 1002))
    bad = got[500]
    assert bad.text is None and bad.error is not None and bad.error.kind == "usage_error"
    assert "line 501 of" in bad.error.message and f"byte offset {500 * 4 + 1:,}" in bad.error.message
    assert all(i.text == "x^2" for k, i in enumerate(got) if k != 500)


def test_binary_file_is_an_error_per_line_with_the_offset(tmp_path: Path) -> None:
    path = write(tmp_path, "data.bin", b"x\n\x7fELF\x02\x01\x00\x00junk\nmore\n")
    got = list(read_file(path))
    assert [i.text for i in got] == ["x", None, "more"]
    assert "data.bin" in got[1].error.message and "byte offset 8" in got[1].error.message  # type: ignore[union-attr]


def test_an_endless_line_is_given_up_after_the_skip_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """-f /dev/zero never ended: a line with no end in MAX_SKIP bytes gives up the rest of the input."""
    monkeypatch.setattr(inputs, "MAX_SKIP", 1 << 20)

    class Zeros(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            b[:] = bytes(len(b))
            return len(b)

    got = list(inputs.lines(io.BufferedReader(Zeros()), "zeros"))
    assert len(got) == 1 and got[0].error is not None and got[0].error.kind == "limit_exceeded"
    assert "the rest of zeros is skipped" in got[0].error.message


def test_missing_file_is_an_error_item() -> None:
    (item,) = list(read_file("/no/such/file.txt"))
    assert item.error is not None and item.error.kind == "usage_error"
    assert "/no/such/file.txt" in item.error.message


@pytest.mark.parametrize(("data", "said"), [(b"", "is empty"), (b"\n# nothing\n\n", "only blank lines and comments")])
def test_empty_file_gives_a_note(tmp_path: Path, data: bytes, said: str) -> None:
    path = write(tmp_path, "e.txt", data)
    (item,) = list(read_file(path))
    assert item.error is None and item.text is None and said in (item.note or "")


def test_a_ten_megabyte_line_is_limit_exceeded_for_that_line_only(tmp_path: Path) -> None:
    big = b"x+" * 5_000_000 + b"x\n"
    path = write(tmp_path, "big.txt", b"x^2\n" + big + b"x^3\n")
    got = list(read_file(path))
    assert [(i.text, i.line) for i in got] == [("x^2", 1), (None, 2), ("x^3", 3)]
    assert got[1].error is not None and got[1].error.kind == "limit_exceeded"


def test_an_over_long_line_in_a_text_stream(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(inputs, "MAX_LINE", 10)
    got = list(lines(io.StringIO("short\n" + "y" * 50 + "\nend\n"), "t"))
    assert [(i.text, i.line) for i in got] == [("short", 1), (None, 2), ("end", 3)]
    assert got[1].error.kind == "limit_exceeded"  # type: ignore[union-attr]


def test_the_reader_yields_before_the_input_ends() -> None:
    """Streaming: the first problem comes out after one line is read, not after the whole input."""
    stream = Generated(f"x+{i}\n".encode() for i in range(1_000_000))
    reader = problems_in(lines(stream, STDIN), STDIN)
    first = next(reader)
    assert first.text == "x+0" and stream.handed == 1
    assert next(reader).text == "x+1" and stream.handed == 2


def test_streaming_many_lines_keeps_memory_flat() -> None:
    def source(n: int) -> Iterator[bytes]:
        for i in range(n):
            yield f"sin(x)*{i} + y\n".encode()

    peaks = []
    for n in (20_000, 200_000):
        tracemalloc.start()
        count = sum(1 for _ in problems_in(lines(Generated(source(n)), STDIN), STDIN))
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert count == n
    assert peaks[1] < 2 * peaks[0] + 100_000  # ten times the lines, not ten times the memory


def test_sources_come_in_order_argument_files_stdin(tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", b"a1\na2\n")
    b = write(tmp_path, "b.txt", b"b1\n")
    got = list(problems("arg", [a, b], None))
    assert [(i.text, i.file) for i in got] == [("arg", ARG), ("a1", a), ("a2", a), ("b1", b)]
    got = list(problems("-", [a], Pipe(b"s1\n")))  # EXPR `-`: stdin in the argument's place, first
    assert [(i.text, i.file) for i in got] == [("s1", STDIN), ("a1", a), ("a2", a)]


def test_dash_as_a_file_is_stdin_in_its_place(tmp_path: Path) -> None:
    a = write(tmp_path, "a.txt", b"a1\n")
    got = list(problems(None, [a, "-"], Pipe(b"s1\n")))
    assert [(i.text, i.file) for i in got] == [("a1", a), ("s1", STDIN)]
    got = list(problems(None, ["-", a], Tty(b"s1\n")))  # asked for by name: even a terminal is read
    assert [(i.text, i.file) for i in got] == [("s1", STDIN), ("a1", a)]
    with pytest.raises(AdcliError) as info:
        problems("-", ["-"], Pipe(b"s1\n"))
    assert info.value.kind == "usage_error" and "once" in info.value.message


def test_stdin_is_read_when_expr_is_absent_and_stdin_is_not_a_terminal() -> None:
    assert [i.text for i in problems(None, None, Pipe(b"x\ny\n"))] == ["x", "y"]
    assert [i.text for i in problems("-", None, Tty(b"x\n"))] == ["x"]  # `-` reads even a terminal
    assert [i.text for i in problems("z", None, Pipe(b"x\n"))] == ["z"]  # an argument: stdin untouched
    with pytest.raises(AdcliError) as info:
        problems(None, None, Tty(b""))
    assert info.value.kind == "usage_error" and "--file" in info.value.message


def test_text_stdin_uses_its_bytes() -> None:
    wrapper = io.TextIOWrapper(Pipe("π*x\r\n".encode()), encoding="utf-8")
    assert [i.text for i in problems(None, None, wrapper)] == ["π*x"]


def _texts(raw: str) -> list[tuple[int, str | None]]:
    items = problems_in(lines(io.BytesIO(raw.encode()), STDIN), STDIN)
    return [(item.line, item.text) for item in items]


def test_lines_that_end_in_an_assignment_continue_into_the_next() -> None:
    """`a = x*y` then `sin(a) + a` is one program (issue 2: newlines separate statements)."""
    raw = "a = x*y\nsin(a) + a\nx^2\nb = x\n# note\nc = b; c^2\n"
    assert _texts(raw) == [(1, "a = x*y\nsin(a) + a"), (3, "x^2"), (4, "b = x\n\nc = b; c^2")]


def test_a_trailing_assignment_is_its_own_problem_and_fails_alone() -> None:
    assert _texts("x^2\nd = 1\n") == [(1, "x^2"), (2, "d = 1")]


def test_an_assignment_that_cannot_be_whole_does_not_take_the_next_line() -> None:
    """`a = sin(x` (a bracket open) or `log = 1` (a function's name) fails however it goes on: joined to the
    next line, that line's problem was lost in its error (a bad line lost another's result)."""
    raw = "log=(\nx\na = sin(x\ncos(x)\nexp = 2\nx^2\nc = x # (\nc*2\n"
    assert _texts(raw) == [
        (1, "log=("),
        (2, "x"),
        (3, "a = sin(x"),
        (4, "cos(x)"),
        (5, "exp = 2"),
        (6, "x^2"),
        (7, "c = x # (\nc*2"),
    ]
