"""Bad inputs a prober found still broken (issues 12 and 15): each one line, a kind, a place, its exit code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import Run


def _nested(depth: int, inner: str) -> str:
    return "[" * depth + inner + "]" * depth


def test_a_literal_of_33_axes_is_limit_exceeded_at_its_bracket(adcli: Run) -> None:
    """numpy stops at 64 axes: 65 nested brackets were an internal_error (IndexError from np.stack)."""
    text = "sum(" + _nested(70, "x") + ")"
    code, out, err = adcli("grad", text, "--at", "x=1")
    assert code == 2
    assert "error[limit_exceeded]" in err and "33 axes; the limit is 32" in err
    assert "internal_error" not in out + err
    assert err.splitlines()[-1].index("^") == len("sum(") + 70 - 33  # the 33rd bracket from inside


def test_a_point_of_70_axes_is_limit_exceeded(adcli: Run) -> None:
    code, out, err = adcli("grad", "sum(x)", "--at", "x=" + _nested(70, "1"), "--format", "json")
    assert code == 2
    assert json.loads(out)["error"]["kind"] == "limit_exceeded"


def test_32_axes_still_work(adcli: Run) -> None:
    code, out, _ = adcli("grad", "sum(x*x)", "--at", "x=" + _nested(32, "1, 2"), "--format", "json")
    assert code == 0
    assert json.loads(out)["gradient"]["x"] == _nested_list(31, [2.0, 4.0])


def _nested_list(depth: int, inner: list) -> list:
    for _ in range(depth):
        inner = [inner]
    return inner


def test_an_npz_archive_named_npy_is_refused(adcli: Run, tmp_path: Path) -> None:
    """np.load gives an NpzFile for an archive whatever the name: it had no .dtype (an internal_error)."""
    np.savez(tmp_path / "a.npz", a=np.arange(3.0))
    (tmp_path / "a.npz").rename(tmp_path / "a.npy")
    code, out, err = adcli("grad", "sum(x)", "--at", f"x=@{tmp_path / 'a.npy'}")
    assert code == 2
    assert "error[usage_error]" in err and "an .npz archive, not one array" in err
    assert "internal_error" not in out + err


def test_a_npy_header_numpy_cannot_tokenize_is_refused(adcli: Run, tmp_path: Path) -> None:
    """A header cut inside its dict: numpy's tokenize raised TokenError, not ValueError (an internal_error)."""
    header = b"{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }\n"
    (tmp_path / "h.npy").write_bytes(b"\x93NUMPY\x01\x00" + (32).to_bytes(2, "little") + header)  # 32: mid-dict
    code, out, err = adcli("grad", "sum(x)", "--at", f"x=@{tmp_path / 'h.npy'}")
    assert code == 2
    assert "error[usage_error]" in err and "not a .npy file numpy can read" in err
    assert "internal_error" not in out + err


@pytest.mark.parametrize("at", ["x=1", "x=0:1:3"])
def test_an_empty_save_name_is_a_usage_error(adcli: Run, at: str) -> None:
    """`--save ""` (an unset shell variable) wrote nothing and exited 0 for one problem."""
    code, _, err = adcli("grad", "x^2", "--at", at, "--save", "")
    assert code == 2
    assert "error[usage_error]" in err and "'--save': give a file name" in err


def _caret_column(err: str) -> int:
    """The 1-based column of the caret line's ^ (the last line of a one-problem error)."""
    return err.rstrip("\n").splitlines()[-1].index("^") + 1


@pytest.mark.parametrize(
    ("at", "column", "said"),
    [
        ("y=randn(2),x=[1,2", 18, "'[' not closed"),  # the piece's own caret, moved to its place in the text
        ("y=randn(2),x=1,x=2", 16, "x is given two values"),  # had no caret at all
        ("y=1, x=@missing.npy", 6, "x=@missing.npy: no such file"),  # a file: the caret at its name
        ("y=1, x=zeros(-1)", 6, "give one or two sizes"),  # a generator: the same
        ("y=randn(2),x=0:1:0", 12, "the count (the third number)"),  # a span's count, checked where it is read
        ("x=0:1:2.5", 1, "the count (the third number)"),
    ],
)
def test_an_at_error_has_its_place_in_the_whole_at_text(adcli: Run, at: str, column: int, said: str) -> None:
    """--at pieces beside a generator or a file were parsed alone: the caret was under the piece, not the
    text; files, generators, names given twice and span counts had no place at all."""
    code, _, err = adcli("grad", "x*y", "--at", at)
    assert code == 2
    assert said in err
    assert f"1:{column}: error[usage_error]" in err
    assert err.rstrip("\n").splitlines()[-2] == at
    assert _caret_column(err) == column


def test_a_bad_assignment_line_loses_no_other_line(adcli: Run) -> None:
    code, out, _ = adcli("grad", "-", "--at", "x=0", "--format", "jsonl", stdin="a = sin(x\ncos(x)\nlog = 1\nx^2\n")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert [r["line"] for r in records] == [1, 2, 3, 4]
    assert [r["gradient"] for r in records if "error" not in r] == [[-0.0], [0.0]]  # -sin(0), 2*0


def test_dir_and_hvp_take_generated_arrays_as_at_does(adcli: Run) -> None:
    """--dir x=ones(3) was read by the language as the ones-like of the number 3 (a scalar: a shape_error),
    --hvp x=zeros(3) as an unknown function; --at makes both arrays."""
    code, out, err = adcli("taylor", "sum(sin(x))", "--at", "x=[0,0,0]", "--dir", "x=ones(3)", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["derivatives"][:4] == [0.0, 3.0, 0.0, -3.0]  # g(t) = 3 sin(t)
    code, out, err = adcli("hess", "sum(x*x*x)", "--at", "x=[1,2]", "--hvp", "x=ones(2)", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["hvp"] == [6.0, 12.0]  # H = diag(6x) at x = (1, 2), times ones
