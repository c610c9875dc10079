"""Elementwise work on big arrays split over a few threads (PyTorch's intra-op parallelism), same digits.

Why: numpy's BLAS uses every core for a matrix product, but a ufunc runs on one, and the network loss's
tanh alone is half its gradient (issue 12). numpy's ufuncs release the GIL, so threads running one
ufunc each on a stretch of the output do the work in parallel, and each entry is computed by the same
loop as before: the numbers are bit-identical to one thread's. Reductions (sums over an axis) stay on
one thread: a split would change their order of summation, and their digits.

How many: ADCLI_NUM_THREADS if set; else one where OMP_NUM_THREADS or OPENBLAS_NUM_THREADS is 1 (the
command line sets the latter for scalar work); else the cores this process may run on. A chunk has at
least GRAIN entries (PyTorch's grain), so small arrays, and every scalar, run as before on the caller's
thread; the pool starts at its first big array, never at import (the command line's start-up).
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

#: fewest entries a thread is given (PyTorch's internal grain: below it, handing work over costs more)
GRAIN = 32_768

_count: int | None = None
_pool: ThreadPoolExecutor | None = None


def count() -> int:
    """The threads elementwise work may use (read once: the environment as the first big array found it)."""
    global _count
    if _count is None:
        _count = _from_environment(os.environ)
    return _count


def _from_environment(env: Any) -> int:
    own = env.get("ADCLI_NUM_THREADS", "").strip()
    if own.isdigit() and int(own) >= 1:
        return int(own)
    if any(env.get(name, "").strip() == "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")):
        return 1
    cores = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    return max(1, len(cores))


def pieces(entries: int) -> int:
    """Into how many stretches work over this many entries is split (1: not at all)."""
    return 1 if entries < 2 * GRAIN else max(1, min(count(), entries // GRAIN))


def run(tasks: Sequence[Callable[[], Any]]) -> None:
    """Run the tasks, the first on this thread and the others on the pool; return when all are done.
    Each runs in a copy of this thread's context (np.errstate is one: a worker raises as the caller would);
    the first error (a Ctrl-C too) is raised here, after every task has finished (none writes on afterwards)."""
    global _pool
    if len(tasks) == 1:
        tasks[0]()
        return
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=max(1, count() - 1), thread_name_prefix="adcli")
    futures = [_pool.submit(contextvars.copy_context().run, task) for task in tasks[1:]]
    failure: BaseException | None = None
    try:
        tasks[0]()
    except BaseException as exc:  # noqa: BLE001 - Ctrl-C too: raised below, once the others have finished
        failure = exc
    for future in futures:
        failure = _outcome(future, failure)
    if failure is not None:
        raise failure


def _outcome(future: Any, failure: BaseException | None) -> BaseException | None:
    """The first error so far, once the task has finished: a Ctrl-C while waiting is kept, not raised at once,
    for a worker may still be writing, and the C kernel's (core/tanh.py) write through bare pointers into
    arrays that the caller's frames free on their way out."""
    while True:
        try:
            found = future.exception()
        except BaseException as exc:  # noqa: BLE001 - raised by run, after the wait
            failure = failure or exc
            continue
        return failure or found


def bounds(n: int, k: int) -> list[tuple[int, int]]:
    """k stretches of range(n), as even as can be."""
    cuts = [n * i // k for i in range(k + 1)]
    return list(zip(cuts[:-1], cuts[1:], strict=True))


def ufunc(fn: np.ufunc, args: Sequence[Any], out: np.ndarray) -> np.ndarray:
    """fn(*args, out=out), split along out's first axis where out is big; numpy's broadcasting kept (an
    argument with out's rows is cut like it; one broadcast along them, or a scalar, is given whole)."""
    k = pieces(out.size) if out.ndim else 1
    k = min(k, out.shape[0]) if k > 1 else 1
    if k == 1:
        return fn(*args, out=out)
    rows = out.shape[0]

    def task(lo: int, hi: int) -> Callable[[], Any]:
        cut = [a[lo:hi] if np.ndim(a) == out.ndim and np.shape(a)[0] == rows else a for a in args]
        return lambda: fn(*cut, out=out[lo:hi])

    run([task(lo, hi) for lo, hi in bounds(rows, k)])
    return out
