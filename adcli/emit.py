"""`adcli trace --emit python`: the trace is a program, so write it out as one.

The rows of a Trace are kept in a neutral notation whose placeholders (v_m1, vdot_2, vbar_0) are
Python names; each row becomes one assignment, in the survey's order. The result is TEXT for the
user to read and run: a straight-line function per sweep, with numpy for the primitives (adcli
never runs it). Function names come from the primitive table: a numpy ufunc is named as such,
anything else is taken from adcli's own table.
"""

from __future__ import annotations

import keyword
import re

import numpy as np

from adcli.notation import NAME, PLACEHOLDER
from adcli.primitives import TABLE
from adcli.trace import Row, Trace

CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\(")
RESERVED = {"np", "TABLE", "pi", "e", "forward", "reverse"}


class _Names:
    """The user's names as Python identifiers: keywords, placeholders and clashes get a trailing _."""

    def __init__(self) -> None:
        self.taken = set(RESERVED) | set(TABLE)
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
        """A neutral form as a Python expression: names resolved, `^` as `**`."""
        return NAME.sub(self.ident, text).replace("^", "**")


def _assign(names: _Names, row: Row) -> str:
    comment = f"  # {row.label}" if row.label else ""
    return f"    {names.code(row.target)} = {names.code(row.forms[-1])}{comment}"


def _split(rows: list[Row], n_inputs: int, n_outputs: int) -> tuple[list[Row], list[Row], list[Row]]:
    return rows[:n_inputs], rows[n_inputs : len(rows) - n_outputs], rows[len(rows) - n_outputs :]


def _returned(names: _Names, rows: list[Row]) -> str:
    parts = [names.code(r.forms[-1]) for r in rows]
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _forward(trace: Trace, names: _Names) -> list[str]:
    n, m = trace.n_inputs, len(trace.outputs)
    p_in, p_ops, p_out = _split(trace.primal, n, m)
    t_in, t_ops, t_out = _split(trace.tangent or [], n, m)
    params = [names.code(r.forms[0]) for r in p_in]
    seeds = [f"{names.code(r.forms[0])}={float(r.value)!r}" for r in t_in]
    doc = '"""Value and directional derivative (the Jacobian times the seed): primal and tangent traces."""'
    lines = [f"def forward({', '.join(params + seeds)}):", f"    {doc}"]
    for primal, tangent in zip(p_in + p_ops, t_in + t_ops, strict=True):
        lines += [_assign(names, primal), _assign(names, tangent)]
    lines.append(f"    return {_returned(names, p_out)}, {_returned(names, t_out)}")
    return lines


def _reverse(trace: Trace, names: _Names) -> list[str]:
    n, m = trace.n_inputs, len(trace.outputs)
    p_in, p_ops, p_out = _split(trace.primal, n, m)
    adjoint = trace.adjoint or []
    bars = [r.target.replace("}", "}bar", 1) for r in p_out]
    params = [names.code(r.forms[0]) for r in p_in]
    params += [f"{names.code(bar)}={float(c)!r}" for bar, c in zip(bars, trace.cotangent or [], strict=True)]
    doc = '"""Value and gradient (the weights times the Jacobian): primal trace, then adjoint trace."""'
    lines = [f"def reverse({', '.join(params)}):", f"    {doc}"]
    lines += [_assign(names, r) for r in p_in + p_ops]
    lines += [_assign(names, r) for r in adjoint[: len(adjoint) - n]]
    gradient = [names.code(r.forms[-1]) for r in adjoint[len(adjoint) - n :]]
    lines.append(f"    return {_returned(names, p_out)}, ({', '.join(gradient)}{',' if n == 1 else ''})")
    return lines


def _prelude(body: list[str]) -> list[str]:
    used = sorted({m.group(1) for line in body for m in CALL.finditer(line.split("#", 1)[0])} & set(TABLE))
    lines = ["import numpy as np"]
    if any(not isinstance(TABLE[f].fn, np.ufunc) for f in used):
        lines.append("from adcli.primitives import TABLE  # the primitives numpy has no ufunc for")
    lines.append("")
    for f in used:
        fn = TABLE[f].fn
        lines.append(f"{f} = np.{fn.__name__}" if isinstance(fn, np.ufunc) else f'{f} = TABLE["{f}"].fn')
    text = "\n".join(body)
    lines += ["pi = np.pi"] if re.search(r"\bpi\b", text) else []
    lines += ["e = np.e"] if re.search(r"(?<![\w.])e\b", text) else []
    return lines


def python_source(trace: Trace) -> str:
    """The sweeps of a trace as a Python module (forward(), reverse() or both)."""
    names = _Names()
    body: list[str] = []
    if trace.tangent is not None:
        body += ["", "", *_forward(trace, names)]
    if trace.adjoint is not None:
        body += ["", "", *_reverse(trace, names)]
    head = [
        f"# Generated by `adcli trace --emit python` from: {trace.read_as}",
        "# Baydin et al. (2018): each line is one row of the trace tables, in the survey's order.",
        "",
    ]
    return "\n".join(head + _prelude(body) + body) + "\n"
