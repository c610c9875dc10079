"""Issue 10's tracebacks, each a regression test: a one-line error or an answer, never a Python traceback.

References: closed forms (exp' = exp, Rosenbrock's gradient is 0 at its minimum) and the grammar files
themselves; every case also runs in a batch, where a crash would be an `internal_error`.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from adcli import api
from adcli.core.errors import AdcliError
from adcli.language import parser as syntax
from adcli.modes.numeric.estimate import Options
from tests.conftest import Run

ROOT = Path(__file__).resolve().parents[2]
ROSENBROCK = "(1 - x)^2 + 100*(y - x^2)^2"


def _no_traceback(code: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    assert code in (0, 1, 2), (code, err)
    assert "internal_error" not in out + err


@pytest.mark.parametrize("method", ["forward", "backward", "central", "richardson"])
def test_numeric_refinement_stops_when_the_step_no_longer_moves_x(method: str) -> None:
    """The step was halved until x + h == x, then 0/0 (FloatingPointError): Rosenbrock's minimum."""
    result = api.differentiate(api.prepare(ROSENBROCK, {"x": 1.0, "y": 1.0}), "numeric", numeric=Options(method))
    for got, bound in zip(result.jacobian[0], result.error_estimate[0], strict=True):
        assert abs(got) <= bound  # the gradient is exactly 0 there: the estimate covers it


def test_forward_differences_of_a_fast_oscillation_do_not_crash(adcli: Run) -> None:
    code, out, err = adcli("grad", "sin(x^6)", "--at", "x=100", "--mode", "numeric", "--method", "forward")
    _no_traceback(code, out, err)


def test_exp_next_to_the_largest_float() -> None:
    """exp(709.7) is 1.65e308: |f(x+h)| + |f(x-h)| overflowed in the round-off term."""
    result = api.differentiate(api.prepare("exp(x)", {"x": 709.7}), "numeric")
    exact = math.exp(709.7)
    assert abs(result.jacobian[0][0] - exact) <= result.error_estimate[0][0]
    assert result.error_estimate[0][0] < 1e-6 * exact


@pytest.mark.parametrize(
    "args",
    [
        ["grad", ROSENBROCK, "--at", "x=1,y=1", "--mode", "numeric", "--method", "forward"],
        ["grad", ROSENBROCK, "--at", "x=1,y=1", "--mode", "numeric", "--method", "backward"],
        ["grad", "exp(x)", "--at", "x=709.7", "--mode", "numeric"],
        ["diff", "x*1e300*1e10"],
        ["check", "1", "--of", "x*1e300*1e10"],
        ["compare", "x*1e300*1e10", "--at", "x=1e-20"],
        ["grad", "x*1e300*1e10", "--at", "x=1e-20", "--mode", "numeric"],
    ],
    ids=lambda a: " ".join(a[:2]),
)
def test_the_issues_reproductions_end_in_one_line(adcli: Run, args: list[str]) -> None:
    _no_traceback(*adcli(*args))


def test_a_derivative_beyond_the_largest_float_is_nonfinite_in_numeric_mode_too() -> None:
    """d/dx (x*1e300*1e10) is 1e310: the AD modes say nonfinite; so does numeric mode (it raised FloatingPointError)."""
    for mode in ("reverse", "numeric"):
        with pytest.raises(AdcliError) as caught:
            api.differentiate(api.prepare("x*1e300*1e10", {"x": 1e-20}), mode)
        assert caught.value.kind == "nonfinite"


def test_diff_of_an_overflowing_coefficient_says_the_derivative_overflows(adcli: Run) -> None:
    """x*1e300*1e10 is finite for |x| < 0.01 (it is not undefined everywhere); its derivative, 1e310, is."""
    code, out, err = adcli("diff", "x*1e300*1e10", "--format", "json")
    assert code == 1
    error = json.loads(out or err)["error"]
    assert error["kind"] == "nonfinite" and "the derivative of" in error["message"]


def test_the_batch_has_no_internal_error(adcli: Run) -> None:
    lines = f"{ROSENBROCK}\nexp(x)\nsin(x^6)\n"
    code, out, err = adcli("grad", "-", "--at", "x=1,y=1", "--mode", "numeric", "--method", "forward", stdin=lines)
    assert "internal_error" not in out + err and "Traceback" not in out + err


# ---- the grammar, in both layouts -----------------------------------------------------------------


@pytest.fixture
def fresh_parser(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(syntax, "_PARSER", None)
    monkeypatch.setattr(syntax, "_DRIVERS", {})
    monkeypatch.setattr(syntax, "_PARSED", {})


def _no_package(monkeypatch: pytest.MonkeyPatch) -> None:
    import pkgutil

    def missing(package: str, resource: str) -> None:
        raise ModuleNotFoundError(f"No module named {package!r}")

    monkeypatch.setattr(pkgutil, "get_data", missing)


def test_the_grammar_is_found_beside_the_package_when_adcli_grammars_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _no_package(monkeypatch)
    assert syntax.grammar_text() == (ROOT / "grammars" / "adcli.lark").read_text(encoding="utf-8")


def test_a_missing_grammar_is_one_line(monkeypatch: pytest.MonkeyPatch, fresh_parser: None) -> None:
    _no_package(monkeypatch)
    monkeypatch.setattr(syntax, "__file__", "/nonexistent/adcli/language/parser.py")
    with pytest.raises(AdcliError) as caught:
        api.gradient("x", x=1.0)
    assert caught.value.kind == "internal_error" and "grammar" in caught.value.message
    assert "\n" not in caught.value.message


def test_a_broken_grammar_is_one_line(monkeypatch: pytest.MonkeyPatch, fresh_parser: None) -> None:
    monkeypatch.setattr(syntax, "grammar_text", lambda: "program: undefined_rule\n")
    with pytest.raises(AdcliError) as caught:
        api.gradient("x", x=1.0)
    assert caught.value.kind == "internal_error" and "broken" in caught.value.message
    assert "\n" not in caught.value.message


def test_python_m_adcli_in_a_checkout_without_the_grammars_package(tmp_path: Path) -> None:
    """A clone's root: `python -m adcli` imports the clone's adcli/, which has no grammars subpackage.

    The editable install's finder would map adcli.grammars back to this worktree, so the process
    drops it first: only the copied checkout (adcli/ and grammars/ side by side) is there to find."""
    shutil.copytree(ROOT / "adcli", tmp_path / "adcli", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "grammars", tmp_path / "grammars", ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]\n"
        "sys.argv = ['adcli', 'grad', 'sin(x)*y', '--at', 'x=1,y=2', '--format', 'json']\n"
        "import runpy; runpy.run_module('adcli', run_name='__main__')\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["XDG_CACHE_HOME"] = str(tmp_path / "cache")
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradient"] == pytest.approx([2 * math.cos(1.0), math.sin(1.0)], rel=1e-15)


def test_a_kink_without_a_derivative_is_said_once_as_the_error(adcli: Run) -> None:
    code, _, err = adcli("grad", "abs(x)+x^x", "--at", "x=0")
    assert code == 1
    assert err.count("x^x has no derivative") == 1
    assert "x^x is not differentiable" not in err
    assert "warning[nondifferentiable]: abs(x)" in err  # the other kink's warning stays
    code, out, _ = adcli("grad", "x^x", "--at", "x=0", "--format", "json")
    assert json.loads(out)["warnings"][0]["left"].startswith("undefined")  # JSON keeps the details
