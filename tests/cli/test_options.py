"""Options read once, before any problem: --dir and --cot, formats, Click's own errors, jsonl usage errors.

A bad option value is a usage_error (exit 2) that names the option, reported once and never once per
line of a batch; every command refuses a format it does not know and lists those it accepts.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import Run

PAIR = ("x*y, x+y", "--at", "x=1,y=2")  # f(x, y) = (xy, x + y) at (1, 2): J = [[y, x], [1, 1]] = [[2, 1], [1, 1]]


@pytest.mark.parametrize(
    ("command", "option"),
    [("jac", "--cot"), ("jac", "--dir"), ("trace", "--cot"), ("trace", "--dir"), ("graph", "--cot")],
)
@pytest.mark.parametrize("value", ["log(-1)", "1e999", "(2"])
def test_a_bad_seed_is_a_usage_error_naming_the_option(adcli: Run, command: str, option: str, value: str) -> None:
    text = f"x={value}" if option == "--dir" else f"1,{value}"
    code, out, err = adcli(command, *PAIR, option, text)
    assert (code, out) == (2, "")
    assert err.startswith("1:") and f"error[usage_error]: bad {option} {text!r}: " in err, err
    assert err.count("bad ") == 1  # not `bad --dir …: bad point …`


def test_a_bad_seed_in_jsonl_is_one_error_object_not_a_record_of_the_expression(adcli: Run) -> None:
    code, out, err = adcli("jac", *PAIR, "--cot", "1,log(-1)", "--format", "jsonl")
    records = [json.loads(line) for line in out.splitlines()]
    assert code == 2 and len(records) == 1 and "input" not in records[0]
    assert records[0]["error"]["kind"] == "usage_error" and "--cot" in records[0]["error"]["message"]


def test_jac_seeds_by_name_or_in_order(adcli: Run) -> None:
    for direction in ("x=1,y=0", "x=1", "1,0"):  # J·(1, 0) = the first column (y, 1) = (2, 1)
        code, out, _ = adcli("jac", *PAIR, "--dir", direction, "--format", "json")
        assert code == 0 and json.loads(out)["jvp"] == [2.0, 1.0]
    code, out, _ = adcli("jac", *PAIR, "--cot", "0,1", "--format", "json")  # (0, 1)ᵀJ = the second row (1, 1)
    assert code == 0 and json.loads(out)["vjp"] == [1.0, 1.0]
    code, _, err = adcli("jac", *PAIR, "--dir", "1,0,0")
    assert code == 2 and "--dir has 3 entries; there are 2 variables (x, y)" in err


def test_an_option_conflict_is_reported_once_before_any_line(adcli: Run, tmp_path: Path) -> None:
    problems = tmp_path / "p.txt"
    problems.write_text("x*y\nlog(x-5)\nsin(x) at x=2\n", encoding="utf-8")
    code, out, err = adcli("jac", "-f", str(problems), "--dir", "x=1", "--cot", "1,2")
    assert (code, out) == (2, "")
    assert err == "error[usage_error]: --dir and --cot ask for different sweeps: give one\n"
    code, out, err = adcli("trace", "-f", str(problems), "--at", "x=1,y=1", "--emit", "rust")
    assert (code, out) == (2, "") and err.count("error[") == 1 and "the only language is python" in err


def test_an_option_without_its_value_is_adclis_usage_error(adcli: Run) -> None:
    code, out, err = adcli("grad", "sin(x)", "--at")
    assert (code, out) == (2, "")
    assert err == "error[usage_error]: Option '--at' requires an argument. ('adcli grad --help' lists the options)\n"
    code, out, _ = adcli("grad", "sin(x)", "--format", "json", "--at")
    assert code == 2 and json.loads(out)["error"]["kind"] == "usage_error"


@pytest.mark.parametrize(
    "args",
    [
        ["graph", "x", "--dot"],  # DOT is not JSON
        ["grad", "x", "--at", "x=1", "--precision", "0"],  # Click's range check
        ["grad", "x", "--at", "x=("],  # a bad point, before any problem
    ],
)
def test_a_usage_error_before_any_problem_is_a_json_object_in_jsonl_as_in_json(adcli: Run, args: list[str]) -> None:
    objects = []
    for fmt in ("json", "jsonl"):
        code, out, err = adcli(*args, "--format", fmt)
        assert (code, err) == (2, "") and out.count("\n") == 1
        objects.append(json.loads(out))
    assert [o["error"]["kind"] for o in objects] == ["usage_error", "usage_error"]
    assert set(objects[0]) == set(objects[1]) == {"error", "warnings"}


@pytest.mark.parametrize("fmt", ["xml", "csv"])
def test_functions_refuses_a_format_it_does_not_know(adcli: Run, fmt: str) -> None:
    code, out, err = adcli("functions", "--format", fmt)  # the README: --format plain|json|table
    assert (code, out) == (2, "")
    assert err == f"error[usage_error]: unknown format {fmt!r}: functions takes table, plain, json\n"


@pytest.mark.parametrize("command", ["grad", "jac", "eval"])
def test_an_unknown_format_lists_every_format_the_command_accepts(adcli: Run, command: str) -> None:
    code, _, err = adcli(command, "x", "--at", "x=1", "--format", "xml")
    choices = "table, plain, json, jsonl, csv, npz, parquet"
    assert code == 2 and err == f"error[usage_error]: unknown format 'xml': choose {choices}\n"
    for fmt in ("jsonl", "csv"):  # and each text one listed is accepted (npz: tests/cli/test_binary_output.py)
        assert adcli(command, "x", "--at", "x=1", "--format", fmt)[0] == 0
