"""`adcli compare` and `adcli check` from the command line: exit codes 0/1/2 and the JSON schema."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

Run = Callable[..., tuple[int, str, str]]


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
    pytest.importorskip("adcli.modes.numeric.estimate")
    code, out, _ = adcli("compare", "abs(sin(x))", "--at", "x=pi", "--modes", "reverse,numeric")
    assert code == 1 and "DISAGREE" in out and "<- disagrees" in out  # beyond numeric's own estimate
    # numeric's ± (3.6e-6, it carries 1 - cos(x)'s rounding) covers its difference 1.6e-8 from reverse mode:
    # it neither confirms nor contradicts, so INCONCLUSIVE, exit 4 (the AD value is the one 2e-4 off here)
    code, out, _ = adcli("compare", "(1 - cos(x))/x^2", "--at", "x=1e-3", "--modes", "reverse,numeric")
    assert code == 4 and "INCONCLUSIVE" in out and "<- numeric inconclusive" in out and "DISAGREE" not in out
    assert "ill-conditioned" in out
    code, out, _ = adcli("compare", "sign(x)", "--at", "x=0", "--modes", "reverse,numeric")
    assert code == 0 and "kink: sign(x) at x = 0" in out and "left: the function jumps" in out


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


@pytest.mark.parametrize("option", [["--rtol", "inf"], ["--rtol", "-1"], ["--atol", "nan"], ["--atol", "-0.1"]])
def test_check_refuses_tolerances_that_accept_anything(adcli: Run, option: list[str]) -> None:
    code, _, err = adcli("check", "2*x + 5", "--of", "x^2", *option)
    assert code == 2 and "error[usage_error]" in err and "finite numbers at least 0" in err


def test_check_says_agrees_not_correct_when_it_only_tested(adcli: Run) -> None:
    """Issue 11: a numeric verdict says what it is, in words, in JSON and in the exit code (4)."""
    code, out, _ = adcli("check", "2*x + relu(x-100000)", "--of", "x^2")
    assert code == 4 and out.startswith("agrees: the answer agrees with the derivative at 12 points with x in [")
    assert "not proven" in out.splitlines()[0]
    code, out, _ = adcli("check", "2*x + relu(x-100000)", "--of", "x^2", "--format", "json")
    assert code == 4 and json.loads(out)["proven"] is False


def test_check_exit_codes(adcli: Run) -> None:
    code, out, _ = adcli("check", "2*x*cos(x^2)", "--of", "sin(x^2)")
    assert code == 0 and out.startswith("correct")
    code, out, _ = adcli("check", "2*x*sin(x^2)", "--of", "sin(x^2)")
    assert code == 1 and out.startswith("wrong") and "the answer gives" in out
    code, out, _ = adcli("check", "2*x*sin(x^2)", "--of", "sin(x^2)", "--format", "json")
    assert code == 1 and json.loads(out)["counterexample"]["wrt"] == "x"
    code, _, err = adcli("check", "2*x +", "--of", "x^2")
    assert code == 2 and "in the answer" in err and "2*x +\n     ^" in err


def test_compare_table_at_80_columns_never_cuts_a_number_and_marks_disagreement_in_words(
    adcli: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("adcli.modes.numeric.estimate")
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = adcli("compare", "(1 - cos(x))/x^2, x*y", "--at", "x=1e-3,y=1e12", "--format", "table")
    assert code == 4 and "…" not in out  # numeric inconclusive (its ± covers the difference): exit 4
    assert out.count("1e+12") + out.count("1000000000000") >= 4  # the whole number, in every mode's row
    (flagged,) = [line for line in out.splitlines() if line.rstrip().endswith("numeric inconclusive")]
    assert "numeric" in flagged
    assert max(len(line) for line in out.splitlines()) <= 80


def test_check_answers_may_start_with_a_minus(adcli: Run) -> None:
    code, out, _ = adcli("check", "-sin(x)", "--of", "cos(x)")
    assert code == 0 and out.startswith("correct")
    code, out, _ = adcli("check", "-2*x", "--of", "-x^2", "--format", "json")
    assert code == 0 and json.loads(out)["verdict"] == "correct"


def test_check_samples_atol_and_both_texts_in_json(adcli: Run) -> None:
    code, out, _ = adcli("check", "cos(2*x)", "--of", "sin(x)*cos(x)", "--samples", "3", "--format", "json")
    data = json.loads(out)
    assert (data["answer"], data["of"]) == ("cos(2*x)", "sin(x)*cos(x)")
    assert (code, data["points"], data["proven"]) in ((0, 0, True), (4, 3, False))  # 0 points: the simplifier decided
    code, out, _ = adcli("check", "2*x + 1e-6", "--of", "x^2", "--atol", "1e-5", "--rtol", "0", "--format", "json")
    assert code == 4 and json.loads(out)["atol"] == pytest.approx(1e-5, rel=0)
    code, _, err = adcli("check", "2*x", "--of", "x^2", "--points", "3")
    assert code == 2 and "--points" in err  # check's count is --samples; --points is batch's CSV file


def test_check_unknown_function_and_spans(adcli: Run) -> None:
    code, _, err = adcli("check", "coz(x)", "--of", "sin(x)")
    assert code == 2 and "error[unknown_function]: in the answer: unknown function 'coz': did you mean" in err
    assert "coz(x)\n^" in err
    code, _, err = adcli("check", "cos(x)", "--of", "sinn(x)", "--wrt", "x")
    assert code == 2 and "unknown function 'sinn': did you mean sin?" in err and "sinn(x)\n^" in err
    code, _, err = adcli("check", "cos(2*x)", "--of", "sin(x)*cos(x)", "--at", "x=0:1:3")
    assert code == 2 and "check takes one point: give x one value, not a span or list" in err
    assert "Traceback" not in err


def test_compare_json_outputs_are_the_expressions(adcli: Run) -> None:
    code, out, _ = adcli("compare", "x*y, sin(x)", "--at", "x=1,y=2", "--modes", "forward,reverse", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["outputs"] == ["x*y", "sin(x)"]


def test_compare_errors_carry_their_place_as_grads_do(adcli: Run, tmp_path) -> None:  # noqa: ANN001
    # log(x) starts at column 5 of `x + log(x)`; at x = -1 it is outside log's domain in every mode
    code, _, err = adcli("compare", "x + log(x)", "--at", "x=-1")
    assert code == 1 and err.startswith("1:5: error[domain_error]: ")
    assert err.splitlines()[1:3] == ["x + log(x)", "    ^"]
    code, out, _ = adcli("compare", "x + log(x)", "--at", "x=-1", "--format", "json")
    assert code == 1 and json.loads(out)["error"] | {"message": ""} == {
        "kind": "domain_error",
        "message": "",
        "line": 1,
        "column": 5,
    }
    code, out, _ = adcli("compare", "x + log(x)", "--at", "x=-1", "--format", "jsonl")
    assert code == 1 and (json.loads(out)["error"]["line"], json.loads(out)["error"]["column"]) == (1, 5)
    problems = tmp_path / "p.txt"
    problems.write_text("x^2\nlog(x - 5)\n", encoding="utf-8")
    code, _, err = adcli("compare", "-f", str(problems), "--at", "x=-1", "--format", "plain")
    assert code == 1 and f"{problems}:2:1: error[domain_error]: log(x - 5)" in err


def test_check_with_a_point_for_some_variables(adcli: Run, tmp_path) -> None:  # noqa: ANN001
    code, out, _ = adcli("check", "2*x", "--of", "x^2", "--at", "y=1")  # y unused: no error
    assert code == 0 and out.startswith("correct:")
    code, out, _ = adcli("check", "y*cos(x*y)", "--of", "sin(x*y)", "--wrt", "x", "--at", "x=1")
    assert code == 0 and out.startswith("correct:")
    answers = tmp_path / "answers.txt"
    answers.write_text("y*cos(x*y)\ny*cos(x*y) at y=2\n", encoding="utf-8")
    code, out, err = adcli("check", "-f", str(answers), "--of", "sin(x*y)", "--wrt", "x", "--at", "x=1,z=5")
    assert code == 0 and out.count("correct:") == 2 and "2 ok, 0 failed" in err


@pytest.mark.parametrize("columns", [40, 30])
def test_compare_on_a_narrow_terminal_keeps_numbers_whole(
    adcli: Run, monkeypatch: pytest.MonkeyPatch, columns: int
) -> None:
    import re

    pytest.importorskip("adcli.modes.numeric.estimate")
    monkeypatch.setenv("COLUMNS", str(columns))
    monkeypatch.setenv("NO_COLOR", "1")
    code, out, _ = adcli("compare", "(1 - cos(x))/x^2, x*y", "--at", "x=1e-3,y=1e12", "--format", "table")
    lines = out.splitlines()
    assert code == 4 and "…" not in out and max(len(line) for line in lines) <= columns
    assert not re.search(r"\de[+-]?\d?(\s|$)", out)  # no exponent cut off: 2.3e-, 1.0e+0
    for entry in ("df1/dx", "df1/dy", "df2/dx", "df2/dy"):  # every entry named on its own line
        assert entry in lines
    # d(xy)/dx = y = 1e12 and d(xy)/dy = x = 0.001, whole in each mode's line
    assert out.count("1e+12") + out.count("1000000000000") >= 4 and out.count(" 0.001") >= 4
    assert any("numeric inconclusive" in line for line in lines)  # cancellation: said in words
    assert "cost" in lines and not any(line.rstrip().endswith("evalua…") for line in lines)


def test_a_batch_of_checks_exits_with_the_worst_verdict(adcli: Run, tmp_path) -> None:  # noqa: ANN001
    """agrees (4) is better than wrong (1): a batch's exit code ranks them, it does not take the largest."""
    answers = tmp_path / "answers.txt"
    answers.write_text("2*x\n2*x + relu(x-100000)\n", encoding="utf-8")
    code, _, err = adcli("check", "-f", str(answers), "--of", "x^2")
    assert code == 4 and "2 ok, 0 failed" in err
    answers.write_text("2*x + relu(x-100000)\n3*x\n", encoding="utf-8")
    code, _, err = adcli("check", "-f", str(answers), "--of", "x^2")
    assert code == 1 and "1 ok, 1 failed" in err


def test_compare_calls_a_numeric_estimate_whose_error_bar_covers_the_difference_inconclusive(adcli: Run) -> None:
    # sum(x*x) over 3,000 entries: numeric's ±1.4e-6 (the 3,000-term sum's rounding in each quotient) is over
    # the tolerance (2e-8 for entries near 0.02) and covers its differences (~3e-8): DISAGREE called the exact
    # gradient 2x wrong; now INCONCLUSIVE, exit 4, each such entry marked, and the JSON says which
    pytest.importorskip("adcli.modes.numeric.estimate")
    code, out, _ = adcli("compare", "sum(x*x)", "--at", "x=randn(300)", "--rtol", "1e-9", "--format", "json")
    import json

    found = json.loads(out)
    assert code == 4 and found["agree"] is False and found["inconclusive"] is True
    unsure = [d for d in found["disagreements"] if d["inconclusive"]]
    assert unsure and len(unsure) == len(found["disagreements"])
    x = found["modes"]["reverse"]["jacobian"][0]
    estimate = found["modes"]["numeric"]["error_estimate"][0]
    for d in unsure:  # the exact gradient is 2x (the reference from the mathematics, not adcli)
        k = found["wrt"].index(d["wrt"])
        assert abs(d["value"] - 2 * found["at"]["x"][k]) <= estimate[k] and x[k] == 2 * found["at"]["x"][k]
