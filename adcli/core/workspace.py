"""Arrays a prepared tape's sweeps write into (numpy's `out=`) and find again on the next call.

Why: numpy takes a large array from malloc, and glibc maps each one above its mmap threshold fresh
from the kernel and unmaps it when freed, so every page of it faults in again on first touch. On the
2-core host that is ~3 µs a page: 1.5 ms for one 256×1024 matrix of the network loss, more than the
tanh over it. A hand-written numpy backward pass pays that for each temporary; a tape differentiated
again (the API's repeated calls, a Jacobian's sweeps) writes its elementwise values and adjoints into
the arrays of the last call instead.

Only what never leaves a call is kept: intermediate slots (not the inputs, whose adjoints are the
gradient, nor the outputs, whose values are the result), each in its own array, so that no two
live values share memory. A tape keeps one workspace (a call running meanwhile, in another thread,
makes its own), and none past MAX_BYTES.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

#: entries below which an array is not kept: malloc serves small ones from its own free lists, without faults
MIN_ENTRIES = 8_192
#: bytes one tape may keep between calls (values and adjoints); a bigger problem allocates as numpy does
MAX_BYTES = 256 * 2**20


class Workspace:
    """One tape's kept arrays: per slot, one for its value and one for its adjoint, and a fused slot's two more
    (its partial and a scratch array: core/tanh.py); the byte budget counts four a slot."""

    __slots__ = ("adjoints", "kept", "plans", "spares", "values")

    def __init__(self, tape: Any) -> None:
        shapes, outputs = tape.shapes, set(tape.outputs)
        self.kept = [
            s >= tape.first_op and s not in outputs and math.prod(shapes[s]) >= MIN_ENTRIES for s in range(len(shapes))
        ]
        if 4 * 8 * sum(math.prod(shapes[s]) for s, k in enumerate(self.kept) if k) > MAX_BYTES:
            self.kept = [False] * len(shapes)
        self.values: dict[int, np.ndarray] = {}
        self.adjoints: dict[int, np.ndarray] = {}
        self.plans: dict[tuple[str, ...], Any] = {}  # per wrt: the sweeps compiled onto these arrays (core/plan.py)
        self.spares: dict[int, np.ndarray] = {}  # a fused slot's partial and scratch (core/tanh.py): 2·slot, 2·slot + 1

    def value(self, slot: int, shape: tuple[int, ...]) -> np.ndarray | None:
        """The array slot's value is written into, or None where values are not kept."""
        return _array(self.values, slot, shape) if self.kept[slot] else None

    def adjoint(self, slot: int, shape: tuple[int, ...]) -> np.ndarray | None:
        return _array(self.adjoints, slot, shape) if self.kept[slot] else None

    def spare(self, slot: int, k: int, shape: tuple[int, ...]) -> np.ndarray | None:
        """A fused slot's k-th extra array (0: its partial, 1: scratch), or None where not kept."""
        return _array(self.spares, 2 * slot + k, shape) if self.kept[slot] else None


def _array(store: dict[int, np.ndarray], slot: int, shape: tuple[int, ...]) -> np.ndarray:
    found = store.get(slot)
    if found is None or found.shape != shape:
        found = store[slot] = np.empty(shape)
    return found


def take(tape: Any) -> Workspace:
    """The tape's workspace, taken out of it for the call (a call running meanwhile makes its own)."""
    spare = tape.workspaces
    try:
        return spare.pop()
    except IndexError:
        return Workspace(tape)


def give_back(tape: Any, workspace: Workspace) -> None:
    if not tape.workspaces:
        tape.workspaces.append(workspace)
