"""Lines the fuzzer (benchmarks/fuzz.py) found to be internal errors or tracebacks, after the arrays landed.

Array operations reached symbolic mode (diff, check's proof) that knows scalar partials only, and
compare's JSON carried numpy arrays; each is now a one-line usage_error or a valid record. And a bug
that escapes every command is one line and exit 3, never a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

ARRAY_TEXTS = ["x@y", "x'", "max(x)", "max(x y)- min(x, y)", "max.5maxabs/piexp1e308-1e308", "sum(x)", "[1,2]", "[[1]]"]


def _adcli(*argv: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "adcli", *argv], input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.mark.parametrize("text", ARRAY_TEXTS)
@pytest.mark.parametrize("point", [(), ("--cse", "--at", "x=0.5,y=2")])
def test_diff_of_an_array_operation_is_matrix_calculus_or_one_line(text: str, point: tuple[str, ...]) -> None:
    """Since issue 13 diff differentiates array operations (matrix calculus): without shapes it asks for
    them; at a scalar point x' and sum(x) are x (derivative 1), x@y is a shape_error, max(x) a usage_error."""
    done = _adcli("diff", text, *point)
    assert done.returncode in ((2,) if not point else (0, 2)), done.stderr
    assert "Traceback" not in done.stderr and "internal_error" not in done.stderr
    assert done.stderr.count("\n") <= 3  # the message (and its caret, when it has a place)


@pytest.mark.parametrize("text", ["[1,2]", "[[1]]", "sum(x)"])
def test_check_of_an_array_answer_is_a_usage_error(text: str) -> None:
    done = _adcli("check", text, "--of", "x^2*y", "--wrt", "x", "--format", "json")
    record = json.loads(done.stdout)
    assert done.returncode == 2 and record["error"]["kind"] == "usage_error"


@pytest.mark.parametrize("text", ["[1,2]", "[[1]]"])
def test_compare_json_of_an_array_value_is_valid_json(text: str) -> None:
    done = _adcli("compare", "-", "--at", "x=0.5,y=2", "--format", "jsonl", stdin=text + "\n")
    record = json.loads(done.stdout.splitlines()[0])
    assert "error" not in record, record
    assert record["modes"]["reverse"]["value"] == [json.loads(text)]  # one value per output


def test_compare_json_of_a_gradient_by_a_vector() -> None:
    done = _adcli("compare", "sum(x^2)", "--at", "x=[1,2]", "--format", "json")
    record = json.loads(done.stdout)
    assert record["modes"]["forward"]["jacobian"] == [[2.0, 4.0]]  # d/dx sum(x²) = 2x


def test_a_bug_that_escapes_is_one_line_and_exit_3(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from adcli.cli import app

    def broken() -> int:
        raise RuntimeError("a planted bug")

    monkeypatch.setattr(app, "_run", broken)
    monkeypatch.delenv("ADCLI_DEBUG", raising=False)
    monkeypatch.setattr(sys, "argv", ["adcli", "grad", "x", "--at", "x=1"])
    with pytest.raises(SystemExit) as done:
        app.main()
    err = capsys.readouterr().err
    assert done.value.code == 3
    assert "internal_error" in err and "a planted bug" in err and "Traceback" not in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    "argv", [("hess", ".5", "--at", "x=0.5"), ("compare", "--order", "2", "0^0", "--at", "x=0.5,y=2")]
)
def test_a_hessian_of_a_constant_is_a_usage_error(argv: tuple[str, ...]) -> None:
    done = _adcli(*argv)
    assert done.returncode == 2 and "has none" in done.stderr and "Traceback" not in done.stderr


def test_a_numeric_hessian_whose_differences_overflow_is_nonfinite() -> None:
    done = _adcli("hess", "1e308*x*x", "--at", "x=0.5", "--mode", "numeric")
    assert done.returncode == 1 and "error[nonfinite]" in done.stderr and "overflowed" in done.stderr


def test_a_symbolic_hessian_too_big_to_build_is_refused_before_it_is_built(tmp_path) -> None:  # noqa: ANN001
    """A 3,000-deep sin nest: the symbolic Hessian simplified for 30 s; diff --order 2's size estimate refuses it."""
    (tmp_path / "nest.txt").write_text("sin(" * 3000 + "x" + ")" * 3000 + "\n", encoding="utf-8")
    done = _adcli("hess", "-f", str(tmp_path / "nest.txt"), "--at", "x=0.5", "--mode", "symbolic")
    assert done.returncode == 2 and "limit_exceeded" in done.stderr and "forward-over-reverse" in done.stderr


def test_compare_order_2_keeps_compare_s_operation_limit(tmp_path) -> None:  # noqa: ANN001
    (tmp_path / "sum.txt").write_text("+".join(["x"] * 20_001) + "\n", encoding="utf-8")
    done = _adcli("compare", "--order", "2", "-f", str(tmp_path / "sum.txt"), "--at", "x=0.5")
    assert done.returncode == 2 and "limit_exceeded" in done.stderr and "10,000 operations" in done.stderr


@pytest.mark.parametrize("text", ["[1,2]", "[[1]]"])
def test_trace_of_a_constant_array_seeds_nothing(text: str) -> None:
    """No variable to seed the tangent sweep with (fuzzing after trace --mode forward on arrays: IndexError)."""
    done = _adcli("trace", text, "--at", "x=0.5,y=2")
    assert done.returncode == 0, done.stderr
    assert "tangent trace" in done.stdout and "Traceback" not in done.stderr and "internal_error" not in done.stderr
