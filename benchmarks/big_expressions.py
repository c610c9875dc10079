"""Big expressions through the command line (issue 15): a Rosenbrock-style sum of n variables.

    f = Σᵢ 100·(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)²,  i = 0 … n−2,  at xᵢ = 0.5 + 0.001·i

`adcli grad - --at x0=…,x1=…,… --format json < f.txt` runs in this process (the command line's own
main, its imports paid once before: start-up excluded), n = 1,000, 5,000, 10,000, the sizes interleaved
each round; beside it, in the same rounds, PyTorch's gradient of the same function: as the same scalar
sum built operation by operation on n scalar tensors (what adcli's tape does, without parsing), and
as one vectorised expression on a tensor of n (the way a PyTorch user writes it). Medians (min-max).
Targets: adcli's time a variable at n = 10,000 within 1.3x its time at n = 1,000; adcli <= 2x
PyTorch's gradient at n = 1,000 and 5,000.

    python benchmarks/big_expressions.py
    python benchmarks/big_expressions.py --sizes 1000,5000 --rounds 7
    python benchmarks/big_expressions.py --clock cpu   # CPU time (a busy machine), PyTorch on one thread
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable


def problem(n: int) -> tuple[str, str]:
    text = " + ".join(f"100*(x{i + 1} - x{i}^2)^2 + (1 - x{i})^2" for i in range(n - 1))
    at = ",".join(f"x{i}={0.5 + 0.001 * i!r}" for i in range(n))
    return text, at


def through_cli(text: str, at: str) -> Callable[[], object]:
    from adcli.cli.app import main

    def run() -> object:
        saved = sys.argv, sys.stdin, sys.stdout
        sys.argv = ["adcli", "grad", "-", "--at", at, "--format", "json"]
        sys.stdin, sys.stdout = io.StringIO(text), io.StringIO()
        try:
            main()
        except SystemExit as done:
            assert done.code == 0, done.code
        finally:
            sys.argv, sys.stdin, sys.stdout = saved
        return None

    return run


def torch_jobs(n: int) -> dict[str, Callable[[], object]]:
    try:
        import torch
    except ImportError:
        return {}
    values = [0.5 + 0.001 * i for i in range(n)]

    def scalars() -> object:
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
        f = sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2 for i in range(n - 1))
        return torch.autograd.grad(f, xs)

    def vectorised() -> object:
        x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
        f = (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()
        return torch.autograd.grad(f, x)

    return {"torch scalars": scalars, "torch vector": vectorised}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,5000,10000")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--clock", choices=["wall", "cpu"], default="wall", help="cpu: this process's CPU time")
    args = parser.parse_args()
    clock = time.process_time if args.clock == "cpu" else time.perf_counter
    if args.clock == "cpu":
        try:  # CPU time counts every thread: PyTorch's intra-op pool would count twice what the user waits
            import torch

            torch.set_num_threads(1)
        except ImportError:
            pass
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs: dict[tuple[str, int], Callable[[], object]] = {}
    for n in sizes:
        jobs["adcli", n] = through_cli(*problem(n))
        jobs.update(((name, n), job) for name, job in torch_jobs(n).items())
    for job in jobs.values():  # imports and first calls paid before timing
        job()
    times: dict[tuple[str, int], list[float]] = {key: [] for key in jobs}
    keys = list(jobs)
    for r in range(args.rounds):
        for key in keys[r % len(keys) :] + keys[: r % len(keys)]:
            started = clock()
            jobs[key]()
            times[key].append(clock() - started)
    heading = f"gradient of the Rosenbrock-style sum, {args.rounds} rounds interleaved, {args.clock} time"
    print(f"{heading}: median (min-max)")
    for (name, n), got in times.items():
        med = statistics.median(got)
        print(
            f"  {name:14} n = {n:6,}  {med:7.3f} s ({min(got):.3f}-{max(got):.3f})  {med / n * 1e6:6.1f} µs a variable"
        )
    per = {n: statistics.median(times["adcli", n]) / n for n in sizes}
    if len(sizes) > 1:
        growth = per[sizes[-1]] / per[sizes[0]]
        print(f"  adcli µs a variable, n = {sizes[-1]:,} / n = {sizes[0]:,}: {growth:.2f} (target <= 1.3)")
    for n in sizes:
        for name in ("torch scalars", "torch vector"):
            if (name, n) in times:
                ratio = statistics.median(times["adcli", n]) / statistics.median(times[name, n])
                print(f"  adcli / {name}, n = {n:,}: {ratio:.1f}")


if __name__ == "__main__":
    main()
