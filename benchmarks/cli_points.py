"""The command line at 10^6 points (issue 15): whole processes, adcli beside the hand-written script.

Each format runs `adcli grad "sin(x)*exp(-x^2/10) + x^3" --at x=0:1:N --format F > /dev/null` and,
in the same round, a numpy script that computes f and f' and writes the same numbers the same way a
careful user would: csv and jsonl with shortest-repr f-strings joined per chunk, npz with np.savez.
The jobs run interleaved (A, B, C, … then again, the order rotated each round: a busy machine slows
all alike); each gets its median and range (min-max), and the ratio adcli / hand-written of the medians.
Targets: csv <= 1.5x, jsonl <= 2x, npz <= 2x. A first check compares the csv bytes of both at 1,001
points (they must be equal) and the npz arrays.

    python benchmarks/cli_points.py                 # 10^6 points, 5 rounds
    python benchmarks/cli_points.py -n 100001 --rounds 9 --formats csv
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TEXT = "sin(x)*exp(-x^2/10) + x^3"

HAND = r"""
import sys
import numpy as np

fmt, n = sys.argv[1], int(sys.argv[2])
x = np.linspace(0.0, 1.0, n)
s, e = np.sin(x), np.exp(-x * x / 10)
f = s * e + x**3
d = np.cos(x) * e - s * e * x / 5 + 3 * x * x
out = sys.stdout
if fmt == "npz":
    np.savez(sys.stdout.buffer, x=x, f1=f, **{"d(f1)/d(x)": d})
    sys.exit()
if fmt == "csv":
    out.write("file,line,point,input,x,f1,d(f1)/d(x),warnings,error\n")
CHUNK = 1 << 15
text = "sin(x)*exp(-x^2/10) + x^3"
for start in range(0, n, CHUNK):
    stop = min(start + CHUNK, n)
    rows = zip(range(start + 1, stop + 1), x[start:stop].tolist(), f[start:stop].tolist(), d[start:stop].tolist())
    if fmt == "csv":
        out.write("".join([f"<arg>,1,{i},{text},{a!r},{b!r},{c!r},,\n" for i, a, b, c in rows]))
    else:
        out.write("".join([
            f'{{"file": "<arg>", "line": 1, "point": {i}, "wrt": ["x"], "at": {{"x": {a!r}}}, "value": [{b!r}], '
            f'"jacobian": [[{c!r}]], "gradient": [{c!r}], "warnings": []}}\n'
            for i, a, b, c in rows
        ]))
"""


def adcli_command() -> list[str]:
    script = shutil.which("adcli", path=os.path.dirname(sys.executable))
    return [script] if script else [sys.executable, "-m", "adcli"]


def jobs(fmt: str, n: int, hand: str) -> dict[str, list[str]]:
    at = f"x=0:1:{n}"
    return {
        f"adcli {fmt}": [*adcli_command(), "grad", TEXT, "--at", at, "--format", fmt],
        f"hand {fmt}": [sys.executable, hand, fmt, str(n)],
    }


def check(hand: str) -> None:
    """The two write the same rows (at 1,001 points): the same text cells and points, and values and
    derivatives that agree to the last bits (the two compute them in a different order)."""
    import csv
    import io

    import numpy as np

    def out(argv: list[str]) -> bytes:
        return subprocess.run(argv, capture_output=True, check=True).stdout

    a, b = (list(csv.DictReader(io.StringIO(out(argv).decode()))) for argv in jobs("csv", 1001, hand).values())
    numbers = ("f1", "d(f1)/d(x)")

    def text(row: dict[str, str]) -> dict[str, str]:
        return {k: v for k, v in row.items() if k not in numbers}

    same = len(a) == len(b) and all(text(r) == text(s) for r, s in zip(a, b, strict=True))
    worst = max(
        abs(float(r[k]) - float(s[k])) / max(abs(float(s[k])), 1e-300)
        for r, s in zip(a, b, strict=True)
        for k in numbers
    )
    print(f"csv at 1,001 points: same cells but f and f' {same}; f, f' agree to {worst:.1e} (relative)")
    a, b = (np.load(io.BytesIO(out(argv)), allow_pickle=False) for argv in jobs("npz", 1001, hand).values())
    close = all(np.allclose(a[k], b[k], rtol=1e-15, atol=0) for k in b.files)
    print(f"npz: {', '.join(a.files)}; the hand-written script's {', '.join(b.files)} agree: {close}")


def run(commands: dict[str, list[str]], rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {name: [] for name in commands}
    names = list(commands)
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = time.perf_counter()
            subprocess.run(commands[name], stdout=subprocess.DEVNULL, check=True)
            times[name].append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=1_000_001)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--formats", default="csv,jsonl,npz")
    args = parser.parse_args()
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)  # as installed: modules compiled once, not every run
    folder = tempfile.mkdtemp()
    hand = os.path.join(folder, "hand.py")
    with open(hand, "w", encoding="utf-8") as f:
        f.write(HAND)
    check(hand)
    targets = {"csv": 1.5, "jsonl": 2.0, "npz": 2.0}
    commands: dict[str, list[str]] = {}
    for fmt in args.formats.split(","):
        commands.update(jobs(fmt, args.n, hand))
    times = run(commands, args.rounds)
    print(f"{args.n:,} points, {args.rounds} rounds interleaved: median (min-max) seconds")
    for name, got in times.items():
        print(f"  {name:12} {statistics.median(got):7.2f}  ({min(got):.2f}-{max(got):.2f})")
    for fmt in args.formats.split(","):
        ratio = statistics.median(times[f"adcli {fmt}"]) / statistics.median(times[f"hand {fmt}"])
        print(f"  {fmt}: adcli / hand-written = {ratio:.2f} (target <= {targets[fmt]})")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
