"""Numeric mode (adcli.modes.numeric.estimate, stencils, vcurve): accuracy against exact references, error
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
from typer.testing import CliRunner

from adcli import api
from adcli.cli.app import app
from adcli.core.errors import AdcliError
from adcli.modes.numeric import estimate as numeric
from adcli.modes.numeric import stencils
from adcli.modes.numeric.estimate import Options
from adcli.modes.numeric.stencils import EPS, tableau

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


@pytest.mark.parametrize(("text", "x", "closed_form"), EDGES[:3])
def test_a_stencil_that_leaves_the_domain_is_refitted(text, x, closed_form):
    """The table's bends (|x| for sqrt and log) keep the default steps inside the domain (issue 10); a step
    the user gives may not, and the stencil is refitted to the room there."""
    result = run(text, {"x": x}, step=1e-3)
    exact = float(closed_form(mpmath.mpf(x)))
    assert abs(result.jacobian[0][0] - exact) <= result.error_estimate[0][0]
    assert any("left the domain" in note for note in result.notes)


def test_a_point_on_the_domain_edge_measures_the_side_inside():
    """x^3.5 is defined for x >= 0 only: the table declares the edge (issue 10), numeric mode measures the right."""
    result = run("x^3.5 + x", {"x": 0.0})  # the right-hand derivative is 1
    (warning,) = [w for w in result.warnings if w.kind == "nondifferentiable"]
    assert "measured the side inside the domain" in warning.message and "left outside the domain" in warning.message
    assert abs(result.jacobian[0][0] - 1) <= result.error_estimate[0][0] <= 1e-4


def test_a_point_near_the_domain_edge_keeps_its_steps_inside():
    """sqrt bends on the scale of its argument (the table's `bend`): the steps fit between x and the edge."""
    result = run("sqrt(x)^3 + x", {"x": 2.0**-20})  # defined for x >= 0 only: 1.5*sqrt(x) + 1
    assert abs(result.jacobian[0][0] - (1.5 * 2.0**-10 + 1)) <= result.error_estimate[0][0] <= 1e-6


def test_no_room_on_either_side_is_the_domain_error_of_the_ad_modes():
    with pytest.raises(AdcliError) as numeric_error:
        run("(-2)^y", {"y": 2.0})
    with pytest.raises(AdcliError) as reverse_error:
        api.gradient("(-2)^y", y=2.0)
    assert numeric_error.value.kind == reverse_error.value.kind == "domain_error"
    assert numeric_error.value.message == reverse_error.value.message  # the table's refusal (issue 10), in both
    assert "real number only at integer b" in numeric_error.value.message
    with pytest.raises(AdcliError) as isolated:  # defined at x = 0 alone: no side to measure
        run("(-x^2)^1.5", {"x": 0.0})
    assert isolated.value.kind == "domain_error" and "no room" in isolated.value.message


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
    """(-2)^y moves y across a^b's cut (a < 0): the table refuses it in every mode, before any complex step."""
    with pytest.raises(AdcliError) as exc:
        run("(-2)^y", {"y": 2.0}, "complex")
    with pytest.raises(AdcliError) as reverse_error:
        api.gradient("(-2)^y", y=2.0)
    assert exc.value.kind == "domain_error" and exc.value.message == reverse_error.value.message


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
    assert result.nfev == 1 + 3 * 2 * stencils.LEVELS
    central = run("x*y + z", {"x": 0.3, "y": 2.0, "z": -1.0}, "central")
    assert central.sweeps == 1 and central.nfev == 1 + 3 * 4


def test_columns_that_no_output_depends_on_cost_nothing():
    result = api.differentiate(api.prepare("x^2", {"x": 3.0}, ["x", "w"]), "numeric")
    assert result.jacobian == [[pytest.approx(6.0, rel=1e-13), 0.0]]
    assert result.error_estimate[0][1] == 0.0
    assert result.nfev == 1 + 2 * stencils.LEVELS


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
    assert isinstance(data["nfev"], int) and data["nfev"] == 1 + 2 * 2 * stencils.LEVELS
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


# ---- audit 2/3: kinks, exact zeros, poles, the complex step at tiny x, --step, carets ------------


def nondifferentiable(result: api.Result) -> list[str]:
    return [w.message for w in result.warnings if w.kind == "nondifferentiable"]


@pytest.mark.parametrize(
    ("method", "value", "words"),
    [
        ("forward", 1.0, "right-hand derivative"),  # d|x|/dx from the right: +1
        ("backward", -1.0, "left-hand derivative"),  # from the left: -1
        ("central", 0.0, "average of the two one-sided derivatives"),  # (−1 + 1)/2
        ("richardson", 0.0, "average of the two one-sided derivatives"),
    ],
)
def test_a_kink_names_what_numeric_measured_and_its_estimate_covers_both_sides(method, value, words):
    """A5: abs at 0 has one-sided derivatives -1 and +1; the answer is the method's limit, the ± covers both."""
    result = run("abs(x)", {"x": 0.0}, method)
    found, bound = result.jacobian[0][0], result.error_estimate[0][0]
    assert abs(found - value) <= 1e-12
    assert abs(found - 1.0) <= bound and abs(found + 1.0) <= bound  # every subgradient in [-1, 1] is covered
    (message,) = nondifferentiable(result)
    assert words in message and f"numeric mode ({method})" in message
    assert "midpoint of the subgradient" not in message  # the AD modes' convention, not what numeric did
    assert f"d(abs(x))/dx = {value:.6g}" in message.replace("-0 ", "0 ")


def test_a_kink_inside_a_smooth_program_is_measured_on_both_sides():
    """d/dx |x|·e^x + x² at 0: -1 from the left, +1 from the right (the pieces are ∓x·e^x + x²)."""
    result = run("abs(x)*exp(x) + x^2", {"x": 0.0}, "forward")
    assert abs(result.jacobian[0][0] - 1.0) <= 1e-10
    assert result.error_estimate[0][0] >= 2.0 - 1e-10
    (message,) = nondifferentiable(result)
    assert "left -1" in message and "right 1" in message


def test_a_tie_of_max_from_each_side():
    """max(x, y) at x = y = 1: moving x up, max follows x (slope 1); moving it down, max stays y (slope 0)."""
    forward = run("max(x, y)", {"x": 1.0, "y": 1.0}, "forward")
    backward = run("max(x, y)", {"x": 1.0, "y": 1.0}, "backward")
    assert forward.jacobian[0] == [pytest.approx(1.0, abs=1e-12)] * 2
    assert backward.jacobian[0] == [pytest.approx(0.0, abs=1e-12)] * 2
    assert all(e >= 1 - 1e-12 for e in forward.error_estimate[0] + backward.error_estimate[0])


def test_a_kink_that_the_program_smooths_out_is_not_widened():
    """|x|² = x² is differentiable at 0 (derivative 0): both sides agree, so the estimate stays small."""
    result = run("abs(x)^2", {"x": 0.0})
    assert abs(result.jacobian[0][0]) <= 1e-12 and result.error_estimate[0][0] <= 1e-12
    assert "the ± covers both sides" not in nondifferentiable(result)[0]


def test_a_jump_is_said_to_have_no_derivative_and_its_estimate_is_not_small():
    """sign jumps by 2 at 0: the pieces are flat (0), but no derivative exists; the ± must not look precise."""
    result = run("sign(x)", {"x": 0.0})
    assert abs(result.jacobian[0][0]) <= 1e-12
    assert result.error_estimate[0][0] >= 1.0
    (message,) = nondifferentiable(result)
    assert "jumps here by 2" in message and "no derivative" in message


def test_the_kink_warning_in_json_carries_both_sides():
    out = cli("grad", "relu(x)", "--at", "x=0", "--mode", "numeric", "--method", "forward", "--format", "json")
    data = json.loads(out.stdout)
    (warning,) = data["warnings"]
    assert warning["numeric"] == [
        {"output": 1, "wrt": "x", "left": pytest.approx(0, abs=1e-12), "right": pytest.approx(1, abs=1e-12),
         "value": pytest.approx(1, abs=1e-12), "error": pytest.approx(1, abs=1e-9), "jump": None}
    ]  # fmt: skip
    assert data["gradient"] == [pytest.approx(1.0, abs=1e-12)]


@pytest.mark.parametrize(
    ("text", "at", "wrt"),
    [
        ("x*y, sin(x)", {"x": 1.0, "y": 2.0}, None),  # the README's example: d(sin(x))/dy is exactly 0
        ("x^2", {"x": 0.0}, None),  # 0 ± 3.5e-18 is exact to the digits of the function's own slope
        ("x*y + z, x - z", {"x": 1.0, "y": 2.0, "z": 3.0}, None),
        ("x, y^2", {"x": 1.5, "y": -0.5}, None),
    ],
)
def test_exact_zeros_are_exact_and_raise_no_warning(text, at, wrt):
    """A6: an output that does not depend on an input (the tape says so) gets exactly 0 ± 0."""
    problem = api.prepare(text, at, wrt)
    result = api.differentiate(problem, "numeric")
    exact = api.differentiate(api.prepare(text, at, wrt), "reverse").jacobian
    assert not result.warnings
    for found, bound, reference in zip(result.jacobian, result.error_estimate, exact, strict=True):
        for f, e, r in zip(found, bound, reference, strict=True):
            assert abs(f - r) <= max(e, 1e-13 * abs(r))
    tape, n = problem.tape, len(problem.wrt)
    structural = ~numeric.dependence(tape, numeric.inputs_of(tape), n)
    assert all(result.jacobian[i][k] == 0.0 and result.error_estimate[i][k] == 0.0 for i, k in np.argwhere(structural))


def test_inaccurate_names_the_output_by_its_text():
    (warning,) = run("sin(x)", {"x": 1.0}, "forward").warnings
    assert "d(sin(x))/dx = " in warning.message and "d(f1)" not in warning.message


POLES = [
    ("1/x", 1e-20, "richardson", lambda x: -1 / x**2),
    ("1/x", 1e-8, "central", lambda x: -1 / x**2),
    ("1/x", 1e-20, "forward", lambda x: -1 / x**2),
    ("1/x", -3e-12, "backward", lambda x: -1 / x**2),
    ("sin(1e6*x)", 1.0, "central", lambda x: 1e6 * mpmath.cos(1e6 * x)),
    ("sin(1e6*x)", 1.0, "richardson", lambda x: 1e6 * mpmath.cos(1e6 * x)),
    ("atan(1e8*x)", 1e-8, "central", lambda x: 1e8 / (1 + (1e8 * x) ** 2)),
    ("atan(1e8*x)", 1e-8, "richardson", lambda x: 1e8 / (1 + (1e8 * x) ** 2)),
    ("log(x)/x", 1e-30, "richardson", lambda x: (1 - mpmath.log(x)) / x**2),
]


@pytest.mark.parametrize(("text", "x", "method", "closed_form"), POLES)
def test_a_feature_smaller_than_the_step_is_found_and_the_estimate_bounds_the_error(text, x, method, closed_form):
    """A7: the stencil must not straddle the pole at 0 (steps scale with |x| when the answer did not settle)."""
    result = run(text, {"x": x}, method)
    exact = float(closed_form(mpmath.mpf(x)))
    found, bound = result.jacobian[0][0], result.error_estimate[0][0]
    assert np.sign(found) == np.sign(exact)
    assert abs(found - exact) <= bound
    # central: 1e-6, since sin(1e6*x) carries the rounding bound of 1e6*x (2e-10) over its steps (issue 10)
    assert relative(found, exact) <= {"richardson": 1e-10, "central": 1e-6}.get(method, 1e-5)


def test_an_answer_that_never_settles_says_so_and_covers_its_own_sign():
    """sign(x - 1e-30) at 0 is -1 nearby (derivative 0), but every stencil straddles the jump at 1e-30."""
    result = run("sign(x - 1e-30)", {"x": 0.0})
    found, bound = result.jacobian[0][0], result.error_estimate[0][0]
    assert abs(found - 0.0) <= bound and bound >= abs(found)
    (warning,) = [w for w in result.warnings if w.kind == "inaccurate"]
    assert "did not settle" in warning.message and "not even its sign" in warning.message
    assert warning.details["unsettled"] == [[0, 0]]


@pytest.mark.parametrize(
    ("text", "x", "closed_form"),
    [
        ("log(x)", 1e-300, lambda x: 1 / x),  # h = 1e-200 would be 1e100 times x
        ("x^2", 1e-120, lambda x: 2 * x),  # Im(x²) = 2xh underflows at h = 1e-200: retried at 2^-27·|x|
        ("1/x", 1e-150, lambda x: -1 / x**2),
        ("sqrt(x)", 1e-305, lambda x: 1 / (2 * mpmath.sqrt(x))),
    ],
)
def test_complex_step_at_tiny_x(text, x, closed_form):
    """A8: the complex step scales with |x| when x is tiny."""
    result = run(text, {"x": x}, "complex")
    exact = float(closed_form(mpmath.mpf(x)))
    assert relative(result.jacobian[0][0], exact) <= 1e-13
    assert abs(result.jacobian[0][0] - exact) <= result.error_estimate[0][0]


def test_complex_step_that_underflows_anyway_falls_back_and_says_so():
    """x²·1e300 at 1e-170: x² itself underflows; central differences, with an honest estimate, and a note."""
    result = run("x^2*1e300", {"x": 1e-170}, "complex")
    assert abs(result.jacobian[0][0] - 2e130) <= result.error_estimate[0][0]
    assert any("underflowed" in note and "richardson" in note for note in result.notes)
    assert not run("cos(x)", {"x": 0.0}, "complex").notes  # an exact 0 beside cos(0) = 1 is a true 0
    assert run("cos(x)", {"x": 0.0}, "complex").nfev == 2


@pytest.mark.parametrize(
    ("step", "words"),
    [
        ("1e-400", "--step 1e-400 is below the smallest positive float"),
        ("1e400", "--step 1e400 is above the largest float"),
        ("abc", "--step must be a number, not 'abc'"),
        ("1e-300", "--step 1e-300 is too small to move x = 1"),
        ("0", "--step must be a positive finite number"),
    ],
)
def test_cli_step_messages_say_what_is_wrong(step, words):
    """A16: --step 1e-400 used to be reported as 'not 0.0' (it underflowed when parsed)."""
    out = cli("grad", "x^2", "--at", "x=1", "--mode", "numeric", "--step", step, "--format", "json")
    assert out.exit_code == 2
    error = json.loads(out.stdout)["error"]
    assert error["kind"] == "usage_error" and words in error["message"]


@pytest.mark.parametrize(
    ("text", "at", "column"),
    [("sqrt(x)", {"x": 0.0}, 1), ("y + cbrt(x)", {"x": 0.0, "y": 1.0}, 5), ("1 + hypot(x, y)", {"x": 0, "y": 0}, 5)],
)
def test_numeric_errors_have_a_place_as_in_the_ad_modes(text, at, column):
    """An infinite slope in numeric mode: nonfinite with the line, column and caret of the AD modes."""
    with pytest.raises(AdcliError) as exc:
        run(text, at)
    assert exc.value.kind == "nonfinite" and (exc.value.line, exc.value.column) == (1, column)
    assert exc.value.caret() is not None and exc.value.caret().endswith("^")


def test_values_near_the_largest_float_are_nonfinite_not_a_crash() -> None:
    """Fuzzing found 1e308/y*y an internal_error in numeric mode: the differences overflowed.

    Near the largest float a difference of two finite values can overflow; that is nonfinite,
    said in one line. Where they do not overflow, the estimate (0 for a constant) stands.
    """
    from adcli import api
    from adcli.core.errors import AdcliError

    with pytest.raises(AdcliError) as caught:
        api.differentiate(api.prepare("1e308*y", {"y": 1.7976931348}), "numeric")
    assert caught.value.kind == "nonfinite" and "numeric estimate overflowed" in caught.value.message
    constant = api.differentiate(api.prepare("1e308/y*y", {"y": 2.0}), "numeric")
    assert abs(float(constant.jacobian[0][0])) <= float(constant.error_estimate[0][0])
