"""Fuzz the command line: a bad corpus and random lines through every command, and what must hold.

For each command variant the lines go in as one batch file with `--format jsonl`; then:
no traceback, no internal_error, an exit code adcli documents, every output line valid JSON (no
NaN or Infinity tokens), one record per problem line (a bad line loses only itself), and the run
within its time limit. The bad corpus is hand-made (injection attempts, markup, control bytes,
huge and tiny numbers, deep nesting, long names); the random lines are token soup from the
language and mutations of valid expressions, from a fixed seed.

    python benchmarks/fuzz.py                 # 800 random lines per variant, seed 0
    python benchmarks/fuzz.py -n 2000 --seed 7
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

VARIANTS: dict[str, list[str]] = {
    "grad": ["grad", "--at", "x=0.5,y=2"],
    "grad forward": ["grad", "--mode", "forward", "--at", "x=0.5,y=2"],
    "grad symbolic": ["grad", "--mode", "symbolic", "--at", "x=0.5,y=2"],
    "grad numeric": ["grad", "--mode", "numeric", "--at", "x=0.5,y=2"],
    "jac": ["jac", "--at", "x=0.5,y=2"],
    "eval": ["eval", "--at", "x=0.5,y=2"],
    "eval span": ["eval", "--at", "x=-2:2:9,y=2"],
    "diff": ["diff"],
    "diff cse": ["diff", "--cse", "--at", "x=0.5,y=2"],
    "diff order 3": ["diff", "--order", "3"],
    "trace": ["trace", "--at", "x=0.5,y=2"],
    "graph": ["graph", "--at", "x=0.5,y=2"],
    "compare": ["compare", "--at", "x=0.5,y=2", "--modes", "forward,reverse,symbolic"],
    "check": ["check", "--of", "x^2*y", "--wrt", "x"],
    "hess": ["hess", "--at", "x=0.5,y=2"],
    "hess hvp": ["hess", "--at", "x=0.5,y=2", "--hvp", "x=1,y=0"],
    "taylor": ["taylor", "--at", "x=0.5,y=2", "--order", "6", "--dir", "x=1,y=1"],
    "compare order 2": ["compare", "--order", "2", "--at", "x=0.5,y=2"],
    "grad arrays": ["grad", "--at", "x=[0.5,1.5],y=2"],
}
EXITS = {0, 1, 2, 4}  # 3 is internal_error: a bug; 74 io_error, 130 and 141 do not happen here

BAD = [
    "__import__('os').system('id')",
    "eval('1')",
    "exec('x')",
    "os.system",
    "x; import os",
    "$(id)",
    "`id`",
    "x && rm -rf /",
    "x | cat",
    "{0}",
    "{x}",
    "%s%s%s",
    "[bold]x[/bold]",
    "x[/i]",
    "[link=http://e]x",
    "\x1b[31mx",
    "x\x00y",
    "x\x07",
    "\x7f",
    "x\u202ey",
    "x\ufeff",
    "\ufeffx",
    "ｘ",
    "x²³",
    "x⁻¹",
    "√√x",
    "∛",
    "π(x)",
    "e(x)",
    "e^",
    "1e309",
    "1e-400*x",
    "-1e308*10*x",
    "9" * 400,
    "0." + "0" * 400 + "1",
    "1/0",
    "0/0",
    "0^0",
    "0^-1",
    "(-8)^(1/3)",
    "log(0)",
    "log(-1)",
    "sqrt(-0)",
    "acosh(0.5)",
    "atan2(0,0)",
    "x/(x-x)",
    "x^x^x^x^x",
    "x^(-1e308)",
    "2^(-1e308)",
    "0.5^1000000",
    "atan2(x, 0.5^(1e6))",
    "exp(exp(exp(x)))",
    "(" * 500 + "x" + ")" * 500,
    "sin(" * 3000 + "x" + ")" * 3000,
    "-" * 1000 + "x",
    "+" * 1000 + "x",
    "x" + "+x" * 20000,
    "a" * 5000,
    "a" * 5000 + "(x)",
    "sin" * 1000 + "(x)",
    "x" * 300 + "(1)",
    "",
    " ",
    ";",
    ";;;",
    "#",
    "# x",
    "x #",
    "x;",
    "x,",
    ",x",
    "x,,y",
    "x = 1",
    "x = ",
    "= x",
    "x == y",
    "a = x*y",
    "a = x; a = y; a",
    "x at",
    "x at x",
    "x at x=",
    "x at x=1=2",
    "x at x=[",
    "x at x=[]",
    "x at x=[1,,2]",
    "x at x=0:1:0",
    "x at x=0:1:-1",
    "x at x=0:1:1e9",
    "x at x=0:1:0.5",
    "x at x=nan",
    "x at x=inf",
    "x at x=1e309",
    "x at pi=3",
    "x at sin=1",
    "x at x=1, x=2",
    "x at x=y",
    "x at at=1",
    "sin",
    "sin()",
    "sin(x,)",
    "sin(x, y)",
    "atan2(x)",
    "max()",
    "max(x)",
    "min(x,y,z,w)",
    "sin^2",
    "sin^2(x)",
    "sin^-1(x)",
    "sin^x(x)",
    "sin x y",
    "2 3",
    "2x3",
    "x y z",
    "(x)(y)",
    "x(1+x)",
    "f(x)",
    "sinn(x)",
    "cos (x)",
    "x**",
    "x**y**z",
    "x^^y",
    "x//y",
    "x%y",
    "x@y",
    "x'",
    "[1,2]",
    "[[1]]",
    "x[0]",
    "'x'",
    '"x"',
    "x\\y",
    "x\ty",
    "x\ry",
    "x\r\ny",
    "\n\n\n",
    "x\n\ny",
    "a = 1\n",
    "a = x\na",
    "a=\nx",
    "θ + α",
    "Σx",
    "ℵ",
    "x₁",
    "ẋ",
    "x̄",
    "∂x",
    "∞",
    "—x",
    "x − y",
    "x × y",
    "x ÷ y",
    "x · y",
    "relu(x)",
    "abs(x)",
    "abs(abs(x))",
    "sign(x)",
    "max(x, x)",
    "min(x, -x)",
    "relu(x - 0.5)",
    "1/(x - 0.5)",
    "log(x - 0.5)",
    "sqrt(x - 0.5)",
    "x^0.5 at x=0",
    "x^y at x=0, y=0",
    "tan(pi/2 + x)",
    "exp(1000*x)",
    "exp(-1000*x)",
    "sinh(1000)",
    "cosh(x)^1000",
    "1e308*x*x",
    "x^1000000",
    "x^-1000000",
    "2^1024*x",
    "gamma(x)",
    "erf(x)",
    "sigmoid(1000*x)",
    "softplus(-1000*x)",
    "sec(x)+csc(x)+cot(x)",
]

TOKENS = [
    "x",
    "y",
    "z",
    "2",
    "0",
    "1e3",
    ".5",
    "pi",
    "e",
    "+",
    "-",
    "*",
    "/",
    "^",
    "**",
    "(",
    ")",
    ",",
    ";",
    " ",
    "sin",
    "cos",
    "log",
    "exp",
    "sqrt",
    "abs",
    "max",
    "atan2",
    "relu",
    "√",
    "²",
    "=",
    "at",
    "x=1",
    "[",
    "]",
    ":",
    "#",
    "\t",
    "π",
    "1e308",
    "-1e308",
    "0.0",
]
SEEDS = [
    "sin(x)*y",
    "x^2 + y^2",
    "log(x)*exp(-y)",
    "atan2(y, x)",
    "sqrt(x^2 + 1)",
    "max(x, y) - min(x, y)",
    "x/(1 + x^2)",
    "tanh(x*y)",
    "abs(x - 0.5)",
    "relu(x) + softplus(y)",
    "a = x*y; sin(a) + a",
]


def random_line(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return "".join(rng.choice(TOKENS) for _ in range(rng.randint(1, 12)))
    text = list(rng.choice(SEEDS))
    for _ in range(rng.randint(1, 4)):
        k = rng.randrange(len(text) + 1)
        action = rng.random()
        if action < 0.4 and text:
            del text[min(k, len(text) - 1)]
        elif action < 0.8:
            text.insert(k, rng.choice(TOKENS))
        else:
            text.insert(k, chr(rng.randrange(1, 0x3000)))
    return "".join(text)


def lines_of(texts: list[str]) -> list[str]:
    """One problem per line: texts with line ends are cut at them (each piece a line of its own)."""
    out = []
    for text in texts:
        out += text.replace("\r", "\n").split("\n")
    return out


def answered(lines: list[str]) -> int:
    """How many problems adcli makes of the lines (adcli.batch.inputs): blank lines and comments are
    skipped, a line ending in an assignment joins the next, a line with a NUL byte is one of its own."""
    import re

    assignment = re.compile(r"\s*[^\W\d]\w*\s*=")
    count, pending = 0, False
    for line in lines:
        if "\x00" in line:  # unreadable: its own error, and it ends a program above it
            count, pending = count + 1 + pending, False
            continue
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        statements = [s for s in line.split("#", 1)[0].split(";") if s.strip()]
        if statements and assignment.match(statements[-1]):
            pending = True
            continue
        count, pending = count + 1, False
    return count + pending


def run(command: list[str], path: str, timeout: float) -> dict[str, object]:
    started = time.perf_counter()
    try:
        done = subprocess.run(  # noqa: S603
            [*command, "-f", path, "--format", "jsonl"], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return {"timeout": True, "seconds": timeout}
    seconds = time.perf_counter() - started
    out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
    records, bad_json = [], 0
    for line in out.split("\n"):  # not splitlines: a record may hold \x1c, \x85 or \u2028 (JSON allows them)
        if not line:
            continue
        try:
            records.append(json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c))))
        except ValueError:
            bad_json += 1
    problems = {(r.get("file"), r.get("line")) for r in records}
    internal = sum(1 for r in records if (r.get("error") or {}).get("kind") == "internal_error")
    return {
        "exit": done.returncode,
        "seconds": seconds,
        "records": len(records),
        "problems": len(problems),
        "bad_json": bad_json,
        "internal": internal,
        "traceback": "Traceback" in err,
        "timeout": False,
        "examples": [r for r in records if (r.get("error") or {}).get("kind") == "internal_error"][:3],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=800, help="random lines per variant (default 800)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("-k", default="", help="only the variants whose name contains this")
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per variant")
    options = parser.parse_args()
    script = shutil.which("adcli", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-m", "adcli"]
    rng = random.Random(options.seed)
    corpora = {"bad corpus": lines_of(BAD), "random": lines_of([random_line(rng) for _ in range(options.n)])}
    failures = 0
    with tempfile.TemporaryDirectory() as folder:
        for corpus, lines in corpora.items():
            path = os.path.join(folder, "lines.txt")
            with open(path, "wb") as f:
                f.write("\n".join(lines).encode("utf-8", "surrogatepass") + b"\n")
            want = answered(lines)
            chosen = {name: args for name, args in VARIANTS.items() if options.k in name}
            print(f"{corpus}: {len(lines)} lines, {want} problems, through {len(chosen)} variants")
            for name, args in chosen.items():
                found = run([*command, *args], path, options.timeout)
                wrong = []
                if found["timeout"]:
                    wrong.append("timed out")
                else:
                    if found["exit"] not in EXITS:
                        wrong.append(f"exit {found['exit']}")
                    wrong += [k for k in ("traceback",) if found[k]]
                    wrong += [f"{found[k]} {k}" for k in ("bad_json", "internal") if found[k]]
                    if found["problems"] != want:
                        wrong.append(f"{found['problems']} problems answered")
                failures += bool(wrong)
                shown = "ok" if not wrong else "FAIL: " + ", ".join(map(str, wrong))
                print(f"  {name:14} exit {found.get('exit', '-')!s:>3}  {found['seconds']:6.1f} s  {shown}")
                for example in found.get("examples", []):  # type: ignore[union-attr]
                    print(f"      {json.dumps(example)[:300]}")
    print(f"{failures} failing runs")
    raise SystemExit(1 if failures else 0)


if __name__ == "__main__":
    main()
