"""Taylor mode on arrays: every slot carries the coefficients of t ↦ vᵢ(a + t·d) as one array of shape
(N+1, *shape), coefficient k first, for an array expression with a scalar output along an array direction.

Elementwise primitives use their scalar series rule of adcli.modes.taylor (SERIES), entry by entry on
the broadcast arguments, kinks and domain edges included. Structural primitives have their series rule
here, in STRUCTURAL_SERIES, one per primitive of the table (a test checks that they cover the same names):
the linear ones (sum, indexing, transpose, the array literal, …) act coefficient by coefficient through
their own JVP rule, the bilinear ones (matmul, dot, outer) by the Cauchy product Σⱼ aⱼ∘bₖ₋ⱼ, and the
nonlinear ones by their recurrences: inv from A·X = I (Xₖ = −A₀⁻¹ Σⱼ≥₁ AⱼXₖ₋ⱼ), logdet from
(log det A)' = tr(A⁻¹A'), det by cofactors (up to 4 × 4) or elimination on series, logsumexp and
softmax from the exponentials' series, norm as a square root, prod as a product of series, max/min as
a fold of the elementwise max/min rule (ties by the first coefficient that differs, a kink at an odd
order). Everything runs in float64: numpy's linear algebra has no long double.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adcli.core.arrays import SingularError
from adcli.core.errors import AdcliError
from adcli.core.primitives import TABLE
from adcli.core.tape import ERRSTATE, Tape
from adcli.modes import series as ps
from adcli.modes.taylor import SERIES, NoSeriesError

Coefficients = np.ndarray  # (N+1, *shape)
StructuralRule = Callable[[Sequence[Coefficients], Any, Any], Coefficients]


def _linear(name: str) -> StructuralRule:
    """A linear map applied to each coefficient, by its own JVP rule (a linear map's JVP is itself)."""
    rules = TABLE[name].rules
    assert rules is not None

    def rule(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
        first = [a[0] for a in args]
        return np.stack([np.asarray(out, dtype=float)] + [
            np.asarray(rules.jvp(first, out, [a[k] for a in args], payload), dtype=float)
            for k in range(1, len(args[0]))
        ])  # fmt: skip

    return rule


def _bilinear(name: str) -> StructuralRule:
    """(a∘b)ₖ = Σⱼ aⱼ∘bₖ₋ⱼ for a product ∘ linear in each argument (matmul, dot, outer)."""
    fn = TABLE[name].fn

    def rule(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
        a, b = args
        return np.stack([sum(np.asarray(fn(a[j], b[k - j], payload)) for j in range(k + 1)) for k in range(len(a))])

    return rule


def _entrywise(rule: Callable[..., np.ndarray], *args: Coefficients) -> Coefficients:
    """A series rule of 1-d coefficient vectors applied at every entry of (N+1, *shape) arrays."""
    out = np.empty_like(args[0])
    for idx in np.ndindex(args[0].shape[1:]):
        at = (slice(None), *idx)
        out[at] = rule(*[a[at] for a in args])
    return out


def _inverse_series(a: Coefficients) -> Coefficients:
    """X = A⁻¹ from A·X = I: X₀ = A₀⁻¹, Xₖ = −X₀ Σ_{j=1..k} Aⱼ Xₖ₋ⱼ."""
    try:
        first = np.linalg.inv(a[0])
    except np.linalg.LinAlgError:
        raise NoSeriesError("domain_error", 0, "the matrix is singular there") from None
    x = np.empty_like(a)
    x[0] = first
    for k in range(1, len(a)):
        x[k] = -x[0] @ sum(a[j] @ x[k - j] for j in range(1, k + 1))
    return x


def _inv(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    return _inverse_series(args[0])


def _log_det_derivative(a: Coefficients) -> np.ndarray:
    """The series of (log det A)' = tr(A⁻¹·A'), one order shorter."""
    x, n = _inverse_series(a), len(a) - 1
    da = a[1:] * np.arange(1, n + 1).reshape((-1,) + (1,) * (a.ndim - 1))
    return np.array([sum(np.trace(x[j] @ da[k - j]) for j in range(k + 1)) for k in range(n)])


def _logdet(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    return ps.antideriv(_log_det_derivative(args[0]), float(out))


LAPLACE_MAX = 4  # det of at most 4 × 4 by cofactor expansion on series (exact at a singular matrix too)


def _laplace(a: Coefficients) -> np.ndarray:
    """det of a matrix of series by cofactor expansion along the first row: products, no division."""
    n = a.shape[-1]
    if n == 1:
        return a[:, 0, 0].copy()
    total = np.zeros(len(a))
    for j in range(n):
        minor = np.delete(np.delete(a, 0, axis=1), j, axis=2)
        total += (-1) ** j * ps.mul(a[:, 0, j].copy(), _laplace(minor))
    return total


def _cauchy(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The Cauchy product of two arrays of series (coefficient first), entry by entry with broadcasting."""
    return np.stack([np.einsum("m...,m...->...", a[: k + 1], b[k::-1]) for k in range(len(a))])


def _lu_det(a: Coefficients) -> np.ndarray:
    """det of a matrix of series by Gaussian elimination on series, pivoting on the constant terms' size:
    det = ± the product of the pivots. Each step divides by the largest constant term left, so a matrix near
    singularity divides by its small pivot last or never. det₀·exp(∫ tr(A⁻¹A')), used before, summed
    tr((A₀⁻¹A₁)ᵏ)-sized terms that cancel to the polynomial's coefficients: det(A + tD) of a 5 × 5 A with a
    singular value 1e-6 had c₄ = -4.0 for -9.52 and c₅ = 1.7e6 for -11.2 (mpmath)."""
    m = a.copy()
    n, sign = a.shape[-1], 1.0
    total = np.zeros(len(a))
    total[0] = 1.0
    for j in range(n):
        p = j + int(np.argmax(np.abs(m[0, j:, j])))
        if m[0, p, j] == 0:
            raise NoSeriesError("domain_error", 0, "the matrix is singular there (no pivot in a column)")
        if p != j:
            m[:, [j, p]] = m[:, [p, j]]
            sign = -sign
        pivot = m[:, j, j].copy()
        total = ps.mul(total, pivot)
        if j == n - 1:
            break
        one = np.zeros(len(a))
        one[0] = 1.0
        factors = _cauchy(m[:, j + 1 :, j], ps.div(one, pivot)[:, None])  # (K+1, rows below)
        m[:, j + 1 :, j:] -= _cauchy(factors[:, :, None], m[:, j, None, j:])
    return sign * total


def _det(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    """det: by cofactors up to 4 × 4 (exact at a singular matrix too); larger, by elimination on series."""
    a = args[0]
    found = _laplace(a) if a.shape[-1] <= LAPLACE_MAX else _lu_det(a)
    found[0] = float(out)
    return found


def _shifted_exps(x: Coefficients, axis: Any) -> tuple[Coefficients, np.ndarray]:
    """exp(x − m) entry by entry, m the largest constant term (along the axis): no overflow."""
    m = np.max(x[0], axis=axis, keepdims=True)
    shifted = x - np.concatenate([m[None], np.zeros((len(x) - 1, *m.shape))])
    return _entrywise(lambda u: SERIES["exp"]([u], np.exp(u[0])), shifted), m


def _logsumexp(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    e, _ = _shifted_exps(args[0], None)  # log Σ exp(x) = m + log Σ exp(x − m): the same from order 1
    total = e.reshape(len(e), -1).sum(axis=1)
    log = SERIES["log"]([total], np.log(total[0]))
    log[0] = float(out)  # the primal's own value, computed stably
    return log


def _softmax(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    e, _ = _shifted_exps(args[0], -1)
    total = np.broadcast_to(e.sum(axis=-1, keepdims=True), e.shape)
    return _entrywise(ps.div, e, np.ascontiguousarray(total))


def _norm(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    x = args[0].reshape(len(args[0]), -1)
    if float(out) == 0:
        raise NoSeriesError("nondifferentiable", 1, "norm has a cone point at 0 (slope 1 in every direction)")
    squares = sum(ps.mul(x[:, i], x[:, i]) for i in range(x.shape[1]))
    return ps.sqrt_series(squares, float(out))


def _prod(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
    x = args[0].reshape(len(args[0]), -1)
    total = ps.constant(1.0, x[:, 0])
    for i in range(x.shape[1]):
        total = ps.mul(total, x[:, i])
    return total


def _fold(name: str) -> StructuralRule:
    """max(x)/min(x) of all entries: the elementwise max/min's series rule folded over them, so that a
    tie is settled by the first coefficient that differs (a kink where that order is odd)."""
    pairwise = SERIES[name]

    def rule(args: Sequence[Coefficients], out: Any, payload: Any) -> Coefficients:
        x = args[0].reshape(len(args[0]), -1)
        best = x[:, 0]
        for i in range(1, x.shape[1]):
            best = pairwise([best, x[:, i]], 0.0)
        return best

    return rule


#: structural primitive -> its series rule: (argument coefficients, the primal value, payload) -> coefficients
STRUCTURAL_SERIES: dict[str, StructuralRule] = {
    **{name: _linear(name) for name in ("stack", "transpose", "index", "sum", "mean", "tr", "diag", "ones")},
    **{name: _bilinear(name) for name in ("matmul", "dot", "outer")},
    "inv": _inv,
    "det": _det,
    "logdet": _logdet,
    "logsumexp": _logsumexp,
    "softmax": _softmax,
    "norm": _norm,
    "prod": _prod,
    "amax": _fold("max"),
    "amin": _fold("min"),
}


def _elementwise(name: str, args: Sequence[Coefficients], out: Any) -> Coefficients:
    """The scalar series rule at every entry of the broadcast arguments."""
    shape = np.shape(out)
    full = [
        np.broadcast_to(a.reshape(a.shape[0], *(1,) * (len(shape) + 1 - a.ndim), *a.shape[1:]), (a.shape[0], *shape))
        for a in args
    ]
    rule, value = SERIES[name], np.broadcast_to(np.asarray(out, dtype=float), shape)
    result = np.empty((args[0].shape[0], *shape))
    for idx in np.ndindex(shape):
        at = (slice(None), *idx)
        try:
            result[at] = rule([np.ascontiguousarray(a[at]) for a in full], value[idx])
        except NoSeriesError as exc:
            exc.entry = idx  # type: ignore[attr-defined]
            raise
    return result


def _constant(value: Any, order: int) -> Coefficients:
    v = np.asarray(value, dtype=float)
    return np.concatenate([v[None], np.zeros((order, *v.shape))])


def _failure(tape: Tape, slot: int, exc: NoSeriesError | None, what: str = "") -> AdcliError:
    if exc is None:
        return tape.error("nonfinite", f"the Taylor coefficients of {tape.text(slot)} {what}", slot)
    entry = getattr(exc, "entry", None)
    where = f" at entry [{', '.join(map(str, entry))}]" if entry else ""
    if exc.order == 0:
        return tape.error(exc.kind, f"{tape.text(slot)} has no Taylor expansion here: {exc.reason}", slot)
    message = f"{tape.text(slot)} has no Taylor expansion{where} from order {exc.order} on: {exc.reason}"
    return tape.error(exc.kind, message, slot)


def expand(tape: Tape, vals: Sequence[Any], direction: Sequence[Any], order: int) -> list[Coefficients | None]:
    """Every slot's coefficients along t ↦ inputs + t·direction (None: constant along it); direction holds
    an array per input in its shape, or None."""
    moving = [name for name, d in zip(tape.names, direction, strict=False) if d is not None and np.any(d)]
    active = tape.active(moving)
    series: list[Coefficients | None] = [None] * len(tape.nodes)
    for k, d in enumerate(direction):
        if d is not None and np.any(d):
            series[k] = _constant(vals[k], order)
            if order >= 1:
                series[k][1] = np.asarray(d, dtype=float)  # type: ignore[index]
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(tape.nodes)):
            if not active[s]:
                continue
            prim = tape.prims[s]
            args = [_constant(vals[j], order) if series[j] is None else series[j] for j in tape.args[s]]
            try:
                if prim.rules is None:  # type: ignore[union-attr]
                    found = _elementwise(prim.name, args, vals[s])  # type: ignore[union-attr, arg-type]
                else:
                    found = STRUCTURAL_SERIES[prim.name](args, vals[s], tape.nodes[s].payload)  # type: ignore[union-attr]
            except NoSeriesError as exc:
                raise _failure(tape, s, exc) from None
            except (FloatingPointError, ZeroDivisionError, OverflowError, SingularError, np.linalg.LinAlgError):
                raise _failure(tape, s, None, "overflowed or met a singular matrix") from None
            found = np.asarray(found, dtype=float)
            if not np.all(np.isfinite(found)):
                raise _failure(tape, s, None, "are not finite")
            series[s] = found
    return series
