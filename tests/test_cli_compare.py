"""`adcli compare` and `adcli check` from the command line: exit codes 0/1/2 and the JSON schema."""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Callable
from typing import Any

import pytest

from adcli.cli import main

Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def adcli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Run:
    def run(*args: str) -> tuple[int, str, str]:
        monkeypatch.setattr(sys, "argv", ["adcli", *args])
        monkeypatch.setattr(sys, "stdin", io.StringIO(""))
        code: Any = 0
        try:
            main()
        except SystemExit as exc:
            code = exc.code or 0
        out, err = capsys.readouterr()
        return int(code), out, err

    return run


def test_compare_agreeing_exits_0_with_json_schema(adcli: Run) -> None:
    code, out, _ = adcli("compare", "x*y, sin(x)", "--at", "x=1,y=2", "--modes", "forward,reverse", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["agree"] is True
    assert set(data["modes"]) == {"forward", "reverse"}
    assert data["modes"]["forward"]["jacobian"] == [[2.0, 1.0], [pytest.approx(0.5403023058681398, rel=1e-15), 0.0]]
    assert data["modes"]["forward"]["sweeps"] == 2 and data["modes"]["reverse"]["sweeps"] == 2
    assert "seconds" in data["modes"]["reverse"]


def test_compare_plain_and_table(adcli: Run) -> None:
    code, out, _ = adcli("compare", "x^2", "--at", "x=3", "--modes", "forward,reverse")
    assert code == 0 and "agree: every mode is within rtol 1e-06, atol 1e-09 of reverse" in out
    code, out, _ = adcli("compare", "x^2", "--at", "x=3", "--modes", "reverse", "--format", "table")
    assert code == 0 and "cost" in out


def test_compare_disagreeing_exits_1(adcli: Run) -> None:
    pytest.importorskip("adcli.modes.numeric")
    code, out, _ = adcli("compare", "sign(x)", "--at", "x=0", "--modes", "reverse,numeric")
    assert code == 1 and "DISAGREE" in out and "<- disagrees" in out and "kink: sign(x) at x = 0" in out


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--with", "tensorflow"], "adcli knows torch, jax"),
        (["--modes", "forward,magic"], "unknown mode 'magic'"),
        (["--rtol", "-1"], "--rtol and --atol"),
    ],
)
def test_compare_bad_options_exit_2(adcli: Run, args: list[str], words: str) -> None:
    code, _, err = adcli("compare", "x", "--at", "x=1", *args)
    assert code == 2 and words in err


def test_check_exit_codes(adcli: Run) -> None:
    code, out, _ = adcli("check", "2*x*cos(x^2)", "--of", "sin(x^2)")
    assert code == 0 and out.startswith("correct")
    code, out, _ = adcli("check", "2*x*sin(x^2)", "--of", "sin(x^2)")
    assert code == 1 and out.startswith("wrong") and "the answer gives" in out
    code, out, _ = adcli("check", "2*x*sin(x^2)", "--of", "sin(x^2)", "--format", "json")
    assert code == 1 and json.loads(out)["counterexample"]["wrt"] == "x"
    code, _, err = adcli("check", "2*x +", "--of", "x^2")
    assert code == 2 and "in the answer" in err and "2*x +\n     ^" in err
