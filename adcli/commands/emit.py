"""`adcli trace --emit python`: the trace is a program, so write it out as one.

The rows of a Trace are kept in a neutral notation whose placeholders (v_m1, vdot_2, vbar_0) are
Python names; each row becomes one assignment, in the survey's order. The result is TEXT for the
user to read and run: a straight-line function per sweep that needs numpy and nothing else (adcli
never runs it). A primitive that is a numpy ufunc is called as one (`np.sin`, `np.absolute`,
`np.maximum`: no builtin such as abs or max is shadowed); the few numpy has no ufunc for are
defined at the top of the module, from NUMPY_DEFS (a test checks each one against the table, and
that every primitive has one; a primitive added without one is taken from adcli's table).
"""

from __future__ import annotations

import keyword
import re

import numpy as np

from adcli.commands.trace import Row, Trace
from adcli.core.notation import NAME, PLACEHOLDER
from adcli.core.primitives import TABLE

CALL = re.compile(r"(?<![\w.])([A-Za-z_][A-Za-z0-9_]*)\(")
RESERVED = {"np", "pi", "e", "forward", "reverse"}

#: numpy definitions of the primitives that are not a numpy ufunc, as they appear in the module.
NUMPY_DEFS = {
    "sec": ["def sec(x):", "    return 1 / np.cos(x)"],
    "csc": ["def csc(x):", "    return 1 / np.sin(x)"],
    "cot": ["def cot(x):", "    return 1 / np.tan(x)"],
    "sigmoid": [
        "def sigmoid(x):",
        "    t = np.exp(-np.abs(x))  # <= 1: no overflow in either tail",
        "    return np.where(np.greater_equal(x, 0), 1 / (1 + t), t / (1 + t))[()]",
    ],
    "sech": [
        "def sech(x):",
        "    t = np.exp(-np.abs(x))  # 2t/(1 + t^2) = 1/cosh(x), without overflow",
        "    return 2 * t / (1 + t * t)",
    ],
    "relu": ["def relu(x):", "    return np.maximum(x, 0.0)"],
    "softplus": ["def softplus(x):", "    return np.logaddexp(0.0, x)"],
}


def ufunc(name: str) -> str | None:
    """The numpy ufunc a primitive is (`arctan2` for atan2, also when the table wraps it), or None."""
    fn = TABLE[name].fn
    found = fn if isinstance(fn, np.ufunc) else getattr(np, getattr(fn, "__name__", ""), None)
    return found.__name__ if isinstance(found, np.ufunc) else None


def _call(match: re.Match[str]) -> str:
    name = match.group(1)
    if name not in TABLE:
        return match.group(0)
    numpy_name = ufunc(name)
    return f"np.{numpy_name}(" if numpy_name else match.group(0)


class _Names:
    """The user's names as Python identifiers: keywords, placeholders and clashes get a trailing _."""

    def __init__(self, reserved: set[str]) -> None:
        self.taken = reserved | set(TABLE)
        self.ids: dict[str, str] = {}

    def ident(self, match: re.Match[str]) -> str:
        key = match.group(0)
        if key not in self.ids:
            text, accent, k = match.groups()
            candidate = text + (f"_{accent}" if accent else "") + (f"_{k}" if k else "")
            while keyword.iskeyword(candidate) or PLACEHOLDER.fullmatch(candidate) or candidate in self.taken:
                candidate += "_"
            self.taken.add(candidate)
            self.ids[key] = candidate
        return self.ids[key]

    def code(self, text: str) -> str:
        """A neutral form as a Python expression: names resolved, `^` as `**`, ufuncs as np.…"""
        return CALL.sub(_call, NAME.sub(self.ident, text).replace("^", "**"))


def _assign(names: _Names, row: Row) -> str:
    comment = f"  # {row.label}" if row.label else ""
    return f"    {names.code(row.target)} = {names.code(row.forms[-1])}{comment}"


def _split(rows: list[Row], n_inputs: int, n_outputs: int) -> tuple[list[Row], list[Row], list[Row]]:
    return rows[:n_inputs], rows[n_inputs : len(rows) - n_outputs], rows[len(rows) - n_outputs :]


def _returned(names: _Names, rows: list[Row]) -> str:
    parts = [names.code(r.forms[-1]) for r in rows]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _forward(trace: Trace, names: _Names, suffix: str) -> list[str]:
    n, m = trace.n_inputs, len(trace.outputs)
    p_in, p_ops, p_out = _split(trace.primal, n, m)
    t_in, t_ops, t_out = _split(trace.tangent or [], n, m)
    params = [names.code(r.forms[0]) for r in p_in]
    seeds = [f"{names.code(r.forms[0])}={float(r.value)!r}" for r in t_in]
    doc = '"""Value and directional derivative (the Jacobian times the seed): primal and tangent traces."""'
    lines = [f"def forward{suffix}({', '.join(params + seeds)}):", f"    {doc}"]
    for primal, tangent in zip(p_in + p_ops, t_in + t_ops, strict=True):
        lines += [_assign(names, primal), _assign(names, tangent)]
    lines.append(f"    return {_returned(names, p_out)}, {_returned(names, t_out)}")
    return lines


def _reverse(trace: Trace, names: _Names, suffix: str) -> list[str]:
    n, m = trace.n_inputs, len(trace.outputs)
    p_in, p_ops, p_out = _split(trace.primal, n, m)
    adjoint = trace.adjoint or []
    bars = [r.target.replace("}", "}bar", 1) for r in p_out]
    params = [names.code(r.forms[0]) for r in p_in]
    params += [f"{names.code(bar)}={float(c)!r}" for bar, c in zip(bars, trace.cotangent or [], strict=True)]
    doc = '"""Value and gradient (the weights times the Jacobian): primal trace, then adjoint trace."""'
    lines = [f"def reverse{suffix}({', '.join(params)}):", f"    {doc}"]
    lines += [_assign(names, r) for r in p_in + p_ops]
    lines += [_assign(names, r) for r in adjoint[: len(adjoint) - n]]
    gradient = [names.code(r.forms[-1]) for r in adjoint[len(adjoint) - n :]]
    lines.append(f"    return {_returned(names, p_out)}, ({', '.join(gradient)}{',' if n == 1 else ''})")
    return lines


def _prelude(body: list[str]) -> list[str]:
    code = [line.split("#", 1)[0] for line in body]
    used = sorted({m.group(1) for line in code for m in CALL.finditer(line)} & set(TABLE))
    lines = ["import numpy as np"]
    if any(f not in NUMPY_DEFS for f in used):  # a primitive newer than NUMPY_DEFS: adcli's own function
        lines.append("from adcli.core.primitives import TABLE  # a primitive with no numpy spelling here yet")
    for f in used:
        lines += ["", "", *NUMPY_DEFS[f]] if f in NUMPY_DEFS else ["", f'{f} = TABLE["{f}"].fn']
    text = "\n".join(code)
    constants = ["pi = np.pi"] if re.search(r"\bpi\b", text) else []
    constants += ["e = np.e"] if re.search(r"(?<![\w.])e\b", text) else []
    return lines + ([""] if constants and not used else ["", ""] if constants else []) + constants


def python_source(trace: Trace, suffix: str = "") -> str:
    """The sweeps of a trace as a Python module: forward(), reverse() or both (forward_2() … with a suffix)."""
    names = _Names(RESERVED | {f"forward{suffix}", f"reverse{suffix}"})
    body: list[str] = []
    if trace.tangent is not None:
        body += ["", "", *_forward(trace, names, suffix)]
    if trace.adjoint is not None:
        body += ["", "", *_reverse(trace, names, suffix)]
    head = [
        f"# Generated by `adcli trace --emit python` from: {trace.read_as}",
        "# Baydin et al. (2018): each line is one row of the trace tables, in the survey's order.",
        "",
    ]
    return "\n".join(head + _prelude(body) + body) + "\n"
