"""Generated test problems for the benchmarks: expressions with many variables, and a point for them.

    f(x₁ … xₙ) = Σᵢ sin(xᵢ)·xᵢ₊₁ + exp(xᵢ/n),  i = 1 … n, with xₙ₊₁ = x₁ (cyclic)

is the issue's cheap-gradient function: n inputs, one output, about 5n operations, and a
gradient known in closed form (`gradient` below), so a benchmark can check what it times.
"""

from __future__ import annotations

import math


def names(n: int) -> list[str]:
    return [f"x{i}" for i in range(1, n + 1)]


def cheap_gradient_text(n: int) -> str:
    """The expression's text in adcli's language (one line, explicit `*`)."""
    xs = names(n)
    terms = [f"sin({xs[i]})*{xs[(i + 1) % n]} + exp({xs[i]}/{n})" for i in range(n)]
    return " + ".join(terms)


def point(n: int) -> dict[str, float]:
    """A deterministic point away from special values: xᵢ = 0.5 + i/(2n)."""
    return {name: 0.5 + (i + 1) / (2 * n) for i, name in enumerate(names(n))}


def point_text(n: int) -> str:
    return ",".join(f"{k}={v!r}" for k, v in point(n).items())


def value(n: int) -> float:
    x = list(point(n).values())
    return math.fsum(math.sin(x[i]) * x[(i + 1) % n] + math.exp(x[i] / n) for i in range(n))


def gradient(n: int) -> list[float]:
    """∂f/∂xₖ = cos(xₖ)·xₖ₊₁ + sin(xₖ₋₁) + exp(xₖ/n)/n (indices cyclic)."""
    x = list(point(n).values())
    return [math.cos(x[k]) * x[(k + 1) % n] + math.sin(x[k - 1]) + math.exp(x[k] / n) / n for k in range(n)]
