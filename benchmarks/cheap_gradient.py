"""The cheap-gradient principle, measured (issue 2 §8): a reverse gradient costs a small multiple of a value.

For f = Σᵢ sin(xᵢ)·xᵢ₊₁ + exp(xᵢ/n) (benchmarks/generate.py) with n = 10, 100, 1000 inputs, the
problem is prepared once (parse, point, tape); then the median time of

  value    adcli.api.evaluate_problem(problem)          one primal sweep
  reverse  adcli.api.differentiate(problem, "reverse")  primal, partials, ONE adjoint sweep
  forward  adcli.api.differentiate(problem, "forward")  primal, partials, n tangent sweeps

is printed with the ratios reverse/value (target <= 4 at every n) and forward/value (grows like n:
the lesson of the survey). Each gradient is checked against the closed form before it is timed.
Both API calls also build the Result (the read-as text, outputs, checks); the `sweeps` ratio
times the tape alone: `tape.evaluate` against evaluate + `local_partials` + one adjoint sweep.

    python benchmarks/cheap_gradient.py
    python benchmarks/cheap_gradient.py --sizes 10 100 --repeat 21
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

from adcli import api
from adcli.core.tape import evaluate, local_partials
from adcli.modes import reverse

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (the sibling module, importable however this script is started)
from timing import median_seconds  # noqa: E402


def check(n: int, problem: api.Problem) -> None:
    """The gradient is right before it is timed (closed form in generate.py)."""
    want = generate.gradient(n)
    for mode in ("reverse", "forward"):
        got = api.differentiate(problem, mode).gradient
        assert got is not None
        worst = max(abs(g - w) / max(1.0, abs(w)) for g, w in zip(got, want, strict=True))
        if worst > 1e-12:
            raise SystemExit(f"n={n}: {mode} gradient is off by {worst:.2e}")


def sweeps_ratio(problem: api.Problem, repeat: int) -> float:
    """time(primal + partials + one adjoint sweep) / time(primal sweep), on the tape alone."""
    tape = problem.tape
    inputs = [np.float64(problem.point[name]) for name in tape.names]
    active = tape.active(problem.wrt)

    def gradient() -> object:
        warnings: list[object] = []
        vals = evaluate(tape, inputs, active, warnings)
        return reverse.vjp(tape, vals, local_partials(tape, vals, active, warnings), [np.float64(1.0)])

    return median_seconds(gradient, repeat) / median_seconds(lambda: evaluate(tape, inputs), repeat)


def measure(n: int, repeat: int) -> dict[str, float]:
    started = time.perf_counter()
    problem = api.prepare(generate.cheap_gradient_text(n), generate.point(n))
    prepare = time.perf_counter() - started
    check(n, problem)
    value = median_seconds(lambda: api.evaluate_problem(problem), repeat)
    backward = median_seconds(lambda: api.differentiate(problem, "reverse"), repeat)
    forward = median_seconds(lambda: api.differentiate(problem, "forward"), max(3, repeat // 4))
    ops = len(problem.tape.nodes) - problem.tape.first_op
    return {
        "n": n,
        "ops": ops,
        "prepare": prepare,
        "value": value,
        "reverse": backward,
        "forward": forward,
        "sweeps": sweeps_ratio(problem, repeat),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=31, help="timed calls per median (default 31)")
    options = parser.parse_args()
    print(f"python {sys.version.split()[0]}; medians of up to {options.repeat} calls; problem prepared once per n")
    columns = ["n", "ops", "prepare", "value", "reverse", "forward", "rev/val", "fwd/val", "sweeps rev/val"]
    widths = [6, 6, 9, 10, 10, 11, 8, 8, 15]
    print(" ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    worst = 0.0
    for n in options.sizes:
        m = measure(n, options.repeat)
        ratio = m["reverse"] / m["value"]
        worst = max(worst, ratio, m["sweeps"])
        cells = [
            str(n),
            str(m["ops"]),
            f"{m['prepare']:.4f}s",
            f"{m['value'] * 1e3:.3f}ms",
            f"{m['reverse'] * 1e3:.3f}ms",
            f"{m['forward'] * 1e3:.3f}ms",
            f"{ratio:.2f}",
            f"{m['forward'] / m['value']:.2f}",
            f"{m['sweeps']:.2f}",
        ]
        print(" ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
    verdict = "meets" if worst <= 4 else "MISSES"
    print(f"worst reverse/value ratio {worst:.2f}: {verdict} the target <= 4; forward/value grows with n")


if __name__ == "__main__":
    main()
