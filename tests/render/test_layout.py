"""Issue 16's layout rule, for every command at 40, 50, 80 and 120 columns: a number is never cut (`4.…`)
nor split over two lines (`-3.059738` / `68`), no line is wider than the terminal, headers are not split
inside a word, and captions break between their parts.

The reference for "every number whole" is the same command's plain output (no layout at all): each
number it prints must appear as a whole token in the table.
"""

from __future__ import annotations

import re

import pytest
from conftest import Run
from rich.cells import cell_len
from rich.console import Console

from adcli.render.layout import ATOM, NUMBER, TEXT, Columns, caption_lines, fold, show_table, terms

WIDTHS = (40, 50, 80, 120)
NUMBER_TOKEN = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[+-]?\d+)?(?![\w.])")

COMMANDS = {
    "grad-points": (
        "grad",
        "x^2*y*z*w",
        "--at",
        "x=0.123456789:0.5:2",
        "--at",
        "y=1.123456789:2:2",
        "--at",
        "z=3.3333333,w=4.4444444",
    ),
    "grad": ("grad", "sin(x)*y*z*w*exp(x)", "--at", "x=1.123456789,y=2.123456789,z=3.12345678,w=4.12345678"),
    "jac": ("jac", "x*y, x+y, sin(x)", "--at", "x=1,y=2"),
    "eval-points": ("eval", "x^2 + y", "--at", "x=0.123456789:0.5:3", "--at", "y=1.123456789:2:2"),
    "diff": ("diff", "x^2*y^3 + sin(x*y)", "--order", "2", "--at", "x=1,y=2"),
    "diff-points": ("diff", "x^2, sin(x)", "--at", "x=0:1:3"),
    "hess": ("hess", "(1-x)^2 + 100*(y-x^2)^2", "--at", "x=1.1,y=1.3"),
    "taylor": ("taylor", "exp(sin(x))", "--at", "x=0.5", "--order", "3"),
    "compare": ("compare", "x*y*exp(x), sin(x)", "--at", "x=1.123456789,y=2", "--modes", "forward,reverse,symbolic"),
    "trace": ("trace", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5"),
    "functions": ("functions",),
    "arrays-grad": ("grad", "sum(x*x*y)", "--at", "x=[1.123456789,2.123456789,3.123456789,4.123456789],y=2.5"),
    "arrays-jac": ("jac", "A@x", "--at", "A=[[1.123456789,2.123456789],[3.123456789,4.123456789]],x=[1.5,2.5]"),
    "eval": ("eval", "x^2 + 1, sqrt(x)", "--at", "x=4.123456789"),
    "graph": ("graph", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5"),
    "check": ("check", "2*x*cos(x^2)", "--of", "sin(x^2)"),
    "student-function": ("grad", "f(x) = x^2 + 1; g(x, y) = f(x)*y; g(sin(t), t)", "--at", "t=1.123456789"),
}


def _numbers(text: str) -> set[str]:
    lines = [line for line in text.splitlines() if " ms" not in line and "sweep" not in line]  # times vary
    return {t for line in lines for t in NUMBER_TOKEN.findall(line) if len(t.lstrip("-")) >= 4}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_number_is_whole_at_every_width(
    adcli: Run, monkeypatch: pytest.MonkeyPatch, name: str, width: int
) -> None:
    args = COMMANDS[name]
    code, plain, _ = adcli(*args, "--format", "plain")
    assert code == 0
    monkeypatch.setenv("COLUMNS", str(width))
    code, table, err = adcli(*args, "--format", "table")
    assert code == 0, err
    lines = table.splitlines()
    assert all(cell_len(line) <= width for line in lines), [line for line in lines if cell_len(line) > width]
    assert not [line for line in lines if re.search(r"[\d.]…|…\d", line)]  # no number cut (`4.…`)
    missing = _numbers(plain) - set(NUMBER_TOKEN.findall(table))
    assert not missing, f"numbers split or lost at {width} columns: {sorted(missing)[:5]}"


def _render(width: int, columns: Columns, rows: list[list[str]], **kw: object) -> list[str]:
    console = Console(width=width, record=True, color_system=None)
    with console.capture() as captured:
        show_table(console, columns, rows, **kw)  # type: ignore[arg-type]
    return captured.get().splitlines()


def test_numeric_columns_are_right_aligned_and_headers_wrap_between_words() -> None:
    lines = _render(30, Columns(["name", "a long header", "v"], [ATOM, NUMBER, NUMBER]), [["x", "1", "12.5"]])
    assert max(cell_len(line) for line in lines) <= 30
    assert any(line.startswith("│ x    │") and line.split("│")[2].endswith("1 ") for line in lines)  # right-aligned
    assert any("header" in line for line in lines) and not any(
        "heade" in line and "header" not in line for line in lines
    )


def test_too_narrow_becomes_blocks_of_whole_pieces() -> None:
    columns = Columns.numbers(["x", "value", "d/dx"], lead=1)
    lines = _render(
        22, columns, [["0.123456789", "-3.05973868", "1234.56789"]], caption=["1 point", "forward mode, 1 sweep"]
    )
    assert lines[0] == "x = 0.123456789"
    assert "value -3.05973868" in "\n".join(lines) and "d/dx 1234.56789" in "\n".join(lines)
    assert lines[-2:] == ["1 point", "forward mode, 1 sweep"]  # the caption breaks between its parts


def test_fold_caption_and_terms_break_only_between_pieces() -> None:
    assert fold(["aaa", "bbb", "ccc"], 8) == ["  aaa", "    bbb", "    ccc"]
    assert caption_lines(["1,001 points", "forward mode, 1 sweep"], 30) == ["1,001 points", "forward mode, 1 sweep"]
    assert caption_lines(["at x = 1.5, y = 2.25, z = 3"], 15) == ["at x = 1.5,", "y = 2.25, z = 3"]
    assert terms("1 + 2*(x - 0.5) - 3*(x - 0.5)^2") == ["1", "+ 2*(x - 0.5)", "- 3*(x - 0.5)^2"]
    assert TEXT == "text"


def test_one_more_point_is_singular(adcli: Run) -> None:
    """21 failing points: 20 errors listed, then `… 1 more point failed` (it said `1 more points`)."""
    code, _, err = adcli("eval", "log(x)", "--at", "x=-20:1:22", "--format", "plain")
    assert code == 1 and "… 1 more point failed:" in err
