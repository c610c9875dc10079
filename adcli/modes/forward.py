"""Forward mode: tangents pushed from inputs to outputs, one sweep per direction (Jacobian by columns)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from adcli.core.tape import ERRSTATE, Tape, ones_like


def tangent_sweep(tape: Tape, partials: Sequence[tuple[Any, ...] | None], seed: Sequence[Any]) -> list[Any]:
    """v̇ᵢ = Σⱼ ∂vᵢ/∂vⱼ · v̇ⱼ over the tape, with v̇ of the inputs given by seed (None means zero)."""
    tangents: list[Any] = list(seed) + [None] * (len(tape.nodes) - len(seed))
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(tangents)):
            local = partials[s]
            if local is None:
                continue
            total = None
            for p, j in zip(local, tape.args[s], strict=True):
                t = tangents[j]
                if p is not None and t is not None:
                    total = p * t if total is None else total + p * t
            tangents[s] = total
    return tangents


def jvp(
    tape: Tape, vals: Sequence[Any], partials: Sequence[tuple[Any, ...] | None], direction: Sequence[Any]
) -> list[Any]:
    """J·v in one sweep: the outputs' tangents for input tangents `direction` (one per tape input)."""
    tangents = tangent_sweep(tape, partials, direction)
    return [np.zeros_like(vals[o]) if tangents[o] is None else tangents[o] for o in tape.outputs]


def jacobian(tape: Tape, vals: Sequence[Any], partials: Sequence[tuple[Any, ...] | None], wrt: int) -> list[list[Any]]:
    """The first `wrt` input columns of the Jacobian, one tangent sweep per column."""
    columns = []
    for k in range(wrt):
        seed: list[Any] = [None] * tape.n_inputs
        seed[k] = ones_like(vals[k])
        columns.append(jvp(tape, vals, partials, seed))
    return [[columns[k][i] for k in range(wrt)] for i in range(len(tape.outputs))]
