"""adcli's reverse mode beside PyTorch and JAX on the same tape (what `adcli compare --with` times).

For f = Σᵢ sin(xᵢ)·xᵢ₊₁ + exp(xᵢ/n) (benchmarks/generate.py) with n = 10, 100, 1000 inputs, the
problem is prepared once; then the median time of

  adcli    adcli.api.differentiate(problem, "reverse")   primal, partials, one adjoint sweep
  torch    adcli.commands.peers.jacobian("torch", …)              the tape replayed in torch, one backward pass
  jax      adcli.commands.peers.jacobian("jax", …)                the tape replayed in jax.numpy (eager), jax.vjp

and each framework's import time (paid once per `adcli compare --with` run, not in its timings).
Every gradient is checked against the closed form first (that call is also the warm-up: eager JAX
compiles each operation on its first use). A framework that is not installed is
skipped with a note. Eager JAX dispatches each operation on its own; `jit` would compile the
replayed program first, which `adcli compare` does not do.

    python benchmarks/peers.py
    python benchmarks/peers.py --sizes 10 100 --repeat 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

from adcli import api
from adcli.commands import peers

sys.path.insert(0, str(Path(__file__).resolve().parent))
import generate  # noqa: E402  (the sibling module, importable however this script is started)
from timing import median_seconds  # noqa: E402


def timings(n: int, modules: dict[str, object], repeat: int) -> dict[str, float]:
    """Median seconds of adcli's reverse gradient and of each framework's, each checked first."""
    problem = api.prepare(generate.cheap_gradient_text(n), generate.point(n))
    want = generate.gradient(n)

    def replay(name: str) -> Callable[[], peers.Answer]:
        return lambda: peers.jacobian(name, modules[name], problem.tape, problem.point, problem.wrt)

    jobs: dict[str, Callable[[], object]] = {"adcli": lambda: api.differentiate(problem, "reverse")}
    for name in modules:
        answer = replay(name)()
        worst = max(abs(g - w) / max(1.0, abs(w)) for g, w in zip(answer.jacobian[0], want, strict=True))
        if worst > 1e-12:
            raise SystemExit(f"n={n}: {name} gradient is off by {worst:.2e}")
        jobs[name] = replay(name)
    return {name: median_seconds(job, repeat) for name, job in jobs.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--repeat", type=int, default=7)
    options = parser.parse_args()
    modules = {}
    for name in peers.PEERS:
        started = time.perf_counter()
        try:
            modules[name] = peers.load(name)
        except peers.MissingError as exc:
            print(f"note: {exc}")
            continue
        print(f"{name} {modules[name].__version__}: import {time.perf_counter() - started:.2f} s")
    print(f"{'n':>6}  {'adcli reverse':>14}" + "".join(f"  {name:>12}  {'ratio':>7}" for name in modules))
    for n in options.sizes:
        seconds = timings(n, modules, options.repeat)
        row = f"{n:>6}  {seconds['adcli'] * 1e3:>11.3f} ms"
        for name in modules:
            row += f"  {seconds[name] * 1e3:>9.3f} ms  {seconds[name] / seconds['adcli']:>6.1f}x"
        print(row)


if __name__ == "__main__":
    main()
