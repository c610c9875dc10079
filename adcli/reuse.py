"""The Python API's memory of its last few problems: a call repeated with the same text and a point of
the same names and shapes reuses the parse, the checks and the tape (with its workspace) of the last.

Why: `adcli.gradient(LOSS, W1=…, b1=…, …)` in a training loop parsed the text and built and shape-checked
the tape on every step, 0.2 ms of the network loss's 0.5 ms at h = 64, and a fresh tape's arrays
faulted in again (adcli.core.workspace). JAX's jit caches on the shapes of the arguments the same way.
Only the structure of the point is the key: the values are bound anew on every call, so nothing of a
call's values survives into the next one's answer.
"""

from __future__ import annotations

import contextlib
import threading
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

#: problems remembered (each keeps its tape and that tape's workspace, at most workspace.MAX_BYTES)
MAX_RECENT = 8
#: longer texts are not remembered (their tapes are big; parsing them is a small part of their cost)
MAX_TEXT = 100_000


class Template:
    """What a problem's text and the structure of its point decide: everything but the values. (A plain
    class: a dataclass's generated code cost a start-up that never calls the API twice ~1 ms.)"""

    __slots__ = ("first", "own", "parsed", "tape", "warnings", "wrt")

    def __init__(self, parsed: Any, wrt: list[str], tape: Any, warnings: list[Any], own: dict[str, Any], first: Any):
        self.parsed, self.wrt, self.tape, self.warnings = parsed, wrt, tape, warnings
        self.own = own  # the values of the text's own point (`at y=3`), the same on every call
        self.first = first  # the first problem made from it (its outputs' texts, once made, serve the later ones)


_recent: OrderedDict[tuple, Template] = OrderedDict()
_lock = threading.Lock()


def key(text: str, at: Any, wrt: Sequence[str] | None, strict: bool) -> tuple | None:
    """The key of a call whose point is a mapping of numbers and arrays; None where it is not remembered."""
    if not (type(at) is dict or isinstance(at, Mapping)) or len(text) > MAX_TEXT:  # a dict: no ABC check
        return None
    try:
        structure = tuple([(str(k), v.shape if type(v) is np.ndarray else np.shape(v)) for k, v in at.items()])
    except (TypeError, ValueError):  # a ragged list: the usual path says what is wrong
        return None
    return text, strict, None if wrt is None else tuple(wrt), structure


_suspended = 0  # > 0: calls neither use nor add to the memory (suspended())


@contextlib.contextmanager
def suspended() -> Iterator[None]:
    """Within it, every call is a first call and leaves the memory as it was (benchmarks/arrays.py times
    first calls this way without making the repeated calls' next one a first call too)."""
    global _suspended
    with _lock:
        _suspended += 1
    try:
        yield
    finally:
        with _lock:
            _suspended -= 1


def recall(found: tuple) -> Template | None:
    if _suspended:
        return None
    with _lock:
        template = _recent.get(found)
        if template is not None:
            _recent.move_to_end(found)
        return template


def remember(found: tuple, template: Template) -> None:
    if _suspended:
        return
    with _lock:
        _recent[found] = template
        while len(_recent) > MAX_RECENT:
            _recent.popitem(last=False)


def forget() -> None:
    """Clear the memory (the benchmarks time a first call this way)."""
    with _lock:
        _recent.clear()
