"""Reverse mode: adjoints pulled from outputs back to inputs, one sweep per output (Jacobian by rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adcli.core.tape import ERRSTATE, Tape, ones_like


def adjoint_sweep(tape: Tape, partials: Sequence[tuple[Any, ...] | None], cotangent: Sequence[Any]) -> list[Any]:
    """v̄ⱼ += v̄ᵢ · ∂vᵢ/∂vⱼ from the last slot back, seeded with ȳ = cotangent (one per output)."""
    adjoints: list[Any] = [None] * len(tape.nodes)
    for slot, weight in zip(tape.outputs, cotangent, strict=True):
        if weight is not None:
            adjoints[slot] = weight if adjoints[slot] is None else adjoints[slot] + weight
    args = tape.args
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(len(adjoints) - 1, tape.first_op - 1, -1):
            g, local = adjoints[s], partials[s]
            if g is None or local is None:
                continue
            for p, j in zip(local, args[s], strict=True):
                if p is not None:
                    adjoints[j] = p * g if adjoints[j] is None else adjoints[j] + p * g
    return adjoints


def vjp(
    tape: Tape, vals: Sequence[Any], partials: Sequence[tuple[Any, ...] | None], cotangent: Sequence[Any]
) -> list[Any]:
    """vᵀ·J in one sweep: the inputs' adjoints for output weights `cotangent`."""
    adjoints = adjoint_sweep(tape, partials, cotangent)
    return [np.zeros_like(vals[k]) if adjoints[k] is None else adjoints[k] for k in range(tape.n_inputs)]


def jacobian(tape: Tape, vals: Sequence[Any], partials: Sequence[tuple[Any, ...] | None], wrt: int) -> list[list[Any]]:
    """The Jacobian's rows (first `wrt` columns), one adjoint sweep per output."""
    rows = []
    for i, out in enumerate(tape.outputs):
        cot: list[Any] = [None] * len(tape.outputs)
        cot[i] = ones_like(vals[out])
        rows.append(vjp(tape, vals, partials, cot)[:wrt])
    return rows
