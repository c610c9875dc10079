"""What probing with new held-out-style problems found (problems in the corpus's styles, new functions,
shapes and bad input, through the command line), each fixed and kept here.

References are written by hand (closed forms) or come from the rows of tests/data/probe_arrays.jsonl,
whose gradients are PyTorch float64 autograd (computed outside adcli).
"""

from __future__ import annotations

import json

import pytest
from conftest import Run

POINT = "x=[1,2],A=[[1,2],[3,4]]"


def test_csv_of_an_array_result_is_a_usage_error_with_exit_2(adcli: Run) -> None:
    """csv has no flat row for arrays: the error cell was written, but the command exited 0."""
    code, out, _ = adcli("grad", "sum(A@x)", "--at", POINT, "--format", "csv")
    assert code == 2
    assert "usage_error: csv holds numbers" in out.splitlines()[1]


def test_csv_batch_of_arrays_and_scalars_keeps_the_scalar_rows(adcli: Run) -> None:
    code, out, _ = adcli("grad", "-f", "-", "--format", "csv", stdin="sum(x^2) at x=[1,2]\nx^2 at x=3\n")
    rows = out.splitlines()
    assert code == 2  # the worst line's
    assert "usage_error" in rows[1] and rows[2].endswith(",3.0,9.0,6.0,,")  # x = 3: x², 2x


@pytest.mark.parametrize(
    "args",
    [
        ("grad", "sum(x)", "--at", "x=randn(2)", "--seed", "-1"),
        ("check", "cos(x)", "--of", "sin(x) + abs(x)", "--seed", "-1"),
    ],
)
def test_a_negative_seed_is_a_usage_error(adcli: Run, args: tuple[str, ...]) -> None:
    """numpy's generators take seeds >= 0: -1 was an internal_error (exit 3)."""
    code, out, err = adcli(*args, "--format", "json")
    assert code == 2, out + err
    assert "--seed" in out + err and "x>=0" in out + err and "internal_error" not in out + err


def test_seed_zero_is_the_default_seed(adcli: Run) -> None:
    run = [("grad", "sum(x)", "--at", "x=randn(3)", "--format", "json")]
    default = json.loads(adcli(*run[0])[1])["at"]["x"]
    zero = json.loads(adcli(*run[0], "--seed", "0")[1])["at"]["x"]
    assert default == zero
