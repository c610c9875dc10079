"""Batch throughput (issue 5): gradients of a generated file of small expressions, problems per second.

Each problem is parsed, differentiated (value and gradient, reverse mode) and printed as a JSON
line: `adcli grad -f FILE --at x=0.7,y=1.3 --format jsonl`, run in-process (the command through
Typer; median of --repeat runs) and as one fresh process (start-up and imports included). Beside it,
in the same run, SymPy on the same lines: parse_expr + diff by each variable + evalf at the point +
a JSON line. The 10,000 lines are distinct (SymPy caches, so repeats would time its cache).
Target: >= 5,000 problems/s on one core (>= 30x SymPy).

    python benchmarks/batch_throughput.py                 # 10,000 lines, SymPy on the first 1,000
    python benchmarks/batch_throughput.py --lines 50000 --sympy-lines 2000
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc

POINT = {"x": 0.7, "y": 1.3}
TEMPLATES = [
    "sin(x)*y + x^{a}/{b}",
    "exp(-x*y/{b}) + {c}*x",
    "log(1 + x^2)*cos(y) - y/{b}",
    "sqrt(x^2 + y^{a}) - tanh({c}*x*y)",
    "x*y^{a} + sin(x/{b})*cos(y)",
    "atan(x/{b}) + {c}*y*exp(x)",
    "(x + {c})*(y - {b}) + x^2*y",
    "sigmoid({c}*x - y) + x/{b}",
]


def generate(path: str, lines: int, seed: int = 5) -> None:
    """`lines` distinct small expressions in x and y (a fixed seed: the same file every run).

    Distinct, because a repeated line is not a new problem for a tool with a cache: SymPy caches
    parse and diff results, so a file of a few hundred lines repeated would time its cache.
    """
    rng = random.Random(seed)
    seen: set[str] = set()
    with open(path, "w", encoding="utf-8") as f:
        while len(seen) < lines:
            line = rng.choice(TEMPLATES).format(
                a=rng.randint(2, 5), b=rng.randint(2, 99), c=f"{rng.randint(1, 999) / 100:g}"
            )
            if line not in seen:
                seen.add(line)
                f.write(line + "\n")


def adcli_in_process(path: str) -> tuple[float, int, str]:
    """Seconds for `adcli grad -f FILE --at … --format jsonl` run in this process (stdout to a buffer).

    The command itself (Typer, batch.run, the jsonl sink), without the interpreter's start-up and imports.
    """
    from adcli.cli.app import app

    at = ",".join(f"{k}={v}" for k, v in POINT.items())
    argv = ["grad", "-f", path, "--at", at, "--format", "jsonl"]
    out, err = io.StringIO(), io.StringIO()
    real = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    started = time.perf_counter()
    try:
        code = app(argv, standalone_mode=False)
    finally:
        seconds = time.perf_counter() - started
        sys.stdout, sys.stderr = real
    if code:
        raise SystemExit(f"adcli exited {code}: {err.getvalue()[-400:]}")
    return seconds, len(out.getvalue().splitlines()), out.getvalue()


def adcli_process(path: str) -> float:
    at = ",".join(f"{k}={v}" for k, v in POINT.items())
    argv = [sys.executable, "-m", "adcli", "grad", "-f", path, "--at", at, "--format", "jsonl"]
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"adcli process failed: {done.stderr.decode()[-400:]}")
    return seconds


def sympy_run(path: str, limit: int) -> tuple[float, int, list[list[float]]] | None:
    try:
        import sympy
        from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations
    except ImportError:
        return None
    x, y = sympy.symbols("x y")
    local = {"x": x, "y": y, "sigmoid": sympy.Lambda(x, 1 / (1 + sympy.exp(-x)))}
    transformations = (*standard_transformations, convert_xor)
    subs = {x: POINT["x"], y: POINT["y"]}
    out, gradients = io.StringIO(), []
    with open(path, encoding="utf-8") as f:
        lines = [line.strip() for _, line in zip(range(limit), f, strict=False)]
    started = time.perf_counter()
    for line in lines:
        expr = parse_expr(line, local_dict=local, transformations=transformations)
        value = float(expr.evalf(subs=subs))
        gradient = [float(sympy.diff(expr, v).evalf(subs=subs)) for v in (x, y)]
        out.write(json.dumps({"input": line, "value": [value], "gradient": gradient}) + "\n")
        gradients.append(gradient)
    return time.perf_counter() - started, len(lines), gradients


def memory_peak(path: str) -> int:
    """Peak bytes allocated by Python while streaming the file to a null sink."""
    from adcli import api
    from adcli.batch import inputs
    from adcli.batch import run as batch
    from adcli.render import batch as render_batch

    def solve(text, given, defaults):
        return api.differentiate(api.prepare(text, given, defaults=defaults), "reverse")

    point = batch.point_bindings(["x=0.7,y=1.3"], None)
    with open(os.devnull, "w", encoding="utf-8") as null:
        tracemalloc.start()
        batch.run(inputs.read_file(path), solve, render_batch.sink("jsonl", "grad", 10, null, null), point)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--sympy-lines", type=int, default=1_000, help="SymPy is slow: time it on this many lines")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "problems.txt")
        generate(path, args.lines)
        adcli_in_process(path)  # warm-up: the grammar, the caches
        runs = [adcli_in_process(path) for _ in range(args.repeat)]
        seconds = statistics.median(r[0] for r in runs)
        n, text = runs[0][1], runs[0][2]
        rate = n / seconds
        spread = sorted(n / r[0] for r in runs)  # shared machines swing by a third: show how far
        print(
            f"adcli  in-process: {n:,} problems in {seconds:.3f} s (median of {args.repeat}): {rate:,.0f} problems/s"
            f" (runs {spread[0]:,.0f} to {spread[-1]:,.0f})"
        )
        process = statistics.median(adcli_process(path) for _ in range(3))
        print(f"adcli  one process (start-up included): {process:.3f} s: {n / process:,.0f} problems/s")
        small, large = os.path.join(tmp, "small.txt"), os.path.join(tmp, "large.txt")
        generate(small, args.lines // 10)
        generate(large, args.lines)
        print(
            f"memory peak (tracemalloc): {memory_peak(small) / 1e6:.2f} MB for {args.lines // 10:,} lines, "
            f"{memory_peak(large) / 1e6:.2f} MB for {args.lines:,} lines"
        )
        peer = sympy_run(path, args.sympy_lines)
        if peer is None:
            print("sympy: not installed, skipped")
            return
        peer_seconds, peer_n, gradients = peer
        peer_rate = peer_n / peer_seconds
        print(
            f"sympy  parse_expr + diff + evalf: {peer_n:,} problems in {peer_seconds:.3f} s: "
            f"{peer_rate:,.0f} problems/s"
        )
        print(
            f"ratio: adcli is {rate / peer_rate:,.1f}x SymPy (target >= 30x); target >= 5,000/s: "
            f"{'met' if rate >= 5000 else 'NOT met'}"
        )
        ours = [json.loads(line)["gradient"] for line in text.splitlines()[:peer_n]]
        worst = max(
            abs(a - b) / max(1.0, abs(b))
            for g, h in zip(ours, gradients, strict=True)
            for a, b in zip(g, h, strict=True)
        )
        print(f"agreement with SymPy on {peer_n:,} gradients: max relative difference {worst:.2e}")


if __name__ == "__main__":
    main()
