"""The structural primitives' rules: shape, value, JVP and VJP, each written once (issue 12).

Elementwise primitives keep their partial derivatives (primitives.py); broadcasting is handled for
all of them by `unbroadcast` (autograd's helper: an adjoint summed over the axes broadcasting added).
Structural primitives (matmul, transpose, reductions, indexing, literals, linear algebra) declare
here how their output's shape follows from the arguments' shapes (checked before evaluation), a
JVP rule (tangents in, the output's tangent out) and a VJP rule (the output's adjoint in, one adjoint
per argument out; None where not needed). The tape's forward and reverse sweeps call these.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

Shape = tuple[int, ...]
Arr = Any


class ShapeMismatchError(Exception):
    """Shapes that do not fit an operator; the tape turns it into a `shape_error` with a caret."""


class SingularError(Exception):
    """A matrix function (inv, logdet, det's derivative) at a matrix outside its domain."""


def show(shape: Shape) -> str:
    """A shape in messages: (3,) a vector of 3, () a scalar, (2, 3) a matrix."""
    return "scalar ()" if shape == () else f"({', '.join(map(str, shape))}{',' if len(shape) == 1 else ''})"


def broadcast(*shapes: Shape) -> Shape:
    shaped = {s for s in shapes if s}
    if len(shaped) <= 1:  # equal shapes and scalars, the usual cases, without numpy's machinery
        return next(iter(shaped), ())
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeMismatchError(f"shapes {' and '.join(map(show, shapes))} do not broadcast") from None


def unbroadcast(g: Arr, shape: Shape) -> Arr:
    """Sum an adjoint over the axes that broadcasting added or stretched, back to `shape`."""
    if _shape(g) == shape:  # the usual case, without np.shape's dispatch
        return g
    while (g.ndim if type(g) is np.ndarray else np.ndim(g)) > len(shape):
        g = g.sum(axis=0) if type(g) is np.ndarray else np.sum(g, axis=0)  # an array's own sum: no dispatch
    for axis, size in enumerate(shape):
        if size == 1 and _shape(g)[axis] != 1:
            g = np.sum(g, axis=axis, keepdims=True)
    return g


def _t(x: Arr) -> Arr:
    """x transposed: an array's .T, without np.transpose's dispatch (a µs a call); duals and numbers by numpy."""
    return x.T if type(x) is np.ndarray else np.transpose(x)


def _total(x: Arr) -> Arr:
    """sum(x): an array's own sum (the same pairwise summation), without np.sum's dispatch."""
    return x.sum() if type(x) is np.ndarray else np.sum(x)


def _shape(x: Arr) -> Shape:
    return x.shape if type(x) is np.ndarray else np.shape(x)


def spread(g: Arr, shape: Shape) -> Arr:
    """g broadcast to shape, read-only: sum's VJP. A number's by a zero-stride array made directly (np.broadcast_to's
    Python cost 5 µs, a tenth of a small gradient's adjoint sweep); anything else by np.broadcast_to."""
    if type(g) is np.float64 and shape:
        out = np.ndarray(shape, buffer=np.array(g), strides=(0,) * len(shape))
        out.flags.writeable = False
        return out
    return np.broadcast_to(g, shape)


def grow(t: Arr, shape: Shape) -> Arr:
    """A tangent broadcast to the output's shape (a scalar's tangent feeding a vector)."""
    return t if np.shape(t) == shape else np.broadcast_to(t, shape)


def _zero(t: Arr | None, like: Arr) -> Arr:
    return np.zeros(np.shape(like)) if t is None else t


@dataclass(frozen=True)
class Rules:
    """A structural primitive's rules. fn(*args, payload); shape(shapes, payload) -> Shape;
    jvp(args, out, tangents, payload) -> tangent; vjp(args, out, g, needed, payload) -> adjoints."""

    fn: Callable[..., Arr]
    shape: Callable[[Sequence[Shape], Any], Shape]
    jvp: Callable[..., Arr]
    vjp: Callable[..., tuple[Arr | None, ...]]
    #: the VJP rule in words, one per argument, for the adjoint trace: {g} the output's adjoint,
    #: {a} {b} the arguments, {o} the output (`{g} @ {b}ᵀ` is matmul's Ā = Ḡ@Bᵀ)
    vjp_text: tuple[str, ...] = ()
    #: fn and vjp writing into given arrays (a compiled plan's workspace, core/plan.py), where a primitive
    #: makes big fresh arrays: into(*args, payload, out) -> out; vjp_into(args, out, g, needed, payload, outs)
    #: -> adjoints, the k-th in outs[k] where that is not None. The same numbers as fn's and vjp's.
    into: Callable[..., Arr] | None = None
    vjp_into: Callable[..., tuple[Arr | None, ...]] | None = None


# ---- literals and transposes ----------------------------------------------------------------------


def _stack_shape(shapes: Sequence[Shape], payload: Any) -> Shape:
    for i, s in enumerate(shapes[1:], 1):
        if s != shapes[0]:
            raise ShapeMismatchError(
                f"ragged array literal: item 0 has shape {show(shapes[0])}, item {i} has {show(s)}"
            )
    return (len(shapes), *shapes[0])


def _entry(v: Any) -> Any:
    """A literal's item as a float array; a dual (hess --mode forward-over-forward) as it is: np.stack takes it."""
    return np.asarray(v, dtype=float) if isinstance(v, (int, float, np.ndarray, np.generic)) else v


STACK = Rules(
    lambda *a: np.stack([_entry(v) for v in a[:-1]]),
    _stack_shape,
    lambda a, o, t, p: np.stack([_zero(ti, ai) for ti, ai in zip(t, a, strict=True)]),
    lambda a, o, g, need, p: tuple(g[i] if n else None for i, n in enumerate(need)),
    vjp_text=("{g}[k]",),
)


def _transpose_shape(shapes: Sequence[Shape], payload: Any) -> Shape:
    if len(shapes[0]) > 2:
        raise ShapeMismatchError(f"transpose takes a vector or a matrix, not shape {show(shapes[0])}")
    return shapes[0][::-1]


TRANSPOSE = Rules(
    lambda a, p: _t(a),
    _transpose_shape,
    lambda a, o, t, p: _t(t[0]),
    lambda a, o, g, need, p: (_t(g),),
    vjp_text=("{g}'",),
)

# ---- products ---------------------------------------------------------------------------------------


def _matmul_shape(shapes: Sequence[Shape], payload: Any) -> Shape:
    a, b = shapes
    if not a or not b or len(a) > 2 or len(b) > 2:
        why = "use * for a scalar" if not a or not b else "vectors and matrices only"
        raise ShapeMismatchError(f"@ cannot multiply shapes {show(a)} and {show(b)} ({why})")
    if a[-1] != b[0]:
        raise ShapeMismatchError(f"@ cannot multiply shapes {show(a)} and {show(b)}: {a[-1]} ≠ {b[0]}")
    return a[:-1] + b[1:]


def _matmul_vjp(a: Sequence[Arr], o: Arr, g: Arr, need: Sequence[bool], p: Any) -> tuple[Arr | None, ...]:
    """Ā = Ḡ@Bᵀ, B̄ = Aᵀ@Ḡ, with vectors as numpy treats them (a row on the left, a column on the right)."""
    x, y = a
    gx = gy = None
    if need[0]:
        gx = (
            np.outer(g, y)
            if y.ndim == 1 and x.ndim == 2
            else (g * y if y.ndim == 1 else y @ g if x.ndim == 1 else g @ y.T)
        )
    if need[1]:
        gy = np.outer(x, g) if x.ndim == 1 and y.ndim == 2 else (g * x if x.ndim == 1 else x.T @ g)
    return gx, gy


def _matmul_vjp_into(
    a: Sequence[Arr], o: Arr, g: Arr, need: Sequence[bool], p: Any, outs: Sequence[np.ndarray | None]
) -> tuple[Arr | None, ...]:
    """_matmul_vjp with matrix@matrix's products into outs (the network loss's 256×h adjoint: a fresh 2 MB
    array faulted in page by page on every call, 1.5 ms at h = 1024); any other shapes as _matmul_vjp."""
    x, y = a
    if type(x) is not np.ndarray or type(y) is not np.ndarray or x.ndim != 2 or y.ndim != 2:  # noqa: PLR2004
        return _matmul_vjp(a, o, g, need, p)
    gx = np.matmul(g, y.T, out=outs[0]) if need[0] else None
    gy = np.matmul(x.T, g, out=outs[1]) if need[1] else None
    return gx, gy


MATMUL = Rules(
    lambda x, y, p: np.matmul(x, y),
    _matmul_shape,
    lambda a, o, t, p: (t[0] @ a[1] if t[0] is not None else 0) + (a[0] @ t[1] if t[1] is not None else 0),
    _matmul_vjp,
    vjp_text=("{g} @ {b}'", "{a}' @ {g}"),
    into=lambda x, y, p, out: np.matmul(x, y, out=out),
    vjp_into=_matmul_vjp_into,
)


def _vectors(name: str) -> Callable[[Sequence[Shape], Any], Shape]:
    def shape(shapes: Sequence[Shape], payload: Any) -> Shape:
        a, b = shapes
        if len(a) != 1 or len(b) != 1 or (name == "dot" and a != b):
            raise ShapeMismatchError(
                f"{name} takes two vectors{' of one length' if name == 'dot' else ''}, "
                f"not shapes {show(a)} and {show(b)}"
            )
        return () if name == "dot" else (a[0], b[0])

    return shape


DOT = Rules(lambda x, y, p: np.dot(x, y), _vectors("dot"), MATMUL.jvp, _matmul_vjp, vjp_text=("{g}·{b}", "{g}·{a}"))
OUTER = Rules(
    lambda x, y, p: np.outer(x, y),
    _vectors("outer"),
    lambda a, o, t, p: (
        (np.outer(t[0], a[1]) if t[0] is not None else 0) + (np.outer(a[0], t[1]) if t[1] is not None else 0)
    ),
    lambda a, o, g, need, p: (g @ a[1] if need[0] else None, g.T @ a[0] if need[1] else None),
    vjp_text=("{g} @ {b}", "{g}' @ {a}"),
)

# ---- reductions -------------------------------------------------------------------------------------


def _whole(shapes: Sequence[Shape], payload: Any) -> Shape:
    return ()


def _others_product(x: Arr) -> Arr:
    """∂prod(x)/∂xᵢ = the product of the others, without dividing (exact where an entry is 0).

    On numbers: the products to the left of each entry times those to its right (cumprod, O(n)). On
    duals (hess's forward-over-reverse, adcli.modes.arraydual), which carry a tangent through numpy's
    elementwise operations but have no cumprod: Πⱼ (xⱼ·(1 − eⱼ) + eⱼ), the product over j of x with xⱼ
    in every entry but the j-th, where it is 1 — O(n²), and its tangents are the exact second
    derivatives ∂²prod/∂xᵢ∂xⱼ = Π_{k≠i,j} xₖ, again with no division."""
    flat = np.ravel(x)
    if isinstance(flat, np.ndarray):
        left = np.concatenate(([1.0], np.cumprod(flat[:-1])))
        right = np.concatenate((np.cumprod(flat[::-1][:-1])[::-1], [1.0]))
        return (left * right).reshape(np.shape(x))
    eye = np.eye(int(np.size(flat)))
    out: Any = np.ones(len(eye))
    for j, unit in enumerate(eye):
        out = out * (flat[j] * (1.0 - unit) + unit)
    return np.reshape(out, np.shape(x))


def _spread(partial: Callable[[Arr, Arr], Arr]) -> tuple[Callable[..., Arr], Callable[..., tuple[Arr, ...]]]:
    """JVP and VJP of a reduction y = f(x) from ∂y/∂x (an array shaped like x)."""
    return (
        lambda a, o, t, p: np.sum(partial(a[0], o) * t[0]),
        lambda a, o, g, need, p: (g * partial(a[0], o),),
    )


def _norm_partial(x: Arr, o: Arr) -> Arr:
    return np.zeros(np.shape(x)) if o == 0 else x / o  # at 0: the subgradient 0 (the middle of the ball)


def _softmax(x: Arr) -> Arr:
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def _logsumexp(x: Arr) -> Arr:
    m = np.max(x)
    return m + np.log(np.sum(np.exp(x - m)))


def _logsumexp_partial(x: Arr, o: Arr) -> Arr:
    """∂logsumexp(x)/∂x = softmax(x), as e = exp(x - o) over its own sum: o = m + log(Σ exp(x - m)) is rounded
    to an ulp of m, and exp(x - o) alone carried that as a relative error (1.9e-9 at x = [1e8, 1e8], where
    the gradient is [1/2, 1/2]); the normalising sum cancels it. On duals too (hess): both are numpy's."""
    e = np.exp(x - o)
    return e / np.sum(e)


def _ties(x: Arr, o: Arr) -> Arr:
    mask = np.equal(x, o).astype(float)
    return mask / np.sum(mask)  # a tie shares the derivative equally (max(a, b): 1/2 each)


SUM = Rules(
    lambda x, p: _total(x),
    _whole,
    lambda a, o, t, p: _total(t[0]),
    lambda a, o, g, need, p: (spread(g, _shape(a[0])),),
    vjp_text=("broadcast({g})",),
)
MEAN = Rules(
    lambda x, p: np.mean(x),
    _whole,
    lambda a, o, t, p: np.mean(t[0]),
    lambda a, o, g, need, p: (np.broadcast_to(g / max(np.size(a[0]), 1), np.shape(a[0])),),
    vjp_text=("broadcast({g})/n",),
)
PROD = Rules(
    lambda x, p: np.prod(x), _whole, *_spread(lambda x, o: _others_product(x)), vjp_text=("{g}·prod(the others)",)
)


def _norm(x: Arr) -> Arr:
    """The 2-norm (Frobenius for a matrix), scaled by the largest entry when squares would leave float64, as
    hypot is: sqrt(Σx²) of [3e-200, 4e-200] was 0 (x² underflows) and said "not differentiable at 0", of
    [3e200, 4e200] an overflow. Within [1e-150, 1e150] the plain sum of squares, digit for digit as before;
    duals (hess) take the plain form."""
    if type(x) is not np.ndarray or x.dtype != np.float64 or not x.size:
        return np.sqrt(np.sum(np.square(x)))
    s = np.max(np.abs(x))
    if _PLAIN_LOW <= s <= _PLAIN_HIGH or s == 0 or not np.isfinite(s):
        return np.sqrt(np.sum(np.square(x)))
    return s * np.sqrt(np.sum(np.square(x / s)))


_PLAIN_LOW, _PLAIN_HIGH = 1e-150, 1e150  # squares (and a sum of up to 1e7 of them) stay normal floats here
NORM = Rules(lambda x, p: _norm(x), _whole, *_spread(_norm_partial), vjp_text=("{g}·{a}/{o}",))
LOGSUMEXP = Rules(lambda x, p: _logsumexp(x), _whole, *_spread(_logsumexp_partial), vjp_text=("{g}·exp({a} - {o})",))
AMAX = Rules(lambda x, p: np.max(x), _whole, *_spread(_ties), vjp_text=("{g}·[{a} = {o}]/ties",))
AMIN = Rules(lambda x, p: np.min(x), _whole, *_spread(_ties), vjp_text=("{g}·[{a} = {o}]/ties",))


def _same(shapes: Sequence[Shape], payload: Any) -> Shape:
    return shapes[0]


SOFTMAX = Rules(
    lambda x, p: _softmax(x),
    _same,
    lambda a, o, t, p: o * (t[0] - np.sum(o * t[0], axis=-1, keepdims=True)),
    lambda a, o, g, need, p: (o * (g - np.sum(o * g, axis=-1, keepdims=True)),),
    vjp_text=("{o}·({g} - sum({o}·{g}))",),
)

#: ones(x): an array of ones shaped like x, a constant (the vector of ones of the Matrix Cookbook, which
#: matrix calculus needs to write sum(x)'s gradient and column sums; diag(ones(diag(A))) is the identity)
ONES = Rules(
    lambda x, p: np.ones(np.shape(x)),
    _same,
    lambda a, o, t, p: np.zeros(np.shape(o)),
    lambda a, o, g, need, p: (None,),
    vjp_text=("0",),
)

# ---- matrices ---------------------------------------------------------------------------------------


def _square(name: str, out: Callable[[Shape], Shape]) -> Callable[[Sequence[Shape], Any], Shape]:
    def shape(shapes: Sequence[Shape], payload: Any) -> Shape:
        s = shapes[0]
        if len(s) != 2 or s[0] != s[1]:
            raise ShapeMismatchError(f"{name} takes a square matrix, not shape {show(s)}")
        return out(s)

    return shape


def _inverse(a: Arr) -> Arr:
    if not np.all(np.isfinite(a)) or np.linalg.cond(a) > 1 / np.finfo(float).eps:
        raise SingularError("the matrix is singular (no inverse)")
    return np.linalg.inv(a)


def _logdet(a: Arr) -> Arr:
    sign, value = np.linalg.slogdet(a)
    if sign <= 0:
        raise SingularError("its determinant is not positive" if sign < 0 else "the matrix is singular")
    return value


TR = Rules(
    lambda x, p: np.trace(x),
    _square("tr", lambda s: ()),
    lambda a, o, t, p: np.trace(t[0]),
    lambda a, o, g, need, p: (g * np.eye(a[0].shape[0]),),
    vjp_text=("{g}·I",),
)


def _adjugate(a: Arr) -> Arr:
    """adj(A), = det(A)·inv(A) where A is invertible, and defined at a singular A too (det is a polynomial:
    its gradient, the cofactor matrix adj(A)ᵀ, exists everywhere; det·inv(A)ᵀ raised 'singular' there).

    From the SVD A = U·diag(s)·Vᵀ: adj(A) = det(U)·det(V)·V·diag(∏ⱼ≠ᵢ sⱼ)·Uᵀ (the products without
    dividing, so a zero singular value is no trouble)."""
    u, s, vt = np.linalg.svd(a)
    sign = np.sign(np.linalg.det(u)) * np.sign(np.linalg.det(vt))
    return sign * (vt.T * _others_product(s)) @ u.T


#: through hess's duals, det's adjugate is det·inv(A) for a well-conditioned A of more than this many rows;
#: smaller or nearly singular ones take the cofactors' derivatives (O(n⁵), exact at a singular A)
COFACTOR_ROWS = 4


def _adjugate_any(a: Arr, o: Arr) -> Arr:
    """adj(A) for the det rules. On hess's duals (not ndarrays) the tangent is d adj(A)[Ȧ], from the
    cofactors when A is small or nearly singular (det is a polynomial: its Hessian exists at a singular
    A too, where det·inv(A) raised 'singular'), else det·inv(A) with the duals' generic operations."""
    if isinstance(a, np.ndarray):
        return _adjugate(a)
    value, tangent = getattr(a, "value", None), getattr(a, "tangent", None)
    if isinstance(value, np.ndarray) and isinstance(tangent, np.ndarray):
        if len(value) <= COFACTOR_ROWS or np.linalg.cond(value) > 1e8:
            return type(a)(_adjugate(value), _adjugate_tangent(value, tangent))  # type: ignore[call-arg]
    return o * _inverse(a)


def _adjugate_tangent(a: Arr, t: Arr) -> Arr:
    """d adj(A)[T]: adj(A)[j, i] = (−1)^(i+j)·det(Mᵢⱼ(A)) for the minor Mᵢⱼ (row i, column j removed), and
    d det(M)[N] = tr(adj(M)·N) with the minors' adjugates from the SVD: no division anywhere."""
    n = len(a)
    out = np.zeros((n, n), dtype=np.result_type(t, float))
    if n == 1:
        return out
    for i in range(n):
        for j in range(n):
            minor = np.delete(np.delete(a, i, axis=0), j, axis=1)
            moved = np.delete(np.delete(t, i, axis=0), j, axis=1)
            out[j, i] = (-1) ** (i + j) * np.trace(_adjugate(minor) @ moved)
    return out


DET = Rules(
    lambda x, p: np.linalg.det(x),
    _square("det", lambda s: ()),
    lambda a, o, t, p: np.trace(_adjugate_any(a[0], o) @ t[0]),
    lambda a, o, g, need, p: (g * _adjugate_any(a[0], o).T,),
    vjp_text=("{g}·adj({a})'",),
)
INV = Rules(
    lambda x, p: _inverse(x),
    _square("inv", lambda s: s),
    lambda a, o, t, p: -o @ t[0] @ o,
    lambda a, o, g, need, p: (-o.T @ g @ o.T,),
    vjp_text=("-{o}' @ {g} @ {o}'",),
)
LOGDET = Rules(
    lambda x, p: _logdet(x),
    _square("logdet", lambda s: ()),
    lambda a, o, t, p: np.trace(_inverse(a[0]) @ t[0]),
    lambda a, o, g, need, p: (g * _inverse(a[0]).T,),
    vjp_text=("{g}·inv({a})'",),
)


def _diag_shape(shapes: Sequence[Shape], payload: Any) -> Shape:
    """numpy's diag: a vector's square matrix, or a matrix's main diagonal (of min(m, n) entries: a
    rectangular matrix has one too, as numpy, PyTorch and JAX read it)."""
    s = shapes[0]
    if len(s) == 1:
        return (s[0], s[0])
    if len(s) == 2:
        return (min(s),)
    raise ShapeMismatchError(f"diag takes a vector or a matrix, not shape {show(s)}")


def _diag_vjp(a: Sequence[Arr], o: Arr, g: Arr, need: Sequence[bool], p: Any) -> tuple[Arr]:
    """diag(Ḡ) in the argument's shape: a rectangular matrix's is diag(ḡ) bordered by zeros, written as
    eye(m, k) @ diag(ḡ) @ eye(k, n) so that it is matmuls only (the array duals of hess carry those)."""
    shape = np.shape(a[0])
    if len(shape) == 1 or shape[0] == shape[1]:
        return (np.diag(g),)
    k = min(shape)
    return (np.eye(shape[0], k) @ np.diag(g) @ np.eye(k, shape[1]),)


DIAG = Rules(
    lambda x, p: np.diag(x),
    _diag_shape,
    lambda a, o, t, p: np.diag(t[0]),
    _diag_vjp,
    vjp_text=("diag({g})",),
)

# ---- indexing ---------------------------------------------------------------------------------------


def key(payload: Any) -> tuple[int | slice, ...]:
    """The numpy key of an index node's payload: ("i", k) an integer, ("s", start, stop) a slice."""
    return tuple(k[1] if k[0] == "i" else slice(*k[1:]) for k in payload)


def key_text(payload: Any) -> str:
    parts = []
    for k in payload:
        if k[0] == "i":
            parts.append(str(k[1]))
        else:
            parts.append(":".join("" if n is None else str(n) for n in k[1:]))
    return "[" + ", ".join(parts) + "]"


def _index_shape(shapes: Sequence[Shape], payload: Any) -> Shape:
    s = shapes[0]
    if len(payload) > len(s):
        many = f"{len(payload)} " + ("index" if len(payload) == 1 else "indices")
        raise ShapeMismatchError(f"{many} for shape {show(s)}")
    for axis, k in enumerate(payload):
        if k[0] == "s" and len(k) == 4 and k[3] == 0:
            raise ShapeMismatchError(f"the slice {key_text(payload)} has a step of 0")
        if k[0] == "i" and not -s[axis] <= k[1] < s[axis]:
            raise ShapeMismatchError(f"index {k[1]} is out of range for axis {axis} of shape {show(s)}")
    out = np.broadcast_to(np.float64(0), s)[key(payload)].shape  # no allocation: a zero-stride view
    if 0 in out and 0 not in s:
        raise ShapeMismatchError(f"the slice {key_text(payload)} of shape {show(s)} is empty")
    return tuple(out)


def _scatter(a: Sequence[Arr], o: Arr, g: Arr, need: Sequence[bool], p: Any) -> tuple[Arr]:
    full = np.zeros(np.shape(a[0]))
    full[key(p)] = g
    return (full,)


INDEX = Rules(
    lambda x, p: np.asarray(x)[key(p)],
    _index_shape,
    lambda a, o, t, p: t[0][key(p)],
    _scatter,
    vjp_text=("{g} scattered into zeros",),
)
