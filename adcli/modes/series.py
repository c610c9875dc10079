"""The arithmetic of truncated power series (coefficients c₀ … c_N as numpy arrays), O(N²) per operation.

Every operation keeps its arguments' dtype: Taylor mode runs in long double where the platform has it
(adcli.commands.taylor), since some recurrences amplify rounding by a factor per order.

What adcli.modes.taylor's series rules are written with: Cauchy products, the quotient recurrence,
d/dt and ∫dt, y' = w·u' solved order by order (exp, tan, …), the sin/cos pair, square roots, powers.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

Series = np.ndarray


def mul(a: Series, b: Series) -> Series:
    """The Cauchy product, truncated to a's length."""
    return np.convolve(a, b)[: len(a)]


def div(a: Series, b: Series) -> Series:
    """q = a/b: q_k = (a_k − Σ_{j≥1} b_j q_{k−j}) / b₀."""
    q = np.zeros(len(a), dtype=a.dtype)
    for k in range(len(a)):
        q[k] = (a[k] - np.dot(b[1 : k + 1], q[:k][::-1])) / b[0]
    return q


def deriv(u: Series) -> Series:
    """The series of du/dt, one order shorter."""
    return u[1:] * np.arange(1, len(u))


def antideriv(g: Series, c0: float) -> Series:
    """The series of ∫g with constant term c0, one order longer."""
    return np.concatenate([[c0], g / np.arange(1, len(g) + 1)])


def integral(u: Series, d: Series, y0: float) -> Series:
    """y = ∫ d·u' with y(0) = y0 (derivative-integration); d needs orders 0 … N−1."""
    return antideriv(mul(d[: len(u) - 1], deriv(u)), y0)


def ode(u: Series, y0: float, w_of: Callable[[Series, int], float]) -> Series:
    """y' = w·u' solved order by order, where w_k depends on y₀ … y_k (exp: w = y; tan: w = 1 + y²)."""
    y, w, du = np.zeros_like(u), np.zeros_like(u), deriv(u)
    y[0] = y0
    w[0] = w_of(y, 0)
    for k in range(1, len(u)):
        y[k] = np.dot(du[:k], w[:k][::-1]) / k
        w[k] = w_of(y, k)
    return y


def square_k(y: Series, k: int) -> float:
    """[y²]_k = Σ_{i=0..k} y_i y_{k−i}."""
    return np.dot(y[: k + 1], y[: k + 1][::-1])  # type: ignore[no-any-return]


def pair(u: Series, s0: float, c0: float, sign: float) -> tuple[Series, Series]:
    """sin/cos (sign −1) or sinh/cosh (sign +1): s' = c·u', c' = sign·s·u', together."""
    s, c, du = np.zeros_like(u), np.zeros_like(u), deriv(u)
    s[0], c[0] = s0, c0
    for k in range(1, len(u)):
        s[k] = np.dot(du[:k], c[:k][::-1]) / k
        c[k] = sign * np.dot(du[:k], s[:k][::-1]) / k
    return s, c


def constant(value: float, like: Series) -> Series:
    out = np.zeros_like(like)
    out[0] = value
    return out


def lead(u: Series) -> int | None:
    """The order of the first nonzero coefficient after c₀ (None: u is constant to the order computed)."""
    nonzero = np.flatnonzero(u[1:])
    return int(nonzero[0]) + 1 if nonzero.size else None


def sqrt_series(u: Series, s0: float) -> Series:
    s = np.zeros_like(u)
    s[0] = s0
    for k in range(1, len(u)):
        s[k] = (u[k] - np.dot(s[1:k], s[1:k][::-1])) / (2 * s0)
    return s


def power_recurrence(a: Series, beta: float, p0: float) -> Series:
    """p = a^β for a₀ ≠ 0: p_k = Σ_{j=1..k} ((β+1)j − k) a_j p_{k−j} / (k a₀), from a·p' = β·a'·p."""
    p = np.zeros_like(a)
    p[0] = p0
    for k in range(1, len(a)):
        j = np.arange(1, k + 1)
        p[k] = np.dot(((beta + 1) * j - k) * a[1 : k + 1], p[:k][::-1]) / (k * a[0])
    return p


def integer_power(a: Series, n: int) -> Series:
    """a^n for an integer n >= 0 by repeated squaring of series: exact where a₀ = 0 too."""
    result, base = constant(1.0, a), a
    while n:
        if n & 1:
            result = mul(result, base)
        base, n = mul(base, base), n >> 1
    return result
