"""Symbolic mode against SymPy: time and size of derivatives (issue 3, "Performance").

1. d/dx of the product (x - 1)(x - 2)…(x - n) for n = 50, 100, 200, and of sin(sin(…x…)) 50 deep:
   adcli (parse, derivative graph, simplification, checks, shared form: `adcli.commands.diff.diff(text,
   cse=True)`) beside SymPy's `diff` and `diff` + `cse` on the same input in the same run; and, like
   for like with SymPy's `diff` (an expression in, an unprinted derivative out), adcli's derivative
   graph alone (`derivative_table` on the parsed input). Sizes: operations in
   the shared form (adcli: distinct operations of the derivative DAG; SymPy: `count_ops` of the
   cse replacements and result) and nodes of the printed tree. SymPy's cache is cleared before each
   timed run (a repeat would otherwise time a cache hit). Each pair of answers is checked to
   agree at a point before anything is timed. Targets: adcli >= 10x faster than SymPy; adcli's
   shared form growing linearly in n.
2. The printed size of the derivatives of the corpus (tests/data/calculus.jsonl, the problems whose
   functions SymPy spells the same way): tree nodes and characters, adcli against SymPy's `diff`.

    python benchmarks/symbolic.py
    python benchmarks/symbolic.py --sizes 50 100 200 400 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from adcli.commands.diff import diff, printed_nodes
from adcli.core.graph import topo_order
from adcli.language.parser import parse
from adcli.modes.symbolic.derivative import derivative_table, evaluate_graphs
from adcli.modes.symbolic.simplify import Simplifier

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "data" / "calculus.jsonl"
SYMPY_NAMES = {"sin", "cos", "tan", "exp", "log", "ln", "sqrt", "atan", "asin", "acos", "sinh", "cosh", "tanh"}


def median_seconds(job: Callable[[], object], repeat: int, budget: float = 30.0) -> float:
    """Median CPU time of this process (both sides are single-threaded Python: on an idle machine this
    is the wall time, and on a busy one it is not inflated by the other processes)."""
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < repeat and (len(times) < 1 or time.perf_counter() - started < budget):
        t0 = time.process_time()
        job()
        times.append(time.process_time() - t0)
    return statistics.median(times)


def adcli_value(text: str, x: float) -> float:
    outputs = parse(text).outputs
    table = derivative_table(outputs, ["x"], 1, Simplifier(topo_order(outputs)))
    return float(evaluate_graphs(table.rows[0], ["x"], [np.float64(x)])[0])


def sympy_sizes(sympy, derivative) -> tuple[int, int]:  # noqa: ANN001
    """(operations after cse, nodes of the printed tree) of a SymPy expression."""
    replacements, reduced = sympy.cse(derivative)
    ops = sum(sympy.count_ops(e) for _, e in replacements) + sum(sympy.count_ops(e) for e in reduced)
    return int(ops), sum(1 for _ in sympy.preorder_traversal(derivative))


def derivative_only(text: str) -> Callable[[], object]:
    """adcli's part that compares with SymPy's `diff` like for like: a parsed expression in, the
    simplified derivative graph out (no parsing, no checks, no printing)."""
    outputs = parse(text).outputs

    def job() -> object:
        return derivative_table(outputs, ["x"], 1, Simplifier(topo_order(outputs)))

    return job


def compare(name: str, text: str, build_sympy: Callable[[object], object], repeat: int, at: float) -> None:  # noqa: C901
    found = diff(text, cse=True)
    ours = median_seconds(lambda: diff(text, cse=True), repeat)
    core = median_seconds(derivative_only(text), repeat)
    line = (
        f"{name:14s} adcli {ours * 1e3:9.1f} ms (derivative graph alone {core * 1e3:7.1f} ms)  "
        f"shared ops {found.size['operations']:6d}  tree nodes {found.size['printed_nodes']:>12,d}  "
        f"input ops {found.size['input_operations']:5d}"
    )
    try:
        import sympy
    except ImportError:
        print(line + "   (SymPy not installed)")
        return
    x = sympy.Symbol("x")
    expr = build_sympy(sympy)
    from sympy.core.cache import clear_cache

    def cold(job: Callable[[], object]) -> Callable[[], object]:
        """SymPy caches results: a repeat would time a cache hit, so each run starts with a cold cache."""
        return lambda: (clear_cache(), job())

    theirs = median_seconds(cold(lambda: sympy.diff(expr, x)), repeat)
    derivative = sympy.diff(expr, x)
    with_cse = median_seconds(cold(lambda: sympy.cse(sympy.diff(expr, x))), max(1, repeat // 3))
    ops, nodes = sympy_sizes(sympy, derivative)
    reference = float(derivative.subs(x, sympy.Float(at, 40)).evalf(30))
    if abs(reference) < 1e300:  # (x - 1)…(x - 200) overflows float64 everywhere: then not checked
        mine = adcli_value(text, at)
        if abs(mine - reference) > 1e-9 * max(1.0, abs(reference)):
            raise SystemExit(f"{name}: adcli {mine!r} and SymPy {reference!r} disagree")
        line += f"  agrees with SymPy at x = {at}"
    else:
        line += "  (not checked: the value overflows float64)"
    print(line)
    print(
        f"{'':14s} sympy {theirs * 1e3:9.1f} ms diff, {with_cse * 1e3:9.1f} ms diff+cse   "
        f"ops after cse {ops:6d}  tree nodes {nodes:>12,d}   "
        f"speed-up {theirs / ours:6.1f}x (diff), {with_cse / ours:6.1f}x (diff+cse), "
        f"{theirs / core:6.1f}x (diff, like for like)"
    )


def corpus_sizes() -> None:
    try:
        import sympy
    except ImportError:
        print("corpus: SymPy not installed")
        return
    ours_nodes = theirs_nodes = ours_chars = theirs_chars = 0
    ratios = []
    seen = set()
    for line in CORPUS.read_text(encoding="utf-8").splitlines():
        problem = json.loads(line)
        text, wrt = problem["expr"], problem["wrt"]
        parsed = parse(text)
        calls = {n.op for n in topo_order(parsed.outputs) if n.args and n.op not in ("add", "sub", "mul", "div", "neg")}
        if text in seen or not wrt or not calls <= SYMPY_NAMES | {"pow"}:
            continue
        seen.add(text)
        symbols = {w: sympy.Symbol(w) for w in wrt}
        local = {**symbols, "e": sympy.E, "pi": sympy.pi, "ln": sympy.log}
        try:
            exprs = [sympy.sympify(part.replace("^", "**"), locals=local) for part in _outputs(parsed)]
        except sympy.SympifyError:  # names SymPy cannot take (lambda, import)
            continue
        found = diff(text, wrt=wrt)
        for i, expr in enumerate(exprs):
            for k, w in enumerate(wrt):
                d = sympy.diff(expr, symbols[w])
                ours = printed_nodes(parse(found.derivatives[i][k]).outputs)
                theirs = sum(1 for _ in sympy.preorder_traversal(d))
                ours_nodes += ours
                theirs_nodes += theirs
                ours_chars += len(found.derivatives[i][k])
                theirs_chars += len(str(d))
                ratios.append(ours / theirs)
    print(
        f"corpus ({len(seen)} problems, {len(ratios)} derivatives): tree nodes adcli {ours_nodes} vs SymPy "
        f"{theirs_nodes} (median ratio {statistics.median(ratios):.2f}); characters adcli {ours_chars} vs "
        f"SymPy {theirs_chars}"
    )


def _outputs(parsed) -> list[str]:  # noqa: ANN001
    from adcli.core.printing import to_text

    return [to_text(n) for n in parsed.outputs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200])
    parser.add_argument("--depth", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    for n in args.sizes:
        text = "*".join(f"(x - {k})" for k in range(1, n + 1))

        def product(sympy, n=n):  # noqa: ANN001, ANN202
            x = sympy.Symbol("x")
            return sympy.Mul(*[x - k for k in range(1, n + 1)])

        compare(f"product n={n}", text, product, args.repeat, at=0.5)
    depth = args.depth
    nested = "sin(" * depth + "x" + ")" * depth

    def sines(sympy):  # noqa: ANN001, ANN202
        node = sympy.Symbol("x")
        for _ in range(depth):
            node = sympy.sin(node)
        return node

    compare(f"sin^{depth}", nested, sines, args.repeat, at=0.7)
    corpus_sizes()


if __name__ == "__main__":
    main()
