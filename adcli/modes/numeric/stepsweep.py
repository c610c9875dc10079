"""The error-versus-step "V curve" of finite differences, for one partial derivative (`--sweep`).

Shrinking the step h shrinks the truncation error (like h² for central differences, h for
one-sided ones) and grows the round-off (like ε·|f|/h): on log-log axes the total error is a V
whose bottom is near h = ε^(1/3)·size (central) or ε^(1/2)·size (one-sided). The curve is data;
adcli.render.results draws it. The exact derivative it is measured against comes from forward-mode AD on
the same tape (or, where AD cannot give it, from numeric mode's own Richardson answer).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError
from adcli.core.tape import ERRSTATE, Tape, evaluate, local_partials
from adcli.modes import forward
from adcli.modes.numeric.estimate import Estimate, Options
from adcli.modes.numeric.stencils import Sampler, size

DECADES = 16  # steps from size(x) down to size(x)·1e-16
PER_DECADE = 2


def _reference(tape: Tape, base: Sequence[float], column: int, found: Estimate) -> tuple[float, str]:
    """∂f₁/∂x_column by forward-mode AD, else numeric mode's own answer."""
    try:
        active = tape.active([tape.names[column]])
        vals = evaluate(tape, base, active)
        partials = local_partials(tape, vals, active)
        seed: list[Any] = [None] * tape.n_inputs
        seed[column] = np.float64(1.0)
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            tangent = float(forward.jvp(tape, vals, partials, seed)[0])
        if np.isfinite(tangent):
            return tangent, "forward-mode AD"
    except (AdcliError, FloatingPointError):
        pass
    return float(found.jacobian[0, column]), "numeric mode's own answer"


def _sample(sampler: Sampler, column: int, x: float, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """f₁ at x + h and x − h for every step: one sweep, or step by step (nan where outside the domain)."""
    try:
        (fx,) = sampler.values([(column, np.concatenate([x + steps, x - steps]))])
        return fx[0, : len(steps)], fx[0, len(steps) :]
    except AdcliError:
        upper, lower = np.full(len(steps), np.nan), np.full(len(steps), np.nan)
        for n, h in enumerate(steps):
            for side, out in ((1, upper), (-1, lower)):
                try:
                    out[n] = sampler.values([(column, np.array([x + side * h]))])[0][0, 0]
                except AdcliError:
                    pass
        return upper, lower


def curve(
    tape: Tape, base: Sequence[float], f0: np.ndarray, wrt: Sequence[str], options: Options, found: Estimate
) -> dict[str, Any]:
    """Central and forward differences of ∂f₁/∂(first wrt) at 33 steps over 16 decades, with relative errors."""
    if not wrt:
        raise AdcliError("usage_error", "--sweep needs a variable to differentiate with respect to")
    column, x = 0, float(base[0])
    steps = _top(x, found.steps[column], options.method) * 10.0 ** (-np.arange(DECADES * PER_DECADE + 1) / PER_DECADE)
    reference, source = _reference(tape, base, column, found)
    sampler = Sampler(tape, base, f0)
    upper, lower = _sample(sampler, column, x, steps)
    with np.errstate(all="ignore"):
        central = (upper - lower) / ((x + steps) - (x - steps))
        one_sided = (upper - f0[0]) / ((x + steps) - x)
        scale = abs(reference) or 1.0  # relative errors (absolute where the derivative is 0)
    rows = [
        {
            "step": float(h),
            "central": _number(c),
            "central_error": _number(abs(c - reference) / scale),
            "forward": _number(f),
            "forward_error": _number(abs(f - reference) / scale),
        }
        for h, c, f in zip(steps, central, one_sided, strict=True)
    ]
    return {
        "wrt": wrt[column],
        "output": 1,
        "at": x,
        "reference": reference,
        "reference_from": source,
        "method": options.method,
        "chosen_step": found.steps[column],
        "rows": rows,
        "nfev": sampler.nfev - 1,
    }


def _top(x: float, chosen: float | None, method: str) -> float:
    """The largest step shown: size(x), or less when numeric mode had to go far smaller (a domain's edge)."""
    if chosen is None or method == "complex":
        return size(x)
    return min(size(x), 10.0 ** math.ceil(math.log10(chosen * 1e6)))


def _number(v: float) -> float | None:
    """A finite float, or None (JSON null) where the step left the domain."""
    return float(v) if np.isfinite(v) else None
