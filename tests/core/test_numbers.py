"""Numbers are ASCII digits everywhere (issue 10): the text, --at, --points cells, numeric options, the REPL.

Python's float() and int() read ٣ (ARABIC-INDIC DIGIT THREE) as 3 and １ (FULLWIDTH DIGIT ONE) as 1, so
`--at x=٣` was x = 3 and `١+x` was 1 + x, while --points cells refused them. Each reader now refuses a
digit of another script in words, naming it and the ASCII digit to write (syntax_error in the text,
usage_error in an option). The reference is unicodedata itself, and the ASCII spelling of each number.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner  # noqa: TID251 - the tests drive the Typer app itself

from adcli import api
from adcli.cli.app import app
from adcli.core import numbers
from adcli.core.errors import AdcliError
from tests.conftest import Run

FOREIGN = ["٣", "１", "३", "৩", "߃"]  # Arabic-Indic, fullwidth, Devanagari, Bengali, NKo


def _said(message: str, ch: str) -> bool:
    return repr(ch) in message and unicodedata.name(ch) in message and f"write {unicodedata.decimal(ch)}" in message


@pytest.mark.parametrize("ch", FOREIGN)
def test_an_expression_with_a_foreign_digit_is_a_syntax_error_at_its_place(ch: str) -> None:
    with pytest.raises(AdcliError) as caught:
        api.gradient(f"x + 2{ch}", x=1.0)
    assert caught.value.kind == "syntax_error" and _said(caught.value.message, ch)
    assert (caught.value.line, caught.value.column) == (1, 6)


@pytest.mark.parametrize("ch", FOREIGN)
def test_a_point_with_a_foreign_digit_is_a_usage_error(ch: str) -> None:
    with pytest.raises(AdcliError) as caught:
        api.prepare("x", f"x={ch}")
    assert caught.value.kind == "usage_error" and _said(caught.value.message, ch)


@given(st.text(alphabet=st.characters(categories=["Nd"]), min_size=1, max_size=4))
def test_a_number_reads_only_when_every_digit_is_ascii(text: str) -> None:
    """Property: read_float accepts a run of decimal digits exactly when they are 0-9, and then as float() does."""
    if all("0" <= ch <= "9" for ch in text):
        assert numbers.read_float(text) == float(text)
    else:
        with pytest.raises(ValueError, match="is not an ASCII digit"):
            numbers.read_float(text)


def test_superscripts_are_powers_not_foreign_digits() -> None:
    assert api.gradient("x²", x=3.0).gradient == [6.0]  # ² is not a decimal digit (Unicode No, not Nd)


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "x", "--at", "x=٣"],
        ["grad", "x", "--at", "x=１"],
        ["grad", "x", "--at", "x=1", "--precision", "٣"],
        ["grad", "x", "--at", "x=1", "--mode", "numeric", "--step", "٠.1"],
        ["diff", "x", "--order", "٢"],
        ["compare", "x", "--at", "x=1", "--rtol", "١e-3"],
        ["check", "1", "--of", "x", "--samples", "١٢"],
        ["jac", "x", "--at", "x=1", "--cot", "١"],
    ],
    ids=lambda a: " ".join(a[-2:]),
)
def test_an_option_with_a_foreign_digit_is_a_usage_error(adcli: Run, args: list[str]) -> None:
    code, out, err = adcli(*args)
    assert code == 2 and "usage_error" in err and "is not an ASCII digit" in err and "write " in err


def test_the_expression_on_the_command_line_is_a_syntax_error(adcli: Run) -> None:
    code, out, err = adcli("grad", "١+x", "--at", "x=1")
    assert code == 2 and "syntax_error" in err and "ARABIC-INDIC DIGIT ONE" in err and "write 1" in err


def test_a_points_cell_says_the_same(adcli: Run, tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_text("x\n1\n٣\n", encoding="utf-8")
    code, out, err = adcli("grad", "x", "--points", str(path))
    assert code == 2 and "row 2" in err and "ARABIC-INDIC DIGIT THREE" in err and "write 3" in err


def test_the_repl_reads_numbers_as_the_command_line_does() -> None:
    script = ":format json\n:at x=٣\n:precision ٣\n١+x\n"
    result = CliRunner().invoke(app, ["repl"], input=script)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    errors = [json.loads(line)["error"] for line in result.stdout.splitlines() if line.startswith('{"error"')]
    assert [e["kind"] for e in errors] == ["usage_error", "usage_error", "syntax_error"]  # :at, :precision, 1+x
    assert all("is not an ASCII digit" in e["message"] for e in errors)
