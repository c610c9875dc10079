"""The tape on arrays (issue 12): shapes checked before evaluation, the primal sweep, the linearisation.

A tape whose values are arrays carries every slot's shape (`Tape.shapes`), inferred here from the
inputs' shapes by each primitive's shape rule before anything is evaluated: a mismatch is a
`shape_error` naming the operator, both shapes, with a caret at it. Elementwise primitives then
linearise to their partials (as on scalars); structural ones to a `Linear`, the JVP and VJP rules of
the table bound to the point, which the forward and reverse sweeps call.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core import arrays, threads
from adcli.core.errors import AdcliWarning
from adcli.core.graph import Node, topo_order
from adcli.core.primitives import TABLE
from adcli.core.tape import ERRSTATE, Tape, _check_domain, _float_error, _kinks_at, constant_partials, linearise
from adcli.core.tape import constant_value as tape_constant_value
from adcli.core.workspace import Workspace

#: largest array a rule may produce (8 bytes an entry): past it, limit_exceeded before allocating
MAX_ELEMENTS = 50_000_000
#: most axes a value may have: numpy's own limit is 64 and a Jacobian or a broadcast may add axes, so a
#: literal nested deeper ([[[…x…]]], 65 levels were an internal_error, 10⁵ levels a quadratic hang) is refused
MAX_RANK = 32


class Linear:
    """A structural slot's linearisation: its rules bound to the argument values and the output.

    A plain class with slots: one is made per structural slot per sweep, and a frozen dataclass's
    __init__ (object.__setattr__ per field) cost more than the rest of the slot's linearisation."""

    __slots__ = ("args", "need", "out", "payload", "rules")

    def __init__(self, rules: arrays.Rules, args: tuple[Any, ...], out: Any, payload: Any, need: tuple[bool, ...]):
        self.rules, self.args, self.out, self.payload, self.need = rules, args, out, payload, need

    def jvp(self, tangents: Sequence[Any]) -> Any:
        return self.rules.jvp(self.args, self.out, tangents, self.payload)

    def vjp(self, g: Any) -> tuple[Any, ...]:
        return self.rules.vjp(self.args, self.out, g, self.need, self.payload)


def _operator(tape: Tape, slot: int) -> str:
    op = tape.nodes[slot].op
    return {"matmul": "@", "index": "indexing", "stack": "the array literal", "transpose": "'"}.get(op, op)


def infer_shapes(tape: Tape, inputs: Sequence[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """Every slot's shape from the inputs' shapes, or a shape_error at the first operator that does not fit."""
    shapes: list[tuple[int, ...]] = list(inputs) + [()] * (len(tape.nodes) - len(inputs))
    for s in range(tape.first_op, len(tape.nodes)):
        prim = tape.prims[s]
        got = [shapes[j] for j in tape.args[s]]
        try:
            if prim.rules is not None:  # type: ignore[union-attr]
                shapes[s] = prim.rules.shape(got, tape.nodes[s].payload)  # type: ignore[union-attr]
            else:
                shapes[s] = arrays.broadcast(*got)
        except arrays.ShapeMismatchError as exc:
            raise tape.error("shape_error", f"{_operator(tape, s)} in {tape.text(s)}: {exc}", s) from None
        if len(shapes[s]) > MAX_RANK:
            message = f"{tape.text(s)} would have {len(shapes[s])} axes; the limit is {MAX_RANK}"
            raise tape.error("limit_exceeded", message, s)
        size = math.prod(shapes[s])  # Python ints: no overflow
        if size > MAX_ELEMENTS:
            message = f"{tape.text(s)} would have {size:,} entries; the limit is {MAX_ELEMENTS:,}"
            raise tape.error("limit_exceeded", message, s)
    return shapes


def evaluate(
    tape: Tape,
    inputs: Sequence[Any],
    active: Sequence[bool] | None = None,
    warnings: list[AdcliWarning] | None = None,
    workspace: Workspace | None = None,
    fused: list[Any] | None = None,
) -> list[Any]:
    """The primal sweep on arrays: elementwise slots as on scalars, structural ones by their rules.

    With a workspace (float inputs), elementwise values are written into its arrays (adcli.core.workspace).
    A primitive with a fused pass (tanh) gives its value that way on float64 arrays, and with `fused` (a
    list, one entry a slot) its active slots' partials too, for local_partials: one pass, not two."""
    vals: list[Any] = list(inputs) + [None] * (len(tape.nodes) - len(inputs))
    for s in range(tape.n_inputs, tape.first_op):
        vals[s] = np.float64(tape.nodes[s].payload)
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(vals)):
            vals[s] = slot_value(tape, s, vals, active, warnings, workspace, fused)
    return vals


def slot_value(  # noqa: PLR0913 - one slot of the primal sweep
    tape: Tape,
    s: int,
    vals: Sequence[Any],
    active: Sequence[bool] | None,
    warnings: list[AdcliWarning] | None,
    workspace: Workspace | None,
    fused: list[Any] | None,
) -> Any:
    """One slot's value (evaluate's loop; a compiled plan's slots that need checks, core/plan.py), within
    the caller's errstate: domains, kinks, and errors named at the slot."""
    prim = tape.prims[s]
    a = [vals[j] for j in tape.args[s]]
    try:
        if prim.rules is not None:  # type: ignore[union-attr]
            out = prim.rules.fn(*a, tape.nodes[s].payload)  # type: ignore[union-attr]
            if prim.name in ("amax", "amin", "norm") and warnings is not None:  # type: ignore[union-attr]
                _structural_kink(tape, s, a[0], out, warnings)
            return out
        if prim.domain is not None:  # type: ignore[union-attr]
            _check_domain(tape, s, prim, a)  # type: ignore[arg-type]
        if prim.fused is not None and type(a[0]) is np.ndarray and a[0].dtype == np.float64:  # type: ignore[union-attr]
            want = fused is not None and active is not None and active[s]
            return _fused(prim, s, a[0], workspace, fused if want else None)  # tanh: no domain, no kinks
        into = None if workspace is None or type(prim.fn) is not np.ufunc else workspace.value(s, tape.shapes[s])  # type: ignore[union-attr,index]
        out = prim.fn(*a) if into is None else threads.ufunc(prim.fn, a, into)  # type: ignore[union-attr,arg-type]
    except FloatingPointError as exc:
        raise _float_error(tape, s, exc, a) from None
    except arrays.SingularError as exc:
        raise singular(tape, s, exc) from None
    if prim.kinks and warnings is not None and (active is None or active[s]):  # type: ignore[union-attr]
        _kinks_at(tape, s, prim, a, active, warnings)  # type: ignore[arg-type]
    return out


def singular(tape: Tape, s: int, exc: Exception) -> Exception:
    """A matrix function at a matrix outside its domain (inv of a singular one): domain_error at the slot."""
    return tape.error("domain_error", f"{tape.text(s)} is outside the domain of {tape.prims[s].name}: {exc}", s)  # type: ignore[union-attr]


def _fused(prim: Any, s: int, x: np.ndarray, workspace: Workspace | None, fused: list[Any] | None) -> Any:
    """A fused primitive's value, and its partial into fused[s] where asked, in the workspace's arrays."""
    shape = x.shape
    if workspace is None:
        out = spare = partial = None
    else:
        out, spare = workspace.value(s, shape), workspace.spare(s, 1, shape)
        partial = workspace.spare(s, 0, shape) if fused is not None else None
    if fused is not None and partial is None:
        partial = np.empty(shape)
    value = prim.fused(x, out, partial, spare)
    if fused is not None:
        fused[s] = (partial,)
    return value


def _structural_kink(tape: Tape, slot: int, x: Any, out: Any, warnings: list[AdcliWarning]) -> None:
    """max/min reductions at a tie and norm at 0 are kinks: the convention used is said, as for abs and max(a, b)."""
    if tape.nodes[slot].op == "norm":
        if out == 0:
            message = f"{tape.text(slot)} is not differentiable at 0; used the subgradient 0 (PyTorch also gives 0)"
            warnings.append(AdcliWarning("nondifferentiable", message, {"node": tape.text(slot)}))
        return
    ties = int(np.count_nonzero(np.equal(x, out)))
    if ties > 1:
        message = (
            f"{tape.text(slot)} is not differentiable here: {ties} entries tie for the extreme;"
            f" used 1/{ties} for each (the kink rule of max(a, b))"
        )
        warnings.append(AdcliWarning("nondifferentiable", message, {"node": tape.text(slot), "ties": ties}))


def local_partials(
    tape: Tape,
    vals: Sequence[Any],
    active: Sequence[bool],
    warnings: list[AdcliWarning] | None = None,
    fused: Sequence[Any] | None = None,
) -> list[Any]:
    """Each active slot's linearisation: partials (elementwise) or a Linear (structural); `fused`: the
    partials the primal sweep found in its fused passes (evaluate's list), taken as they are."""
    partials: list[Any] = [None] * len(vals)
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(vals)):
            if active[s]:
                partials[s] = slot_partials(tape, s, vals, active, warnings, fused)
    return partials


def slot_partials(  # noqa: PLR0913 - one slot of local_partials
    tape: Tape,
    s: int,
    vals: Sequence[Any],
    active: Sequence[bool],
    warnings: list[AdcliWarning] | None,
    fused: Sequence[Any] | None,
) -> Any:
    """One active slot's linearisation (local_partials' loop; a compiled plan's rule-given slots)."""
    idx, prim = tape.args[s], tape.prims[s]
    a = [vals[j] for j in idx]
    need = tuple([active[j] for j in idx])  # a list, not a generator: this loop is the gradient's hot path
    rules = prim.rules  # type: ignore[union-attr]
    if rules is not None:
        return Linear(rules, tuple(a), vals[s], tape.nodes[s].payload, need)
    if fused is not None and fused[s] is not None:
        return fused[s]
    fixed = constant_partials(prim)  # type: ignore[arg-type]
    if fixed is not None:  # add, sub, neg: numbers whatever the arguments, one shared tuple
        return fixed if all(need) else tuple([p if n else None for p, n in zip(fixed, need, strict=True)])
    try:
        return tuple([rule(*a, vals[s]) if n else None for rule, n in zip(prim.partials, need, strict=True)])  # type: ignore[union-attr]
    except FloatingPointError as exc:
        err = _float_error(tape, s, exc, a, "the derivative of ")
        err.warnings = list(warnings or [])
        raise err from None


def tangent_sweep(tape: Tape, partials: Sequence[Any], seed: Sequence[Any]) -> list[Any]:
    """Forward mode on arrays: v̇ᵢ = JVPᵢ(v̇ⱼ…), elementwise ones Σ ∂vᵢ/∂vⱼ·v̇ⱼ grown to vᵢ's shape."""
    tangents: list[Any] = list(seed) + [None] * (len(tape.nodes) - len(seed))
    shapes = tape.shapes
    assert shapes is not None
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(tangents)):
            local = partials[s]
            if local is None:
                continue
            ts = [tangents[j] for j in tape.args[s]]
            if all(t is None for t in ts):
                continue
            try:
                if type(local) is Linear:
                    tangents[s] = local.jvp(ts)
                    continue
            except arrays.SingularError as exc:
                raise tape.error("domain_error", f"the derivative of {tape.text(s)} is undefined: {exc}", s) from None
            total = None
            for p, t in zip(local, ts, strict=True):
                if p is not None and t is not None:
                    total = p * t if total is None else total + p * t
            tangents[s] = None if total is None else arrays.grow(total, shapes[s])
    return tangents


def _is_one(p: Any) -> bool:
    """A partial that is the number 1 (add, sub's first argument): the adjoint passes through unscaled."""
    return type(p) is int and p == 1


def _add(total: Any, c: Any, into: np.ndarray | None) -> Any:
    """total + c, into the workspace's array where there is one (total may be that array: in place)."""
    return total + c if into is None else threads.ufunc(np.add, (total, c), into)


def adjoint_sweep(
    tape: Tape, partials: Sequence[Any], cotangent: Sequence[Any], workspace: Workspace | None = None
) -> list[Any]:
    """Reverse mode on arrays: v̄ⱼ += VJPᵢ(v̄ᵢ), elementwise ones unbroadcast(v̄ᵢ·∂vᵢ/∂vⱼ) to vⱼ's shape.

    With a workspace, products and sums of same-shaped adjoints are written into its arrays (each slot's
    own: an adjoint passed on unchanged, add's, is read there and never written again in the sweep)."""
    shapes = tape.shapes
    assert shapes is not None
    adjoints: list[Any] = [None] * len(tape.nodes)
    for slot, weight in zip(tape.outputs, cotangent, strict=True):
        if weight is not None:
            adjoints[slot] = weight if adjoints[slot] is None else adjoints[slot] + weight
    args = tape.args
    kept = (lambda j: None) if workspace is None else (lambda j: workspace.adjoint(j, shapes[j]))
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(len(adjoints) - 1, tape.first_op - 1, -1):
            g, local = adjoints[s], partials[s]
            if g is None or local is None:
                continue
            if type(local) is Linear:
                linear_adjoints(tape, s, adjoints, local, g, kept)
                continue
            _elementwise(adjoints, g, local, args[s], shapes, shapes[s], kept)
    return adjoints


def linear_adjoints(tape: Tape, s: int, adjoints: list[Any], local: Linear, g: Any, kept: Any) -> None:  # noqa: PLR0913
    """A structural slot's contributions, VJPᵢ(v̄ᵢ), added into its arguments' adjoints."""
    try:
        contributions = local.vjp(g)
    except arrays.SingularError as exc:
        raise underivable(tape, s, exc) from None
    for c, j in zip(contributions, tape.args[s], strict=True):
        if c is not None:
            accumulate(adjoints, j, c, kept)


def underivable(tape: Tape, s: int, exc: Exception) -> Exception:
    """A VJP rule at a matrix where the derivative is undefined: domain_error at the slot."""
    return tape.error("domain_error", f"the derivative of {tape.text(s)} is undefined: {exc}", s)


def accumulate(adjoints: list[Any], j: int, c: Any, kept: Any) -> None:
    """Add a contribution into vⱼ's adjoint (the first one taken as it is; sums into vⱼ's kept array if it has one)."""
    a = adjoints[j]
    adjoints[j] = c if a is None else _add(a, c, _same(kept(j), c))


def _elementwise(  # noqa: PLR0913 - one slot of the sweep
    adjoints: list[Any], g: Any, local: Sequence[Any], idx: Sequence[int], shapes: Any, shape: Any, kept: Any
) -> None:
    """An elementwise slot's contributions: unbroadcast(v̄ᵢ·∂vᵢ/∂vⱼ), the first into vⱼ's kept array if it has one."""
    for p, j in zip(local, idx, strict=True):  # a loop, no generator per slot
        if p is None:
            continue
        if _is_one(p):
            c = arrays.unbroadcast(g, shapes[j])
        elif shapes[j] == shape and adjoints[j] is None and (into := kept(j)) is not None:
            adjoints[j] = threads.ufunc(np.multiply, (p, g), into)
            continue
        else:
            c = arrays.unbroadcast(p * g, shapes[j])
        accumulate(adjoints, j, c, kept)


def _same(into: np.ndarray | None, c: Any) -> np.ndarray | None:
    """The workspace's array for a sum, where the contribution has its shape (a scalar's may not: x*2 + y)."""
    return into if into is not None and np.shape(c) == into.shape else None


def constant_value(
    node: Node, source: str | None = None, positions: Mapping[Node, tuple[int, int]] | None = None
) -> Any:
    """A point's value: a number (tape.constant_value), or an array for a literal (`x = [1, 2, 3]`)."""
    if all(TABLE[n.op].rules is None for n in topo_order([node]) if n.op in TABLE):
        return tape_constant_value(node, source, positions)
    tape = linearise([node], [], positions=positions, source=source)
    tape.shapes = infer_shapes(tape, [])
    return evaluate(tape, [])[tape.outputs[0]]
