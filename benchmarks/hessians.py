"""Hessians (issue 14): accuracy on the Moré–Garbow–Hillstrom test set, time beside JAX and PyTorch, HVP cost.

1. Accuracy. The MGH functions as sums of squares f = Σ rᵢ² (Rosenbrock, Beale, Powell singular, Wood,
   helical valley, extended Rosenbrock n = 10 and 100) at x₀ and 10·x₀: the closed-form Hessian
   2(JᵀJ + Σ rᵢ∇²rᵢ), from residual derivatives written out by hand below, against each mode of
   `adcli hess`: the worst entry's error relative to the largest entry (target 1e-12 for AD and
   symbolic, 1e-7 for numeric) and, for numeric, whether its error estimate covers its actual error.
2. Time. The Hessian of extended Rosenbrock at n = 100 and 1000 by forward-over-reverse, beside
   jax.hessian (no jit) and torch.func.hessian when installed (skipped with a line when not), and the
   Hessian/gradient time ratio (target <= 4n).
3. HVP. --hvp time / gradient time at n = 10,000 (target <= 4): one tangent and one adjoint sweep on
   duals against one adjoint sweep, both after parsing (the problem is prepared once).

    python benchmarks/hessians.py
    python benchmarks/hessians.py --quick      # n = 100 only, fewer repeats
    python benchmarks/hessians.py --clock cpu --sizes 100 --skip-accuracy   # a loaded machine: CPU time
"""

from __future__ import annotations

import argparse
import importlib
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from adcli import api
from adcli.commands.hessian import hessian
from adcli.core.tape import evaluate, local_partials
from adcli.modes import second_order

sys.path.insert(0, str(Path(__file__).resolve().parent))
from timing import median_seconds  # noqa: E402

Residuals = Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]  # x -> (r, J, ∇²r stacked)


def rosenbrock_blocks(n: int) -> tuple[str, Residuals, np.ndarray]:
    text = " + ".join(f"(10*(x{2 * i + 2} - x{2 * i + 1}^2))^2 + (1 - x{2 * i + 1})^2" for i in range(n // 2))

    def residuals(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, jac, sec = np.zeros(n), np.zeros((n, n)), np.zeros((n, n, n))
        for i in range(n // 2):
            a, b = 2 * i, 2 * i + 1
            r[a], r[b] = 10 * (x[b] - x[a] ** 2), 1 - x[a]
            jac[a, a], jac[a, b], jac[b, a] = -20 * x[a], 10, -1
            sec[a, a, a] = -20
        return r, jac, sec

    return text, residuals, np.tile([-1.2, 1.0], n // 2)


def beale() -> tuple[str, Residuals, np.ndarray]:
    y = (1.5, 2.25, 2.625)
    text = " + ".join(f"({y[i - 1]} - x1*(1 - x2^{i}))^2" for i in (1, 2, 3))

    def residuals(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r, jac, sec = np.zeros(3), np.zeros((3, 2)), np.zeros((3, 2, 2))
        for k, i in enumerate((1, 2, 3)):
            r[k] = y[k] - x[0] * (1 - x[1] ** i)
            jac[k] = [-(1 - x[1] ** i), x[0] * i * x[1] ** (i - 1)]
            mixed = i * x[1] ** (i - 1)
            sec[k] = [[0, mixed], [mixed, x[0] * i * (i - 1) * x[1] ** (i - 2) if i > 1 else 0]]
        return r, jac, sec

    return text, residuals, np.array([1.0, 1.0])


def powell_singular() -> tuple[str, Residuals, np.ndarray]:
    text = "(x1 + 10*x2)^2 + (sqrt(5)*(x3 - x4))^2 + ((x2 - 2*x3)^2)^2 + (sqrt(10)*(x1 - x4)^2)^2"
    s5, s10 = math.sqrt(5), math.sqrt(10)

    def residuals(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        u, w = x[1] - 2 * x[2], x[0] - x[3]
        r = np.array([x[0] + 10 * x[1], s5 * (x[2] - x[3]), u**2, s10 * w**2])
        jac = np.array([[1, 10, 0, 0], [0, 0, s5, -s5], [0, 2 * u, -4 * u, 0], [2 * s10 * w, 0, 0, -2 * s10 * w]])
        sec = np.zeros((4, 4, 4))
        du, dw = np.array([0, 1, -2, 0]), np.array([1, 0, 0, -1])
        sec[2], sec[3] = 2 * np.outer(du, du), 2 * s10 * np.outer(dw, dw)
        return r, jac, sec

    return text, residuals, np.array([3.0, -1.0, 0.0, 1.0])


def wood() -> tuple[str, Residuals, np.ndarray]:
    text = (
        "(10*(x2 - x1^2))^2 + (1 - x1)^2 + (sqrt(90)*(x4 - x3^2))^2 + (1 - x3)^2"
        " + (sqrt(10)*(x2 + x4 - 2))^2 + ((x2 - x4)/sqrt(10))^2"
    )
    s90, s10 = math.sqrt(90), math.sqrt(10)

    def residuals(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r = np.array(
            [
                10 * (x[1] - x[0] ** 2),
                1 - x[0],
                s90 * (x[3] - x[2] ** 2),
                1 - x[2],
                s10 * (x[1] + x[3] - 2),
                (x[1] - x[3]) / s10,
            ]
        )
        jac = np.zeros((6, 4))
        jac[0, :2], jac[1, 0], jac[2, 2:], jac[3, 2] = [-20 * x[0], 10], -1, [-2 * s90 * x[2], s90], -1
        jac[4, [1, 3]], jac[5, [1, 3]] = s10, [1 / s10, -1 / s10]
        sec = np.zeros((6, 4, 4))
        sec[0, 0, 0], sec[2, 2, 2] = -20, -2 * s90
        return r, jac, sec

    return text, residuals, np.array([-3.0, -1.0, -3.0, -1.0])


def helical_valley() -> tuple[str, Residuals, np.ndarray]:
    # θ = atan(x2/x1)/(2π) + 1/2 for x1 < 0, as MGH define it (x0 and 10·x0 have x1 < 0); atan2(x2, x1)
    # would put its branch cut through x0 = (-1, 0, 0), where f jumps
    text = "(10*(x3 - 10*(atan(x2/x1)/(2*pi) + 0.5)))^2 + (10*(sqrt(x1^2 + x2^2) - 1))^2 + x3^2"
    c = 1 / (2 * math.pi)

    def residuals(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        x1, x2, x3 = x
        q, big = x1**2 + x2**2, math.sqrt(x1**2 + x2**2)
        theta = c * math.atan(x2 / x1) + 0.5
        r = np.array([10 * (x3 - 10 * theta), 10 * (big - 1), x3])
        dtheta = c * np.array([-x2 / q, x1 / q, 0])
        jac = np.array([-100 * dtheta + [0, 0, 10], 10 * np.array([x1 / big, x2 / big, 0]), [0, 0, 1]])
        h_theta = c / q**2 * np.array([[2 * x1 * x2, x2**2 - x1**2, 0], [x2**2 - x1**2, -2 * x1 * x2, 0], [0, 0, 0]])
        h_big = np.array([[x2**2, -x1 * x2, 0], [-x1 * x2, x1**2, 0], [0, 0, 0]]) / big**3
        return r, jac, np.array([-100 * h_theta, 10 * h_big, np.zeros((3, 3))])

    return text, residuals, np.array([-1.0, 0.0, 0.0])


PROBLEMS = {
    "rosenbrock": lambda: rosenbrock_blocks(2),
    "beale": beale,
    "powell singular": powell_singular,
    "wood": wood,
    "helical valley": helical_valley,
    "ext. rosenbrock n=10": lambda: rosenbrock_blocks(10),
    "ext. rosenbrock n=100": lambda: rosenbrock_blocks(100),
}


def closed_form(residuals: Residuals, x: np.ndarray) -> np.ndarray:
    r, jac, sec = residuals(x)
    return 2 * (jac.T @ jac + np.tensordot(r, sec, axes=1))


def accuracy() -> None:
    print("1. MGH Hessians vs closed form: worst |error| / max |H| (numeric: and estimate covers error?)")
    print(f"   {'problem':24s} {'point':6s} {'for':>9s} {'fof':>9s} {'symbolic':>9s} {'numeric':>9s}  covered")
    for name, make in PROBLEMS.items():
        text, residuals, x0 = make()
        for label, x in (("x0", x0), ("10x0", 10 * x0)):
            names = [f"x{k + 1}" for k in range(len(x))]
            at = ",".join(f"{n}={float(v)!r}" for n, v in zip(names, x, strict=True))
            want = closed_form(residuals, x)
            scale = np.abs(want).max()
            cells, covered = [], "—"
            for mode in ("forward-over-reverse", "forward-over-forward", "symbolic", "numeric"):
                if len(x) > 10 and mode in ("symbolic", "numeric"):
                    cells.append("   (skip)")
                    continue
                found = hessian(api.prepare(text, at, names), mode)
                error = np.abs(np.array(found.hessian) - want)
                cells.append(f"{error.max() / scale:9.1e}")
                if mode == "numeric":
                    covered = "yes" if np.all(error <= np.array(found.error_estimate) + 1e-13 * scale) else "NO"
            print(f"   {name:24s} {label:6s} {' '.join(cells)}  {covered}")


def peer(name: str) -> object | None:
    try:
        module = importlib.import_module(name)
        if name == "jax":
            module.config.update("jax_enable_x64", True)
        return module
    except ImportError:
        print(f"   {name}: not installed (pip install 'adcli[{name}]'): skipped")
        return None


def _jax_hessian(jax: object, n: int) -> Callable[[], object]:
    jnp = jax.numpy  # type: ignore[attr-defined]

    def f(x: object) -> object:
        a, b = x[0::2], x[1::2]  # type: ignore[index]
        return jnp.sum((10 * (b - a**2)) ** 2 + (1 - a) ** 2)

    x0 = jnp.asarray(np.tile([-1.2, 1.0], n // 2))
    return lambda: jax.hessian(f)(x0).block_until_ready()  # type: ignore[attr-defined]


def _torch_hessian(torch: object, n: int) -> Callable[[], object]:
    def f(x: object) -> object:
        a, b = x[0::2], x[1::2]  # type: ignore[index]
        return ((10 * (b - a**2)) ** 2 + (1 - a) ** 2).sum()

    x0 = torch.tensor(np.tile([-1.2, 1.0], n // 2), dtype=torch.float64)  # type: ignore[attr-defined]
    return lambda: torch.func.hessian(f)(x0)  # type: ignore[attr-defined]


def matrix(problem: api.Problem) -> np.ndarray:
    """The Hessian alone, as jax.hessian and torch.func.hessian give it: the primal sweep, the partials and
    forward-over-reverse (one direction per colour of the sparsity pattern; hess adds the eigenvalues,
    O(n³), and the verdict)."""
    tape = problem.tape
    active = tape.active(problem.wrt)
    vals = evaluate(tape, [np.float64(problem.point[n]) for n in tape.names], active, [])
    return second_order.hessian_by_rows(tape, vals, local_partials(tape, vals, active), active, len(problem.wrt))[1]


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _interleaved(jobs: dict[str, Callable[[], object]], rounds: int, clock: str) -> dict[str, list[float]]:
    """Each job once per round, in an order rotated from round to round, `rounds` times: a load that comes
    and goes (a shared machine) falls on every job alike, and the medians and quartiles compare like with
    like. The cpu clock is this process's CPU time (all its threads: torch's too), without the waits."""
    tick = CLOCKS[clock]
    times: dict[str, list[float]] = {name: [] for name in jobs}
    names = list(jobs)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            t0 = tick()
            jobs[name]()
            times[name].append(tick() - t0)
    return times


def _spread(v: list[float]) -> str:
    q = statistics.quantiles(v, n=4) if len(v) > 1 else [v[0]] * 3
    return f"{statistics.median(v):8.4f} s (quartiles {q[0]:.4f}-{q[2]:.4f})"


def timing(sizes: list[int], repeat: int, clock: str) -> None:
    print(
        f"\n2. Hessian of extended Rosenbrock ({repeat} interleaved rounds, {clock} clock: median and quartiles;"
        " adcli after parsing, as the peers after defining f)"
    )
    frameworks = {name: peer(name) for name in ("jax", "torch")}
    for n in sizes:
        text, residuals, x0 = rosenbrock_blocks(n)
        names = [f"x{k + 1}" for k in range(n)]
        at = ",".join(f"{a}={float(v)!r}" for a, v in zip(names, x0, strict=True))
        t0 = time.perf_counter()
        problem = api.prepare(text, at, names)
        parsing = time.perf_counter() - t0
        want = closed_form(residuals, x0) if n <= 100 else None
        found = hessian(problem, "forward-over-reverse")
        if want is not None:
            assert np.abs(np.array(found.hessian) - want).max() <= 1e-12 * np.abs(want).max()
        jobs: dict[str, Callable[[], object]] = {
            "adcli": lambda p=problem: matrix(p),
            "gradient": lambda p=problem: api.differentiate(p, "reverse"),
        }
        firsts = {}
        for name, module in frameworks.items():
            if module is not None:
                jobs[name] = (_jax_hessian if name == "jax" else _torch_hessian)(module, n)
                t0 = time.perf_counter()
                jobs[name]()  # the first call pays for tracing and compilation of each primitive
                firsts[name] = time.perf_counter() - t0
        times = _interleaved(jobs, repeat, clock)
        full = median_seconds(lambda p=problem: hessian(p, "forward-over-reverse"), 3)
        ratio = statistics.median(times["adcli"]) / statistics.median(times["gradient"])
        print(f"   n={n:5d}  {found.notes[-1]}")
        print(f"      adcli Hessian {_spread(times['adcli'])}   hess with eigenvalues {full:.3f} s (wall)")
        print(f"      (parsing the text and building the tape, once: {parsing:.3f} s wall)")
        print(f"      gradient      {_spread(times['gradient'])}   Hessian/gradient {ratio:.1f} (target <= {4 * n})")
        for name in firsts:
            print(f"      {name:13s} {_spread(times[name])}   first call {firsts[name]:.2f} s")


def hvp_ratio(n: int, repeat: int, clock: str) -> None:
    print(f"\n3. --hvp / gradient at n = {n:,} (target <= 4; {repeat} interleaved rounds, {clock} clock)")
    text, _, x0 = rosenbrock_blocks(n)
    names = [f"x{k + 1}" for k in range(n)]
    problem = api.prepare(text, ",".join(f"{a}={float(v)!r}" for a, v in zip(names, x0, strict=True)), names)
    v = {names[0]: 1.0, names[1]: -1.0}
    product = hessian(problem, vector=v).hvp
    assert abs(product[0] - 850) < 1e-9 and abs(product[1] - 280) < 1e-9  # H·(1,-1,0…)
    jobs = {"hvp": lambda: hessian(problem, vector=v), "gradient": lambda: api.differentiate(problem, "reverse")}
    times = _interleaved(jobs, repeat, clock)
    h, g = statistics.median(times["hvp"]), statistics.median(times["gradient"])
    print(f"   hvp      {_spread(times['hvp'])}\n   gradient {_spread(times['gradient'])}   ratio {h / g:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="wall", help="cpu: this process's CPU time")
    parser.add_argument("--sizes", default=None, help="comma-separated n for the timing (default 100,1000)")
    parser.add_argument("--skip-accuracy", action="store_true")
    args = parser.parse_args()
    if not args.skip_accuracy:
        accuracy()
    sizes = [int(v) for v in args.sizes.split(",")] if args.sizes else [100] if args.quick else [100, 1000]
    timing(sizes, 5 if args.quick else 21, args.clock)
    hvp_ratio(10_000, 3 if args.quick else 7, args.clock)


if __name__ == "__main__":
    main()
