"""Peak memory of the worst inputs within the limits (issue 11: target 200 MB + 200 bytes per input character).

Each case runs as a fresh `adcli` process reading its problem from a file; its peak resident memory
(ru_maxrss, from os.wait4) is printed beside the target, with the time it took and its exit code.

    python benchmarks/memory.py            # every case
    python benchmarks/memory.py -k trace   # the cases whose name contains "trace"
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

MB = 1 << 20
BASE, PER_CHAR = 200 * MB, 200  # the target: BASE + PER_CHAR × characters of input


def _sum(n: int, term: str = "x") -> str:
    return "+".join([term] * n)


def _powers(n: int) -> str:
    return "+".join(f"x^{k}" for k in range(1, n + 1))


def _nest(f: str, n: int, inner: str = "x") -> str:
    return f"{f}(" * n + inner + ")" * n


#: name -> (command arguments before the file, the problem's text)
CASES: dict[str, tuple[list[str], str]] = {
    "diff of a 500,000-term sum (1 MB)": (["diff"], _sum(500_000)),
    "diff of a 70,000-term sum of powers": (["diff"], _powers(70_000)),
    "grad of a 500,000-term sum": (["grad", "--at", "x=1"], _sum(500_000)),
    "trace of a 100,000-deep nest": (["trace", "--at", "x=1"], _nest("sin", 100_000)),
    "graph of a 100,000-deep nest": (["graph", "--at", "x=1"], _nest("sin", 100_000)),
    "diff of a 100,000-deep nest": (["diff"], _nest("sin", 100_000)),
    "grad of a 100,000-deep max at a tie": (["grad", "--at", "x=0.5"], _nest("max(x, ", 100_000).replace(", (", ", ")),
    "eval of 100,000 unbound names": (["eval", "--at", "x=1"], "+".join(f"v{k}" for k in range(100_000))),
    "compare of a 100,000-deep nest": (["compare", "--at", "x=1", "--modes", "forward,reverse"], _nest("sin", 100_000)),
    "check of a 100,000-term answer": (["check", "--of", "x^2"], _sum(100_000)),
}


def adcli_command() -> list[str]:
    script = shutil.which("adcli", path=os.path.dirname(sys.executable)) or shutil.which("adcli")
    return [script] if script else [sys.executable, "-m", "adcli"]


def measure(argv: list[str]) -> tuple[int, float, int]:
    """(exit code, seconds, peak resident bytes) of one process."""
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # noqa: S603
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, time.perf_counter() - started, usage.ru_maxrss * 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", default="", help="run only the cases whose name contains this")
    options = parser.parse_args()
    command = adcli_command()
    print(f"{'case':40} {'chars':>9} {'exit':>4} {'time':>7} {'peak':>8} {'target':>8}  ratio")
    with tempfile.TemporaryDirectory() as folder:
        for name, (args, text) in CASES.items():
            if options.k not in name:
                continue
            path = os.path.join(folder, "problem.txt")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text + "\n")
            code, seconds, peak = measure([*command, args[0], "-f", path, *args[1:]])
            target = BASE + PER_CHAR * len(text)
            print(
                f"{name:40} {len(text):>9,} {code:>4} {seconds:>6.1f}s {peak / MB:>6.0f}MB "
                f"{target / MB:>6.0f}MB  {peak / target:.2f}"
            )


if __name__ == "__main__":
    main()
