"""`adcli hess`: every row of tests/data/hessian.jsonl through the installed command line, every mode,
the verdict, --hvp, and the bad input of issue 14.

References: the rows' Hessians are exact symbolic derivatives at 30 digits (Moré–Garbow–Hillstrom sums
of squares and others), eigenvalues from mpmath at 40 digits. Tolerances fit the method: 1e-12 of the
largest entry for the AD and symbolic modes, 1e-7 for numeric, whose own error estimate must cover
its actual error.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import json_cli as cli

from adcli import api
from adcli.commands.hessian import MAX_INPUTS, hessian
from adcli.core.errors import AdcliError

ROWS = [json.loads(line) for line in (Path(__file__).parents[1] / "data" / "hessian.jsonl").read_text().splitlines()]
IDS = [row["id"] for row in ROWS]


def point(row: dict) -> str:
    return ",".join(f"{k}={v!r}" for k, v in row["at"].items())


def close(found: object, expected: object, rel: float) -> None:
    """Entry by entry within rel of the largest reference entry (a norm-relative test: exact zeros stay near 0)."""
    a, b = np.asarray(found, dtype=float), np.asarray(expected, dtype=float)
    scale = max(float(np.abs(b).max(initial=0.0)), 1e-300)
    assert a.shape == b.shape
    assert np.all(np.abs(a - b) <= rel * scale), (a, b, float(np.abs(a - b).max() / scale))


@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_row_through_the_command_line(row: dict) -> None:
    code, out = cli("hess", row["expr"], "--at", point(row))
    assert code == 0, out
    assert out["wrt"] == row["wrt"]
    close(out["hessian"], row["hessian"], 1e-12)
    close(out["gradient"], row["gradient"], 1e-12)
    close(out["eigenvalues"], row["eigenvalues"], 1e-12)
    assert out["value"] == pytest.approx(row["value"], rel=1e-12, abs=1e-12)
    assert out["critical_point"] is row["critical_point"]
    expected = row.get("classification")
    assert out["classification"] == expected
    assert out["verdict"] == (expected if row["critical_point"] else "not a critical point")
    assert out["mode"] == ("forward-over-forward" if len(row["wrt"]) <= 3 else "forward-over-reverse")


@pytest.mark.parametrize("mode", ["forward-over-reverse", "forward-over-forward", "symbolic"])
@pytest.mark.parametrize("row", ROWS, ids=IDS)
def test_every_exact_mode_matches_the_reference(row: dict, mode: str) -> None:
    if mode == "symbolic" and len(row["wrt"]) > 10:
        pytest.skip("symbolic second partials of 100 variables: 5,050 expressions (the benchmark times them)")
    found = hessian(api.prepare(row["expr"], point(row), row["wrt"]), mode)
    close(found.hessian, row["hessian"], 1e-12)
    close(found.gradient, row["gradient"], 1e-12)
    assert found.classification == row.get("classification")


@pytest.mark.parametrize(
    "row", [r for r in ROWS if len(r["wrt"]) <= 10], ids=[r["id"] for r in ROWS if len(r["wrt"]) <= 10]
)
def test_numeric_mode_is_within_1e_7_and_its_estimate_covers_its_error(row: dict) -> None:
    found = hessian(api.prepare(row["expr"], point(row), row["wrt"]), "numeric")
    close(found.hessian, row["hessian"], 1e-7)
    actual = np.abs(np.array(found.hessian) - np.array(row["hessian"]))
    scale = float(np.abs(np.array(row["hessian"])).max())
    assert np.all(actual <= np.array(found.error_estimate) + 1e-13 * scale)
    assert found.classification == row.get("classification")
    assert found.cost["function_evaluations"] > 1


def test_the_hessian_is_symmetric_and_the_modes_agree() -> None:
    text, at = "sin(x*y) + exp(x - z)*log(1 + y^2) + x^y", "x=1.3,y=0.7,z=-0.4"
    runs = {
        m: np.array(hessian(api.prepare(text, at), m).hessian)
        for m in ("forward-over-reverse", "forward-over-forward", "symbolic")
    }
    for matrix in runs.values():
        close(matrix, matrix.T, 1e-14)
        close(matrix, runs["symbolic"], 1e-13)


def test_hvp_equals_the_hessian_times_v_in_one_sweep() -> None:
    text, at = "sin(x*y) + exp(x - z)*log(1 + y^2)", "x=1.3,y=0.7,z=-0.4"
    full = np.array(hessian(api.prepare(text, at), "symbolic").hessian)
    for v in ([1.0, 0.0, 0.0], [0.3, -2.0, 1.5]):
        found = hessian(api.prepare(text, at), "auto", v)
        close(found.hvp, full @ np.array(v), 1e-13)
        assert found.hessian is None and found.sweeps == 1
    code, out = cli("hess", text, "--at", at, "--hvp", "y=1")
    assert code == 0 and out["vector"] == {"x": 0.0, "y": 1.0, "z": 0.0}
    close(out["hvp"], full[:, 1], 1e-13)


def test_auto_reports_the_mode_it_ran_and_its_cost() -> None:
    few = hessian(api.prepare("x*y^2", "x=1,y=2"))
    assert few.mode == "forward-over-forward" and few.sweeps == 3
    many = hessian(api.prepare("a*b*c*d", "a=1,b=2,c=3,d=4"))
    assert many.mode == "forward-over-reverse" and many.sweeps == 4 and many.cost["directions"] == 4


def test_away_from_a_critical_point_the_verdict_says_whether_f_is_convex_there() -> None:
    convex = hessian(api.prepare("x^2 + y^2", "x=1,y=2"))
    assert (convex.verdict, convex.positive_definite, convex.gradient_norm) == (
        "not a critical point",
        True,
        pytest.approx(np.sqrt(20)),
    )
    assert hessian(api.prepare("x^2 - y^2", "x=1,y=2")).positive_definite is False
    saddle = hessian(api.prepare("x^2 - y^2", "x=0,y=0"))
    assert saddle.verdict == saddle.classification == "saddle"


def test_abs_is_fine_away_from_its_kink_at_every_order() -> None:
    found = hessian(api.prepare("abs(x)^3 + abs(x*y)", "x=-1.5,y=0.5"))
    close(found.hessian, [[-6 * -1.5, -1.0], [-1.0, 0.0]], 1e-14)  # |x|³'' = 6|x|; d²|xy|/dxdy = sign(xy)


# ---- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "at", "kind", "words"),
    [
        ("abs(x)*y", "x=0,y=1", "nondifferentiable", "abs(x)"),
        ("relu(x) + y", "x=0,y=1", "nondifferentiable", "relu(x)"),
        ("max(x, y)", "x=1,y=1", "nondifferentiable", "max(x, y)"),
        ("sqrt(x) + y", "x=0,y=1", "domain_error", "sqrt(x)"),
        ("cbrt(x)*y", "x=0,y=1", "nonfinite", "cbrt(x)"),
    ],
)
def test_a_kink_or_a_domain_edge_is_an_error_naming_the_node_and_the_order(
    text: str, at: str, kind: str, words: str
) -> None:
    for mode in ("forward-over-reverse", "forward-over-forward", "numeric", "symbolic"):
        with pytest.raises(api.AdcliError) as caught:
            hessian(api.prepare(text, at), mode)
        assert caught.value.kind == kind and words in caught.value.message and "order 2" in caught.value.message
    code, out = cli("hess", text, "--at", at)
    assert code == 1 and out["kind"] == kind


def test_a_second_derivative_that_is_infinite_names_the_order() -> None:
    """x^1.5 at 0 is an edge of a^b's domain the table declares (issue 10: defined for x >= 0 only), so its
    derivatives are one-sided from order 1: at order 2 that is the kink's error, naming node and order."""
    with pytest.raises(api.AdcliError) as caught:
        hessian(api.prepare("x^1.5 + y", "x=0,y=1"), "forward-over-reverse")
    message = caught.value.message
    assert caught.value.kind == "nondifferentiable" and "order 2" in message and "x^1.5" in message
    assert "outside the domain" in message


def test_a_multi_output_expression_points_to_per_output_use() -> None:
    code, out = cli("hess", "x*y, x+y", "--at", "x=1,y=2")
    assert (
        code == 2
        and out["kind"] == "usage_error"
        and "one output" in out["message"]
        and 'adcli hess "x*y"' in out["message"]
    )


@pytest.mark.parametrize(("hvp", "words"), [("1,2,3", "3 entries"), ("z=1", "names z"), ("1,x", "--hvp")])
def test_a_bad_hvp_vector_is_a_usage_error(hvp: str, words: str) -> None:
    code, out = cli("hess", "x*y", "--at", "x=1,y=2", "--hvp", hvp)
    assert code == 2 and out["kind"] == "usage_error" and words in out["message"]


def test_hvp_runs_only_forward_over_reverse() -> None:
    code, out = cli("hess", "x*y", "--at", "x=1,y=2", "--hvp", "1,0", "--mode", "numeric")
    assert code == 2 and out["kind"] == "usage_error"


def test_too_many_variables_for_a_matrix_is_limit_exceeded_but_hvp_runs() -> None:
    n = MAX_INPUTS + 1
    text = " + ".join(f"x{k}^2" for k in range(n))
    at = ",".join(f"x{k}=1" for k in range(n))
    with pytest.raises(api.AdcliError) as caught:
        hessian(api.prepare(text, at))
    assert caught.value.kind == "limit_exceeded" and "--hvp" in caught.value.message
    found = hessian(api.prepare(text, at), vector={"x7": 1.0})
    assert found.hvp[7] == pytest.approx(2.0) and sum(abs(v) for v in found.hvp) == pytest.approx(2.0)


def test_an_unknown_mode_is_a_usage_error() -> None:
    code, out = cli("hess", "x*y", "--at", "x=1,y=2", "--mode", "reverse")
    assert code == 2 and out["kind"] == "usage_error" and "forward-over-reverse" in out["message"]


# ---- the verdict's tolerances (hardening of issue 14) ---------------------------------------------------


@pytest.mark.parametrize("mode", ["forward-over-forward", "forward-over-reverse", "symbolic"])
@pytest.mark.parametrize(
    ("expr", "at", "word"),
    [
        # badly scaled minima: the eigenvalue ratio (1e-12, 1e-12, and ~1e-18 for Powell's badly scaled
        # function, whose Gauss-Newton Hessian 2JᵀJ has a nonsingular J) is below a 1e-10 relative cut
        ("x^2 + 1e-12*y^2", "x=0,y=0", "minimum"),
        ("(x - 1e6)^2 + (y - 2e-6)^2 + (x*y - 2)^2", "x=1e6,y=2e-6", "minimum"),  # MGH 4, Brown badly scaled
        ("1e20*(x^2 - y^2)", "x=0,y=0", "saddle"),
        ("1e-20*(x^2 + y^2)", "x=0,y=0", "minimum"),
        # exact zero eigenvalues stay degenerate
        ("(x - y)^4 + (x + y - 2)^2", "x=1,y=1", "degenerate"),
        ("x^4 + y^2", "x=0,y=0", "degenerate"),
    ],
)
def test_the_verdict_does_not_depend_on_the_scale_of_the_variables(mode: str, expr: str, at: str, word: str) -> None:
    found = hessian(api.prepare(expr, at), mode=mode)
    assert found.critical_point and found.verdict == found.classification == word


def test_powell_badly_scaled_at_its_minimum_is_a_minimum() -> None:
    # MGH 3 at its minimum (1.098159e-5, 9.106146) to 17 digits: r₁ = 1e4·x₁x₂ − 1, r₂ = e^−x₁ + e^−x₂ − 1.0001;
    # J is nonsingular (det ≈ −9.9), so 2JᵀJ is positive definite although its eigenvalues are 1.6e10 and 2e-8
    x1, x2 = 1.0981593296997149e-05, 9.106146739867318
    found = hessian(api.prepare("(1e4*x*y - 1)^2 + (exp(-x) + exp(-y) - 1.0001)^2", f"x={x1!r},y={x2!r}"))
    assert found.critical_point and found.verdict == "minimum"


@pytest.mark.parametrize(
    ("expr", "at"),
    [
        ("exp(-(x^2 + y^2))", "x=5,y=5"),  # f ~ 1e-22 and its gradient ~ 1e-21: small, but not 0
        ("1e-12*(x^2 + y^2)", "x=1e-3,y=0"),
        ("x^2 + y^2", "x=1e-5,y=0"),
        ("1e-9*x + y^2", "x=0,y=0"),  # a linear term: no rounding can explain a gradient of 1e-9 at 0
    ],
)
def test_a_small_gradient_that_is_not_0_is_not_a_critical_point(expr: str, at: str) -> None:
    found = hessian(api.prepare(expr, at))
    assert not found.critical_point and found.verdict == "not a critical point"
    assert not hessian(api.prepare(expr, at), vector=[1.0, 0.5]).critical_point  # --hvp alike


@pytest.mark.parametrize("mode", ["forward-over-forward", "forward-over-reverse", "symbolic", "numeric"])
def test_a_varying_exponent_on_a_negative_base_is_a_domain_error_in_every_mode(mode: str) -> None:
    # ∂(x^y)/∂y = x^y·log(x): no real value at x = -2 (forward-over-forward said nonfinite, the others domain_error)
    with pytest.raises(AdcliError) as caught:
        hessian(api.prepare("x^y", "x=-2,y=3"), mode=mode)
    assert caught.value.kind == "domain_error"


def test_hypot_at_the_origin_is_named_a_cone_point_not_an_infinite_slope() -> None:
    with pytest.raises(AdcliError) as caught:
        hessian(api.prepare("hypot(x, y)", "x=0,y=0"))
    assert caught.value.kind == "nonfinite" and "cone point" in caught.value.message
    assert "infinite slope" not in caught.value.message


def test_eigenvalues_by_diagonal_blocks_are_those_of_the_whole_matrix() -> None:
    """hess decomposes each block of a block-diagonal Hessian on its own (ext. Rosenbrock: 2 × 2 blocks);
    the eigenvalues must be numpy's of the whole matrix, and a saddle in one block a saddle."""
    text = " + ".join(f"(10*(x{k + 2} - x{k + 1}^2))^2 + (1 - x{k + 1})^2" for k in range(0, 40, 2)) + " - 3*x41^2"
    at = ",".join(f"x{k + 1}={-1.2 if k % 2 == 0 else 1.0}" for k in range(40)) + ",x41=0"
    found = hessian(api.prepare(text, at))
    whole = np.linalg.eigvalsh(np.array(found.hessian))
    close(found.eigenvalues, whole, 1e-13)
    assert found.positive_definite is False
    at_min = ",".join(f"x{k + 1}=1" for k in range(40)) + ",x41=0"
    assert hessian(api.prepare(text, at_min)).verdict == "saddle"
