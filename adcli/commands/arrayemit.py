"""`adcli trace --emit python` on arrays (issue 12): the numpy program of the derivative.

As for scalars (adcli.commands.emit), each row of the traces becomes one assignment in a straight-line
function that needs numpy and nothing else: `forward()` (primal and tangent traces, the JVP along a
seed) and `reverse()` (primal and adjoint traces, the gradient). Structural primitives are written
with adcli.commands.arraycode's lines (matmul's VJP as Ḡ@Bᵀ, Aᵀ@Ḡ for the shapes at hand);
elementwise ones with the table's partials, as the scalar program writes them, and `unbroadcast`
where broadcasting stretched an argument. The program is specialised to the trace's shapes. adcli
never runs it; tests/commands/test_arrayemit.py does, against the sweeps.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from adcli.commands import arraycode
from adcli.commands.arraytrace import ArrayTrace, code_slot
from adcli.commands.emit import CALL, NUMPY_DEFS, RESERVED, _Names, ufunc
from adcli.commands.trace import symbolic_partials
from adcli.core.notation import name, token
from adcli.core.primitives import TABLE
from adcli.core.printing import to_text
from adcli.core.tape import Tape

OPERATORS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}


def is_array_trace(trace: Any) -> bool:
    return isinstance(trace, ArrayTrace)


class _Program:
    """Names and lines of one emitted function: slots as v_1 / vdot_1 / vbar_1, constants inline."""

    def __init__(self, tape: Tape, names: _Names) -> None:
        self.tape, self.names = tape, names
        self.shapes = tape.shapes or []

    def v(self, tape: Tape, slot: int) -> str:
        index = tape.index(slot)
        if index is not None:
            return token("v", index)
        value = float(tape.nodes[slot].payload)  # type: ignore[arg-type]
        return f"({value!r})" if value < 0 else repr(value)

    def param(self, k: int, accent: str = "") -> str:
        return self.names.code(name(self.tape.names[k], accent))

    def moving(self, active: list[bool], slot: int) -> list[bool]:
        return [active[j] and self.tape.index(j) is not None for j in self.tape.args[slot]]

    def primal(self, slot: int) -> str:
        tape, node = self.tape, self.tape.nodes[slot]
        if tape.prims[slot].rules is not None:  # type: ignore[union-attr]
            return arraycode.primal(code_slot(tape, slot, self.v))
        args = [self.v(tape, j) for j in tape.args[slot]]
        if node.op in OPERATORS:
            return f"{args[0]} {OPERATORS[node.op]} {args[1]}"
        if node.op == "neg":
            return f"-{args[0]}"
        return self.names.code(f"{node.op}({', '.join(args)})")

    def partial(self, slot: int, k: int) -> str:
        return self.names.code(to_text(symbolic_partials(self.tape, slot)[k]))

    def scaled(self, seed: str, slot: int, k: int) -> str:
        """seed·∂vᵢ/∂vⱼ: the seed itself for a partial 1, its negative for -1."""
        partial = self.partial(slot, k)
        if partial == "1":
            return seed
        if partial == "-1":
            return f"-{seed}"
        return f"{seed} * ({partial})"

    def tangent(self, slot: int, active: list[bool]) -> str:
        tape = self.tape
        moving = self.moving(active, slot)
        if tape.prims[slot].rules is not None:  # type: ignore[union-attr]
            seeds = [token("vdot", tape.index(j)) if m else None for j, m in zip(tape.args[slot], moving, strict=True)]  # type: ignore[arg-type]
            return arraycode.jvp(code_slot(tape, slot, self.v), seeds)
        terms = [
            self.scaled(token("vdot", tape.index(j)), slot, k)  # type: ignore[arg-type]
            for k, (j, m) in enumerate(zip(tape.args[slot], moving, strict=True))
            if m
        ]
        total = " + ".join(terms).replace("+ -", "- ")
        stretched = any(self.shapes[j] != self.shapes[slot] for j, m in zip(tape.args[slot], moving, strict=True) if m)
        return f"np.broadcast_to({total}, {self.shapes[slot]!r})" if stretched else total

    def share(self, slot: int, k: int) -> str:
        """The k-th argument's share of v̄ᵢ (slot i)."""
        tape, g = self.tape, token("vbar", self.tape.index(slot))  # type: ignore[arg-type]
        if tape.prims[slot].rules is not None:  # type: ignore[union-attr]
            return arraycode.vjp(code_slot(tape, slot, self.v), k, g)
        j = tape.args[slot][k]
        line = self.scaled(g, slot, k)
        return f"unbroadcast({line}, {self.shapes[j]!r})" if self.shapes[j] != self.shapes[slot] else line


def _seed_code(value: Any) -> str:
    array = np.asarray(value, dtype=float)
    if array.shape == ():
        return repr(float(array))
    if np.all(array == 1):
        return f"np.ones({array.shape!r})"
    if np.all(array == 0):
        return f"np.zeros({array.shape!r})"
    return f"np.array({array.tolist()!r})"


def _inputs(p: _Program) -> list[str]:
    return [
        f"    {token('v', p.tape.index(k))} = np.asarray({p.param(k)}, dtype=float)" for k in range(p.tape.n_inputs)
    ]  # type: ignore[arg-type]


def _returned(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else "(" + ", ".join(parts) + ")"


def _forward(trace: ArrayTrace, p: _Program, suffix: str) -> list[str]:
    tape, active = p.tape, p.tape.active(trace.wrt)
    wrt = [k for k, n in enumerate(tape.names) if n in trace.wrt]
    dots = {k: p.param(k, "dot") for k in wrt}
    params = [p.param(k) for k in range(tape.n_inputs)] + [f"{dots[k]}=None" for k in wrt]
    doc = '"""Value and the tangent along the seed (the Jacobian times it): primal and tangent traces."""'
    lines = [f"def forward{suffix}({', '.join(params)}):", f"    {doc}"]
    direction = trace.direction or {}
    for k in wrt:
        seed = _seed_code(direction[tape.names[k]])
        lines.append(f"    {dots[k]} = {seed} if {dots[k]} is None else np.asarray({dots[k]}, dtype=float)")
    lines += _inputs(p)
    lines += [f"    {token('vdot', tape.index(k))} = {dots[k]}" for k in wrt]  # type: ignore[arg-type]
    for s in range(tape.first_op, len(tape.nodes)):
        lines.append(f"    {token('v', tape.index(s))} = {p.primal(s)}")  # type: ignore[arg-type]
        if active[s]:
            lines.append(f"    {token('vdot', tape.index(s))} = {p.tangent(s, active)}")  # type: ignore[arg-type]
    values = [p.v(tape, o) for o in tape.outputs]
    tangents = [
        token("vdot", tape.index(o)) if active[o] else f"np.zeros({p.shapes[o]!r})"  # type: ignore[arg-type]
        for o in tape.outputs
    ]
    lines.append(f"    return {_returned(values)}, {_returned(tangents)}")
    return lines


def _reverse(trace: ArrayTrace, p: _Program, suffix: str) -> list[str]:
    tape, active = p.tape, p.tape.active(trace.wrt)
    n_out = len(tape.outputs)
    bars = [p.names.code(name("y" if n_out == 1 else f"y{i + 1}", "bar")) for i in range(n_out)]
    params = [p.param(k) for k in range(tape.n_inputs)] + [f"{b}=None" for b in bars]
    doc = '"""Value and gradient (the weights times the Jacobian): primal trace, then adjoint trace."""'
    lines = [f"def reverse{suffix}({', '.join(params)}):", f"    {doc}"]
    for bar, seed in zip(bars, trace.cotangent or [], strict=True):
        lines.append(f"    {bar} = {_seed_code(seed)} if {bar} is None else np.asarray({bar}, dtype=float)")
    lines += _inputs(p)
    lines += [f"    {token('v', tape.index(s))} = {p.primal(s)}" for s in range(tape.first_op, len(tape.nodes))]  # type: ignore[arg-type]
    assigned: set[int] = set()

    def add(slot: int, share: str) -> None:
        target = token("vbar", tape.index(slot))  # type: ignore[arg-type]
        lines.append(f"    {target} = {target} + {share}" if slot in assigned else f"    {target} = {share}")
        assigned.add(slot)

    for bar, o in zip(bars, tape.outputs, strict=True):
        if active[o]:
            add(o, bar)
    for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1):
        if active[s] and s in assigned:
            for k, m in enumerate(p.moving(active, s)):
                if m:
                    add(tape.args[s][k], p.share(s, k))
    gradient = [
        token("vbar", tape.index(k)) if k in assigned else f"np.zeros({p.shapes[k]!r})"  # type: ignore[arg-type]
        for k, n in enumerate(tape.names)
        if n in trace.wrt
    ]
    values = [p.v(tape, o) for o in tape.outputs]
    lines.append(f"    return {_returned(values)}, ({', '.join(gradient)}{',' if len(gradient) == 1 else ''})")
    return lines


def _prelude(body: list[str]) -> list[str]:
    code = [line.split("#", 1)[0] for line in body]
    called = {m.group(1) for line in code for m in CALL.finditer(line)}
    for f in sorted(called & set(arraycode.HELPERS)):  # a helper's own helpers (adjugate: others_product)
        called |= {m.group(1) for line in arraycode.HELPERS[f] for m in CALL.finditer(line)} & set(arraycode.HELPERS)
    used = sorted(called)
    lines = ["import numpy as np"]
    fallback = [f for f in used if f in TABLE and f not in arraycode.HELPERS and f not in NUMPY_DEFS and not ufunc(f)]
    if fallback:  # a primitive newer than NUMPY_DEFS: adcli's own function
        lines.append("from adcli.core.primitives import TABLE  # a primitive with no numpy spelling here yet")
    for f in used:
        if f in arraycode.HELPERS:
            lines += ["", "", *arraycode.HELPERS[f]]
        elif f in NUMPY_DEFS:
            lines += ["", "", *NUMPY_DEFS[f]]
        elif f in fallback:
            lines += ["", f'{f} = TABLE["{f}"].fn']
    text = "\n".join(code)
    constants = ["pi = np.pi"] if re.search(r"\bpi\b", text) else []
    constants += ["e = np.e"] if re.search(r"(?<![\w.])e\b", text) else []
    return lines + (["", ""] if constants else []) + constants


def python_source(trace: ArrayTrace, suffix: str = "") -> str:
    """The sweeps of an array trace as a Python module: forward(), reverse() or both (forward_2() … with a suffix)."""
    names = _Names(RESERVED | set(arraycode.HELPERS) | {f"forward{suffix}", f"reverse{suffix}"})
    program = _Program(trace.tape, names)
    body: list[str] = []
    if trace.tangent is not None:
        body += ["", "", *_forward(trace, program, suffix)]
    if trace.adjoint is not None:
        body += ["", "", *_reverse(trace, program, suffix)]
    head = [
        f"# Generated by `adcli trace --emit python` from: {trace.read_as}",
        "# Baydin et al. (2018) on arrays: each line is one row of the traces, for the shapes of this point.",
        "",
    ]
    return "\n".join(head + _prelude(body) + body) + "\n"
