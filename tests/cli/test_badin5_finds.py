"""Bad inputs a prober found still broken (issues 12 and 15): each one line, a kind, a place, its exit code."""

from __future__ import annotations

import json

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
