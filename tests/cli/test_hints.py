"""Issue 16's hints: an expression that starts with '-', an option another command has, a point written
with spaces, |x|, and the Python API's message (the one the command line shows).

References: the values are closed forms at the point (-(3²) = -9, -1 + 3 = 2, -sin(3)).
"""

from __future__ import annotations

import json
import math

import pytest
from conftest import Run

import adcli as api


@pytest.mark.parametrize(
    ("text", "want"),
    [("-x^2", -9.0), ("-1 + x", 2.0), ("-sin(x)", -math.sin(3)), ("-x", -3.0), ("-x*2", -6.0), ("-(x+1)", -4.0)],
)
def test_an_argument_starting_with_minus_is_the_expression(adcli: Run, text: str, want: float) -> None:
    for args in ((text, "--at", "x=3"), ("--at", "x=3", text), ("--at", "x=3", "--", text)):
        code, _, err = adcli("eval", *args)
        assert code == 0, (args, err)
    code, out, err = adcli("eval", text, "--at", "x=3", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["value"] == [pytest.approx(want, rel=1e-15)]
    assert json.loads(out)["input"] == text  # as typed: no space put in front


def test_dash_dash_keeps_working_and_ends_the_options(adcli: Run) -> None:
    code, out, _ = adcli("eval", "--at", "x=3", "--format", "json", "--", "-x")
    assert code == 0 and json.loads(out)["value"] == [-3.0]


def test_the_options_of_each_command_stay_options(adcli: Run) -> None:
    code, out, _ = adcli("jac", "x*y, x", "--at", "x=1,y=2", "--dir", "-1,0", "--format", "json")
    assert code == 0 and json.loads(out)["jvp"] == [-2.0, -1.0]  # J·(-1, 0) = -(y, 1) = (-2, -1)
    code, out, err = adcli("eval", "x", "-f")  # an option without its value is still Click's error
    assert code == 2 and "-f" in err
    code, _, err = adcli("eval", "x", "--ordr", "2")  # a misspelt option is an option, not an expression
    assert code == 2 and "No such option: --ordr" in err


def test_a_caret_counts_from_the_expression_as_typed(adcli: Run) -> None:
    code, _, err = adcli("eval", "-x y", "--at", "x=3")
    assert code == 2
    assert err.splitlines()[1:] == ["-x y", "   ^"]


@pytest.mark.parametrize("command", ["grad", "jac"])
def test_order_on_a_first_derivative_command_points_to_hess_taylor_and_diff(adcli: Run, command: str) -> None:
    code, _, err = adcli(command, "x^2", "--at", "x=1", "--order", "2")
    assert code == 2
    assert "Possible options" not in err
    assert all(f"adcli {c}" in err for c in ("hess", "taylor", "diff --order"))


@pytest.mark.parametrize(
    ("given", "advised"), [("x=1 y=2", "x=1,y=2"), ("x=1; y=2", "x=1,y=2"), ("x=1;y=[2]", "x=1,y=[2]")]
)
def test_a_point_with_spaces_asks_for_commas(adcli: Run, given: str, advised: str) -> None:
    """A semicolon, with or without a space, is replaced in the advice (it said `x=1;,y=2`)."""
    code, _, err = adcli("grad", "x^2*sum(y)", "--at", given)
    assert code == 2
    assert f"separate the values with commas: {advised}\n" in err


def test_bars_suggest_abs(adcli: Run) -> None:
    code, _, err = adcli("eval", "|x-1| + 2", "--at", "x=1")
    assert code == 2 and "for the absolute value write abs(x-1)" in err


def test_str_of_an_api_error_is_the_message_the_command_line_shows() -> None:
    with pytest.raises(api.AdcliError) as caught:
        api.value("log(x)*sqrt(y)", at=["x=0.5:1:3", "y=-1:1:3"])
    assert "(point 1 of 9: x = 0.5)" in str(caught.value)
    assert str(caught.value) == caught.value.message


@pytest.mark.parametrize(
    "args",
    [("x", "--at", "x=1:2:0"), ("x+y", "--at", "x=1:2:3", "--at", "y=1:2:2", "--zip"), ("x+", "--at", "x=1")],
)
def test_a_command_line_error_is_one_line_with_no_summary(adcli: Run, args: tuple[str, ...]) -> None:
    code, out, err = adcli("eval", *args)
    assert (code, out) == (2, "")
    assert err.count("error[usage_error]") + err.count("error[syntax_error]") == 1
    assert "ok," not in err and "failed" not in err  # no `0 ok, 1 failed`: nothing ran


def test_dash_h_is_help_and_other_dash_words_are_expressions(adcli: Run) -> None:
    code, out, _ = adcli("grad", "-h")
    assert code == 0 and "Usage:" in out and "adcli grad" in out and "Examples" in out
    code, out, _ = adcli("eval", "-h*2", "--at", "h=1", "--format", "json")
    assert code == 0 and json.loads(out)["value"] == [-2.0]
