"""Differential accuracy of `adcli hess` and `adcli taylor` (issue 14) against 50-digit references.

Each case runs through the command line exactly as a user would (`adcli hess EXPR --at … --format json`,
`adcli taylor EXPR --at … --order N [--dir …] --format json`), in process through the Typer app so a few
hundred cases take seconds, not minutes. References are independent of adcli: SymPy's exact derivatives
evaluated by mpmath at 50 digits for the Hessian and the gradient, and mpmath.taylor (high-precision
differences at 50 digits) for the Taylor coefficients.

The corpus: (1) every function of the primitive table, alone and composed, in one and several variables, at
points inside the domain, near its edges and at large and small magnitudes; (2) the Moré–Garbow–Hillstrom
functions as sums of squares at x₀, 10·x₀ and the minimum; (3) Taylor coefficients of compositions at orders
up to 40, multivariate along a direction. Failures are counted per class:

    wrong        a printed number off by more than 1e-9 relative to its scale, silently (the worst)
    warned       the same, but with an `inaccurate` warning (not silent: rounding adcli cannot avoid)
    verdict      a wrong critical-point verdict where the reference knows it
    crash        a traceback or an internal_error
    refused      an error (domain_error, nondifferentiable, …) where the derivative exists, or the
                 wrong kind of error (or none) where it does not (a kink, a domain edge)
    slow         more than 5 s for one case

    python benchmarks/higher_order_accuracy.py            # the table and the failures
    python benchmarks/higher_order_accuracy.py --verbose  # every case
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import mpmath
import sympy
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations
from typer.testing import CliRunner

from adcli.cli.app import app

mpmath.mp.dps = 50
TOL = 1e-9
TINY = 2.3e-308  # below the smallest normal float64: a true value this small may print as 0
SLOW = 5.0


@dataclass
class Case:
    """One command: `hess` (at a point) or `taylor` (at a point, of an order, along a direction)."""

    kind: str
    expr: str
    at: dict[str, float]
    order: int = 0
    direction: dict[str, float] | None = None
    critical: bool | None = None  # the verdict's expectation where known: None = not checked
    classification: str | None = None
    refuse: str | None = None  # the error kind expected (no derivative exists there), else None
    tags: list[str] = field(default_factory=list)


# ---- the reference ------------------------------------------------------------------------------

_S = sympy
_NAMES = {
    "sec": _S.sec, "csc": _S.csc, "cot": _S.cot, "sech": _S.sech, "ln": _S.log,
    "log10": lambda x: _S.log(x) / _S.log(10), "log2": lambda x: _S.log(x) / _S.log(2),
    "cbrt": lambda x: _S.sign(x) * _S.Abs(x) ** _S.Rational(1, 3), "hypot": lambda a, b: _S.sqrt(a**2 + b**2),
    "abs": _S.Abs, "min": _S.Min, "max": _S.Max, "sigmoid": lambda x: 1 / (1 + _S.exp(-x)),
    "softplus": lambda x: _S.log(1 + _S.exp(x)), "relu": lambda x: _S.Max(0, x), "pow": _S.Pow,
    "atan2": _S.atan2, "sign": _S.sign,
}  # fmt: skip


def sympy_expr(text: str, names: list[str]) -> tuple[Any, list[Any]]:
    symbols = [sympy.Symbol(n, real=True) for n in names]
    local = dict(_NAMES, **{n: s for n, s in zip(names, symbols, strict=True)})
    expr = parse_expr(text, local_dict=local, transformations=(*standard_transformations, convert_xor))
    return expr, symbols


def _num(e: Any, subs: dict[Any, Any], digits: int = 60) -> mpmath.mpf:
    """e at the point given exactly (the floats as rationals), to 50 digits: exact zeros stay 0."""
    e = e.replace(sympy.DiracDelta, lambda *a: sympy.Integer(0))
    e = e.replace(sympy.Heaviside, lambda *a: sympy.Heaviside(a[0], sympy.Rational(1, 2)))
    v = e.subs(subs).evalf(digits)
    return mpmath.mpf(str(sympy.re(v)))


def reference_hessian(case: Case) -> tuple[list[mpmath.mpf], list[list[mpmath.mpf]]]:
    names = list(case.at)
    expr, symbols = sympy_expr(case.expr, names)
    subs = {s: sympy.Rational(case.at[n]) for s, n in zip(symbols, names, strict=True)}
    first = [sympy.diff(expr, s) for s in symbols]
    grad = [_num(d, subs) for d in first]
    hess = [[_num(sympy.diff(first[i], symbols[j]), subs) for j in range(len(symbols))] for i in range(len(symbols))]
    return grad, hess


def reference_taylor(case: Case) -> list[mpmath.mpf]:
    names = list(case.at)
    expr, symbols = sympy_expr(case.expr, names)
    t = sympy.Symbol("t", real=True)
    direction = case.direction or {names[0]: 1.0}
    # mpmath's differences take steps of a fixed size: along a scaled direction for a point far from 0
    scale = max(1.0, *(abs(v) for v in case.at.values()))
    line = {s: sympy.Rational(case.at[n]) + sympy.Rational(direction.get(n, 0.0)) * sympy.Rational(scale) * t
            for s, n in zip(symbols, names, strict=True)}  # fmt: skip
    if case.order <= 10:  # exact: sympy's derivatives of g(t) at t = 0 (mpmath's steps fail at 1e±300)
        g, out = expr.subs(line), []
        for k in range(case.order + 1):
            # 400 digits: terms of e^±700 that cancel (softplus at 700) fool sympy's own accuracy estimate
            out.append(_num(g, {t: 0}, 400) / mpmath.factorial(k) / mpmath.mpf(scale) ** k)
            g = sympy.diff(g, t)
        return out
    g = sympy.lambdify(t, expr.subs(line), modules="mpmath")
    coefficients = mpmath.taylor(g, mpmath.mpf(0), case.order)
    return [mpmath.mpf(c) / mpmath.mpf(scale) ** k for k, c in enumerate(coefficients)]


# ---- running adcli ------------------------------------------------------------------------------

RUNNER = CliRunner()


def _point(values: dict[str, float]) -> str:
    return ",".join(f"{k}={v!r}" for k, v in values.items())


def run(case: Case) -> tuple[int, Any, str, float]:
    if case.kind == "hess":
        args = ["hess", case.expr, "--at", _point(case.at), "--format", "json"]
    else:
        args = ["taylor", case.expr, "--at", _point(case.at), "--order", str(case.order), "--format", "json"]
        if case.direction:
            args += ["--dir", _point(case.direction)]
    start = time.perf_counter()
    result = RUNNER.invoke(app, args, catch_exceptions=True)
    seconds = time.perf_counter() - start
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        return -1, None, f"traceback: {type(result.exception).__name__}: {result.exception}", seconds
    try:
        return result.exit_code, json.loads(result.stdout), "", seconds
    except json.JSONDecodeError:
        return result.exit_code, None, (result.stdout + (result.stderr or ""))[-300:], seconds


def _off(got: list[float], want: list[mpmath.mpf], scale: mpmath.mpf) -> float:
    worst = 0.0
    for g, w in zip(got, want, strict=True):
        if g is None or not math.isfinite(g):
            return math.inf
        err = max(abs(mpmath.mpf(g) - w) - TINY, 0)
        worst = max(worst, float(err / scale) if scale else float(err))
    return worst


def _taylor_off(got: list[float], want: list[mpmath.mpf]) -> float:
    """Each coefficient relative to itself, or to the geometric mean of its neighbours where it is 0."""
    worst = 0.0
    for k, (g, w) in enumerate(zip(got, want, strict=True)):
        if g is None or not math.isfinite(g):
            return math.inf
        near = [abs(want[j]) for j in (k - 1, k + 1) if 0 <= j < len(want)]
        scale = max(abs(w), mpmath.sqrt(near[0] * near[-1]) if near else 0)
        err = max(abs(mpmath.mpf(g) - w) - TINY, 0)
        worst = max(worst, float(err / scale) if scale else (0.0 if err == 0 else math.inf))
    return worst


def judge(case: Case) -> tuple[str, str, float]:
    """The failure class ('' when the case passes), a detail, the seconds."""
    code, out, text, seconds = run(case)
    if code == -1 or (out and out.get("error", {}).get("kind") == "internal_error") or "Traceback" in text:
        return "crash", text or json.dumps(out)[:200], seconds
    if case.refuse:
        kind = (out or {}).get("error", {}).get("kind")
        return ("" if kind == case.refuse else "refused"), f"error {kind}, want {case.refuse}", seconds
    if out is None or "error" in out:
        return "refused", (text or json.dumps(out.get("error")))[:200], seconds
    warned = any(w.get("kind") == "inaccurate" for w in out.get("warnings", []))
    if case.kind == "hess":
        grad, hess = reference_hessian(case)
        big = max((abs(v) for row in hess for v in row), default=0)
        # the gradient relative to its own size, or to the size the point's own rounding gives it (∇f ≈ H·δx)
        x = [abs(v) for v in case.at.values()]
        reach = max((sum(abs(h) * a for h, a in zip(row, x, strict=True)) for row in hess), default=0)
        gbig = max(max((abs(v) for v in grad), default=0), reach * 1e-7)
        worst = max(_off([v for row in out["hessian"] for v in row], [v for row in hess for v in row], big),
                    _off(out["gradient"], grad, gbig))  # fmt: skip
        if worst > TOL:
            return ("warned" if warned else "wrong"), f"worst {worst:.2e} relative", seconds
        if case.critical is not None and out.get("critical_point") != case.critical:
            return "verdict", f"critical_point {out.get('critical_point')}, want {case.critical}", seconds
        if case.classification and out.get("classification") != case.classification:
            return "verdict", f"{out.get('classification')}, want {case.classification}", seconds
    else:
        want = reference_taylor(case)
        worst = _taylor_off(out["coefficients"], want)
        if worst > TOL:
            return ("warned" if warned else "wrong"), f"worst {worst:.2e} relative", seconds
    if seconds > SLOW:
        return "slow", f"{seconds:.1f} s", seconds
    return "", "", seconds


# ---- the corpus ---------------------------------------------------------------------------------

# name -> points inside the domain (interior, near an edge, large, small)
UNARY: dict[str, list[float]] = {
    "sin": [0.7, -2.5, 1e-8, 1e3, 3.0],
    "cos": [0.7, -2.5, 1e-8, 1e3, 1.5],
    "tan": [0.7, -1.2, 1e-8, 1.5, 1.57],
    "sec": [0.7, -1.2, 1e-8, 1.5],
    "csc": [0.7, -1.2, 1e-3, 3.0],
    "cot": [0.7, -1.2, 1e-3, 3.0],
    "asin": [0.3, -0.9, 0.999, 1e-8, -0.99999],
    "acos": [0.3, -0.9, 0.999, 1e-8, -0.99999],
    "atan": [0.3, -4.0, 1e-8, 1e4],
    "sinh": [0.3, -4.0, 1e-8, 30.0],
    "cosh": [0.3, -4.0, 1e-8, 30.0],
    "tanh": [0.3, -4.0, 1e-8, 15.0],
    "sech": [0.3, -4.0, 1e-8, 15.0],
    "asinh": [0.3, -4.0, 1e-8, 1e4],
    "acosh": [1.3, 4.0, 1.0001, 1e4],
    "atanh": [0.3, -0.9, 0.999, 1e-8],
    "exp": [0.3, -4.0, 1e-8, 50.0, -50.0],
    "log": [0.3, 4.0, 1e-6, 1e6, 1.0],
    "ln": [0.3, 4.0],
    "log10": [0.3, 4.0, 1e-6],
    "log2": [0.3, 4.0, 1e-6],
    "sqrt": [0.3, 4.0, 1e-6, 1e6],
    "cbrt": [0.3, -4.0, 1e-6, -1e6],
    "abs": [0.3, -4.0],
    "sigmoid": [0.3, -4.0, 30.0, -30.0],
    "relu": [0.3, -4.0],
    "softplus": [0.3, -4.0, 30.0, -30.0],
    "sign": [0.3, -4.0],
}
BINARY: dict[str, list[tuple[float, float]]] = {
    "pow": [(1.5, 2.5), (0.3, -1.7), (2.0, 0.5), (1e-3, 7.5)],
    "atan2": [(0.3, 1.2), (-1.0, -0.5), (1e-8, 1.0), (2.0, -1e-3)],
    "hypot": [(0.3, 1.2), (-1.0, -0.5), (1e-8, 1.0), (3e3, 4e3)],
    "min": [(0.3, 1.2), (-1.0, -0.5)],
    "max": [(0.3, 1.2), (-1.0, -0.5)],
}
COMPOSED = [
    ("exp(sin(x))", {"x": 0.5}), ("log(1 + x^2)", {"x": 0.7}), ("sqrt(1 + sin(x)^2)", {"x": 1.1}),
    ("atan(exp(x))", {"x": -0.4}), ("sigmoid(tanh(x))", {"x": 0.9}), ("x^x", {"x": 1.5}),
    ("sin(x)/x", {"x": 0.3}), ("log(cosh(x))", {"x": 2.0}), ("asinh(x)*acos(x/2)", {"x": 0.6}),
    ("cbrt(1 + x^3)", {"x": 0.4}), ("exp(-x^2)*cos(3*x)", {"x": 0.25}), ("1/(1 + 25*x^2)", {"x": 0.1}),
    ("tan(sin(x)) - sin(tan(x))", {"x": 0.2}), ("softplus(sin(x))^2", {"x": -0.8}),
    ("log10(2 + x)*sech(x)", {"x": 0.35}), ("hypot(x, 1 + x^2)", {"x": 0.45}), ("2^x", {"x": 1.0}),
    ("pow(x, 2.5)", {"x": 0.8}), ("atanh(x/2)^3", {"x": 0.5}), ("acosh(2 + x)", {"x": 0.3}),
    ("exp(exp(x))", {"x": 0.2}), ("sec(x) + csc(x) + cot(x)", {"x": 0.9}), ("log2(x)*sqrt(x)", {"x": 3.0}),
]  # fmt: skip
MULTI = [
    ("sin(x1)*cos(x2)*exp(x3)", {"x1": 0.3, "x2": -1.2, "x3": 0.5}), ("log(x1^2 + x2^2)", {"x1": 1.2, "x2": -0.7}),
    ("atan2(x1, x2)", {"x1": 0.4, "x2": 1.3}), ("hypot(x1, x2)*exp(-x1*x2)", {"x1": 0.4, "x2": 1.3}),
    ("x1^x2", {"x1": 1.7, "x2": 0.6}), ("sqrt(x1*x2 + x3^2)", {"x1": 2.0, "x2": 0.5, "x3": 1e-3}),
    ("softplus(x1*x2 - 1) + relu(x1 + x2)", {"x1": 0.8, "x2": 1.5}),
    ("tanh(x1 - 2*x2)*asinh(x3)", {"x1": 0.1, "x2": 0.2, "x3": 3.0}),
    ("log(x1)*log(x2)", {"x1": 1e-6, "x2": 1e6}), ("exp(x1 + x2)", {"x1": 300.0, "x2": 400.0}),
    ("exp(-(x1^2 + x2^2))", {"x1": 5.0, "x2": 5.0}), ("1e-12*(x1^2 + x2^2)", {"x1": 1e-3, "x2": 0.0}),
    ("max(x1, x2)*min(x1, x2)", {"x1": 0.3, "x2": 1.2}), ("cbrt(x1*x2)", {"x1": -2.0, "x2": 3.0}),
    ("sigmoid(x1)*sigmoid(-x2)", {"x1": 40.0, "x2": -40.0}), ("acos(x1*x2)", {"x1": 0.99, "x2": 0.999}),
    ("abs(x1*x2) + pow(x1, 3)*x2", {"x1": -1.5, "x2": 0.8}),
    ("sin(x1*x2*x3*x4)", {"x1": 1.0, "x2": 2.0, "x3": 0.5, "x4": 0.3}),
]  # fmt: skip
CRITICAL = [  # (expr, point, classification) at exact critical points
    ("x1*x2 - x1^2 - 2*x2^2", {"x1": 0.0, "x2": 0.0}, "maximum"),
    ("(x1 - x2)^4 + (x1 + x2 - 2)^2", {"x1": 1.0, "x2": 1.0}, "degenerate"),
    ("x1^2 - x2^2", {"x1": 0.0, "x2": 0.0}, "saddle"),
    ("x1^2 + 1e-12*x2^2", {"x1": 0.0, "x2": 0.0}, "minimum"),
    ("1e6*x1^2 + 1e-6*x2^2", {"x1": 0.0, "x2": 0.0}, "minimum"),
    ("1e-20*(x1^2 + x2^2)", {"x1": 0.0, "x2": 0.0}, "minimum"),
    ("1e20*(x1^2 - x2^2)", {"x1": 0.0, "x2": 0.0}, "saddle"),
    ("cos(x1) + cos(x2)", {"x1": 0.0, "x2": 0.0}, "maximum"),
    ("x1^4 + x2^2", {"x1": 0.0, "x2": 0.0}, "degenerate"),
    ("exp(x1^2 + x2^2)", {"x1": 0.0, "x2": 0.0}, "minimum"),
]  # fmt: skip
STRESS = [  # magnitudes at the ends of the float range, and C² functions through a kink
    ("exp(x1)*x2^2", {"x1": 700.0, "x2": 0.5}), ("x1^2*x2^2", {"x1": 1e-150, "x2": 1e-150}),
    ("log(x1)*x2^2", {"x1": 1e-150, "x2": 3.0}), ("sqrt(x1)*x2", {"x1": 1e-200, "x2": 2.0}),
    ("x1^3*x2^3", {"x1": 1e100, "x2": 1e-100}), ("1/(x1*x2)", {"x1": 1e-50, "x2": 1e50}),
    ("atan(x1*x2)", {"x1": 1e30, "x2": 1e-40}), ("tanh(x1)*x2^2", {"x1": 20.0, "x2": 3.0}),
    ("sigmoid(x1)*x2", {"x1": -700.0, "x2": 3.0}), ("softplus(x1)*x2", {"x1": 700.0, "x2": 3.0}),
    ("abs(x1)^3*x2", {"x1": 0.0, "x2": 0.5}),  # |x|³ is C² at 0: the Hessian exists (it is 0)
]  # fmt: skip
# no series to order 8, rightly: cₖ ~ x^-k overflows (nonfinite); |x|³ has no third derivative at 0
NO_SERIES_TO_ORDER_8 = {"log(x1)*x2^2", "sqrt(x1)*x2", "1/(x1*x2)", "abs(x1)^3*x2"}
NOT_CRITICAL = [  # small or tiny gradients that are not 0
    ("exp(-(x1^2 + x2^2))", {"x1": 5.0, "x2": 5.0}), ("1e-12*(x1^2 + x2^2)", {"x1": 1e-3, "x2": 0.0}),
    ("x1^2 + x2^2", {"x1": 1e-5, "x2": 0.0}), ("1e-9*x1 + x2^2", {"x1": 0.0, "x2": 0.0}),
]  # fmt: skip


EDGES = [  # (expr, point, the error kind of hess, of taylor along x): no second derivative / no series there
    ("abs(x)*y", {"x": 0.0, "y": 0.5}, "nondifferentiable", "nondifferentiable"),
    ("relu(x)*y", {"x": 0.0, "y": 0.5}, "nondifferentiable", "nondifferentiable"),
    ("max(x, y)", {"x": 0.5, "y": 0.5}, "nondifferentiable", "nondifferentiable"),
    ("sign(x)*y", {"x": 0.0, "y": 0.5}, "nondifferentiable", "nondifferentiable"),
    ("sqrt(x)*y", {"x": 0.0, "y": 0.5}, "domain_error", "domain_error"),
    ("asin(x)*y", {"x": 1.0, "y": 0.5}, "domain_error", "domain_error"),
    ("acosh(x)*y", {"x": 1.0, "y": 0.5}, "domain_error", "domain_error"),
    ("log(x)*y", {"x": 0.0, "y": 0.5}, "domain_error", "domain_error"),
    ("atanh(x)*y", {"x": 1.0, "y": 0.5}, "domain_error", "domain_error"),
    ("cbrt(x)*y", {"x": 0.0, "y": 0.5}, "nonfinite", "nonfinite"),
    ("y/x", {"x": 0.0, "y": 0.5}, "nonfinite", "nonfinite"),
    ("hypot(x, y)", {"x": 0.0, "y": 0.0}, "nonfinite", "nondifferentiable"),  # a cone point; grad: nonfinite
    ("x^y", {"x": -2.0, "y": 3.0}, "domain_error", "domain_error"),  # ∂/∂y = x^y·log(x)
    ("exp(x)*y", {"x": 800.0, "y": 0.5}, "nonfinite", "nonfinite"),
    ("(x*y)^2", {"x": 1e200, "y": 1e100}, "nonfinite", "nonfinite"),
    ("log(x)*y^2", {"x": 1e-300, "y": 3.0}, "nonfinite", "nonfinite"),  # -1/x² overflows
    ("sqrt(x)*y", {"x": 1e-300, "y": 2.0}, "nonfinite", "nonfinite"),
]  # fmt: skip


def _edges() -> list[Case]:
    cases = []
    for expr, at, hess_kind, taylor_kind in EDGES:
        cases.append(Case("hess", expr, at, refuse=hess_kind, tags=["edge"]))
        cases.append(
            Case("taylor", expr, at, order=4, direction={"x": 1.0, "y": 0.5}, refuse=taylor_kind, tags=["edge"])
        )
    return cases


def _mgh() -> list[Case]:
    """Moré–Garbow–Hillstrom (1981) problems as f = Σ rᵢ²: (residuals, x₀, minimum or None, classification)."""
    problems = [
        (["10*(x2 - x1^2)", "1 - x1"], [-1.2, 1.0], [1.0, 1.0], "minimum"),
        (["-13 + x1 + ((5 - x2)*x2 - 2)*x2", "-29 + x1 + ((x2 + 1)*x2 - 14)*x2"], [0.5, -2.0], [5.0, 4.0], "minimum"),
        (["x1 - 1e6", "x2 - 2e-6", "x1*x2 - 2"], [1.0, 1.0], [1e6, 2e-6], "minimum"),
        (["1.5 - x1*(1 - x2)", "2.25 - x1*(1 - x2^2)", "2.625 - x1*(1 - x2^3)"], [1.0, 1.0], [3.0, 0.5], "minimum"),
        (["10*(x3 - 10*atan2(x2, x1)/(2*pi))", "10*(sqrt(x1^2 + x2^2) - 1)", "x3"],
         [-1.0, 1e-300, 0.0], [1.0, 0.0, 0.0], "minimum"),
        (["x1 + 10*x2", "sqrt(5)*(x3 - x4)", "(x2 - 2*x3)^2", "sqrt(10)*(x1 - x4)^2"],
         [3.0, -1.0, 0.0, 1.0], [0.0, 0.0, 0.0, 0.0], "degenerate"),
        (["10*(x2 - x1^2)", "1 - x1", "sqrt(90)*(x4 - x3^2)", "1 - x3", "sqrt(10)*(x2 + x4 - 2)", "(x2 - x4)/sqrt(10)"],
         [-3.0, -1.0, -3.0, -1.0], [1.0, 1.0, 1.0, 1.0], "minimum"),
        (["x1 - 0.2*exp(x2)", "x2 - 0.5*exp(x1)"], [0.5, 0.5], None, None),
        # Powell badly scaled (MGH 3) at its minimum to 17 digits: eigenvalues 2.4e-8 and 1.7e10
        (["1e4*x1*x2 - 1", "exp(-x1) + exp(-x2) - 1.0001"], [0.0, 1.0], [1.0981593296997149e-05, 9.106146739867318],
         "minimum"),
    ]  # fmt: skip
    for n in (10, 40):
        res = []
        for i in range(1, n, 2):
            res += [f"10*(x{i + 1} - x{i}^2)", f"1 - x{i}"]
        problems.append((res, [-1.2, 1.0] * (n // 2), [1.0] * n, "minimum"))
    cases = []
    for res, x0, xmin, word in problems:
        expr = " + ".join(f"({r})^2" for r in res)
        n = len(x0)
        names = [f"x{i + 1}" for i in range(n)]
        pts = [(x0, None, None), ([10 * v for v in x0], None, None)]
        if xmin:
            pts.append((xmin, True, word))
        for p, crit, cls in pts:
            cases.append(
                Case("hess", expr, dict(zip(names, p, strict=True)), critical=crit, classification=cls, tags=["mgh"])
            )
    return cases


def _singles() -> list[Case]:
    cases: list[Case] = []
    for name, pts in UNARY.items():
        for p in pts:
            expr = f"{name}(x1)*x2 + ({name}(x1)*x2)^2"
            cases.append(Case("hess", expr, {"x1": p, "x2": 0.5}, tags=[name]))
            cases.append(Case("taylor", f"{name}(x)", {"x": p}, order=12, tags=[name]))
    for name, pairs in BINARY.items():
        for a, b in pairs:
            line = {"x": 1.0, "y": -0.5}
            cases.append(Case("hess", f"{name}(x1, x2)", {"x1": a, "x2": b}, tags=[name]))
            cases.append(Case("taylor", f"{name}(x, y)", {"x": a, "y": b}, order=10, direction=line, tags=[name]))
    return cases


def _compositions(quick: bool) -> list[Case]:
    cases: list[Case] = []
    for expr, at in COMPOSED:
        for order in (5, 20) if quick else (5, 20, 40):
            cases.append(Case("taylor", expr, at, order=order, tags=["composed"]))
        cases.append(Case("hess", f"({expr})*y + y^3", dict(at, y=0.7), tags=["composed"]))
    for expr, at in MULTI:
        line = {k: 1.0 - 0.3 * i for i, k in enumerate(at)}
        cases.append(Case("hess", expr, at, tags=["multi"]))
        cases.append(Case("taylor", expr, at, order=15, direction=line, tags=["multi"]))
    for expr, at in COMPOSED[:8]:
        line = {"x": 0.5, "y": -1.5}
        text = f"({expr})*exp(y) + y*x"
        cases.append(Case("taylor", text, {"x": at["x"], "y": 0.25}, order=30, direction=line, tags=["dir"]))
    return cases


def _verdicts() -> list[Case]:
    cases: list[Case] = []
    for expr, at in STRESS:
        cases.append(Case("hess", expr, at, tags=["stress"]))
        if expr not in NO_SERIES_TO_ORDER_8:
            cases.append(Case("taylor", expr, at, order=8, direction={k: 1.0 for k in at}, tags=["stress"]))
    for expr, at, word in CRITICAL:
        cases.append(Case("hess", expr, at, critical=True, classification=word, tags=["critical"]))
    for expr, at in NOT_CRITICAL:
        cases.append(Case("hess", expr, at, critical=False, tags=["not_critical"]))
    return cases


def corpus(quick: bool = False) -> list[Case]:
    return _singles() + _compositions(quick) + _verdicts() + _mgh() + _edges()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--quick", action="store_true", help="orders up to 20 only")
    args = parser.parse_args()
    cases = corpus(args.quick)
    counts: Counter[str] = Counter()
    start = time.perf_counter()
    for case in cases:
        try:
            failure, detail, seconds = judge(case)
        except Exception as exc:  # noqa: BLE001 - a reference that cannot be computed is not adcli's failure
            failure, detail, seconds = "no_reference", f"{type(exc).__name__}: {exc}"[:200], 0.0
        counts[failure or "pass"] += 1
        if failure or args.verbose:
            where = _point(case.at) + (f" order {case.order}" if case.kind == "taylor" else "")
            where += f" dir {_point(case.direction)}" if case.direction else ""
            print(f"{failure or 'pass':8} {case.kind:6} {case.expr[:60]:60} {where[:60]}  {detail}  ({seconds:.2f} s)")
    print(f"\n{len(cases)} cases in {time.perf_counter() - start:.0f} s")
    for name in ("pass", "wrong", "warned", "verdict", "crash", "refused", "slow", "no_reference"):
        print(f"  {name:13} {counts[name]}")
    return 1 if any(counts[k] for k in ("wrong", "verdict", "crash")) else 0


if __name__ == "__main__":
    sys.exit(main())
