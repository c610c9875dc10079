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
import statistics
import warnings
from collections.abc import Callable
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
    args = parser.parse_args()
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


if __name__ == "__main__":
    main()
