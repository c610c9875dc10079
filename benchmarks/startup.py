"""Start-up cost of a one-shot `adcli grad` process (issue 2 §8: target <= 0.20 s on the 2-core machine).

Prints the median wall time of N fresh `adcli grad "sin(x)*y" --at x=1,y=2` processes beside
N fresh `python -c pass` in the same run, their ratio, and the biggest imports from
`python -X importtime` (what a run pays for before it computes anything).

    python benchmarks/startup.py            # 21 runs each
    python benchmarks/startup.py -n 51 --top 20
    python benchmarks/startup.py --baseline /path/to/other/venv/bin/adcli   # A/B, runs interleaved

With --baseline, the same job runs under both commands in turn (A, B, A, B, …: a busy machine slows
both alike) and each gets its median, quartiles and range; the ratio is new / baseline.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

JOB = ["grad", "sin(x)*y", "--at", "x=1,y=2"]


def adcli_command() -> list[str]:
    """The console script on PATH next to this Python, else `python -m adcli`."""
    script = shutil.which("adcli", path=os.path.dirname(sys.executable)) or shutil.which("adcli")
    return [script] if script else [sys.executable, "-m", "adcli"]


def wall(argv: list[str], runs: int, cwd: str, cpu: list[float] | None = None) -> list[float]:
    """Wall time of `runs` fresh processes (stdout to a pipe, as in a script); their CPU time into cpu."""
    times = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if cpu is not None:
            cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed ({done.returncode}): {done.stderr.decode()[-500:]}")
    return times


def spread(times: list[float]) -> str:
    """Median, quartiles and range of run times, in seconds."""
    q1, median, q3 = statistics.quantiles(times, n=4)
    return f"median {median:.3f} s  (quartiles {q1:.3f}-{q3:.3f}, range {min(times):.3f}-{max(times):.3f})"


def interleaved(commands: list[list[str]], runs: int, cwd: str) -> tuple[list[list[float]], list[list[float]]]:
    """Wall and CPU times of each command, alternating between them run by run (A B, then B A: neither
    always goes first)."""
    walls: list[list[float]] = [[] for _ in commands]
    cpus: list[list[float]] = [[] for _ in commands]
    for i in range(runs):
        order = range(len(commands)) if i % 2 == 0 else reversed(range(len(commands)))
        for k in order:
            walls[k].extend(wall(commands[k], 1, cwd, cpus[k]))
    return walls, cpus


def a_b(baseline: list[str], command: list[str], runs: int, cwd: str) -> None:
    """Wall time (what a user waits) and CPU time (user + system: less disturbed by other processes)."""
    (old, new), (old_cpu, new_cpu) = interleaved([baseline + JOB, command + JOB], runs, cwd)
    print(f"A/B, {runs} runs each, interleaved; baseline {' '.join(baseline)}, this {' '.join(command)}")
    for what, a, b in (("wall", old, new), ("cpu ", old_cpu, new_cpu)):
        print(f"  {what} baseline: {spread(a)}")
        print(f"  {what} this:     {spread(b)}")
        print(f"  {what} ratio of medians this / baseline: {statistics.median(b) / statistics.median(a):.3f}")


def import_times(cwd: str) -> list[tuple[int, int, str]]:
    """(self µs, cumulative µs, module) for every import of one `python -X importtime -m adcli grad …`."""
    argv = [sys.executable, "-X", "importtime", "-m", "adcli", *JOB]
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=True)
    rows = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, total, name = line[len("import time:") :].split("|", 2)
        rows.append((int(own), int(total), name.rstrip()))
    return rows


def report_imports(rows: list[tuple[int, int, str]], top: int) -> None:
    packages: dict[str, int] = {}
    for own, _, name in rows:
        root = name.strip().split(".")[0]
        packages[root] = packages.get(root, 0) + own
    total = sum(packages.values())
    print(f"\nimports: {total / 1e3:.1f} ms in {len(rows)} modules (python -X importtime, one run)")
    print("by top-level package (sum of self times):")
    for root, own in sorted(packages.items(), key=lambda kv: -kv[1])[:top]:
        print(f"  {own / 1e3:8.1f} ms  {root}")
    print("largest single modules (self time):")
    for own, cumulative, name in sorted(rows, reverse=True)[:top]:
        print(f"  {own / 1e3:8.1f} ms  (cumulative {cumulative / 1e3:7.1f} ms)  {name.strip()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--runs", type=int, default=21, help="processes per command (default 21)")
    parser.add_argument("--top", type=int, default=12, help="rows of the import breakdown (default 12)")
    parser.add_argument("--baseline", help="another adcli command to compare with, run interleaved (A/B)")
    options = parser.parse_args()
    command = adcli_command()
    # An installed package has its .pyc files (pip compiles them): without them each run compiles every
    # module it imports, and a module's size, not its work, would be measured.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    with tempfile.TemporaryDirectory() as outside:  # run away from the checkout, as a user would
        wall(command + JOB, 2, outside)  # warm the OS file cache (and an older adcli's grammar cache)
        if options.baseline:  # an older adcli's parser cache: its own, warm (another grammar would rewrite it)
            os.environ["XDG_CACHE_HOME"] = os.path.join(outside, "cache")
            wall([options.baseline, *JOB], 2, outside)
            a_b([options.baseline], command, options.runs, outside)
            return
        baseline = statistics.median(wall([sys.executable, "-c", "pass"], options.runs, outside))
        one_shot = statistics.median(wall(command + JOB, options.runs, outside))
        print(f"python:                    {sys.version.split()[0]} ({sys.executable})")
        print(f"adcli command:             {' '.join(command)} {' '.join(JOB[:1])} 'sin(x)*y' --at x=1,y=2")
        print(f"median of {options.runs} runs, python -c pass: {baseline:.3f} s")
        print(f"median of {options.runs} runs, adcli grad:     {one_shot:.3f} s  (target <= 0.200 s)")
        print(f"ratio adcli / python -c pass:  {one_shot / baseline:.2f}")
        print(f"adcli's own cost above python: {one_shot - baseline:.3f} s")
        report_imports(import_times(outside), options.top)


if __name__ == "__main__":
    main()
