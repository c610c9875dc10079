"""Taylor mode (issue 14): the 20th derivative of exp(sin(x)) at 0.5, and how each way to it grows with the order.

1. Accuracy: 20!·c₂₀ by Taylor mode against mpmath (50 digits; optional: skipped with a line when absent),
   target 1e-10 relative, and every coefficient up to 20.
2. Growth: the time to the N-th derivative for N = 5, 10, 20, 40 by
     taylor    adcli Taylor mode: truncated power series on the tape, O(N²) per operation
     symbolic  adcli's symbolic mode differentiating N times (diff --order N), then evaluating
     nested    dual numbers nested N deep (forward-over-forward-over-…): 2ᴺ terms per operation
   A method whose next order would take longer than the budget (by its growth so far) is skipped.

    python benchmarks/taylor_orders.py
"""

from __future__ import annotations

import math
import sys
import time
from pathlib import Path

import numpy as np

from adcli import api
from adcli.commands.taylor import taylor
from adcli.core.graph import topo_order
from adcli.core.primitives import call
from adcli.modes.nested import Dual
from adcli.modes.symbolic.derivative import derivative_table, evaluate_graphs
from adcli.modes.symbolic.simplify import Simplifier

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds  # noqa: E402

TEXT, AT = "exp(sin(x))", 0.5
ORDERS = (5, 10, 20, 40)
BUDGET = 20.0  # seconds one call may take


def by_taylor(problem: api.Problem, n: int) -> float:
    return taylor(problem, n).derivatives[n]


def by_symbolic(problem: api.Problem, n: int) -> float:
    outputs = problem.parsed.outputs
    table = derivative_table(outputs, ["x"], n, Simplifier(topo_order(outputs)))
    return float(evaluate_graphs([table.rows[0][0]], ["x"], [np.float64(AT)])[0])


def by_nesting(problem: api.Problem, n: int) -> float:
    """x + ε₁ + … + εₙ as duals nested n deep; the εₙ…ε₁ part of f is f⁽ⁿ⁾(x)."""
    x: object = np.float64(AT)
    for _ in range(n):
        x = Dual(x, 1.0)
    tape = problem.tape
    vals: list[object] = [x] + [None] * (len(tape.nodes) - 1)
    for s in range(tape.n_inputs, tape.first_op):
        vals[s] = np.float64(tape.nodes[s].payload)
    for s in range(tape.first_op, len(vals)):
        vals[s] = call(tape.prims[s].name, *[vals[j] for j in tape.args[s]])  # type: ignore[union-attr]
    out = vals[tape.outputs[0]]
    for _ in range(n):
        out = out.tangent if isinstance(out, Dual) else 0.0
    return float(out)  # type: ignore[arg-type]


def accuracy(problem: api.Problem) -> None:
    print("1. exp(sin(x)) at x = 0.5 by Taylor mode, order 20")
    found = taylor(problem, 20)
    print(f"   20th derivative: {found.derivatives[20]!r}")
    try:
        import mpmath
    except ImportError:
        print("   mpmath is not installed: no reference (pip install mpmath)")
        return
    mpmath.mp.dps = 50
    reference = mpmath.taylor(lambda t: mpmath.exp(mpmath.sin(t)), mpmath.mpf("0.5"), 20)
    d20 = reference[20] * mpmath.factorial(20)
    error = float(abs((found.derivatives[20] - d20) / d20))
    print(f"   mpmath (50 digits): {mpmath.nstr(d20, 20)}   relative error {error:.1e}")
    worst = max(float(abs((c - r) / r)) for c, r in zip(found.coefficients, reference, strict=True) if r != 0)
    print(f"   worst relative error of c0 … c20: {worst:.1e}  (target 1e-10)")


def _predicted(history: list[tuple[int, float]], n: int) -> float:
    """The time at order n by the growth per order between the last two orders measured (0: unknown)."""
    if len(history) < 2:
        return 0.0
    (k0, t0), (k1, t1) = history[-2], history[-1]
    per_order = max(t1 / t0, 1.0) ** (1 / (k1 - k0))
    return t1 * per_order ** (n - k1)


def growth(problem: api.Problem) -> None:
    print("\n2. time to the N-th derivative (median seconds)")
    methods = {"taylor": by_taylor, "symbolic": by_symbolic, "nested": by_nesting}
    print("   " + f"{'N':>4s}" + "".join(f"{m:>14s}" for m in methods) + "   (value by Taylor mode)")
    seen: dict[str, list[tuple[int, float]]] = {name: [] for name in methods}
    for n in ORDERS:
        cells = []
        reference = by_taylor(problem, n)
        for name, method in methods.items():
            predicted = _predicted(seen[name], n)
            if predicted > BUDGET:
                cells.append(f"{'> ' + format(predicted, '.2g') + ' s':>14s}")
                continue
            t0 = time.perf_counter()
            value = method(problem, n)
            once = time.perf_counter() - t0
            seconds = median_seconds(lambda m=method, k=n: m(problem, k), 3, budget=BUDGET) if once < 2 else once
            if not math.isclose(value, reference, rel_tol=1e-6, abs_tol=1e-6 * abs(reference)):
                cells.append(f"{'(' + format(value, '.3g') + ')':>14s}")
            else:
                cells.append(f"{seconds:14.4f}")
            seen[name].append((n, seconds))
        print(f"   {n:4d}" + "".join(cells) + f"   {reference:.6g}")
    print("   '> T s': skipped, the growth so far predicts at least T seconds; '(v)': disagreed, value v")


def main() -> None:
    problem = api.prepare(TEXT, f"x={AT}")
    accuracy(problem)
    growth(problem)


if __name__ == "__main__":
    main()
