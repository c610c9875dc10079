"""Arrays (issue 12): the two-layer network loss's reverse gradient, adcli beside numpy and PyTorch.

    sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)     X 256×32, W1 h×32, b1 h, W2 10×h, b2 10, Y 256×10

For h = 64, 256, 1024, in one run: adcli's gradient with respect to W1, b1, W2, b2 through the API
(adcli.gradient, parse and tape included) and as the whole CLI command with .npy inputs (a fresh
process), a hand-written numpy backward pass, and PyTorch eager CPU float64 (torch.autograd.grad,
its default threads) when torch is installed. Medians and spread (min-max) of --repeat runs.
Run with OPENBLAS_NUM_THREADS=1 and without to measure both thread counts.

    python benchmarks/arrays.py
    python benchmarks/arrays.py --repeat 21 --sizes 64,256
"""

# ruff: noqa: N803, N806 - matrices are capitals, as in the expression

from __future__ import annotations

import argparse
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


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    fn()  # warm up
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


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


def show(name: str, times: list[float], base: float | None) -> str:
    median = statistics.median(times)
    ratio = f"  {median / base:5.2f}× numpy" if base else ""
    return (
        f"  {name:<22} median {median * 1e3:9.3f} ms  (min {min(times) * 1e3:.3f}, max {max(times) * 1e3:.3f}){ratio}"
    )


def main() -> None:
    import adcli

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="64,256,1024")
    parser.add_argument("--repeat", type=int, default=11)
    parser.add_argument("--cli-repeat", type=int, default=3)
    options = parser.parse_args()
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    print(f"network loss {LOSS}, OPENBLAS_NUM_THREADS={threads}, {os.cpu_count()} cores")
    for h in (int(s) for s in options.sizes.split(",")):
        point = network(h)
        want = by_hand(**point)
        got = adcli.gradient(LOSS, wrt=WRT, **point).gradient
        err = max(float(np.max(np.abs(g - w)) / np.max(np.abs(w))) for g, w in zip(got, want, strict=True))
        print(f"h = {h} (adcli vs numpy: largest relative difference {err:.1e})")
        numpy_times = timed(lambda p=point: by_hand(**p), options.repeat)
        base = statistics.median(numpy_times)
        print(show("numpy by hand", numpy_times, None))
        print(show("adcli API", timed(lambda p=point: adcli.gradient(LOSS, wrt=WRT, **p), options.repeat), base))
        problem = adcli.prepare(LOSS, point, WRT)
        print(
            show("adcli (prepared)", timed(lambda q=problem: adcli.differentiate(q, "reverse"), options.repeat), base)
        )
        run = torch_runner(point)
        if run is None:
            print("  torch                  not installed (pip install 'adcli[torch]')")
        else:
            print(show("torch eager", timed(run, options.repeat), base))
        with tempfile.TemporaryDirectory() as folder:
            print(show("adcli CLI, .npy inputs", timed(cli_runner(point, folder), options.cli_repeat), base))


if __name__ == "__main__":
    main()
