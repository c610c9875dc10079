"""`adcli check` on array expressions (issue 13): is ANSWER the gradient of EXPR, as matrices?

Symbolically first: adcli's own gradient minus the answer, through the matrix simplifier, is 0 (a
proof, for every size when the sizes are symbolic). Else numerically: the answer against reverse
mode at random values, and, where a size is symbolic, at random sizes too (each size drawn from 1
to 5, so that a transpose mistaken for its matrix, or a vector for a row, shows). An answer whose
shape differs from the variable's is wrong: a gradient has its variable's shape.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.commands.matdiff import check_shapes, parse_shapes, resolve_shapes
from adcli.commands.verdict import Verdict
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, is_const, make, variables
from adcli.core.printing import to_text
from adcli.modes.symbolic.matrix.algebra import Algebra
from adcli.modes.symbolic.matrix.shapes import MismatchError, Shape, Shapes, show
from adcli.modes.symbolic.matrix.sweep import evaluate, gradient, reverse_gradient

MAX_SIZE = 5


def _proof(expr: Node, answers: Sequence[Node], wrt: Sequence[str], shapes: Shapes) -> tuple[bool, str]:
    """(the answer minus adcli's gradient simplifies to 0 for each variable, adcli's gradient as text)."""
    found = gradient(expr, wrt, shapes).gradients
    algebra = Algebra(shapes, canonical=True)
    same = True
    for mine, theirs in zip(found, answers, strict=True):
        try:
            difference = algebra.simplify(make("sub", (mine, theirs)))
        except MismatchError:
            return False, ", ".join(to_text(g) for g in found)
        same = same and is_const(difference, 0) and shapes(theirs) == shapes(mine)
    return same, ", ".join(to_text(g) for g in found)


def _concrete(shapes: Mapping[str, Shape], rng: np.random.Generator, fixed: bool) -> dict[str, tuple[int, ...]]:
    """Numbers for symbolic sizes: drawn (1 to MAX_SIZE, 2 at least half the time), the same name the same."""
    sizes: dict[str, int] = {}
    out = {}
    for name, shape in shapes.items():
        dims = []
        for d in shape:
            if isinstance(d, str):
                low = 2 if fixed else 1
                d = sizes.setdefault(d, int(rng.integers(low, MAX_SIZE + 1)))
            dims.append(d)
        out[name] = tuple(dims)
    return out


def _value(shape: tuple[int, ...], rng: np.random.Generator) -> np.ndarray:
    """Random normal entries; a square matrix gets n·I added (det > 0 mostly, not symmetric: A' ≠ A)."""
    value = rng.normal(size=shape)
    if len(shape) == 2 and shape[0] == shape[1]:
        value = value + shape[0] * np.eye(shape[0])
    return value


def _numeric(
    expr: Node,
    answers: Sequence[Node],
    wrt: Sequence[str],
    shapes: Mapping[str, Shape],
    given: Mapping[str, Any],
    options: Any,
) -> Verdict:
    rng = np.random.default_rng(options.seed)
    rtol, atol = options.rtol, options.atol
    checked, sizes_seen, tries = 0, set(), 0
    names = list(shapes)
    while checked < options.samples and tries < options.samples * 20:
        tries += 1
        concrete = _concrete(shapes, rng, fixed=tries % 2 == 1)
        if tries == 1 and given:  # the given point first (its values), then random values of those shapes
            point = {n: np.asarray(given[n], float) if n in given else _value(concrete[n], rng) for n in names}
        else:
            point = {n: _value(concrete[n], rng) for n in names}
        try:
            reference = reverse_gradient(expr, wrt, point)
            got = evaluate(list(answers), point, derived=False)
        except AdcliError as exc:
            if exc.kind == "shape_error":
                return _wrong(f"the answer does not fit the shapes {_shapes_text(point)}: {exc.message}", wrt, checked)
            continue  # outside a domain (a singular matrix): not a point to judge at
        for w, a, d in zip(wrt, got, reference, strict=True):
            if np.shape(a) != np.shape(d):
                reason = (
                    f"the answer by {w} has shape {show(np.shape(a))}; the gradient has {w}'s shape {show(np.shape(d))}"
                )
                return _wrong(reason, wrt, checked, point, w)
            if not np.all(np.abs(a - d) <= atol + rtol * np.maximum(np.abs(a), np.abs(d))):
                reason = f"the answer differs from the gradient by {w} (tolerance rtol {rtol:g}, atol {atol:g})"
                return _wrong(reason, wrt, checked, point, w, a, d)
        checked += 1
        sizes_seen.add(tuple(sorted({k: v.shape for k, v in point.items()}.items())))
    if checked == 0:
        return Verdict("undecided", "numeric", "no point inside the domain was found", list(wrt), rtol=rtol, atol=atol)
    where = "the given point and random ones" if given else "random points"
    shapes_text = f"{len(sizes_seen)} shape{'s' if len(sizes_seen) != 1 else ''}"
    reason = (
        f"the answer agrees with the gradient at {checked} points ({where}) in {shapes_text}"
        f" (rtol {rtol:g}, atol {atol:g}); not proven"
    )
    return Verdict("agrees", "numeric", reason, list(wrt), points=checked, rtol=rtol, atol=atol)


def _shapes_text(point: Mapping[str, np.ndarray]) -> str:
    return ", ".join(f"{n} {show(np.shape(v))}" for n, v in point.items())


def _wrong(  # noqa: PLR0913 - a counterexample has its parts
    reason: str, wrt: Sequence[str], checked: int, point: Any = None, w: str = "", a: Any = None, d: Any = None
) -> Verdict:
    ce = None
    if point is not None:
        ce = {"at": {n: v.tolist() for n, v in point.items()}, "wrt": w}
        if a is not None:
            ce.update(answer=np.asarray(a).tolist(), derivative=np.asarray(d).tolist())
    return Verdict("wrong", "numeric", reason, list(wrt), points=checked + 1, counterexample=ce)


def _wrt(answer: Any, wrt: Sequence[str] | None, present: Sequence[str], shapes: Shapes) -> list[str]:
    """--wrt, or the one variable whose shape the answer has (norm(A@x - b)^2 by x: a vector of x's size)."""
    if len(answer.outputs) > 1 and wrt is None:
        raise AdcliError("usage_error", "the answer has several parts: say which variables with --wrt")
    if wrt is not None:
        missing = [w for w in wrt if w not in present]
        if missing:
            raise AdcliError("usage_error", f"--wrt {missing[0]}: {missing[0]} is not a variable of the expression")
        if len(answer.outputs) != len(wrt):
            raise AdcliError(
                "usage_error",
                f"the answer has {len(answer.outputs)} part(s); --wrt asks for {len(wrt)} (one per variable)",
            )
        return list(wrt)
    if len(present) == 1:
        return list(present)
    try:
        shape = shapes(answer.outputs[0])
    except MismatchError:
        shape = None
    fits = [n for n in present if shapes.variables[n] == shape]
    if len(fits) != 1:
        raise AdcliError("usage_error", f"the expression has variables {', '.join(present)}: say which with --wrt")
    return fits


def check_arrays(
    expr: Any, answer: Any, wrt: Sequence[str] | None, given: Mapping[str, Any], spec: str | None, options: Any
) -> Verdict:
    """The verdict on an array answer (one part per wrt variable)."""
    present = variables(expr.outputs)
    if len(expr.outputs) != 1:
        raise AdcliError("usage_error", f"check needs one expression; --of has {len(expr.outputs)} outputs")
    if not spec and not given:
        raise AdcliError(
            "usage_error", "checking an array expression needs shapes: --shape x=3,A=3x3 (or x=n,A=nxn), or --at values"
        )
    notes: list[str] = []
    shapes = Shapes(resolve_shapes(present, parse_shapes(spec), given, notes))
    check_shapes(expr, shapes)
    wrt = _wrt(answer, wrt, present, shapes)
    if shapes(expr.outputs[0]) != ():
        raise AdcliError("usage_error", "check on arrays takes a scalar expression (its answer is the gradient)")
    extra = [n for n in variables(answer.outputs) if n not in present]
    if extra:
        raise AdcliError("usage_error", f"the answer uses {', '.join(extra)}, which the expression does not have")
    try:
        for a in answer.outputs:
            shapes(a)
        proven, derivative = _proof(expr.outputs[0], answer.outputs, wrt, shapes)
    except MismatchError as exc:
        reason = f"the answer does not fit the shapes: {exc}"
        return Verdict("wrong", "symbolic", reason, list(wrt), derivative=None)
    if proven:
        sizes = shapes.sizes()
        every = f" for every {', '.join(sorted(sizes))}" if sizes else ""
        verdict = Verdict("correct", "symbolic", f"the gradient minus the answer simplifies to 0{every}", list(wrt))
    else:
        verdict = _numeric(expr.outputs[0], answer.outputs, wrt, shapes.variables, given, options)
    verdict.derivative = derivative
    verdict.notes += notes
    return verdict
