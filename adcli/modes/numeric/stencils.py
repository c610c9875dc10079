"""Finite-difference stencils: exact steps, difference quotients, Richardson's tableau, domains' edges.

The machinery of numeric mode (adcli.modes.numeric.estimate), which says which stencil to use and when.

- A `Sampler` evaluates f at many points in one primal sweep of the tape (numpy arrays as inputs).
- A `Stencil` holds steps h_0 > h_1 > … (powers of 2 times the variable's size, so that x ± h is
  exact), central or one-sided; `Stencil.estimate` turns the values into a `Found`: the
  derivative and its error estimate, output by output.
- `tableau` is Richardson extrapolation in Neville's form, with an error estimate per entry.
- `refit` moves a stencil that leaves a function's domain back inside it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.tape import ERRSTATE, Tape, evaluate

EPS = float(np.finfo(float).eps)
LEVELS = 6  # Richardson: central differences at LEVELS steps, each half the one before
RELATIVE = {"richardson": 1 / 8, "central": EPS ** (1 / 3), "forward": EPS**0.5, "backward": EPS**0.5}
ULPS = 2.0  # round-off of one function value, in units of ε·|f| (the noise model)
UNCONVERGED = 1e-10  # an error estimate above this, relative to the yardstick, asks for smaller steps
DOUBT = 1e-2  # a truncation estimate above this, relative to the value, is not in the asymptotic range
SIDE = {"forward": 1, "backward": -1}
KIND = {0: "central", 1: "forward", -1: "backward"}
#: a stencil that left the domain (asin at 0.999999) or did not settle: steps this much smaller, at most
#: TRIES times in all (the numeric Hessian and numeric mode on arrays)
SHRINK = 2.0**-6
TRIES = 4
OVERFLOW = "the difference quotients overflow: the derivative is beyond the largest float (about 1.8e308)"


def size(x: float) -> float:
    """A variable's size for step choice: |x|, floored at 1 near 0 (Dennis and Schnabel's typical x)."""
    return max(abs(x), 1.0)


def yardstick(value: np.ndarray, magnitude: np.ndarray, x: float) -> np.ndarray:
    """What an error is measured against: |∂f/∂x|, or |f|/max(|x|, 1) where that is larger (f' near 0)."""
    return np.maximum(np.abs(value), magnitude / size(x))


@dataclass
class Found:
    """One column's answer: derivative and error estimate per output, the step used, and how."""

    value: np.ndarray
    error: np.ndarray
    step: float
    magnitude: np.ndarray  # max |f| over the stencil and x, per output
    stencil: Stencil | None  # None for the complex step
    noise: np.ndarray | None = None  # the round-off part of the error estimate
    slope: np.ndarray | None = None  # max |f(x ± h) − f(x)|/h over the stencil: the scale of a derivative near 0

    def unsettled(self, x: float, threshold: float = UNCONVERGED) -> bool:
        """Whether some output's error estimate exceeds `threshold` relative to its yardstick."""
        return bool(np.any(self.doubtful(x, threshold)))

    def doubtful(self, x: float, threshold: float) -> np.ndarray:
        """Per output: whether the estimate exceeds `threshold` relative to the yardstick, or is truncation
        larger than DOUBT relative to the value itself (1/x at 1e-20 with steps of 1/8: |f|/size is 1e20,
        but the quotients, of the order of 1e2, do not agree in their first digit)."""
        loose = ~(self.error <= threshold * yardstick(self.value, self.magnitude, x))
        truncation = np.ones_like(loose) if self.noise is None else self.error > 4 * self.noise
        return loose | (truncation & ~(self.error <= DOUBT * np.abs(self.value)))

    def truncated(self) -> bool:
        """Whether truncation (not round-off) dominates some error estimate: smaller steps could help."""
        return self.noise is None or bool(np.any(self.error > 4 * self.noise))

    def masked(self, keep: np.ndarray) -> Found:
        """Exact zeros (estimate 0) for the outputs that do not depend on this column (`keep` False)."""
        if keep.all():
            return self
        zero = lambda a: None if a is None else np.where(keep, a, 0.0)  # noqa: E731
        return Found(
            zero(self.value), zero(self.error), self.step, zero(self.magnitude), self.stencil, zero(self.noise),
            zero(self.slope),
        )  # fmt: skip

    def better(self, other: Found, x: float) -> Found:
        """Output by output, the answer with the smaller relative error estimate; a settled one first."""
        with np.errstate(over="ignore"):  # an estimate beyond the largest float beside a 0: infinitely worse
            mine = self.error / np.maximum(yardstick(self.value, self.magnitude, x), 1e-300)
            theirs = other.error / np.maximum(yardstick(other.value, other.magnitude, x), 1e-300)
        my_doubt, their_doubt = self.doubtful(x, DOUBT), other.doubtful(x, DOUBT)
        take = (my_doubt & ~their_doubt) | ((my_doubt == their_doubt) & (theirs < mine))
        if not take.any():
            return self
        pick = lambda a, b: np.where(take, b, a) if a is not None and b is not None else None  # noqa: E731
        magnitude = np.maximum(self.magnitude, other.magnitude)
        return Found(
            pick(self.value, other.value), pick(self.error, other.error), other.step, magnitude, other.stencil,
            pick(self.noise, other.noise), pick(self.slope, other.slope),
        )  # fmt: skip


# ---- evaluations --------------------------------------------------------------------------------


class Sampler:
    """f at many points in one primal sweep of the tape; counts the points and the sweeps."""

    def __init__(self, tape: Tape, base: Sequence[float], f0: np.ndarray, sigma: np.ndarray | None = None) -> None:
        self.tape, self.base, self.f0 = tape, [float(b) for b in base], np.asarray(f0, dtype=float)
        #: per output, f(x)'s own rounding error bound (adcli.modes.numeric.roundoff); None: 2 ulps of each value
        self.sigma = None if sigma is None else np.asarray(sigma, dtype=float)
        self.extent: np.ndarray | None = None  # per column: where f bends (adcli.modes.numeric.roundoff), or None
        self.nfev = 1  # f(x), evaluated for the value
        self.sweeps = 0

    def sweep(self, requests: Sequence[tuple[int, np.ndarray]]) -> list[Any]:
        """One primal sweep at all the requested points (column, points along it): every slot's values."""
        total = sum(len(points) for _, points in requests)
        kind = complex if any(np.iscomplexobj(points) for _, points in requests) else float
        moved = {column for column, _ in requests}
        inputs = [np.full(total, b, dtype=kind if k in moved else float) for k, b in enumerate(self.base)]
        start = 0
        for column, points in requests:
            inputs[column][start : start + len(points)] = points
            start += len(points)
        vals = evaluate(self.tape, inputs)
        self.nfev += total
        self.sweeps += 1
        return [np.broadcast_to(v, (total,)) for v in vals]

    def values(self, requests: Sequence[tuple[int, np.ndarray]]) -> list[np.ndarray]:
        """For each (column, points along it), the outputs there: arrays (outputs × points)."""
        vals = self.sweep(requests)
        out = np.array([vals[o] for o in self.tape.outputs])
        return np.split(out, np.cumsum([len(points) for _, points in requests])[:-1], axis=1)

    def measured(self, requests: Sequence[tuple[int, np.ndarray]]) -> list[tuple[np.ndarray, np.ndarray | None]]:
        """values(), each with the rounding error bound of every value (outputs × points; None: the 2-ulp model),
        from the same sweep (adcli.modes.numeric.roundoff): the noise of f where it was evaluated, not at x."""
        vals = self.sweep(requests)
        out = np.array([vals[o] for o in self.tape.outputs])
        cuts = np.cumsum([len(points) for _, points in requests])[:-1]
        if self.sigma is None or np.iscomplexobj(out):
            return [(fx, None) for fx in np.split(out, cuts, axis=1)]
        from adcli.modes.numeric.roundoff import value_errors

        noise = value_errors(self.tape, vals)
        return list(zip(np.split(out, cuts, axis=1), np.split(noise, cuts, axis=1), strict=True))

    def fits(self, column: int, point: float) -> bool:
        """Whether f can be evaluated with this variable moved to point (a probe of the domain)."""
        try:
            self.values([(column, np.array([point]))])
        except AdcliError:
            return False
        return True


# ---- stencils and the Richardson tableau --------------------------------------------------------


@dataclass(frozen=True)
class Stencil:
    """Difference quotients at steps h_0 > h_1 > …: central (side 0) or one-sided (side ±1)."""

    side: int
    steps: np.ndarray
    extrapolate: bool  # Richardson: extrapolate the tableau; plain: the last step's quotient

    def points(self, x: float) -> np.ndarray:
        if self.side == 0:
            return np.concatenate([x + self.steps, x - self.steps])
        return x + self.side * self.steps

    def quotients(  # noqa: PLR0913 - the values and their rounding bounds
        self,
        x: float,
        f0: np.ndarray,
        fx: np.ndarray,
        noise0: np.ndarray | None = None,
        noise: np.ndarray | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each step's difference quotient and its round-off (steps × outputs), over the exact spacings.

        The round-off of each value is 2 ulps of it, or its rounding bound (noise0 at x, noise at the
        points: adcli.modes.numeric.roundoff) where that is larger."""
        m = len(self.steps)
        near0 = rounding(f0, noise0)[:, None]
        near = rounding(fx, noise)
        if self.side == 0:
            upper, lower = fx[:, :m], fx[:, m:]
            upper_noise, lower_noise = near[:, :m], near[:, m:]
            width = (x + self.steps) - (x - self.steps)
        else:
            upper, lower = (fx, f0[:, None]) if self.side > 0 else (f0[:, None], fx)
            upper_noise, lower_noise = (near, near0) if self.side > 0 else (near0, near)
            width = np.abs((x + self.side * self.steps) - x)
        with np.errstate(over="ignore", invalid="ignore"):  # checked below: a slope beyond the largest float
            quotient = (upper - lower) / width
        if not np.all(np.isfinite(quotient)):
            raise AdcliError("nonfinite", OVERFLOW)
        with np.errstate(over="ignore"):  # f near the largest float: the sum overflows, not the estimate
            noise = (upper_noise + lower_noise) / width
        return quotient.T, noise.T

    def estimate(  # noqa: PLR0913 - the values and their rounding bounds
        self,
        x: float,
        f0: np.ndarray,
        fx: np.ndarray,
        noise0: np.ndarray | None = None,
        noise: np.ndarray | None = None,
    ) -> Found:
        """The derivative and its error estimate for every output, from the values fx at self.points(x)."""
        magnitude = np.maximum(np.abs(fx).max(axis=1), np.abs(f0))
        d, rounded = self.quotients(x, f0, fx, noise0, noise)  # a slope beyond the largest float: nonfinite
        with np.errstate(over="ignore"):
            slope = (np.abs(fx - f0[:, None]) / np.abs(self.points(x) - x)).max(axis=1)
            if noise is not None and noise0 is not None:  # a 0 made of terms (x*x - x^2): against their size
                slope = np.maximum(slope, np.maximum(noise.max(axis=1), noise0) / (ULPS * EPS * size(x)))
        noise = rounded
        order = 2 if self.side == 0 else 1  # the error series: h², h⁴, … central; h, h², … one-sided
        ratio = float(self.steps[0] / self.steps[1])
        if not self.extrapolate:  # the quotient at h, its truncation estimated from the one at 2h
            error = np.abs(d[1] - d[0]) / (ratio**order - 1) + noise[1]
            return Found(d[1], error, float(self.steps[1]), magnitude, self, noise[1], slope)
        best, error, used, round_off = tableau(d, noise, ratio, order)
        return Found(best, error, float(self.steps[used]), magnitude, self, round_off, slope)


def rounding(values: np.ndarray, bound: np.ndarray | None) -> np.ndarray:
    """The round-off of function values: 2 ulps each, or their rounding bound (same shape) where larger."""
    own = ULPS * EPS * np.abs(values)
    return own if bound is None else np.maximum(own, bound)


def tableau(
    d: np.ndarray, noise: np.ndarray, ratio: float, order: int
) -> tuple[np.ndarray, np.ndarray, int, np.ndarray]:
    """Richardson extrapolation (Neville's tableau) of quotients at steps h/ratio^j, errors in h^(order·k).

    Entry T[j][k] combines the steps j-k … j; its error estimate is its larger distance to the two
    entries it came from, plus its round-off carried through the weights. The entry with the
    smallest estimate wins, output by output. Returns (best, estimate, last step index used, round-off).
    """
    best, error, used, round_off = d[0].copy(), np.full(d.shape[1], np.inf), 0, noise[0].copy()
    previous, previous_noise = [d[0]], [noise[0]]
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for j in range(1, len(d)):
            row, row_noise = [d[j]], [noise[j]]
            for k in range(1, j + 1):
                q = ratio ** (order * k)
                entry = row[k - 1] + (row[k - 1] - previous[k - 1]) / (q - 1)
                entry_noise = (q * row_noise[k - 1] + previous_noise[k - 1]) / (q - 1)
                guess = np.maximum(np.abs(entry - row[k - 1]), np.abs(entry - previous[k - 1])) + entry_noise
                better = guess < error
                best, error = np.where(better, entry, best), np.where(better, guess, error)
                round_off = np.where(better, entry_noise, round_off)
                used = j if better.any() else used
                row.append(entry)
                row_noise.append(entry_noise)
            previous, previous_noise = row, row_noise
    return best, error, used, round_off


def stencil_for(method: str, extent: float, step: float | None = None, side: int | None = None) -> Stencil:
    """A method's stencil for a variable of size `extent` (or with the given largest step)."""
    # the floor keeps log2 finite for a subnormal extent (x = 5e-324): steps below it move nothing anyway
    h = step if step is not None else 2.0 ** round(math.log2(max(RELATIVE[method] * extent, 1e-300)))
    side = SIDE.get(method, 0) if side is None else side
    if method == "richardson":
        return Stencil(side, h * 0.5 ** np.arange(LEVELS), True)
    return Stencil(side, np.array([2 * h, h]), False)  # the step h, checked against 2h for the estimate


# ---- domain edges -------------------------------------------------------------------------------


def _room(sampler: Sampler, column: int, side: int, widest: float) -> float:
    """The largest power-of-2 step up to `widest` with f defined at x + side·step; 0 if none (bisection)."""
    x = sampler.base[column]
    high = math.floor(math.log2(widest))
    if sampler.fits(column, x + side * 2.0**high):
        return 2.0**high
    low = math.floor(math.log2(abs(np.spacing(x))))  # smaller steps do not move x
    if low >= high or not sampler.fits(column, x + side * 2.0**low):
        return 0.0
    while high - low > 1:  # f defined at 2^low, undefined at 2^high
        middle = (low + high) // 2
        low, high = (middle, high) if sampler.fits(column, x + side * 2.0**middle) else (low, middle)
    return 2.0**low


def usable(stencil: Stencil, x: float) -> bool:
    """Whether every step still moves x by at least a few units in the last place."""
    return bool(stencil.steps[-1] >= 4 * abs(np.spacing(x)))


def refit(sampler: Sampler, column: int, method: str, stencil: Stencil) -> tuple[Stencil, str] | None:
    """A stencil that stays inside the domain, and what was done, or None when x has no room on either side.

    The room on each side is probed; the step is rescaled to the room (the distance to the edge
    is the scale on which f changes there). A central stencil becomes one-sided only when one
    side has (next to) no room.
    """
    x, widest = sampler.base[column], float(stencil.steps[0])
    sides = (1, -1) if stencil.side == 0 else (stencil.side, -stencil.side)
    room = {side: _room(sampler, column, side, widest) for side in sides}
    if stencil.side == 0 and min(room.values()) > 0:
        rescaled = stencil_for(method, min(room.values()))
        if usable(rescaled, x):
            return rescaled, f"steps rescaled to the room inside the domain (about {min(room.values()):.3g})"
    for side in sorted(sides, key=lambda s: (s != stencil.side, -room[s])):
        if room[side] >= widest:
            one = Stencil(side, stencil.steps, stencil.extrapolate)
        elif room[side] > 0:
            one = stencil_for(method, room[side], side=side)
        else:
            continue
        if usable(one, x):
            how = "steps rescaled to the room inside the domain" if side == stencil.side else "a one-sided stencil"
            return one, f"{how} ({KIND[side]}, steps up to {one.steps[0]:.3g})"
    return None
