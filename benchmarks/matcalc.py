"""Matrix calculus against The Matrix Cookbook and SymPy's MatrixSymbol (issue 13, "Targets").

For each identity the language can express (quadratic and bilinear forms, traces of products,
determinants, inverses, norms, least squares, logistic loss, softmax cross-entropy, MLP layers):

- adcli's derivative, found once for symbolic sizes (`--shape x=n,A=nxn`), is parsed back and
  evaluated at random sizes and values against reverse mode (the tape's own sweep) and against the
  textbook form written out here from the Cookbook: every printed derivative must be numerically
  right (relative 1e-10);
- its size beside the textbook form's: operations (non-leaf nodes) of the printed tree, both parsed
  by adcli's parser (target: adcli's ≤ the textbook's);
- the time of adcli's derivative (parse, reverse sweep, simplification, printing) beside SymPy's
  `diff` on MatrixSymbols, where SymPy can express the identity (skipped cleanly without SymPy).

    python benchmarks/matcalc.py            # the table; exit 1 if a derivative is wrong
    python benchmarks/matcalc.py --json     # one JSON object per identity
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from adcli.core.graph import topo_order, variables
from adcli.core.printing import to_text
from adcli.language.parser import parse
from adcli.modes.symbolic.matrix.shapes import Shapes
from adcli.modes.symbolic.matrix.sweep import evaluate, gradient, reverse_gradient

S = {"x": ("n",), "A": ("n", "n"), "a": ("n",), "b": ("n",), "c": ("n",), "X": ("n", "n"), "B": ("n", "n")}
R = {"X": ("m", "n"), "A": ("m", "n"), "x": ("n",), "b": ("m",), "y": ("m",), "w": ("n",)}
NET = {"X": ("m", "d"), "W1": ("h", "d"), "b1": ("h",), "W2": ("k", "h"), "b2": ("k",), "Y": ("m", "k")}

# (name, expression, wrt, shapes, textbook form, SymPy builder (symbols -> (expr, wrt)) or None)
IDENTITIES: list[tuple[str, str, str, dict, str, Callable[..., Any] | None]] = [
    ("quadratic x'Ax", "x' @ A @ x", "x", S, "(A + A') @ x", lambda m: (m.x.T * m.A * m.x, m.x)),
    ("quadratic x'Ax by A", "x' @ A @ x", "A", S, "outer(x, x)", lambda m: (m.x.T * m.A * m.x, m.A)),
    ("bilinear a'Xb", "a @ X @ b", "X", S, "outer(a, b)", lambda m: (m.a.T * m.X * m.b, m.X)),
    ("bilinear a'X'b", "a @ X' @ b", "X", S, "outer(b, a)", lambda m: (m.a.T * m.X.T * m.b, m.X)),
    ("linear a'x", "a @ x", "x", S, "a", lambda m: (m.a.T * m.x, m.x)),
    ("b'X'Xc", "b @ X' @ X @ c", "X", S, "X @ (outer(b, c) + outer(c, b))", lambda m: (m.b.T * m.X.T * m.X * m.c, m.X)),
    ("x'x", "x' @ x", "x", S, "2*x", lambda m: (m.x.T * m.x, m.x)),
    ("tr(AX)", "tr(A @ X)", "X", S, "A'", lambda m: (m.tr(m.A * m.X), m.X)),
    ("tr(XA)", "tr(X @ A)", "X", S, "A'", lambda m: (m.tr(m.X * m.A), m.X)),
    ("tr(AXB)", "tr(A @ X @ B)", "X", S, "A' @ B'", lambda m: (m.tr(m.A * m.X * m.B), m.X)),
    ("tr(AX'B)", "tr(A @ X' @ B)", "X", S, "B @ A", lambda m: (m.tr(m.A * m.X.T * m.B), m.X)),
    ("tr(X'BX)", "tr(X' @ B @ X)", "X", S, "B @ X + B' @ X", lambda m: (m.tr(m.X.T * m.B * m.X), m.X)),
    ("tr(XX)", "tr(X @ X)", "X", S, "2*X'", lambda m: (m.tr(m.X * m.X), m.X)),
    ("tr(X'X)", "tr(X' @ X)", "X", S, "2*X", lambda m: (m.tr(m.X.T * m.X), m.X)),
    ("det(X)", "det(X)", "X", S, "det(X) * inv(X)'", lambda m: (m.det(m.X), m.X)),
    ("logdet(X)", "logdet(X)", "X", S, "inv(X)'", lambda m: (m.log(m.det(m.X)), m.X)),
    ("det(AXB)", "det(A @ X @ B)", "X", S, "det(A @ X @ B) * inv(X)'", lambda m: (m.det(m.A * m.X * m.B), m.X)),
    ("tr(inv(X)A)", "tr(inv(X) @ A)", "X", S, "-(inv(X) @ A @ inv(X))'", lambda m: (m.tr(m.X.I * m.A), m.X)),
    ("a'inv(X)b", "a @ inv(X) @ b", "X", S, "-inv(X)' @ outer(a, b) @ inv(X)'", lambda m: (m.a.T * m.X.I * m.b, m.X)),
    ("norm(x)^2", "norm(x)^2", "x", S, "2*x", None),
    ("norm(X)^2 (Frobenius)", "norm(X)^2", "X", S, "2*X", None),
    ("norm(x)", "norm(x)", "x", S, "x / norm(x)", None),
    (
        "least squares",
        "norm(A @ x - b)^2",
        "x",
        R,
        "2 * A' @ (A @ x - b)",
        lambda m: ((m.R * m.x - m.c).T * (m.R * m.x - m.c), m.x),
    ),
    ("least squares by A", "norm(A @ x - b)^2", "A", R, "2 * outer(A @ x - b, x)", None),
    (
        "logistic loss",
        "sum(log(1 + exp(-y * (X @ w))))",
        "w",
        R,
        "-X' @ (y * exp(-y * (X @ w)) / (1 + exp(-y * (X @ w))))",
        None,
    ),
    ("softmax cross-entropy", "-y @ log(softmax(A @ x))", "x", R, "A' @ (sum(y) * softmax(A @ x) - y)", None),
    ("log-sum-exp", "logsumexp(A @ x)", "x", R, "A' @ softmax(A @ x)", None),
    ("ridge", "norm(A @ x - b)^2 + 2 * x' @ x", "x", R, "2 * A' @ (A @ x - b) + 4 * x", None),
    (
        "MLP layer W1",
        "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)",
        "W1",
        NET,
        "(2 * ((tanh(X @ W1' + b1) @ W2' + b2 - Y) @ W2) * (1 - tanh(X @ W1' + b1)^2))' @ X",
        None,
    ),
    (
        "MLP layer W2",
        "sum((tanh(X @ W1' + b1) @ W2' + b2 - Y)^2)",
        "W2",
        NET,
        "2 * (tanh(X @ W1' + b1) @ W2' + b2 - Y)' @ tanh(X @ W1' + b1)",
        None,
    ),
]


def operations(text: str) -> int:
    """Operations of the printed tree (each occurrence counted: what a reader reads)."""
    count: dict[Any, int] = {}
    root = parse(text).outputs[0]
    for node in topo_order([root]):
        count[node] = (1 if node.args else 0) + sum(count[a] for a in node.args)
    return count[root]


def _point(shapes: dict, rng: np.random.Generator) -> dict[str, np.ndarray]:
    sizes: dict[str, int] = {}
    point = {}
    for name, shape in shapes.items():
        dims = tuple(sizes.setdefault(d, int(rng.integers(2, 6))) for d in shape)
        value = rng.normal(size=dims)
        if len(dims) == 2 and dims[0] == dims[1]:
            value = value + 2 * dims[0] * np.eye(dims[0])
        point[name] = value
    return point


def adcli_derivative(text: str, wrt: str, shapes: dict) -> str:
    root = parse(text).outputs[0]
    return to_text(gradient(root, [wrt], Shapes(shapes)).gradients[0])


def right(text: str, printed: str, textbook: str, wrt: str, shapes: dict, trials: int = 5) -> tuple[bool, bool]:
    """(adcli's printed derivative equals reverse mode, the textbook form does) at random sizes."""
    rng = np.random.default_rng(2026)
    ours = theirs = True
    for _ in range(trials):
        point = _point(shapes, rng)
        (reference,) = reverse_gradient(parse(text).outputs[0], [wrt], point)
        mine, book = evaluate([parse(printed).outputs[0], parse(textbook).outputs[0]], point)
        scale = max(1.0, float(np.max(np.abs(reference))))
        ours = ours and float(np.max(np.abs(mine - reference))) <= 1e-10 * scale
        fits = np.shape(book) == np.shape(reference)
        theirs = theirs and fits and float(np.max(np.abs(book - reference))) <= 1e-10 * scale
    return ours, theirs


def _median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


class _SymPy:
    """MatrixSymbols named as the identities' variables; R is the m×n A of least squares, c its b."""

    def __init__(self, sympy: Any) -> None:
        n, m = sympy.symbols("n m", integer=True, positive=True)
        ms = sympy.MatrixSymbol
        self.x, self.a, self.b, self.c = ms("x", n, 1), ms("a", n, 1), ms("b", n, 1), ms("c", m, 1)
        self.A, self.X, self.B, self.R = ms("A", n, n), ms("X", n, n), ms("B", n, n), ms("A", m, n)
        self.tr, self.det, self.log = sympy.Trace, sympy.Determinant, sympy.log
        self.sympy = sympy


def sympy_time(builder: Callable[..., Any] | None, repeat: int) -> tuple[float | None, str]:
    if builder is None:
        return None, "not expressible"
    try:
        import sympy
    except ImportError:
        return None, "SymPy not installed"
    symbols = _SymPy(sympy)

    def run() -> object:
        sympy.core.cache.clear_cache()
        expr, wrt = builder(symbols)
        return expr.diff(wrt)

    try:
        found = run()
    except Exception as exc:  # noqa: BLE001 - SymPy's own failure is a result here
        return None, f"SymPy fails: {type(exc).__name__}"
    return _median_time(run, repeat), str(found)[:60]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rows, failures = [], 0
    for name, text, wrt, shapes, textbook, builder in IDENTITIES:
        used = {v: shapes[v] for v in variables(parse(text).outputs)}
        printed = adcli_derivative(text, wrt, used)
        ours, theirs = right(text, printed, textbook, wrt, used)
        failures += not ours
        seconds = _median_time(lambda t=text, w=wrt, s=used: adcli_derivative(t, w, s), args.repeat)
        sympy_seconds, sympy_said = sympy_time(builder, args.repeat)
        rows.append(
            {
                "identity": name, "expr": text, "wrt": wrt, "adcli": printed, "textbook": textbook,
                "right": ours, "textbook_right": theirs, "adcli_ops": operations(printed),
                "textbook_ops": operations(textbook), "adcli_ms": 1e3 * seconds,
                "sympy_ms": None if sympy_seconds is None else 1e3 * sympy_seconds, "sympy": sympy_said,
            }
        )  # fmt: skip
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        _table(rows)
    return 1 if failures else 0


def _table(rows: list[dict]) -> None:
    print(f"{'identity':24} {'right':>5} {'ops':>4} {'book':>4} {'adcli ms':>8} {'sympy ms':>9}  derivative")
    for r in rows:
        sympy_ms = f"{r['sympy_ms']:.1f}" if r["sympy_ms"] is not None else "-"
        print(
            f"{r['identity']:24} {'yes' if r['right'] else 'NO':>5} {r['adcli_ops']:>4} {r['textbook_ops']:>4} "
            f"{r['adcli_ms']:>8.2f} {sympy_ms:>9}  {r['adcli']}"
        )
    smaller = sum(r["adcli_ops"] <= r["textbook_ops"] for r in rows)
    print(f"\n{len(rows)} identities; every derivative right: {all(r['right'] for r in rows)};"
          f" adcli's size <= the textbook's in {smaller} of {len(rows)}")  # fmt: skip
    timed = [r for r in rows if r["sympy_ms"] is not None]
    if timed:
        ratio = statistics.median(r["sympy_ms"] / r["adcli_ms"] for r in timed)
        print(f"SymPy MatrixSymbol diff on {len(timed)} of them: median {ratio:.1f}x adcli's time")


if __name__ == "__main__":
    raise SystemExit(main())
