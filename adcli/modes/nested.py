"""Nested AD: second derivatives by pushing tangents through the first-order sweeps (dual numbers).

A `Dual` is a value with a tangent: a number, or a numpy vector holding many directions at once. Its
arithmetic is the sum, product and quotient rules; every other primitive goes through the table's own
partials (`primitives.Lifted`), so the rules, written with the generic operations, are differentiated
again without a second table. Two compositions of the sweeps:

- forward-over-reverse: the primal sweep's tangents (adcli.modes.forward), the local partials evaluated
  on duals (their tangents are the partials' directional derivatives) and the adjoint sweep
  (adcli.modes.reverse) run on duals: the inputs' adjoints are the gradient, their tangents H·v. One
  direction is a Hessian-vector product; the n unit vectors at once give the Hessian row by row.
- forward-over-forward: the program evaluated on duals of duals in one forward pass; the inner tangent
  carries eᵢ, the outer eⱼ, and the tangent of the tangent is H[i, j]: O(n²) work per operation.

`hess` and `--hvp` run forward-over-reverse as adcli.modes.second_order does it: the same rules on
duals, but once per slot (its local Hessian), not once per direction. The sweeps on duals here are
what `trace --order 2` prints step by step, and the reference the tests hold second_order to.

Errors at order 2 (a division by zero in a differentiated rule, a kink reached by a rule) name the node
and the order, so that `sqrt(x)` at 0 is not reported as if its first derivative were at fault.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.primitives import TABLE, Lifted, call
from adcli.core.tape import ERRSTATE, Tape, constant_partials


class KinkError(ArithmeticError):
    """A rule reached a primitive at one of its kinks with a nonzero tangent: no derivative there."""

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} at a kink")
        self.name = name


def plain(x: Any) -> Any:
    """The innermost value of a (nested) dual: the number the sweeps started from."""
    while isinstance(x, Dual):
        x = x.value
    return x


class Dual(Lifted):
    """value + tangent·ε with ε² = 0; nested duals (a dual of duals) carry second-order tangents."""

    __slots__ = ("value", "tangent")
    __array_ufunc__ = None  # numpy scalars and arrays defer to the reflected operators below

    def __init__(self, value: Any, tangent: Any) -> None:
        self.value = value
        self.tangent = tangent

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def lift(self, name: str, args: tuple[object, ...]) -> Dual:
        """A primitive on duals: its value on the values, its tangent Σ ∂/∂argₖ · tangentₖ from the table."""
        prim = TABLE[name]
        values = [a.value if isinstance(a, Dual) else a for a in args]
        for kink in prim.kinks:
            if kink.along is not None and not isinstance(args[kink.along], Dual):
                continue  # a kink about one argument (a^b's exponent) that does not move here: x^2 at x < 0
            with np.errstate(invalid="ignore"):
                at = kink.where(*[plain(v) for v in values])
            if at is np.False_ or at is False:  # one point, not at the kink (np.any costs microseconds)
                continue
            if np.any(at):
                raise KinkError(name)
        out = call(name, *values)
        tangent: Any = None
        for rule, a in zip(prim.partials, args, strict=True):
            if isinstance(a, Dual):
                term = rule(*values, out) * a.tangent
                tangent = term if tangent is None else tangent + term
        return Dual(out, tangent)

    def __add__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return Dual(self.value + other.value, self.tangent + other.tangent)
        return Dual(self.value + other, self.tangent)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return Dual(self.value - other.value, self.tangent - other.tangent)
        return Dual(self.value - other, self.tangent)

    def __rsub__(self, other: Any) -> Dual:
        return Dual(other - self.value, -self.tangent)

    def __mul__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            return Dual(self.value * other.value, self.value * other.tangent + self.tangent * other.value)
        return Dual(self.value * other, self.tangent * other)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Dual:
        if isinstance(other, Dual):
            q = self.value / other.value
            return Dual(q, (self.tangent - q * other.tangent) / other.value)
        return Dual(self.value / other, self.tangent / other)

    def __rtruediv__(self, other: Any) -> Dual:
        q = other / self.value
        return Dual(q, -q * self.tangent / self.value)

    def __neg__(self) -> Dual:
        return Dual(-self.value, -self.tangent)

    def __pos__(self) -> Dual:
        return self

    def __pow__(self, other: Any) -> Any:
        """x^k for a whole k >= 1 is a polynomial, with no kink and no domain edge anywhere: its rule
        directly (the second sweep's x^2 in the partial of x^3, without the table's kink checks)."""
        if isinstance(other, (int, float)) and other >= 1 and other == int(other):
            v = self.value
            if other == 1:
                return self
            if other == 2:
                return Dual(v * v, 2 * v * self.tangent)
            return Dual(v**other, other * v ** (other - 1) * self.tangent)
        return self.lift("pow", (self, other))

    def __rpow__(self, other: Any) -> Any:
        return self.lift("pow", (other, self))


def tangent_of(x: Any, like: Any) -> Any:
    """A dual's tangent, or zeros shaped like `like` where the slot did not move (a plain number)."""
    return x.tangent if isinstance(x, Dual) and x.tangent is not None else np.zeros_like(like)


# ---- forward-over-reverse -----------------------------------------------------------------------


def order_error(tape: Tape, slot: int, vals: Sequence[Any], order: int, what: str) -> AdcliError:
    """`the derivative of order 2 of sqrt(x) is infinite at x = 0`: the node, its arguments and the order."""
    from adcli.core.printing import format_number

    shown = [
        f"{tape.text(j, 30)} = {format_number(float(np.real(plain(vals[j]))))}"
        for j in tape.args[slot]
        if tape.nodes[j].op != "const"
    ]
    at = f" at {', '.join(shown)}" if shown else ""
    kind = "nondifferentiable" if what.startswith("not differentiable") else "nonfinite"
    message = f"the derivative of order {order} of {tape.text(slot)} is {what}{at}"
    return tape.error(kind, message, slot)


def with_pieces(partials: Sequence[Any], pieces: Mapping[int, tuple[Any, ...]] | None) -> list[Any]:
    """The partials with each kinked slot's replaced by its chosen linear piece's slopes
    (adcli.commands.kinkpieces): constants, whose own derivatives are 0."""
    out = list(partials)
    for s, slopes in (pieces or {}).items():
        out[s] = slopes
    return out


def dual_partials(
    tape: Tape, duals: Sequence[Any], active: Sequence[bool], pieces: Mapping[int, tuple[Any, ...]] | None = None
) -> list[tuple[Any, ...] | None]:
    """The local partials evaluated on duals: their values are the partials, their tangents the
    partials' own directional derivatives (the second-order information). A slot in `pieces` takes
    its piece's constant slopes instead (a kink's linear piece has no second derivative)."""
    partials: list[tuple[Any, ...] | None] = [None] * len(duals)
    prims, args = tape.prims, tape.args
    pieces = pieces or {}
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(duals)):
            if not active[s]:
                continue
            if s in pieces:
                partials[s] = pieces[s]
                continue
            idx = args[s]
            a = [duals[j] for j in idx]
            try:
                partials[s] = tuple(
                    [
                        rule(*a, duals[s]) if active[j] else None
                        for rule, j in zip(prims[s].partials, idx, strict=True)  # type: ignore[union-attr]
                    ]
                )
            except (FloatingPointError, ZeroDivisionError, KinkError) as exc:
                raise second_order_failure(exc, tape, s, duals) from None
    return partials


def second_order_failure(exc: Exception, tape: Tape, s: int, duals: Sequence[Any]) -> AdcliError:
    """A partial that fails on duals at slot s, as the error at that node (both second-order sweeps)."""
    if isinstance(exc, KinkError):
        return order_error(tape, s, duals, 2, "not differentiable (a rule meets a kink)")
    what = "infinite" if "divide" in str(exc) or isinstance(exc, ZeroDivisionError) else "not finite"
    return order_error(tape, s, duals, 2, what)


def _tangents_and_dual_partials(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    seeds: Any,
    pieces: Mapping[int, tuple[Any, ...]],
) -> list[tuple[Any, ...] | None]:
    """The tangent sweep and the partials on duals in one forward pass (one loop over the tape, not
    three): each slot's tangent Σ ∂vᵢ/∂vⱼ·v̇ⱼ, its dual, then its partials evaluated on duals. An
    operation whose partials are numbers (add, sub, neg) keeps them: their own derivatives are 0."""
    duals: list[Any] = [v if t is None else Dual(v, t) for v, t in zip(vals, seeds, strict=False)]
    duals += list(vals[len(duals) :])
    lifted: list[tuple[Any, ...] | None] = [None] * len(duals)
    prims, args = tape.prims, tape.args
    constant: dict[str, bool] = {}  # by name: hashing the primitives themselves (dataclasses) costs more
    s = tape.first_op
    try:
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            for s in range(tape.first_op, len(duals)):
                local = partials[s]
                if local is None:
                    continue
                idx = args[s]
                total = None
                for p, j in zip(local, idx, strict=True):
                    d = duals[j]
                    if p is not None and type(d) is Dual:
                        total = p * d.tangent if total is None else total + p * d.tangent
                if total is not None:
                    duals[s] = Dual(vals[s], total)
                prim = prims[s]
                name = prim.name  # type: ignore[union-attr]
                if name not in constant:
                    constant[name] = constant_partials(prim) is not None  # type: ignore[arg-type]
                if s in pieces:
                    lifted[s] = pieces[s]
                elif constant[name]:
                    lifted[s] = local
                else:
                    a = [duals[j] for j in idx]
                    out = duals[s]
                    lifted[s] = tuple(
                        [
                            rule(*a, out) if active[j] else None
                            for rule, j in zip(prim.partials, idx, strict=True)  # type: ignore[union-attr]
                        ]
                    )
    except (FloatingPointError, ZeroDivisionError, KinkError) as exc:
        raise second_order_failure(exc, tape, s, duals) from None
    return lifted


def forward_over_reverse(  # noqa: PLR0913
    tape: Tape,
    vals: Sequence[Any],
    partials: Sequence[tuple[Any, ...] | None],
    active: Sequence[bool],
    seeds: Any,
    pieces: Mapping[int, tuple[Any, ...]] | None = None,
) -> list[Any]:
    """The inputs' adjoints as duals: value ∂f/∂xₖ, tangent (H·V)ₖ for the input tangents `seeds`
    (one entry per tape input: a number, a vector of directions, or None)."""
    if pieces:  # the slopes of arguments that do not move are no partials
        pieces = {
            s: tuple(c if active[j] else None for c, j in zip(v, tape.args[s], strict=True)) for s, v in pieces.items()
        }
        partials = with_pieces(partials, pieces)
    lifted = _tangents_and_dual_partials(tape, vals, partials, active, seeds, pieces or {})
    try:
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            return _dual_adjoints(tape, lifted)
    except FloatingPointError as exc:
        raise AdcliError("nonfinite", f"a second derivative overflowed ({exc})") from None


def _dual_adjoints(tape: Tape, lifted: Sequence[tuple[Any, ...] | None]) -> list[Any]:
    """The adjoint sweep on duals with the value and tangent parts kept in two lists, not as Dual
    objects: v̄ⱼ += p·v̄ᵢ and (v̄ⱼ)˙ += ṗ·v̄ᵢ + p·(v̄ᵢ)˙, the product rule of (p + ṗε)(v̄ᵢ + (v̄ᵢ)˙ε) written
    out (no object per edge). The inputs' adjoints come back as duals, as from the sweep on duals."""
    size, args = len(tape.nodes), tape.args
    adj: list[Any] = [None] * size
    dot: list[Any] = [None] * size
    for slot in tape.outputs:
        adj[slot] = np.float64(1.0) if adj[slot] is None else adj[slot] + 1.0
    for s in range(size - 1, tape.first_op - 1, -1):
        g, local = adj[s], lifted[s]
        if g is None or local is None:
            continue
        gt = dot[s]
        for p, j in zip(local, args[s], strict=True):
            if p is None:
                continue
            if type(p) is Dual:
                pv, pt = p.value, p.tangent
                t = pt * g if gt is None else pt * g + pv * gt
            else:
                pv = p
                t = None if gt is None else pv * gt
            c = pv * g
            adj[j] = c if adj[j] is None else adj[j] + c
            if t is not None:
                dot[j] = t if dot[j] is None else dot[j] + t
    return [a if t is None else Dual(a, t) for a, t in zip(adj[: tape.n_inputs], dot[: tape.n_inputs], strict=True)]


# ---- forward-over-forward -----------------------------------------------------------------------


def forward_over_forward(
    tape: Tape, vals: Sequence[Any], active: Sequence[bool], n: int, pieces: Mapping[int, tuple[Any, ...]] | None = None
) -> tuple[Any, Any]:
    """(gradient, Hessian) over the first n inputs from one forward pass of duals of duals: input k is
    x + eₖε (inner, a row) + eₖδ (outer, a column), and the output's εδ part is the whole Hessian."""
    eye = np.eye(n)
    duals: list[Any] = list(vals)
    for k in range(n):
        duals[k] = Dual(Dual(vals[k], eye[k]), Dual(eye[k][:, None], 0.0))
    prims, args = tape.prims, tape.args
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(duals)):
            if not active[s]:
                continue
            if pieces and s in pieces:  # a kink's linear piece: Σ slopeₖ·argₖ
                duals[s] = sum(c * duals[j] for c, j in zip(pieces[s], args[s], strict=True))
                continue
            try:
                duals[s] = call(prims[s].name, *[duals[j] for j in args[s]])  # type: ignore[union-attr]
            except (FloatingPointError, ZeroDivisionError) as exc:
                what = "infinite" if "divide" in str(exc) or isinstance(exc, ZeroDivisionError) else "not finite"
                raise order_error(tape, s, duals, 2, what) from None
            except KinkError:
                raise order_error(tape, s, duals, 2, "not differentiable (a rule meets a kink)") from None
    out = duals[tape.outputs[0]]
    if not isinstance(out, Dual):
        return np.zeros(n), np.zeros((n, n))
    inner, outer = out.value, out.tangent
    gradient = np.broadcast_to(tangent_of(inner, eye[0]), (n,)).astype(float)
    second = tangent_of(outer, eye) if isinstance(outer, Dual) else np.zeros((n, n))
    return gradient, np.broadcast_to(second, (n, n)).astype(float)
