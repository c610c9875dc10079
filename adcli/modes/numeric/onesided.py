"""The left and right derivatives of one Jacobian entry, for `adcli compare` at a kink.

A kink's own table row gives the one-sided partials of the node (max at a tie: 0 and 1), but what a
reader wants is the one-sided derivatives of the entry, ∂fᵢ/∂xⱼ from the left and from the right
(max(x, 1-x) at 0.5: -1 and +1). They are measured on the whole function, by one-sided differences
along the coordinate: the second-order one-sided stencil (-3f(x) + 4f(x+h) - f(x+2h))/2h at h and
h/2, extrapolated (Richardson), with h = 2⁻¹⁶·max(1, |x|) — exact for the piecewise-linear kinks
of the table, ~1e-10 for smooth pieces. A side whose quotient grows like 1/h is a jump (sign at 0):
it has no one-sided derivative; one that grows more slowly is an infinite slope (sqrt at 0). A
side outside the domain has none either.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.tape import evaluate

STEP = 2.0**-16  # times max(1, |x|): a power of two, so x ± h is exact where x is
JUMP = 1e-4  # relative change between the h and h/2 quotients beyond which a side counts as a jump
OFFSETS = np.array([0.0, 0.5, 1.0, 2.0])  # multiples of h on one side


@dataclass
class Side:
    """One side's derivative (None: none exists there) and why not."""

    value: float | None
    error: float = 0.0
    reason: str | None = None  # "jump" | "infinite" | "domain" when value is None


def _side(tape: Any, inputs: list[Any], slot: int, output: int, h: float) -> Side:
    x = inputs[slot]
    moved = list(inputs)
    moved[slot] = x + h * OFFSETS  # h < 0: the left side
    try:
        f = np.asarray(evaluate(tape, moved)[tape.outputs[output]], dtype=float)
    except AdcliError:
        return Side(None, reason="domain")
    f = np.broadcast_to(f, OFFSETS.shape)
    if not np.all(np.isfinite(f)):
        return Side(None, reason="domain")
    coarse = (-3 * f[0] + 4 * f[2] - f[3]) / (2 * h)
    fine = (-3 * f[0] + 4 * f[1] - f[2]) / h
    value = (4 * fine - coarse) / 3  # the O(h²) terms cancel
    error = abs(fine - coarse) + 8 * np.finfo(float).eps * float(np.max(np.abs(f))) / abs(h)
    if not math.isfinite(value) or abs(fine - coarse) > JUMP * max(1.0, abs(fine)):
        near, far = abs(f[1] - f[0]), abs(f[2] - f[0])  # a jump: the same gap at h/2 as at h
        return Side(None, error, "jump" if near > 0.9 * far else "infinite")
    return Side(_rounded(value, error), error)


def _rounded(value: float, error: float) -> float:
    """The value without the digits its error makes noise (-0.99999999998 ± 1e-10 -> -1)."""
    if error <= 0 or value == 0:
        return float(value)
    decimals = max(0, -math.floor(math.log10(error)) - 1)
    return float(round(value, min(decimals, 15)))


def entry(problem: Any, output: int, column: int) -> dict[str, Any]:
    """{"output", "wrt", "left", "right"} of ∂f_output/∂x_column at the problem's point (None: no such side)."""
    tape, name = problem.tape, problem.wrt[column]
    found: dict[str, Any] = {"output": output, "wrt": name, "left": None, "right": None}
    if name not in tape.names:
        return {**found, "left": 0.0, "right": 0.0}
    slot = tape.names.index(name)
    inputs = [np.float64(problem.point.get(n, 0.0)) for n in tape.names]
    h = STEP * max(1.0, abs(float(inputs[slot])))
    for key, sign in (("left", -1.0), ("right", 1.0)):
        side = _side(tape, inputs, slot, output, sign * h)
        found[key] = side.value
        if side.reason:
            found[f"{key}_none"] = side.reason
    return found


def describe(found: dict[str, Any]) -> str:
    """`left -1, right 1`, or `left: the function jumps` for a side that has no derivative."""
    words = {"jump": "the function jumps", "infinite": "infinite (a vertical tangent)", "domain": "outside the domain"}
    parts = []
    for key in ("left", "right"):
        value = found[key]
        parts.append(f"{key} {format(value, '.10g')}" if value is not None else f"{key}: {words[found[f'{key}_none']]}")
    return ", ".join(parts)
