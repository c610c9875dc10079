"""Many points (issue 5): value and gradient of sin(x)*exp(-x^2/10) + x^3 at 10^6 points.

adcli evaluates the whole point set through its tape sweeps on numpy arrays (chunks of 32,768
points); beside it, in the same run, the hand-written numpy derivative of the same function (the
practical limit for numpy) and the value alone. Target: adcli <= 2x the hand-written code.

    python benchmarks/points.py              # 10^6 points, median of 7
    python benchmarks/points.py -n 100000 --repeat 21
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

TEXT = "sin(x)*exp(-x^2/10) + x^3"


def hand_written(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f and f' written out: f' = cos(x)·e − sin(x)·e·x/5 + 3x², e = exp(−x²/10)."""
    s = np.sin(x)
    e = np.exp(-x * x / 10)
    value = s * e + x**3
    slope = np.cos(x) * e - s * e * x / 5 + 3 * x * x
    return value, slope


def value_only(x: np.ndarray) -> np.ndarray:
    return np.sin(x) * np.exp(-x * x / 10) + x**3


def timed(f: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        f()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()

    from adcli import api

    x = np.linspace(-3, 3, args.n)
    span = f"x=-3:3:{args.n}"  # the same values as a point set (a numpy array in the point is one array value)

    def adcli_gradient(mode: str) -> Callable[[], object]:
        return lambda: api.differentiate(api.prepare(TEXT, span), mode)

    result = adcli_gradient("reverse")()
    value, slope = hand_written(x)
    worst = max(
        float(np.max(np.abs(result.value[0] - value) / np.maximum(1, np.abs(value)))),
        float(np.max(np.abs(result.jacobian[0][0] - slope) / np.maximum(1, np.abs(slope)))),
    )
    print(f"{args.n:,} points of {TEXT}; agreement with the hand-written code: max relative difference {worst:.1e}")
    base = timed(lambda: value_only(x), args.repeat)
    hand = timed(lambda: hand_written(x), args.repeat)
    print(f"numpy value alone:            {base * 1e3:8.1f} ms")
    print(f"numpy hand-written value+f':  {hand * 1e3:8.1f} ms  ({hand / base:.2f}x the value)")
    for mode in ("reverse", "forward"):
        ours = timed(adcli_gradient(mode), args.repeat)
        verdict = "met" if ours <= 2 * hand else "NOT met"
        print(
            f"adcli value+gradient ({mode}): {ours * 1e3:8.1f} ms  ({ours / hand:.2f}x hand-written, "
            f"{ours / base:.2f}x the value; target <= 2x: {verdict})"
        )
    evaluated = timed(lambda: api.evaluate_problem(api.prepare(TEXT, span)), args.repeat)
    print(f"adcli value alone (eval):     {evaluated * 1e3:8.1f} ms  ({evaluated / base:.2f}x numpy's value)")


if __name__ == "__main__":
    main()
