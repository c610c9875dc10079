"""Arrays (issue 12): the two-layer network loss's reverse gradient, adcli beside numpy and PyTorch.

    sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)     X 256×32, W1 h×32, b1 h, W2 10×h, b2 10, Y 256×10

For h = 64, 256, 1024, in one run: adcli's gradient with respect to W1, b1, W2, b2 through the API
(adcli.gradient called again with new arrays of the same shapes, as a training loop does: the API
remembers the parse and the tape of its last problems, adcli/reuse.py, and the tape keeps its arrays
between calls, adcli/core/workspace.py), the API's first call (that memory suspended: parse, checks and
tape included), a prepared problem differentiated again (adcli.prepare once,
adcli.differentiate per call), the whole CLI command with .npy inputs (a fresh process), a
hand-written numpy backward pass, and PyTorch eager CPU float64 (torch.autograd.grad, its default
threads) when torch is installed. Runs are interleaved (each round times every
implementation once, in a rotated order); medians, spread (min-max) and the median of the rounds'
ratios to numpy. Run with OPENBLAS_NUM_THREADS=1 (torch then also takes one thread) and without to
measure both thread counts, and with ADCLI_KERNELS=0 to time adcli without its C tanh kernel (the
numpy passes it uses where no compiler built the kernel; adcli/core/kernels.py).

    python benchmarks/arrays.py
    python benchmarks/arrays.py --repeat 21 --sizes 64,256
"""

# ruff: noqa: N803, N806 - matrices are capitals, as in the expression

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import numpy as np

LOSS = "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)"
WRT = ["W1", "b1", "W2", "b2"]


def network(h: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "X": rng.standard_normal((256, 32)),
        "W1": rng.standard_normal((h, 32)) / np.sqrt(32),
        "b1": rng.standard_normal(h),
        "W2": rng.standard_normal((10, h)) / np.sqrt(h),
        "b2": rng.standard_normal(10),
        "Y": rng.standard_normal((256, 10)),
    }


def by_hand(X, W1, b1, W2, b2, Y) -> list[np.ndarray]:
    """The backward pass a person writes with numpy."""
    H = np.tanh(X @ W1.T + b1)
    R = 2 * (H @ W2.T + b2 - Y)
    G = (R @ W2) * (1 - H * H)
    return [G.T @ X, G.sum(0), R.T @ H, R.sum(0)]


def interleaved(
    runners: dict[str, Callable[[], object]], repeat: int, clock: Callable[[], float] = time.perf_counter
) -> dict[str, list[float]]:
    """Each round times every runner once, in an order rotated from round to round, so that a busy
    spell of the shared machine falls on all of them alike (a block of runs per runner would not)."""
    names = list(runners)
    for name in names:
        runners[name]()  # warm up
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeat):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = clock()
            runners[name]()
            times[name].append(clock() - started)
    return times


def first_call(point: dict[str, np.ndarray]) -> object:
    """adcli.gradient as on its first call with this text and these shapes: parse, checks, a new tape."""
    import adcli
    from adcli import reuse

    with reuse.suspended():  # nothing recalled, nothing remembered: the repeated calls' memory stays
        return adcli.gradient(LOSS, wrt=WRT, **point)


def torch_runner(point: dict[str, np.ndarray]) -> Callable[[], object] | None:
    try:
        import torch
    except ImportError:
        return None
    leaves = {k: torch.tensor(v, dtype=torch.float64, requires_grad=k in WRT) for k, v in point.items()}
    X, W1, b1, W2, b2, Y = (leaves[k] for k in ("X", "W1", "b1", "W2", "b2", "Y"))

    def run() -> object:
        loss = ((torch.tanh(X @ W1.T + b1) @ W2.T + b2 - Y) ** 2).sum()
        return torch.autograd.grad(loss, [W1, b1, W2, b2])

    return run


def cli_runner(point: dict[str, np.ndarray], folder: str) -> Callable[[], object]:
    at = []
    for k, v in point.items():
        path = os.path.join(folder, f"{k}.npy")
        np.save(path, v)
        at.append(f"{k}=@{path}")
    args = [
        sys.executable,
        "-m",
        "adcli",
        "grad",
        LOSS,
        "--at",
        ",".join(at),
        "--wrt",
        ",".join(WRT),
        "--format",
        "json",
    ]

    def run() -> object:
        done = subprocess.run(args, capture_output=True, text=True, check=False)
        if done.returncode:
            raise SystemExit(done.stderr)
        return done.stdout

    return run


def show(name: str, times: list[float], base: list[float] | None) -> str:
    """Median and spread (min-max); beside numpy, the median of the rounds' own ratios (each round's
    runs are milliseconds apart, so a slow spell of the machine mostly cancels in the ratio) and the
    ratio of the fastest runs (the least disturbed, on a machine other jobs share)."""
    median = statistics.median(times)
    ratio = ""
    if base is not None:
        ratios = [t / b for t, b in zip(times, base, strict=True)]
        ratio = (
            f"  {statistics.median(ratios):5.2f}× numpy (rounds {min(ratios):.2f}–{max(ratios):.2f};"
            f" fastest runs {min(times) / min(base):.2f}×)"
        )
    return (
        f"  {name:<23} median {median * 1e3:9.3f} ms  (min {min(times) * 1e3:.3f}, max {max(times) * 1e3:.3f}){ratio}"
    )


def main() -> None:
    import adcli
    from adcli.core import kernels

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="64,256,1024")
    parser.add_argument("--repeat", type=int, default=21)
    parser.add_argument("--cli-repeat", type=int, default=3)
    parser.add_argument(
        "--clock",
        choices=("wall", "cpu"),
        default="wall",
        help="cpu: this process's CPU time (one thread: the work without the waits of a busy machine)",
    )
    options = parser.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    if threads == "1":
        with contextlib.suppress(ImportError):
            import torch

            torch.set_num_threads(1)  # same threads as numpy's BLAS
    print(
        f"network loss {LOSS}, OPENBLAS_NUM_THREADS={threads}, {os.cpu_count()} cores, interleaved rounds,"
        f" {options.clock} clock, tanh: {'the C kernel' if kernels.tanh_pair() else 'numpy passes (no C kernel)'}"
    )
    for h in (int(s) for s in options.sizes.split(",")):
        point = network(h)
        want = by_hand(**point)
        got = adcli.gradient(LOSS, wrt=WRT, **point).gradient
        err = max(float(np.max(np.abs(g - w)) / np.max(np.abs(w))) for g, w in zip(got, want, strict=True))
        print(f"h = {h} (adcli vs numpy: largest relative difference {err:.1e})")
        problem = adcli.prepare(LOSS, point, WRT)
        runners = {
            "numpy by hand": lambda p=point: by_hand(**p),
            "adcli API, repeated": lambda p=point: adcli.gradient(LOSS, wrt=WRT, **p),
            "adcli API, first call": lambda p=point: first_call(p),
            "adcli (prepared)": lambda q=problem: adcli.differentiate(q, "reverse"),
        }
        run = torch_runner(point)
        if run is not None:
            runners["torch eager"] = run
        clock = time.process_time if options.clock == "cpu" else time.perf_counter
        times = interleaved(runners, options.repeat, clock)
        for name, found in times.items():
            print(show(name, found, None if name == "numpy by hand" else times["numpy by hand"]))
        if run is None:
            print("  torch                  not installed (pip install 'torch==2.13.0')")
        if options.cli_repeat:
            with tempfile.TemporaryDirectory() as folder:
                cli = interleaved({"adcli CLI, .npy inputs": cli_runner(point, folder)}, options.cli_repeat)
            print(show("adcli CLI, .npy inputs", cli["adcli CLI, .npy inputs"], None))


if __name__ == "__main__":
    main()
