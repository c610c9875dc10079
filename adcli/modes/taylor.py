"""Taylor mode: truncated power series pushed through the tape, O(N²) work per operation for order N.

Each slot carries the coefficients c₀ … c_N of t ↦ vᵢ(a + t·d). Every primitive of adcli.primitives
has its series rule here, in SERIES, keyed on its name (a test checks that the two tables cover the
same names): the standard recurrences (Griewank and Walther, "Evaluating Derivatives", ch. 13) —
Cauchy products, the quotient recurrence, exp and the sin/cos pair from y' = f'(u)·u' solved
coefficient by coefficient, and the inverse functions by derivative-integration (atan = ∫ u'/(1+u²)).
Nesting first-order AD N times would cost O(2ᴺ); these cost O(N²).

Where a series does not exist (a kink, the edge of a domain, an infinite derivative) the rule raises
`NoSeriesError` with the first order that fails, which the sweep reports at the node: `abs(x)` at 0 fails
at order 1, but `abs(x^2)` at 0 is x² to every order, and `abs` anywhere else is ±u.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.primitives import TABLE
from adcli.core.tape import ERRSTATE, Tape
from adcli.modes.series import (
    Series,
    antideriv,
    constant,
    deriv,
    div,
    integer_power,
    integral,
    lead,
    mul,
    ode,
    pair,
    power_recurrence,
    sqrt_series,
    square_k,
)

SeriesRule = Callable[[Sequence[Series], float], Series]
MAX_ORDER = 100  # the largest --order: the coefficients of order 100 need 5,000 products per operation


class NoSeriesError(ArithmeticError):
    """No Taylor expansion here: the error kind, the first order that fails, and why in words."""

    def __init__(self, kind: str, order: int, reason: str) -> None:
        super().__init__(reason)
        self.kind, self.order, self.reason = kind, order, reason


# ---- the rules, one per primitive ---------------------------------------------------------------


def _root_at_zero(a: Series, beta: float, kind: str) -> NoSeriesError:
    """Why a fractional power has no series at a zero of its argument, and from which order."""
    m = lead(a) or 1
    q = m * beta
    if abs(q - round(q)) > 1e-12:
        order = math.floor(q) + 1
        return NoSeriesError(kind, order, f"its argument is 0 there: the derivative of order {order} is infinite")
    return NoSeriesError(kind, max(int(round(q)), 1), "its argument is 0 there, the edge of its domain")


def _power(a: Series, beta: float, p0: float, kind: str = "domain_error") -> Series:
    """a^β: by repeated products for an integer β >= 0 (exact at a₀ = 0, and where a₀^β underflows: the
    recurrence divides by a₀ and starts from p₀, so x^2 at 1e-174 would lose every coefficient), else by
    the power recurrence."""
    if beta == int(beta) and 0 <= beta <= 2**20:
        return integer_power(a, int(beta))
    if a[0] == 0:
        raise _root_at_zero(a, beta, kind)
    if p0 == 0:
        raise NoSeriesError("nonfinite", 1, "its value underflows to 0, which the power recurrence cannot start from")
    return power_recurrence(a, beta, p0)


def _pow(args: Sequence[Series], out: float) -> Series:
    a, b = args
    if not b[1:].any():  # a constant exponent: the power recurrence
        return _power(a, b[0], out)
    if a[0] > 0:  # a^b = exp(b·log a)
        return _exp([mul(b, _log([a], np.log(a[0])))], out)
    if a[0] == 0 and not a[1:].any() and b[0] > 0:  # 0^b is 0 for every b > 0 nearby
        return np.zeros_like(a)
    raise NoSeriesError("domain_error", 1, "a varying exponent needs a positive base (a^b, a <= 0, is not real nearby)")


def _exp(args: Sequence[Series], out: float) -> Series:
    return ode(args[0], out, lambda y, k: y[k])


def _log(args: Sequence[Series], out: float) -> Series:
    (u,) = args
    return integral(u, div(constant(1.0, u), u), out)


def _sin(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return pair(u, out, np.cos(u[0]), -1.0)[0]


def _cos(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return pair(u, np.sin(u[0]), out, -1.0)[1]


def _sinh(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return pair(u, out, np.cosh(u[0]), 1.0)[0]


def _cosh(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return pair(u, np.sinh(u[0]), out, 1.0)[1]


def _tan(args: Sequence[Series], out: float) -> Series:  # tan' = 1 + tan²
    return ode(args[0], out, lambda y, k: 1 + y[0] ** 2 if k == 0 else square_k(y, k))


def _cot(args: Sequence[Series], out: float) -> Series:  # cot' = −(1 + cot²)
    return ode(args[0], out, lambda y, k: -(1 + y[0] ** 2) if k == 0 else -square_k(y, k))


def _tanh(args: Sequence[Series], out: float) -> Series:
    # tanh' = 1 − tanh², with its constant term as sech² (no cancellation in the tails)
    sech0 = TABLE["sech"].fn(args[0][0])
    return ode(args[0], out, lambda y, k: sech0**2 if k == 0 else -square_k(y, k))


def _sigmoid(args: Sequence[Series], out: float) -> Series:
    # σ' = σ(1 − σ), its constant term as σ(u₀)σ(−u₀) (no cancellation in the tails)
    w0 = out * TABLE["sigmoid"].fn(-args[0][0])
    return ode(args[0], out, lambda y, k: w0 if k == 0 else y[k] - square_k(y, k))


def _times_companion(u: Series, out: float, companion: Series, sign: float) -> Series:
    """y' = sign·y·t·u' with t a known series (sec: t = tan, csc: t = cot, sech: t = tanh)."""
    return ode(u, out, lambda y, k: sign * np.dot(y[: k + 1], companion[: k + 1][::-1]))


def _sec(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return _times_companion(u, out, _tan([u], np.tan(u[0])), 1.0)


def _csc(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return _times_companion(u, out, _cot([u], 1 / np.tan(u[0])), -1.0)


def _sech(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return _times_companion(u, out, _tanh([u], np.tanh(u[0])), -1.0)


def _inverse(d_of: Callable[[Series], Series]) -> SeriesRule:
    """An inverse function by derivative-integration: y = ∫ d(u)·u', with d(u) the derivative as a series."""

    def rule(args: Sequence[Series], out: float) -> Series:
        u = args[0]
        return integral(u, d_of(u), out)

    return rule


def _reciprocal_root(u2: Series, name: str) -> Series:
    """1/sqrt(s) for the series s under asin's, acos's or acosh's root; s₀ = 0 is the domain's edge."""
    if u2[0] <= 0:
        raise NoSeriesError("domain_error", 1, f"the edge of the domain of {name}: its derivative is infinite")
    return div(constant(1.0, u2), sqrt_series(u2, np.sqrt(u2[0])))


def _square_gap(u: Series, one_minus: bool = True) -> Series:
    """1 − u² (asin, acos, atanh) or u² − 1 (acosh), its constant term as (1 − u₀)(1 + u₀): near u₀ = ±1
    the factor that vanishes is exact, where 1 − u₀² lost ~1e-19/(1 − |u₀|) relative (long double)."""
    square = mul(u, u)
    gap = -square if one_minus else square
    one = u.dtype.type(1)
    gap[0] = (one - u[0]) * (one + u[0]) if one_minus else (u[0] - one) * (u[0] + one)
    return gap


def _atan2(args: Sequence[Series], out: float) -> Series:
    y, x = args  # atan2(y, x)' = (x·y' − y·x')/(x² + y²)
    n = len(y) - 1
    numerator = mul(x[:n], deriv(y)) - mul(y[:n], deriv(x))
    return antideriv(div(numerator, (mul(x, x) + mul(y, y))[:n]), out)


def _softplus(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return integral(u, _sigmoid([u], TABLE["sigmoid"].fn(u[0])), out)


def _cbrt(args: Sequence[Series], out: float) -> Series:
    return _power(args[0], 1 / 3, out, kind="nonfinite")


def _sqrt(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    if u[0] == 0:
        raise _root_at_zero(u, 0.5, "domain_error")
    return sqrt_series(u, out)


def _hypot(args: Sequence[Series], out: float) -> Series:
    a, b = args
    if out == 0:
        m = min(lead(a) or 10**9, lead(b) or 10**9)
        raise NoSeriesError("nondifferentiable", m if m < 10**9 else 1, "a cone point (both arguments are 0)")
    return sqrt_series(mul(a, a) + mul(b, b), out)


# ---- kinks: the first nonzero coefficient decides ------------------------------------------------


def _side(u: Series, name: str, what: str = "its argument changes sign") -> float:
    """The sign of u just right and left of t = 0 where u₀ = 0: the sign of its first nonzero coefficient,
    the same on both sides when its order is even; an odd order is a kink at that order."""
    m = lead(u)
    if m is None:
        return 0.0
    if m % 2:
        raise NoSeriesError("nondifferentiable", m, f"{name} has a kink there ({what})")
    return float(np.sign(u[m]))


def _abs(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    return np.sign(u[0]) * u if u[0] != 0 else _side(u, "abs") * u


def _relu(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    side = np.sign(u[0]) if u[0] != 0 else _side(u, "relu")
    return u.copy() if side > 0 else np.zeros_like(u)


def _sign(args: Sequence[Series], out: float) -> Series:
    u = args[0]
    if u[0] == 0:
        raise NoSeriesError("nondifferentiable", 1, "sign jumps at 0")
    return constant(out, u)


def _extreme(pick_larger: bool) -> SeriesRule:
    def rule(args: Sequence[Series], out: float) -> Series:
        a, b = args
        d = a - b
        side = np.sign(d[0]) if d[0] != 0 else _side(d, "max" if pick_larger else "min", "its arguments cross")
        first = side >= 0 if pick_larger else side <= 0  # a tie to every order: the two series agree
        return (a if first else b).copy()

    return rule


def _log_base(base: float) -> SeriesRule:
    return lambda args, out: np.concatenate([[out], _log(args, 0.0)[1:] / np.log(args[0].dtype.type(base))])


def _quotient(args: Sequence[Series], out: float) -> Series:
    return div(args[0], args[1])


#: primitive name -> its series rule: (argument series, the primal value) -> the result's series.
SERIES: dict[str, SeriesRule] = {
    "add": lambda args, out: args[0] + args[1],
    "sub": lambda args, out: args[0] - args[1],
    "mul": lambda args, out: mul(args[0], args[1]),
    "div": _quotient,
    "neg": lambda args, out: -args[0],
    "pow": _pow,
    "sin": _sin,
    "cos": _cos,
    "tan": _tan,
    "sec": _sec,
    "csc": _csc,
    "cot": _cot,
    "asin": _inverse(lambda u: _reciprocal_root(_square_gap(u), "asin")),
    "acos": _inverse(lambda u: -_reciprocal_root(_square_gap(u), "acos")),
    "atan": _inverse(lambda u: div(constant(1.0, u), constant(1.0, u) + mul(u, u))),
    "atan2": _atan2,
    "sinh": _sinh,
    "cosh": _cosh,
    "tanh": _tanh,
    "sech": _sech,
    "asinh": _inverse(lambda u: _reciprocal_root(mul(u, u) + constant(1.0, u), "asinh")),
    "acosh": _inverse(lambda u: _reciprocal_root(_square_gap(u, one_minus=False), "acosh")),
    "atanh": _inverse(lambda u: div(constant(1.0, u), _square_gap(u))),
    "exp": _exp,
    "log": _log,
    "log10": _log_base(10.0),
    "log2": _log_base(2.0),
    "sqrt": _sqrt,
    "cbrt": _cbrt,
    "hypot": _hypot,
    "abs": _abs,
    "sign": _sign,
    "min": _extreme(pick_larger=False),
    "max": _extreme(pick_larger=True),
    "sigmoid": _sigmoid,
    "relu": _relu,
    "softplus": _softplus,
}


# ---- the sweep ----------------------------------------------------------------------------------


def _failure(tape: Tape, slot: int, vals: Sequence[Any], exc: NoSeriesError | None, what: str = "") -> AdcliError:
    from adcli.core.printing import format_number

    args = [j for j in tape.args[slot] if tape.nodes[j].op != "const"]
    shown = [f"{tape.text(j, 30)} = {format_number(float(vals[j]))}" for j in args]
    at = f" at {', '.join(shown)}" if shown else ""
    if exc is None:
        return tape.error("nonfinite", f"the Taylor coefficients of {tape.text(slot)} {what}{at}", slot)
    message = f"{tape.text(slot)} has no Taylor expansion{at} from order {exc.order} on: {exc.reason}"
    return tape.error(exc.kind, message, slot)


def expand(
    tape: Tape, vals: Sequence[Any], direction: Sequence[float], order: int, dtype: type = np.float64
) -> list[Series | None]:
    """Every slot's Taylor coefficients along t ↦ inputs + t·direction (None: constant along it).

    In a wider `dtype` (np.longdouble) every value is recomputed in it from the inputs and constants,
    so that the whole expansion, its starting values included, has the wider precision."""
    moving = [name for name, d in zip(tape.names, direction, strict=True) if d != 0]
    active = tape.active(moving)
    series: list[Series | None] = [None] * len(tape.nodes)
    wide = dtype is not np.float64
    work: list[Any] = [dtype(v) for v in vals[: tape.first_op]] if wide else list(vals)
    blank = np.zeros(order + 1, dtype=dtype)
    for k, d in enumerate(direction):
        if d != 0:
            series[k] = np.zeros(order + 1, dtype=dtype)
            series[k][0] = work[k]  # type: ignore[index]
            if order >= 1:
                series[k][1] = dtype(d)  # type: ignore[index]
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(tape.nodes)):
            prim = tape.prims[s]
            if wide:
                work.append(dtype(prim.fn(*[work[j] for j in tape.args[s]])))  # type: ignore[union-attr]
            if not active[s]:
                continue
            rule = SERIES.get(prim.name)  # type: ignore[union-attr]
            if rule is None:
                raise tape.error("usage_error", f"taylor: {prim.name} has no series rule yet", s)  # type: ignore[union-attr]
            args = [constant(work[j], blank) if series[j] is None else series[j] for j in tape.args[s]]
            try:
                found = rule(args, work[s])
            except NoSeriesError as exc:
                raise _failure(tape, s, vals, exc) from None
            except (FloatingPointError, ZeroDivisionError, OverflowError):
                raise _failure(tape, s, vals, None, "overflowed") from None
            if not np.all(np.isfinite(found)):
                raise _failure(tape, s, vals, None, "are not finite")
            series[s] = found
    return series
