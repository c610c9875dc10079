"""Numeric mode (adcli.modes.numeric, stencils, vcurve): accuracy against exact references, error
estimates, domain edges, the complex step, bad input, and the CLI's JSON and text.

References are the corpus's exact derivatives (30 digits, rounded), closed forms evaluated with
mpmath at 40 digits, or forward-mode AD on the same tape where only agreement is asserted.
"""

from __future__ import annotations

import json
import statistics

import mpmath
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner  # noqa: TID251 - the tests drive the Typer app itself

from adcli import api
from adcli.cli import app
from adcli.errors import AdcliError
from adcli.modes import numeric
from adcli.modes.numeric import Options
from adcli.modes.stencils import EPS, tableau

mpmath.mp.dps = 40
NON_ANALYTIC = ("abs", "relu", "sign", "min", "max")


def run(text: str, at: dict, method: str = "richardson", **options) -> api.Result:
    return api.differentiate(api.prepare(text, at), "numeric", numeric=Options(method=method, **options))


def relative(approx: float, exact: float) -> float:
    """Relative error; the absolute error where the exact derivative is 0."""
    return abs(approx - exact) / abs(exact) if exact != 0 else abs(approx - exact)


def corpus_errors(problems: list[dict], method: str) -> tuple[list[float], list[bool], list[float], list[str]]:
    """Per partial: relative error and whether the estimate bounds it; per problem: nfev per column."""
    errors, bounded, nfev, refused = [], [], [], []
    for p in problems:
        if not p["wrt"]:
            continue
        problem = api.prepare(p["expr"], p["at"], p["wrt"])
        try:
            result = api.differentiate(problem, "numeric", numeric=Options(method=method))
        except AdcliError as exc:
            assert method == "complex" and exc.kind == "usage_error", (p["id"], exc.message)
            refused.append(p["expr"])
            continue
        exact = np.array(p["jacobian"])
        found, estimate = np.array(result.jacobian), np.array(result.error_estimate)
        assert found.shape == exact.shape == estimate.shape
        for i, k in np.ndindex(*exact.shape):
            errors.append(relative(found[i, k], exact[i, k]))
            bounded.append(abs(found[i, k] - exact[i, k]) <= estimate[i, k])
        nfev.append(result.nfev / len(p["wrt"]))
    return errors, bounded, nfev, refused


# ---- accuracy on the corpus ---------------------------------------------------------------------


def test_richardson_on_the_corpus(calculus):
    errors, bounded, nfev, _ = corpus_errors(calculus, "richardson")
    assert len(errors) > 200
    assert statistics.median(errors) <= 1e-13
    assert max(errors) <= 1e-9
    assert np.mean(bounded) >= 0.9  # the error estimate bounds the actual error in most cases
    assert statistics.median(nfev) <= 16  # numdifftools' defaults take a median of ~31


def test_complex_step_on_the_corpus(calculus):
    errors, bounded, nfev, refused = corpus_errors(calculus, "complex")
    assert statistics.median(errors) <= 1e-15
    assert max(errors) <= 1e-13
    assert np.mean(bounded) >= 0.9
    assert statistics.median(nfev) <= 2  # one complex evaluation per column, plus f(x)
    assert refused and all(any(f"{name}(" in text for name in NON_ANALYTIC) for text in refused)


def test_central_differences_on_the_corpus(calculus):
    errors, bounded, _, _ = corpus_errors(calculus, "central")
    assert statistics.median(errors) <= 1e-10
    assert np.mean(bounded) >= 0.9


@pytest.mark.parametrize("method", ["forward", "backward"])
def test_one_sided_differences_on_the_corpus(calculus, method):
    errors, bounded, _, _ = corpus_errors(calculus, method)
    assert statistics.median(errors) <= 1e-7  # first order: about sqrt(eps)
    assert np.mean(bounded) >= 0.9


# ---- domain edges -------------------------------------------------------------------------------

EDGES = [
    ("sqrt(x)", 1e-10, lambda x: 1 / (2 * mpmath.sqrt(x))),
    ("log(x)", 1e-12, lambda x: 1 / x),
    ("acosh(x)", 1 + 1e-9, lambda x: 1 / mpmath.sqrt(x * x - 1)),
    ("asin(x)", 1 - 1e-6, lambda x: 1 / mpmath.sqrt(1 - x * x)),
    ("sqrt(x)*log(x)", 1e-8, lambda x: (mpmath.log(x) + 2) / (2 * mpmath.sqrt(x))),
]


@pytest.mark.parametrize("method", ["richardson", "central"])
@pytest.mark.parametrize(("text", "x", "closed_form"), EDGES)
def test_domain_edges_give_finite_accurate_values(text, x, closed_form, method):
    result = run(text, {"x": x}, method)
    exact = float(closed_form(mpmath.mpf(x)))  # the float x, exactly, at 40 digits
    found = result.jacobian[0][0]
    assert np.isfinite(found)
    assert relative(found, exact) <= (1e-10 if method == "richardson" else 1e-7)
    assert abs(found - exact) <= result.error_estimate[0][0]
    assert any("left the domain" in note for note in result.notes)


def test_a_point_on_the_domain_edge_uses_a_one_sided_stencil():
    result = run("x^3.5 + x", {"x": 0.0})  # defined for x >= 0 only; the derivative is 1
    assert any("one-sided stencil (forward" in note for note in result.notes)
    assert abs(result.jacobian[0][0] - 1) <= result.error_estimate[0][0] <= 1e-4


def test_no_room_on_either_side_is_the_domain_error_of_the_ad_modes():
    with pytest.raises(AdcliError) as numeric_error:
        run("(-2)^y", {"y": 2.0})
    with pytest.raises(AdcliError) as reverse_error:
        api.gradient("(-2)^y", y=2.0)
    assert numeric_error.value.kind == reverse_error.value.kind == "domain_error"
    assert "no room" in numeric_error.value.message


def test_an_infinite_slope_is_nonfinite_as_in_the_ad_modes():
    with pytest.raises(AdcliError) as exc:
        run("sqrt(x)", {"x": 0.0})
    assert exc.value.kind == "nonfinite"
    assert [w.kind for w in exc.value.warnings] == ["nondifferentiable"]


def test_a_pole_closer_than_the_steps_is_found_by_smaller_steps():
    x = 1.5707963  # 2.7e-8 from the pole of tan
    result = run("tan(x)", {"x": x})
    exact = float(1 / mpmath.cos(mpmath.mpf(x)) ** 2)
    assert relative(result.jacobian[0][0], exact) <= 1e-8
    assert abs(result.jacobian[0][0] - exact) <= result.error_estimate[0][0]
    assert relative(run("1/x", {"x": 1e-3}).jacobian[0][0], -1e6) <= 1e-12


# ---- the complex step ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", NON_ANALYTIC)
def test_complex_step_refuses_non_analytic_functions(name):
    text = f"{name}(x, y) + x" if name in ("min", "max") else f"{name}(x)*x"
    with pytest.raises(AdcliError) as exc:
        run(text, {"x": 0.5, "y": 2.0}, "complex")
    assert exc.value.kind == "usage_error"
    assert name in exc.value.message and exc.value.column is not None


def test_complex_step_ignores_a_non_analytic_function_of_other_variables():
    result = api.differentiate(api.prepare("sin(x)*abs(y)", {"x": 1.0, "y": -2.0}, ["x"]), "numeric",
                               numeric=Options(method="complex"))  # fmt: skip
    assert relative(result.jacobian[0][0], 2 * np.cos(1.0)) <= 1e-15


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("atan2(y, x)", {"y": 0.5, "x": -2.0}),
        ("atan2(y, x)", {"y": -3.0, "x": 0.25}),
        ("atan2(y, x)", {"y": 2.0, "x": 0.0}),
        ("hypot(x, y)", {"x": -0.7, "y": 0.35}),
        ("cbrt(x)*y", {"x": -8.0, "y": 1.5}),
        ("cbrt(x)", {"x": 2.0}),
        ("sigmoid(x)", {"x": 0.5}),
        ("sigmoid(x)", {"x": -40.0}),
        ("softplus(x)", {"x": 40.0}),
        ("softplus(x)", {"x": -3.0}),
        ("x^x", {"x": 0.3}),
        ("x^3", {"x": -2.0}),
    ],
)
def test_complex_step_agrees_with_forward_mode(text, at):
    """The complex continuations of atan2, hypot, cbrt, sigmoid, softplus and pow, against AD."""
    numeric_result = run(text, at, "complex")
    ad = api.differentiate(api.prepare(text, at), "forward")
    for found, exact in zip(numeric_result.jacobian[0], ad.jacobian[0], strict=True):
        assert relative(found, exact) <= 16 * EPS  # both are a few ulps from the truth
    assert numeric_result.value == ad.value  # the real path is untouched


def test_complex_step_domain_errors_are_those_of_the_real_path():
    with pytest.raises(AdcliError) as complex_error:
        run("log(x)", {"x": -1.0}, "complex")
    with pytest.raises(AdcliError) as reverse_error:
        api.gradient("log(x)", x=-1.0)
    assert complex_error.value.message == reverse_error.value.message


def test_complex_step_across_a_branch_cut_is_refused():
    with pytest.raises(AdcliError) as exc:
        run("(-2)^y", {"y": 2.0}, "complex")
    assert exc.value.kind == "nonfinite" and "branch cut" in exc.value.message


# ---- the pieces ---------------------------------------------------------------------------------


def test_tableau_extrapolates_a_polynomial_error_series_exactly():
    h = 0.5 ** np.arange(5)
    d = (3.0 + 2 * h**2 - h**4 + 0.5 * h**6)[:, None]  # exact derivative 3, error series in h²
    best, error, _, _ = tableau(d, np.zeros_like(d), 2.0, 2)
    assert abs(best[0] - 3.0) <= 1e-14
    assert error[0] <= 1e-12


def test_steps_are_relative_to_the_variable_with_a_floor_near_zero():
    for method, power in (("central", 1 / 3), ("forward", 1 / 2)):
        for x, size in ((1e6, 1e6), (-3.0, 3.0), (1e-9, 1.0), (0.0, 1.0)):
            stencil = numeric.stencil_for(method, max(abs(x), 1.0))
            assert stencil.steps[-1] / (EPS**power * size) == pytest.approx(1, rel=0.5)
            assert np.all(np.log2(stencil.steps) == np.round(np.log2(stencil.steps)))  # exact x ± h


def test_every_stencil_point_goes_through_one_sweep():
    result = run("x*y*z + exp(x - z)", {"x": 0.3, "y": 2.0, "z": -1.0})
    assert result.sweeps == 1
    assert result.nfev == 1 + 3 * 2 * numeric.LEVELS
    central = run("x*y + z", {"x": 0.3, "y": 2.0, "z": -1.0}, "central")
    assert central.sweeps == 1 and central.nfev == 1 + 3 * 4


def test_columns_that_no_output_depends_on_cost_nothing():
    result = api.differentiate(api.prepare("x^2", {"x": 3.0}, ["x", "w"]), "numeric")
    assert result.jacobian == [[pytest.approx(6.0, rel=1e-13), 0.0]]
    assert result.error_estimate[0][1] == 0.0
    assert result.nfev == 1 + 2 * numeric.LEVELS


@pytest.mark.parametrize("step", [0.0, -1e-3, float("nan"), float("inf")])
def test_a_bad_step_is_a_usage_error(step):
    with pytest.raises(AdcliError) as exc:
        run("x^2", {"x": 1.0}, step=step)
    assert exc.value.kind == "usage_error"


def test_a_given_step_is_used():
    result = run("x^3", {"x": 1.0}, "central", step=1e-3)
    assert result.jacobian[0][0] == pytest.approx(3 + 1e-6, rel=1e-9)  # (x+h)^3 - (x-h)^3 over 2h: 3 + h²


def test_inaccurate_warns_when_the_estimate_is_too_large_for_the_digits():
    forward = run("sin(x)", {"x": 1.0}, "forward")
    assert [w.kind for w in forward.warnings] == ["inaccurate"]
    assert not run("sin(x)", {"x": 1.0}, "forward", digits=5).warnings
    assert not run("sin(x)", {"x": 1.0}).warnings
    assert not run("x*x - x^2", {"x": 1.7}).warnings  # exactly 0, estimate 0


@given(st.floats(min_value=-3.0, max_value=3.0), st.floats(min_value=0.1, max_value=5.0))
def test_richardson_agrees_with_reverse_mode(x, y):
    text = "exp(sin(x)*y) + log(y)*x^2 + atan(x*y)"
    result = run(text, {"x": x, "y": y})
    ad = api.gradient(text, x=x, y=y)
    for found, exact, bound in zip(result.jacobian[0], ad.jacobian[0], result.error_estimate[0], strict=True):
        assert abs(found - exact) <= max(1e-11 * max(abs(exact), 1.0), bound)


# ---- the V curve --------------------------------------------------------------------------------


def test_sweep_is_a_v_between_truncation_and_round_off():
    result = run("sin(x)*y", {"x": 1.0, "y": 2.0}, "central", sweep=True)
    curve = result.sweep
    assert curve["wrt"] == "x" and curve["reference_from"] == "forward-mode AD"
    steps = np.array([r["step"] for r in curve["rows"]])
    central = np.array([r["central_error"] for r in curve["rows"]])
    forward = np.array([r["forward_error"] if r["forward_error"] is not None else np.inf for r in curve["rows"]])
    assert EPS ** (1 / 3) / 30 <= steps[np.argmin(central)] <= EPS ** (1 / 3) * 30
    assert EPS ** (1 / 2) / 30 <= steps[np.argmin(forward)] <= EPS ** (1 / 2) * 30
    assert central[0] > 1e3 * central.min() and central[-1] > 1e3 * central.min()  # both arms of the V
    assert curve["chosen_step"] == result.sweep["chosen_step"] > 0


# ---- the command line ---------------------------------------------------------------------------

runner = CliRunner()


def cli(*args: str):
    return runner.invoke(app, list(args))


def test_cli_json_has_error_estimate_and_nfev():
    out = cli("jac", "x*y, sin(x)", "--at", "x=1,y=2", "--mode", "numeric", "--format", "json")
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert data["mode"] == "numeric" and data["method"] == "richardson"
    assert np.shape(data["error_estimate"]) == np.shape(data["jacobian"]) == (2, 2)
    assert isinstance(data["nfev"], int) and data["nfev"] == 1 + 2 * 2 * numeric.LEVELS
    assert data["jacobian"][1][0] == pytest.approx(np.cos(1.0), rel=1e-13)


def test_cli_json_of_the_ad_modes_has_no_numeric_fields():
    data = json.loads(cli("grad", "x^2", "--at", "x=1", "--format", "json").stdout)
    assert "error_estimate" not in data and "nfev" not in data


def test_cli_plain_shows_the_estimates_and_the_cost():
    out = cli("grad", "sin(x)*y", "--at", "x=1,y=2", "--mode", "numeric", "--method", "complex", "--format", "plain")
    assert out.exit_code == 0
    assert "numeric mode (complex), 3 function evaluations in 1 sweep" in out.stdout
    assert "±d/dx" in out.stdout and "±d/dy" in out.stdout


def test_cli_sweep_prints_a_table_and_a_plot():
    out = cli("grad", "exp(x)", "--at", "x=0.5", "--mode", "numeric", "--sweep", "--format", "plain")
    assert out.exit_code == 0
    assert "error versus step for d(f1)/dx" in out.stdout
    assert "<- richardson" in out.stdout and "^ h = " in out.stdout
    data = json.loads(cli("grad", "exp(x)", "--at", "x=0.5", "--mode", "numeric", "--sweep", "--format", "json").stdout)
    assert len(data["sweep"]["rows"]) == 33


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "numeric", "--step", "0"],
        ["--mode", "numeric", "--step", "-1e-3"],
        ["--mode", "numeric", "--step", "nan"],
        ["--mode", "numeric", "--method", "secant"],
        ["--mode", "numeric", "--method", "complex"],
        ["--method", "central"],  # without --mode numeric
    ],
)
def test_cli_bad_numeric_options_are_usage_errors(args):
    out = cli("grad", "abs(x)*x", "--at", "x=1", "--format", "json", *args)
    assert out.exit_code == 2
    assert json.loads(out.stdout)["error"]["kind"] == "usage_error"
