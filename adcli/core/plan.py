"""A tape's primal sweep, partials and adjoint sweep on arrays, compiled once into prebound steps for repeated calls.

Why: the API's repeated gradient (a training loop) ran the generic sweeps, which decide for every slot on
every call what the tape's shapes already decided — structural or elementwise, fused or not, which
workspace array to write into, which arguments move — ~4 µs a slot, most of the Python left in a
gradient of the network loss at h = 64 (issue 12). A plan decides once: each slot's step is a closure with
its function, argument slots, payload and output array bound. Only slots that need nothing checked take
such a step (structural ones without kink checks, tanh's fused pass, ufuncs without a domain or kinks);
the others run the generic slot (shaped.slot_value, shaped.slot_partials), so every number, warning and
error is the generic sweep's. The adjoint sweep's steps do shaped.linear_adjoints' and _elementwise's
work with the slot's VJP rule, argument slots and shapes bound (tests/core/test_plan.py: the same
adjoints bit for bit). A plan lives in a workspace (whose arrays its steps write into), which one
call at a time holds (core/workspace.py).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adcli.core import arrays, shaped, threads
from adcli.core.errors import AdcliWarning
from adcli.core.tape import ERRSTATE, Tape, _float_error, constant_partials
from adcli.core.workspace import Workspace

Step = Callable[[list[Any], Any, Any], Any]  # (values, warnings, fused) -> the slot's value
Back = Callable[[list[Any], Any, Any], None]  # (adjoints, the slot's linearisation, its adjoint): adds into adjoints


class Plan:
    """The steps of one tape and one set of active slots (one wrt), bound to one workspace's arrays."""

    __slots__ = ("active", "back", "constants", "kept", "partial_steps", "sizes", "steps", "tape")

    def __init__(self, tape: Tape, active: Sequence[bool], workspace: Workspace) -> None:
        self.tape, self.active = tape, active
        self.sizes: Any = None  # the Jacobian's (outputs' entries, wrt entries), once a call has found them
        self.constants = [np.float64(tape.nodes[s].payload) for s in range(tape.n_inputs, tape.first_op)]
        self.steps = [(s, _value_step(tape, s, active, workspace)) for s in range(tape.first_op, len(tape.nodes))]
        self.partial_steps = [(s, _partial_step(tape, s, active)) for s in range(tape.first_op, len(tape.nodes))]
        self.partial_steps = [(s, step) for s, step in self.partial_steps if active[s]]
        shapes = tape.shapes
        assert shapes is not None
        # each slot's adjoint array, made when first asked for (as the generic sweep does: an array made for
        # a slot that never asks, eagerly, moved glibc's malloc thresholds and cost numpy's own temporaries
        # fresh pages — 170 µs at h = 64, numpy by hand's too)
        self.kept = lambda j: workspace.adjoint(j, shapes[j])
        self.back = [(s, _back_step(tape, s, self.kept)) for s in range(len(tape.nodes) - 1, tape.first_op - 1, -1)]
        self.back = [(s, step) for s, step in self.back if active[s]]

    def evaluate(self, inputs: Sequence[Any], warnings: list[AdcliWarning], fused: list[Any]) -> list[Any]:
        """shaped.evaluate's values, warnings and errors, with the active slots' fused partials into `fused`."""
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            return self._evaluate(inputs, warnings, fused)

    def partials(self, vals: list[Any], warnings: list[AdcliWarning], fused: list[Any]) -> list[Any]:
        """shaped.local_partials' linearisations."""
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            return self._partials(vals, warnings, fused)

    def linearise(self, inputs: Sequence[Any], warnings: list[AdcliWarning]) -> tuple[list[Any], list[Any]]:
        """evaluate, then partials: a call's values and linearisations, in one errstate (3 µs each)."""
        fused: list[Any] = [None] * len(self.tape.nodes)
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            vals = self._evaluate(inputs, warnings, fused)
            return vals, self._partials(vals, warnings, fused)

    def _evaluate(self, inputs: Sequence[Any], warnings: list[AdcliWarning], fused: list[Any]) -> list[Any]:
        tape = self.tape
        vals: list[Any] = [*inputs, *self.constants] + [None] * (len(tape.nodes) - tape.first_op)
        s = tape.first_op
        try:
            for s, step in self.steps:
                vals[s] = step(vals, warnings, fused)
        except FloatingPointError as exc:
            raise _float_error(tape, s, exc, [vals[j] for j in tape.args[s]]) from None
        except arrays.SingularError as exc:
            raise shaped.singular(tape, s, exc) from None
        return vals

    def _partials(self, vals: list[Any], warnings: list[AdcliWarning], fused: list[Any]) -> list[Any]:
        partials: list[Any] = [None] * len(vals)
        for s, step in self.partial_steps:
            partials[s] = step(vals, warnings, fused)
        return partials

    def adjoint(self, partials: Sequence[Any], cotangent: Sequence[Any]) -> list[Any]:
        """shaped.adjoint_sweep's adjoints, over the active slots only, with the workspace's arrays looked up once."""
        tape = self.tape
        adjoints: list[Any] = [None] * len(tape.nodes)
        for slot, weight in zip(tape.outputs, cotangent, strict=True):
            if weight is not None:
                adjoints[slot] = weight if adjoints[slot] is None else adjoints[slot] + weight
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            for s, step in self.back:
                g, local = adjoints[s], partials[s]
                if g is not None and local is not None:
                    step(adjoints, local, g)
        return adjoints


def _value_step(tape: Tape, s: int, active: Sequence[bool], workspace: Workspace) -> Step:
    prim, idx = tape.prims[s], tape.args[s]
    assert prim is not None

    def generic(v: list[Any], w: Any, f: Any) -> Any:
        return shaped.slot_value(tape, s, v, active, w, workspace, f)

    if prim.rules is not None:
        if prim.name in ("amax", "amin", "norm"):  # kink checks
            return generic
        fn, payload = prim.rules.fn, tape.nodes[s].payload
        into = prim.rules.into
        out = None if into is None or len(idx) != 2 else workspace.value(s, tape.shapes[s])  # type: ignore[index]  # noqa: PLR2004
        if out is not None:  # matmul: into the workspace's array, not a fresh one faulted in page by page
            return _into_step(fn, into, idx, payload, out)
        if len(idx) == 1:
            (i,) = idx
            return lambda v, w, f: fn(v[i], payload)
        if len(idx) == 2:  # noqa: PLR2004 - the binary operators
            i, j = idx
            return lambda v, w, f: fn(v[i], v[j], payload)
        return lambda v, w, f: fn(*[v[k] for k in idx], payload)
    k = _whole_exponent(tape, s)
    if k is not None:  # x^k, k a whole constant >= 1: defined everywhere, no kink (primitives._pow_domain, _POW_KINKS)
        (i, _), fn = idx, prim.fn
        return lambda v, w, f: fn(v[i], k)
    if prim.domain is not None or prim.kinks or type(prim.fn) is not np.ufunc:
        return generic
    if prim.fused is not None:
        return _fused_step(tape, s, active, workspace, generic)
    into = workspace.value(s, tape.shapes[s])  # type: ignore[index]
    return _ufunc_step(prim.fn, idx, into)


def _into_step(
    fn: Callable[..., Any], into: Callable[..., Any], idx: tuple[int, ...], payload: Any, out: np.ndarray
) -> Step:
    i, j = idx

    def step(v: list[Any], w: Any, f: Any) -> Any:
        x, y = v[i], v[j]
        if type(x) is np.ndarray and type(y) is np.ndarray:
            return into(x, y, payload, out)
        return fn(x, y, payload)  # a number's product (x*W with x a scalar is not matmul's; kept for any other)

    return step


def _whole_exponent(tape: Tape, s: int) -> float | None:
    """k where slot s is x^k with k a constant whole number >= 1 (the network loss's residual^2), else None."""
    prim, idx = tape.prims[s], tape.args[s]
    if prim is None or prim.name != "pow" or not tape.n_inputs <= idx[1] < tape.first_op:
        return None
    k = tape.nodes[idx[1]].payload
    return float(k) if isinstance(k, (int, float)) and float(k).is_integer() and k >= 1 else None


def _ufunc_step(fn: np.ufunc, idx: tuple[int, ...], into: np.ndarray | None) -> Step:
    if into is None:
        return lambda v, w, f: fn(*[v[k] for k in idx])
    if len(idx) == 2:  # noqa: PLR2004 - the binary operators
        i, j = idx
        if threads.pieces(into.size) == 1:  # one thread's work (the shape is fixed): threads.ufunc's own first case
            return lambda v, w, f: fn(v[i], v[j], out=into)
        return lambda v, w, f: threads.ufunc(fn, (v[i], v[j]), into)
    return lambda v, w, f: threads.ufunc(fn, [v[k] for k in idx], into)


def _fused_step(tape: Tape, s: int, active: Sequence[bool], workspace: Workspace, generic: Step) -> Step:
    """tanh's value and, on an active slot, its partial, into the workspace's arrays (bound once)."""
    prim, (i,), shape = tape.prims[s], tape.args[s], tape.shapes[s]  # type: ignore[index]
    out, spare = workspace.value(s, shape), workspace.spare(s, 1, shape)
    partial = workspace.spare(s, 0, shape) if active[s] else None
    if out is None or spare is None or (active[s] and partial is None):
        return generic
    fn = prim.fused  # type: ignore[union-attr]

    def step(v: list[Any], w: Any, f: list[Any]) -> Any:
        x = v[i]
        if type(x) is not np.ndarray or x.dtype != np.float64:
            return generic(v, w, f)
        value = fn(x, out, partial, spare)  # type: ignore[misc]
        if partial is not None:
            f[s] = (partial,)
        return value

    return step


def _partial_step(tape: Tape, s: int, active: Sequence[bool]) -> Step:
    prim, idx = tape.prims[s], tape.args[s]
    assert prim is not None
    need = tuple([active[j] for j in idx])
    if prim.rules is not None:
        rules, payload = prim.rules, tape.nodes[s].payload
        return lambda v, w, f: shaped.Linear(rules, tuple([v[k] for k in idx]), v[s], payload, need)
    fixed = constant_partials(prim)
    if fixed is not None:
        shared = fixed if all(need) else tuple([p if n else None for p, n in zip(fixed, need, strict=True)])
        return lambda v, w, f: shared

    def generic(v: list[Any], w: Any, f: Any) -> Any:
        return shaped.slot_partials(tape, s, v, active, w, f)

    if prim.fused is not None:  # the primal step's partial, where it made one (a float64 array)
        return lambda v, w, f: generic(v, w, f) if f[s] is None else f[s]
    k = _whole_exponent(tape, s)
    if k is not None and need == (True, False):
        rule, (i, _) = prim.partials[0], idx
        return lambda v, w, f: (rule(v[i], k, v[s]), None)
    return generic


def _back_step(tape: Tape, s: int, kept: Callable[[int], np.ndarray | None]) -> Back:
    """Slot s's part of the adjoint sweep: shaped.linear_adjoints' or shaped._elementwise's work, with what the
    tape fixes bound once (its VJP rule, arguments and shapes; a product into a kept array of one thread's size)."""
    prim, idx, shapes = tape.prims[s], tape.args[s], tape.shapes
    assert prim is not None and shapes is not None
    if prim.rules is not None:  # its linearisation is a Linear (_partial_step)
        return _linear(tape, s, kept)
    shape = shapes[s]
    own = [(j, shapes[j], shapes[j] == shape and threads.pieces(math.prod(shape)) == 1) for j in idx]

    def elementwise(adjoints: list[Any], local: Any, g: Any) -> None:
        for p, (j, to, alone) in zip(local, own, strict=True):
            if p is None:
                continue
            if type(p) is int and p == 1:  # add's, sub's first: passed on (shaped._is_one)
                c = arrays.unbroadcast(g, to)
            elif adjoints[j] is None and to == shape and (into := kept(j)) is not None:
                adjoints[j] = np.multiply(p, g, out=into) if alone else threads.ufunc(np.multiply, (p, g), into)
                continue
            else:
                c = arrays.unbroadcast(p * g, to)
            shaped.accumulate(adjoints, j, c, kept)

    return elementwise


def _linear(tape: Tape, s: int, kept: Callable[[int], np.ndarray | None]) -> Back:
    """A structural slot's part: its VJP rule's adjoints summed into its arguments'. A rule that can write into
    given arrays (matmul's vjp_into) puts each argument's first adjoint into its kept array (a repeated
    argument's second contribution, A@A's, is summed as usual)."""
    idx, rules = tape.args[s], tape.prims[s].rules  # type: ignore[union-attr]
    vjp, into = rules.vjp, rules.vjp_into  # type: ignore[union-attr]
    first = [j not in idx[:k] for k, j in enumerate(idx)]

    def linear(adjoints: list[Any], local: Any, g: Any) -> None:
        need = local.need
        try:
            if into is None:
                contributions = vjp(local.args, local.out, g, need, local.payload)
            else:
                outs = [
                    kept(j) if n and f and adjoints[j] is None else None
                    for j, n, f in zip(idx, need, first, strict=True)
                ]
                contributions = into(local.args, local.out, g, need, local.payload, outs)
        except arrays.SingularError as exc:
            raise shaped.underivable(tape, s, exc) from None
        for c, j in zip(contributions, idx, strict=True):
            if c is not None:
                shaped.accumulate(adjoints, j, c, kept)

    return linear


def of(tape: Tape, wrt: Sequence[str], workspace: Workspace) -> Plan:
    """The workspace's plan for these variables, made on its first call."""
    key = tuple(wrt)
    found = workspace.plans.get(key)
    if found is None:
        found = workspace.plans[key] = Plan(tape, tape.active(wrt), workspace)
    return found
