"""Forward-over-reverse on arrays (issue 14 on issue 12's tape): Hessians and H·v in array variables.

The array rules (adcli.core.arrays) are written with numpy's own API: `g @ y.T`, `np.outer(g, y)`,
`np.sum(o * g, axis=-1)`, `np.linalg.inv(a)`. An `ArrayDual` — an array value with a tangent of the
same shape — implements numpy's override protocols (`__array_ufunc__`, NEP 13; `__array_function__`,
NEP 18), so those rules, handed duals, carry tangents through unchanged: the generic operations here
are numpy's. The adjoint sweep of adcli.core.shaped then runs on duals: each input's adjoint comes
back as a dual whose value is ∂f/∂x and whose tangent is (H·v) for the direction v of the tangent sweep.

One direction a sweep: the Hessian over the flattened entries of the wrt variables is one sweep per
entry (row i is H·eᵢ), `--hvp` is one sweep. An operation no rule on duals knows (prod's cumulative
products) is a usage_error that names it, never a wrong number.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.primitives import TABLE
from adcli.core.shaped import Linear, adjoint_sweep, tangent_sweep
from adcli.core.tape import ERRSTATE, Tape
from adcli.modes.nested import Dual, KinkError


class UnsupportedError(TypeError):
    """A numpy operation met a dual that has no rule here."""


def _dual(value: Any, tangent: Any) -> ArrayDual:
    return ArrayDual(value, tangent)


def _parts(x: Any) -> tuple[Any, Any]:
    return (x.value, x.tangent) if isinstance(x, Dual) else (x, None)


def _linear(func: Callable[..., Any]) -> Callable[..., Any]:
    """A function linear in its first argument (sum, transpose, broadcast_to, diag, …): applied to both parts."""

    def rule(x: Any, *rest: Any, **kw: Any) -> Any:
        return _dual(func(x.value, *rest, **kw), func(x.tangent, *rest, **kw))

    return rule


def _plain(func: Callable[..., Any]) -> Callable[..., Any]:
    """Shapes, comparisons, conditions: the values' answer, no tangent."""

    def rule(*args: Any, **kw: Any) -> Any:
        return func(*[_parts(a)[0] for a in args], **kw)

    return rule


def _bilinear(func: Callable[..., Any]) -> Callable[..., Any]:
    """outer, dot, matmul: (a + ȧε)∘(b + ḃε) = a∘b + (ȧ∘b + a∘ḃ)ε."""

    def rule(x: Any, y: Any, **kw: Any) -> Any:
        (a, da), (b, db) = _parts(x), _parts(y)
        if da is None and db is None:
            return func(a, b, **kw)
        terms = [func(da, b, **kw) if da is not None else None, func(a, db, **kw) if db is not None else None]
        tangent = terms[0] if terms[1] is None else terms[1] if terms[0] is None else terms[0] + terms[1]
        return _dual(func(a, b, **kw), tangent)

    return rule


def _stack(items: Sequence[Any], axis: int = 0) -> Any:
    """An array literal with duals among its items (forward-over-forward): values and tangents stacked apart."""
    parts = [_parts(item) for item in items]
    tangents = [np.zeros(np.shape(v)) if t is None else t for v, t in parts]
    return _dual(np.stack([v for v, _ in parts], axis=axis), np.stack(tangents, axis=axis))


def _inv(x: Any) -> Any:
    inverse = np.linalg.inv(x.value)
    return _dual(inverse, -inverse @ x.tangent @ inverse)


def _lifted(name: str) -> Callable[..., Any]:
    """exp, log, sqrt, square on a dual: the primitive table's own rule (its kinks and partials)."""
    return lambda x: x.lift(name, (x,)) if name != "square" else x * x


FUNCTIONS: dict[Any, Callable[..., Any]] = {
    **{f: _linear(f) for f in (np.sum, np.mean, np.transpose, np.broadcast_to, np.diag, np.trace, np.ravel)},
    **{f: _linear(f) for f in (np.reshape,)},
    **{f: _plain(f) for f in (np.shape, np.ndim, np.size, np.all, np.any, np.linalg.cond)},
    np.outer: _bilinear(np.outer),
    np.dot: _bilinear(np.dot),
    np.linalg.inv: _inv,
    np.stack: _stack,
}
UFUNCS: dict[Any, Callable[..., Any]] = {
    np.add: lambda a, b: a + b if isinstance(a, Dual) else b.__radd__(a),
    np.subtract: lambda a, b: a - b if isinstance(a, Dual) else b.__rsub__(a),
    np.multiply: lambda a, b: a * b if isinstance(a, Dual) else b.__rmul__(a),
    np.true_divide: lambda a, b: a / b if isinstance(a, Dual) else b.__rtruediv__(a),
    np.power: lambda a, b: a**b if isinstance(a, Dual) else b.__rpow__(a),
    np.negative: lambda a: -a,
    np.matmul: _bilinear(np.matmul),
    np.exp: _lifted("exp"),
    np.log: _lifted("log"),
    np.sqrt: _lifted("sqrt"),
    np.square: _lifted("square"),
    **{u: _plain(u) for u in (np.equal, np.not_equal, np.less, np.greater, np.isfinite)},
}


def _wrapped(method: Callable[..., Any]) -> Callable[..., Any]:
    def op(self: Any, *args: Any) -> Any:
        out = method(self, *args)
        return _dual(out.value, out.tangent) if type(out) is Dual else out

    return op


class ArrayDual(Dual):
    """An array (or 0-d) value with a tangent of its shape; numpy's functions on it go to the tables above."""

    __slots__ = ()
    __hash__ = None  # type: ignore[assignment]

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        rule = UFUNCS.get(ufunc) if method == "__call__" and not kwargs else None
        if rule is None:
            raise UnsupportedError(f"numpy's {ufunc.__name__}")
        return rule(*inputs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        rule = FUNCTIONS.get(func)
        if rule is None:
            raise UnsupportedError(f"numpy's {func.__name__}")
        return rule(*args, **kwargs)

    @property
    def T(self) -> ArrayDual:  # noqa: N802 - numpy's name
        return _dual(np.transpose(self.value), np.transpose(self.tangent))

    @property
    def shape(self) -> tuple[int, ...]:
        return np.shape(self.value)

    @property
    def ndim(self) -> int:
        return np.ndim(self.value)

    def __getitem__(self, key: Any) -> ArrayDual:
        return _dual(self.value[key], self.tangent[key])

    def __eq__(self, other: object) -> Any:  # norm's `o == 0`: a question about the value
        return self.value == _parts(other)[0]

    def __matmul__(self, other: Any) -> Any:
        return _bilinear(np.matmul)(self, other)

    def __rmatmul__(self, other: Any) -> Any:
        return _bilinear(np.matmul)(other, self)


for _name in ("lift", "__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__"):
    setattr(ArrayDual, _name, _wrapped(getattr(Dual, _name)))
for _name in ("__rtruediv__", "__neg__", "__pow__", "__rpow__"):
    setattr(ArrayDual, _name, _wrapped(getattr(Dual, _name)))


#: structural rules whose VJP reads only the adjoint (linear maps: indexing scatters, a sum broadcasts):
#: on a dual adjoint they run twice, on its value and on its tangent, with no second-order term
ADJOINT_ONLY = frozenset({"index", "stack", "transpose", "sum", "mean", "tr", "diag"})


def _adjoint_only(rules: Any) -> Any:
    def vjp(a: Sequence[Any], o: Any, g: Any, need: Sequence[bool], p: Any) -> tuple[Any, ...]:
        plain_a, plain_o = [_parts(x)[0] for x in a], _parts(o)[0]
        gv, gt = _parts(g)
        values = rules.vjp(plain_a, plain_o, gv, need, p)
        if gt is None:
            return values
        tangents = rules.vjp(plain_a, plain_o, gt, need, p)
        return tuple(v if v is None else _dual(v, t) for v, t in zip(values, tangents, strict=True))

    return dataclasses.replace(rules, vjp=vjp)


RULES = {name: _adjoint_only(TABLE[name].rules) for name in ADJOINT_ONLY if name in TABLE}


def _order_error(tape: Tape, slot: int, what: str) -> AdcliError:
    kind = "nondifferentiable" if what.startswith("not differentiable") else "nonfinite"
    return tape.error(kind, f"the derivative of order 2 of {tape.text(slot)} is {what}", slot)


def dual_partials(
    tape: Tape, duals: Sequence[Any], active: Sequence[bool], pieces: Mapping[int, Any] | None = None
) -> list[Any]:
    """Each active slot's linearisation evaluated on duals: elementwise partials as duals, structural
    rules (a `Linear`) bound to dual arguments, so their VJPs carry the second-order terms. A slot at a
    kink takes its piece's linearisation from `pieces` (constants: the pieces are linear)."""
    partials: list[Any] = [None] * len(duals)
    prims, args, nodes = tape.prims, tape.args, tape.nodes
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(duals)):
            if not active[s]:
                continue
            if pieces and s in pieces:
                partials[s] = pieces[s]
                continue
            idx, prim = args[s], prims[s]
            a = [duals[j] for j in idx]
            need = tuple(active[j] for j in idx)
            try:
                if prim.rules is not None:  # type: ignore[union-attr]
                    rules = RULES.get(prim.name, prim.rules)  # type: ignore[union-attr]
                    partials[s] = Linear(rules, tuple(a), duals[s], nodes[s].payload, need)
                    continue
                partials[s] = tuple(
                    [rule(*a, duals[s]) if n else None for rule, n in zip(prim.partials, need, strict=True)]  # type: ignore[union-attr]
                )
            except (FloatingPointError, ZeroDivisionError) as exc:
                what = "infinite" if "divide" in str(exc) or isinstance(exc, ZeroDivisionError) else "not finite"
                raise _order_error(tape, s, what) from None
            except KinkError:
                raise _order_error(tape, s, "not differentiable (a rule meets a kink)") from None
    return partials


def with_pieces(partials: Sequence[Any], pieces: Mapping[int, Any] | None) -> Sequence[Any]:
    """The first-order linearisation with the kinked slots' pieces in place."""
    if not pieces:
        return partials
    out = list(partials)
    for s, p in pieces.items():
        out[s] = p
    return out


def _sweep(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[Any],
    active: Sequence[bool],
    seed: Sequence[Any],
    pieces: Mapping[int, Any] | None = None,
) -> list[Any]:
    """The inputs' adjoints as duals for one input direction `seed` (an array per input, or None)."""
    tangents = tangent_sweep(tape, with_pieces(partials, pieces), seed)
    duals = _with_tangents(vals, tangents)
    with _second_order_errors():
        lifted = dual_partials(tape, duals, active, pieces)
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            adjoints = adjoint_sweep(tape, lifted, [np.float64(1.0)])
    return adjoints[: tape.n_inputs]


@contextlib.contextmanager
def _second_order_errors() -> Iterator[None]:
    """A rule without a form on duals, or an overflow, as the user's error (the HVP and the matrix alike)."""
    try:
        yield
    except UnsupportedError as exc:
        message = (
            f"a Hessian through this expression needs {exc} on duals, which adcli does not have: use --mode numeric"
        )
        raise AdcliError("usage_error", message) from None
    except FloatingPointError as exc:
        raise AdcliError("nonfinite", f"a second derivative overflowed ({exc})") from None


def _flat(parts: Sequence[Any], shapes: Sequence[tuple[int, ...]]) -> np.ndarray:
    out = [
        np.zeros(int(np.prod(s, dtype=int))) if p is None else np.ravel(np.asarray(p, dtype=float))
        for p, s in zip(parts, shapes, strict=True)
    ]
    return np.concatenate(out) if out else np.zeros(0)


def hvp(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[Any],
    active: Sequence[bool],
    v: Sequence[Any],
    pieces: Mapping[int, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, H·v), flattened over the wrt variables (the first len(v) inputs), v one array per variable."""
    shapes = tape.shapes
    assert shapes is not None
    n = len(v)
    seed = [
        np.asarray(v[k], dtype=float).reshape(shapes[k]) if k < n and v[k] is not None else None
        for k in range(tape.n_inputs)
    ]
    adjoints = _sweep(tape, vals, partials, active, seed, pieces)
    values = [a.value if isinstance(a, Dual) else a for a in adjoints[:n]]
    products = [a.tangent if isinstance(a, Dual) else None for a in adjoints[:n]]
    return _flat(values, shapes[:n]), _flat(products, shapes[:n])


def hessian(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[Any],
    active: Sequence[bool],
    n: int,
    pieces: Mapping[int, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, Hessian) over the flattened entries of the first n inputs: one H·eᵢ per entry."""
    shapes = tape.shapes
    assert shapes is not None
    sizes = [int(np.prod(shapes[k], dtype=int)) for k in range(n)]
    rows, gradient = [], np.zeros(sum(sizes))
    for k in range(n):
        for e in range(sizes[k]):
            gradient, row = hvp(tape, vals, partials, active, _unit(shapes, n, k, e), pieces)
            rows.append(row)
    matrix = np.array(rows) if rows else np.zeros((0, 0))
    return gradient, matrix


def _unit(shapes: Sequence[tuple[int, ...]], n: int, k: int, e: int) -> list[Any]:
    """The seed of entry e of variable k: a unit array there, None for the other variables."""
    one = np.zeros(int(np.prod(shapes[k], dtype=int)))
    one[e] = 1.0
    seed: list[Any] = [None] * n
    seed[k] = one.reshape(shapes[k])
    return seed


def forward_over_forward(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[Any],
    active: Sequence[bool],
    n: int,
    pieces: Mapping[int, Any] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(gradient, Hessian) over the flattened entries of the first n inputs, by forward mode twice: the
    values become duals along eᵢ (one tangent sweep), their linearisation is taken on those duals, and a
    tangent sweep along eⱼ on it gives a dual whose value is ∂f/∂xⱼ and whose tangent is Hᵢⱼ (j >= i;
    the rest by symmetry). n(n+1)/2 inner sweeps: for few entries, as forward mode is for few inputs."""
    shapes = tape.shapes
    assert shapes is not None
    entries = [(k, e) for k in range(n) for e in range(int(np.prod(shapes[k], dtype=int)))]
    size = len(entries)
    matrix, gradient = np.zeros((size, size)), np.zeros(size)
    out = tape.outputs[0]
    partials = with_pieces(partials, pieces)
    for i, (k, e) in enumerate(entries):
        tangents = tangent_sweep(tape, partials, _unit(shapes, n, k, e))
        duals = _with_tangents(vals, tangents)
        with _second_order_errors():
            lifted = dual_partials(tape, duals, active, pieces)
            with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
                for j in range(i, size):
                    second = tangent_sweep(tape, lifted, _unit(shapes, n, *entries[j]))[out]
                    value, tangent = _parts(second)
                    gradient[j] = 0.0 if value is None else float(np.asarray(value))
                    matrix[i, j] = matrix[j, i] = 0.0 if tangent is None else float(np.asarray(tangent))
    return gradient, matrix


def _with_tangents(vals: Sequence[Any], tangents: Sequence[Any]) -> list[Any]:
    """Each value with its tangent as a dual (values without a tangent stay plain): the inner sweep's inputs."""
    return [
        v if t is None else _dual(np.asarray(v, dtype=float), np.asarray(t, dtype=float))
        for v, t in zip(vals, tangents, strict=True)
    ]
