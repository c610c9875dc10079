"""Numeric mode's accuracy and cost on the example corpus, per method, beside numdifftools' defaults.

For every problem of tests/data/calculus.jsonl (references: exact derivatives at 30 digits) and
every partial derivative in it, each method of `adcli grad/jac --mode numeric` is run and its
relative error measured (|approx − exact| / |exact|; the absolute error where the exact value is 0).
Printed per method: the median and worst relative error, how many partials failed (an error, or
a non-finite answer), how often the error estimate bounds the actual error, and the median number
of function evaluations per partial (nfev / number of columns, the evaluation at x included).

numdifftools (pip install numdifftools, the `bench` extra) runs with its defaults
(`nd.Jacobian(f)(x)`: central differences, Richardson extrapolation, its own step generator) on
the very same function: adcli's tape, so both see the same floating-point values; its evaluations
are counted point by point. Skipped when it is not installed.

    python benchmarks/numeric_accuracy.py
    python benchmarks/numeric_accuracy.py --show-worst 5
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from adcli import api
from adcli.core.errors import AdcliError
from adcli.core.tape import evaluate
from adcli.modes.numeric.estimate import METHODS, Options

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "calculus.jsonl"


def problems() -> list[dict[str, Any]]:
    with CORPUS.open(encoding="utf-8") as f:
        return [p for p in map(json.loads, f) if p["wrt"]]


def relative(approx: float, exact: float) -> float:
    return abs(approx - exact) / abs(exact) if exact != 0 else abs(approx - exact)


class Tally:
    """Errors, failures, bounds and evaluation counts for one method over the corpus."""

    def __init__(self, name: str) -> None:
        self.name, self.errors, self.nfev, self.failed, self.bounded = name, [], [], [], []
        self.refused: list[str] = []  # complex step on abs, relu, …: a usage_error by design
        self.worst: list[tuple[float, str]] = []

    def add(self, problem: dict, found: np.ndarray | None, nfev: float, estimate: np.ndarray | None = None) -> None:
        exact = np.array(problem["jacobian"], dtype=float)
        if found is None or not np.all(np.isfinite(found)):
            self.failed.append(problem["id"])
            return
        self.nfev.append(nfev)
        for i, k in np.ndindex(*exact.shape):
            err = relative(found[i, k], exact[i, k])
            self.errors.append(err)
            self.worst.append((err, f"{problem['id']} d(f{i + 1})/d{problem['wrt'][k]}"))
            if estimate is not None:
                self.bounded.append(abs(found[i, k] - exact[i, k]) <= estimate[i, k])

    def row(self) -> list[str]:
        bound = f"{100 * np.mean(self.bounded):.0f}%" if self.bounded else "-"
        return [
            self.name,
            str(len(self.errors)),
            f"{statistics.median(self.errors):.1e}",
            f"{max(self.errors):.1e}",
            f"{len(self.failed)}" + (f" ({len(self.refused)} refused)" if self.refused else ""),
            bound,
            f"{statistics.median(self.nfev):g}",
        ]


def run_adcli(method: str, corpus: list[dict]) -> Tally:
    tally = Tally(f"adcli {method}")
    for p in corpus:
        problem = api.prepare(p["expr"], p["at"], p["wrt"])
        try:
            result = api.differentiate(problem, "numeric", numeric=Options(method=method))
        except AdcliError as exc:
            (tally.refused if exc.kind == "usage_error" else tally.failed).append(p["id"])
            continue
        found = np.array(result.jacobian, dtype=float)
        tally.add(p, found, result.nfev / len(p["wrt"]), np.array(result.error_estimate))
    return tally


def tape_function(p: dict) -> tuple[Callable[[np.ndarray], np.ndarray], np.ndarray, list[int]]:
    """f(wrt values) -> outputs through adcli's tape, for a peer; counts the points it is called at."""
    problem = api.prepare(p["expr"], p["at"], p["wrt"])
    tape, n = problem.tape, len(p["wrt"])
    fixed = [problem.point.get(name, 0.0) for name in tape.names]
    count = [0]

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        count[0] += x.size // n
        inputs = [x[k] if k < n else fixed[k] for k in range(len(fixed))]
        try:
            vals = evaluate(tape, inputs)
        except AdcliError:  # outside a domain: what numpy itself would give
            return np.full((len(tape.outputs), *x.shape[1:]), np.nan).squeeze()
        shape = np.broadcast(*inputs).shape
        return np.array([np.broadcast_to(vals[o], shape) for o in tape.outputs]).squeeze()

    return f, np.array([p["at"][w] for w in p["wrt"]], dtype=float), count


def run_numdifftools(corpus: list[dict]) -> Tally | None:
    try:
        import numdifftools as nd
    except ImportError:
        return None
    tally = Tally(f"numdifftools {nd.__version__} defaults")
    for p in corpus:
        f, x, count = tape_function(p)
        with np.errstate(all="ignore"):
            found = np.asarray(nd.Jacobian(f)(x), dtype=float)
        exact = np.array(p["jacobian"], dtype=float)
        tally.add(p, found.reshape(exact.shape) if found.size == exact.size else None, count[0] / len(p["wrt"]))
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--show-worst", type=int, default=3, help="print each method's worst partials")
    parser.add_argument("--random", type=int, default=0, help="only the random corpus, of this many problems")
    parser.add_argument("--seed", type=int, default=10, help="the random corpus's seed")
    args = parser.parse_args()
    if args.random:
        random_report(args.random, args.seed, args.show_worst)
        return
    corpus = problems()
    tallies = [run_adcli(method, corpus) for method in METHODS]
    peer = run_numdifftools(corpus)
    if peer is None:
        print("numdifftools is not installed (pip install numdifftools): peer column skipped")
    else:
        tallies.append(peer)
    header = ["method", "partials", "median rel err", "worst", "failed", "estimate bounds", "median nfev/partial"]
    rows = [header] + [t.row() for t in tallies]
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    print(f"{len(corpus)} problems from {CORPUS.name}")
    for r in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)))
    for t in tallies:
        worst = sorted(t.worst, reverse=True)[: args.show_worst]
        print(f"{t.name}: worst " + "; ".join(f"{name} {err:.1e}" for err, name in worst))
        if t.failed or t.refused:
            print(f"  failed: {', '.join(t.failed) or '-'}; refused (not analytic): {', '.join(t.refused) or '-'}")
    edges()


EDGES = [  # (expression, x, exact derivative at the float x, from mpmath at 40 digits)
    ("sqrt(x)", 1e-10, lambda mp, x: 1 / (2 * mp.sqrt(x))),
    ("log(x)", 1e-12, lambda mp, x: 1 / x),
    ("acosh(x)", 1 + 1e-9, lambda mp, x: 1 / mp.sqrt(x * x - 1)),
]


def edges() -> None:
    """Near a domain's edge: adcli's refitted stencils beside numdifftools (nan when a step leaves the domain)."""
    try:
        import mpmath as mp
    except ImportError:
        return
    mp.mp.dps = 40
    try:
        import numdifftools as nd
    except ImportError:
        nd = None
    print("\nnear a domain's edge (relative error, function evaluations):")
    for text, x, exact_at in EDGES:
        exact = float(exact_at(mp, mp.mpf(x)))
        cells = []
        for method in ("richardson", "central", "complex"):
            result = api.differentiate(api.prepare(text, {"x": x}), "numeric", numeric=Options(method=method))
            cells.append(f"adcli {method} {relative(result.jacobian[0][0], exact):.1e} ({result.nfev})")
        if nd is not None:
            p = {"expr": text, "at": {"x": x}, "wrt": ["x"]}
            f, point, count = tape_function(p)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numdifftools warns about its all-nan tableau
                found = float(np.ravel(nd.Jacobian(f)(point))[0])
            shown = f"{relative(found, exact):.1e}" if np.isfinite(found) else str(found)
            cells.append(f"numdifftools {shown} ({count[0]})")
        print(f"  {text} at x = {x!r}: " + "; ".join(cells))


# ---- the random corpus: does the error estimate bound the error? ---------------------------------

UNARY = ["sin", "cos", "tan", "exp", "log", "sqrt", "tanh", "atan", "sinh", "cosh", "asinh", "sigmoid", "softplus",
         "cbrt", "sec", "asin", "acos", "atanh", "acosh", "log10", "log2", "sech", "cot", "csc"]  # fmt: skip
BINARY = ["+", "-", "*", "/", "^", "hypot", "atan2"]
CONSTANTS = ["2", "3", "0.5", "2.5", "0.1", "1.5", "7.3", "10", "100", "0.01", "pi", "1e3", "1e-3", "6"]
MP = {  # the function of each primitive at 50 digits (independent of adcli's rules; sign of cbrt kept real)
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b, "div": lambda a, b: a / b,
    "neg": lambda a: -a, "pow": lambda a, b: a**b, "sin": "sin", "cos": "cos", "tan": "tan", "sec": "sec",
    "csc": "csc", "cot": "cot", "asin": "asin", "acos": "acos", "atan": "atan", "atan2": "atan2", "sinh": "sinh",
    "cosh": "cosh", "tanh": "tanh", "sech": "sech", "asinh": "asinh", "acosh": "acosh", "atanh": "atanh",
    "exp": "exp", "log": "log", "log10": lambda a: mpmath().log(a, 10), "log2": lambda a: mpmath().log(a, 2),
    "sqrt": "sqrt", "cbrt": lambda a: mpmath().sign(a) * mpmath().cbrt(abs(a)), "hypot": "hypot", "abs": abs,
    "sigmoid": lambda a: 1 / (1 + mpmath().exp(-a)), "softplus": lambda a: mpmath().log1p(mpmath().exp(a)),
    "relu": lambda a: max(a, 0), "sign": "sign", "min": min, "max": max,
}  # fmt: skip


def mpmath() -> Any:
    import mpmath as mp

    return mp


def random_expression(rng: random.Random, depth: int) -> str:
    """An expression in x and y: calls and operators from the table, constants of every size, powers up to 6."""
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["x", "y", "x", "y", rng.choice(CONSTANTS)])
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.choice(UNARY)}({random_expression(rng, depth - 1)})"
    if kind < 0.6:
        return f"({random_expression(rng, depth - 1)})^{rng.choice([2, 3, 4, 5, 6, -1, -2])}"
    op = rng.choice(BINARY)
    a, b = random_expression(rng, depth - 1), random_expression(rng, depth - 1)
    return f"{op}({a}, {b})" if op.isalpha() else f"({a}) {op} ({b})"


def random_point(rng: random.Random) -> dict[str, float]:
    """Mostly moderate values, some large (|x| up to 20) and some small: where rounding and truncation bite."""

    def one() -> float:
        r = rng.random()
        if r < 0.6:
            return round(rng.uniform(-3, 3), 3)
        if r < 0.85:
            return round(rng.choice([-1, 1]) * rng.uniform(3, 20), 3)
        return rng.choice([-1, 1]) * 10.0 ** rng.uniform(-6, 0)

    return {"x": one(), "y": one()}


def reference(tape: Any, point: dict[str, float], wrt: list[str]) -> list[list[float]] | None:
    """∂fᵢ/∂x from mpmath at 50 digits on the tape's own floats (inputs and constants as the floats adcli
    holds), by mpmath's own numerical differentiation (mp.diff): independent of adcli's derivative rules.
    Checked at 80 digits (a smaller step): where the two differ beyond 1e-20, the reference is not trusted."""
    first, second = _reference(tape, point, wrt, 50), _reference(tape, point, wrt, 80)
    if first is None or second is None:
        return None
    for a, b in zip(sum(first, []), sum(second, []), strict=True):
        if abs(a - b) > 1e-20 * max(abs(a), abs(b)) and a != b:
            return None
    return first


def _reference(tape: Any, point: dict[str, float], wrt: list[str], digits: int) -> list[list[float]] | None:
    mp = mpmath()
    mp.mp.dps = digits
    names = tape.names

    def f(*xs: Any) -> list[Any]:
        vals: list[Any] = [mp.mpf(v) for v in xs]
        vals += [mp.mpf(tape.nodes[s].payload) for s in range(tape.n_inputs, tape.first_op)]
        for s in range(tape.first_op, len(tape.nodes)):
            fn = MP[tape.prims[s].name]
            fn = getattr(mp, fn) if isinstance(fn, str) else fn
            value = fn(*[vals[j] for j in tape.args[s]])
            if not isinstance(value, mp.mpf):
                raise ValueError("not real")
            vals.append(value)
        return [vals[o] for o in tape.outputs]

    at = [mp.mpf(point[n]) for n in names]
    try:
        rows = [[0.0] * len(wrt) for _ in tape.outputs]
        for k, name in enumerate(wrt):
            orders = [1 if n == name else 0 for n in names]
            for i in range(len(tape.outputs)):
                d = mp.diff(lambda *xs, i=i: f(*xs)[i], at, orders)
                rows[i][k] = float(d)
    except (ValueError, ZeroDivisionError, OverflowError):
        return None
    if not all(math.isfinite(v) for row in rows for v in row):
        return None
    return rows


@dataclass
class Bounds:
    """One method over the random corpus: partials, misses (|error| > estimate), misses without a warning."""

    method: str
    cases: int = 0
    misses: int = 0
    silent: int = 0
    failed: int = 0
    worst: list[tuple[float, str]] = field(default_factory=list)

    def row(self) -> str:
        rate = 100 * (1 - self.misses / self.cases) if self.cases else 0.0
        return (
            f"{self.method:<11} partials {self.cases:>6}  misses {self.misses:>5}  without a warning {self.silent:>4}"
            f"  bounded {rate:7.3f}%  failed {self.failed}"
        )


def random_problems(count: int, seed: int) -> list[tuple[str, dict[str, float], Any, list[list[float]]]]:
    """count problems that reverse mode differentiates without a warning, with their 50-digit references."""
    from adcli import api as adcli_api

    rng = random.Random(seed)
    found = []
    while len(found) < count:
        text, point = random_expression(rng, rng.choice([2, 3, 4])), random_point(rng)
        try:
            problem = adcli_api.prepare(text, point, ["x", "y"])
            ad = adcli_api.differentiate(problem, "reverse")
        except AdcliError:
            continue
        if ad.warnings:
            continue
        exact = reference(problem.tape, point, ["x", "y"])
        if exact is not None:
            found.append((text, point, problem, exact))
    return found


def _warned(result: Any, i: int, k: int) -> bool:
    for w in result.warnings:
        if w.kind == "nondifferentiable":
            return True
        if w.kind == "inaccurate" and [i, k] in w.details.get("entries", []):
            return True
    return False


def bound_rate(method: str, problems: list) -> Bounds:
    tally = Bounds(method)
    for text, point, _, exact in problems:
        try:
            problem = api.prepare(text, point, ["x", "y"])
            result = api.differentiate(problem, "numeric", numeric=Options(method=method))
        except AdcliError:
            tally.failed += 1
            continue
        except Exception as exc:  # noqa: BLE001 - the "before" code had tracebacks: counted, not fatal
            tally.failed += 1
            tally.worst.append((math.inf, f"{text} at {point}: {type(exc).__name__}"))
            continue
        for i, k in np.ndindex(len(exact), 2):
            error = abs(result.jacobian[i][k] - exact[i][k])
            tally.cases += 1
            if not error <= result.error_estimate[i][k]:
                tally.misses += 1
                warned = _warned(result, i, k)
                tally.silent += not warned
                ratio = error / max(result.error_estimate[i][k], 1e-300)
                tally.worst.append((ratio, f"{text} at {point} d/d{'xy'[k]}{'' if warned else ' (no warning)'}"))
    return tally


def random_report(count: int, seed: int, show: int) -> None:
    started = time.perf_counter()
    problems = random_problems(count, seed)
    print(f"\nrandom corpus: {len(problems)} problems in x and y (seed {seed}), 50-digit references "
          f"({time.perf_counter() - started:.0f} s)")  # fmt: skip
    for method in METHODS:
        tally = bound_rate(method, problems)
        print("  " + tally.row())
        for ratio, where in sorted(tally.worst, reverse=True)[:show]:
            print(f"      error {ratio:.2g} x the estimate: {where}")


if __name__ == "__main__":
    main()
