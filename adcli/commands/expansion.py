"""What `adcli taylor` returns, on scalars and on arrays alike: the `Expansion` record, the polynomial
printed from the coefficients, and the rounding check's verdict (two expansions that disagree).

Kept apart from adcli.commands.taylor so that the array command (adcli.commands.arraytaylor) shares
them without the two commands importing each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core.errors import AdcliWarning
from adcli.core.printing import to_latex, to_text


@dataclass
class Expansion:
    """What `adcli taylor` found (the JSON object of the README's taylor section)."""

    input: str
    read_as: str
    at: dict[str, float]
    order: int
    value: float
    coefficients: list[float]
    derivatives: list[float]
    variable: str  # the polynomial's variable: the input's own for one variable, else t
    direction: dict[str, float] | None  # None: one variable, expanded in it
    polynomial: str
    latex: str | None = None
    cost: dict[str, int] = field(default_factory=dict)
    warnings: list[AdcliWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: getattr(self, k) for k in ("input", "read_as", "at", "order", "value")}
        out.update(mode="taylor", coefficients=self.coefficients, derivatives=self.derivatives)
        out.update(variable=self.variable, direction=self.direction, polynomial=self.polynomial)
        if self.latex is not None:
            out["latex"] = self.latex
        out["cost"] = dict(self.cost)
        out["warnings"] = [w.to_dict() for w in self.warnings]
        out["notes"] = list(self.notes)
        return out


RESCALE = 0.7  # the second expansion's direction: not a power of 2, so its roundings differ
AGREE = 1e-8  # coefficients of the two expansions that differ by more than this (relative) are not trusted


def disagreement(coefficients: np.ndarray, again: np.ndarray | None, order: int) -> list[AdcliWarning]:
    """The `inaccurate` warning when the expansion along 0.7·direction (again) disagrees with the first."""
    if again is None or order < 2:
        return []
    with np.errstate(all="ignore"):
        other = np.asarray(again, dtype=float) / RESCALE ** np.arange(order + 1)
        c = np.asarray(coefficients, dtype=float)
        spread = np.abs(c - other)
        bad = np.flatnonzero(spread > AGREE * np.maximum(np.abs(c), np.abs(other)))
    if not len(bad):
        return []
    k = int(bad[0])
    worst = float(np.max(spread[bad] / np.maximum(np.abs(c[bad]), np.abs(other[bad]))))
    message = (
        f"the Taylor coefficients from order {k} on are not accurate: two expansions with different roundings "
        f"differ by up to {worst:.2g} relative (rounding amplified from order to order, as in a quotient by a "
        "series that is small nearby, or coefficients that cancel to 0)"
    )
    return [AdcliWarning("inaccurate", message, {"order": k, "relative_spread": worst})]


def polynomial(
    coefficients: Sequence[float], variable: str, centre: float, digits: int = 17, latex: bool = False
) -> str:
    """c₀ + c₁·(x − a) + c₂·(x − a)^2 + … in the input syntax (or LaTeX), printed by adcli.printing from a
    graph of the polynomial (so it parses back); zero terms are left out, coefficients to `digits` digits."""
    from adcli.core.graph import const, make, var

    rounded = [float(f"{c:.{digits}g}") if digits < 17 else float(c) for c in coefficients]
    x = var(variable)
    if centre != 0:
        x = make("sub" if centre > 0 else "add", (x, const(abs(centre))))
    total = None
    for k, c in enumerate(rounded):
        if c == 0:
            continue
        power = None if k == 0 else x if k == 1 else make("pow", (x, const(k)))
        size = const(abs(c))
        term = size if power is None else power if abs(c) == 1 else make("mul", (size, power))
        if total is None:
            total = make("neg", (term,)) if c < 0 else term
        else:
            total = make("sub" if c < 0 else "add", (total, term))
    if total is None:
        return "0"
    return to_latex(total) if latex else to_text(total)
