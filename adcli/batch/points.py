"""Many points at once: spans and lists from --at, rows from --points, crossed (grid) or zipped.

A point whose values are numpy arrays is evaluated by the same tape sweeps as a single point,
elementwise: one sweep over the arrays per chunk of points, never a Python loop per point.

    --at x=0:1:11        11 values from 0 to 1 (start:stop:count, like numpy.linspace)
    --at x=[0,0.5,1]     a list of values
    --points pts.csv     rows of a table whose header names the variables (adcli.batch.table)

Several spans, lists and tables are crossed by default (`--grid`: every combination, the first
varying slowest, like itertools.product) or paired (`--zip`: equal lengths, the i-th with the
i-th). Single values broadcast to every point.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from adcli.core import numbers
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.printing import format_number
from adcli.language.parser import Binding

GRID, ZIP = "grid", "zip"
DEFAULT_COMBINE = GRID
CHUNK = 1 << 15  # points per sweep: arrays stay in cache and memory stays bounded
BYTES_PER_VALUE = 8
PointValue = Any  # a float, a Column (adcli.batch.points) or a numpy array


# ---- building a point set -----------------------------------------------------------------------


def _count(b: Binding) -> int:
    """How many values a span, list or table column has (a span's are not made yet)."""
    if b.kind != "span":
        return len(b.values)
    start, stop, count = b.values
    said = f"{b.name}={format_number(start)}:{format_number(stop)}:{count:g}"
    problem = numbers.span_problem(start, stop, count)
    if problem is not None:
        raise AdcliError("usage_error", f"{said}: {problem}")
    return int(count)


def axis_values(b: Binding) -> np.ndarray:
    """A span's or a list's values as a 1-D float array."""
    if b.kind == "span":
        return np.linspace(b.values[0], b.values[1], _count(b))
    return np.asarray(b.values, dtype=float).reshape(-1)


DEFAULT_BUDGET = 128 << 20  # bytes of answers a point set may hold without ADCLI_MEMORY_LIMIT


def memory_budget() -> int:
    """Bytes a point set may take: ADCLI_MEMORY_LIMIT if set, else 128 MiB, or half the memory available now
    if that is less. (Half the available memory let `eval x --at x=0:1:1e9` hold 7.8 GB of answers.)"""
    configured = os.environ.get("ADCLI_MEMORY_LIMIT")
    if configured:
        return _size_setting(configured)
    return min(DEFAULT_BUDGET, _half_available())


def _half_available() -> int:
    try:
        with open("/proc/meminfo", encoding="ascii") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024 // 2
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // 2
    except (ValueError, OSError, AttributeError):
        return 2 << 30


_UNITS = {"": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12, "ki": 2**10, "mi": 2**20, "gi": 2**30, "ti": 2**40}
_SIZE = re.compile(r"\s*((?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?)\s*([kmgt]i?)?b?\s*", re.ASCII | re.IGNORECASE)


def _size_setting(text: str) -> int:
    """ADCLI_MEMORY_LIMIT: bytes, or with a unit (500MB, 2GiB; KB/MB/GB are powers of 1000, as shown)."""
    m = _SIZE.fullmatch(text)
    value = float(m.group(1)) * _UNITS[(m.group(2) or "").lower()] if m else 0.0
    if not (m and math.isfinite(value) and value >= 1):
        example = "write bytes (1000000) or with a unit (500MB, 2GiB)"
        raise AdcliError("usage_error", f"ADCLI_MEMORY_LIMIT={text!r} is not a size: {example}")
    return int(value)


def _bytes(n: int) -> str:
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if n < 1000 or unit == "PB":
            return f"{n:,} {unit}" if unit == "bytes" else f"{n:.3g} {unit}"
        n /= 1000  # type: ignore[assignment]
    return f"{n} bytes"  # pragma: no cover


def check_size(lengths: Sequence[tuple[str, int]], combine: str, arrays: int) -> int:
    """The number of points, refused (limit_exceeded) before anything is allocated when too large."""
    total = math.prod(n for _, n in lengths) if combine == GRID else max((n for _, n in lengths), default=1)
    needed = total * max(arrays, 1) * BYTES_PER_VALUE
    budget = memory_budget()
    if needed > budget:
        shape = " × ".join(f"{name}: {n:,}" for name, n in lengths)
        raise AdcliError(
            "limit_exceeded",
            f"the point set has {total:,} points ({shape}), {_bytes(needed)} for one number per point; "
            f"the limit is {_bytes(budget)}: use fewer points"
            + (" or --zip" if combine == GRID and len(lengths) > 1 else ""),
        )
    if total == 0:
        raise AdcliError("usage_error", "the point set is empty: there are no points to evaluate")
    return total


def _axes(point: Mapping[str, Any]) -> list[tuple[list[str], list[Binding], int]]:
    """Spans and lists are one axis each; the columns of one table ("rows") share one axis."""
    axes: list[tuple[list[str], list[Binding], int]] = []
    tables: dict[str, tuple[list[str], list[Binding], int]] = {}
    for name, b in point.items():
        if not isinstance(b, Binding):
            continue
        n = _count(b)
        table = tables.get(b.table) if b.kind == "rows" else None
        if b.kind != "rows":
            axes.append(([name], [b], n))
        elif table is None:
            tables[b.table] = ([name], [b], n)
            axes.append(tables[b.table])
        elif n != table[2]:
            raise AdcliError("usage_error", f"{name} has {n} values, {table[0][0]} has {table[2]}")
        else:
            table[0].append(name)
            table[1].append(b)
    return axes


def _linspace(start: float, stop: float, count: int, k: np.ndarray) -> np.ndarray:
    """Values k of numpy.linspace(start, stop, count), the same arithmetic, without making the others."""
    if count == 1:
        return np.full(k.shape, float(start))
    div, delta = count - 1, stop - start
    step = delta / div
    y = k * 1.0
    y = y / div * delta if step == 0 else y * step
    y += start
    y[k == div] = stop
    return y


class Column:
    """One variable's values over a point set, made chunk by chunk: a grid is never materialised.

    Point i takes value `(i // inner) % len(axis)` of its axis (a span, a list, a table column or an
    array). `np.asarray(column)` makes them all (the Python API's `result.at["x"]`).
    """

    ndim = 1

    def __init__(self, axis: Binding, n_axis: int, inner: int, total: int) -> None:
        self.axis, self.n_axis, self.inner, self.total = axis, n_axis, inner, total
        self.values = None if axis.kind == "span" else np.asarray(axis.values, dtype=float).reshape(-1)

    def __len__(self) -> int:
        return self.total

    def take(self, index: np.ndarray) -> np.ndarray:
        """The values at the points `index` (an integer array)."""
        k = index if self.inner == 1 and self.n_axis == self.total else index // self.inner % self.n_axis
        if self.values is not None:
            return self.values[k]
        return _linspace(self.axis.values[0], self.axis.values[1], self.n_axis, k)

    def chunk(self, start: int, stop: int) -> np.ndarray:
        if self.values is not None and self.inner == 1 and self.n_axis == self.total:
            return self.values[start:stop]
        return self.take(np.arange(start, stop))

    def __getitem__(self, i: int | slice) -> Any:
        if isinstance(i, slice):
            return self.chunk(*i.indices(self.total)[:2])
        return float(self.take(np.array([i if i >= 0 else self.total + i]))[0])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        return self.chunk(0, self.total).astype(dtype or float, copy=False)

    def tolist(self) -> list[float]:
        return self.chunk(0, self.total).tolist()


MANY = (Column, np.ndarray)


def expand(point: Mapping[str, Any], combine: str = DEFAULT_COMBINE) -> dict[str, PointValue]:
    """name -> float or Binding (span, list, rows) becomes name -> float or Column (all one length).

    The size is checked from the lengths alone; the values are made later, a chunk at a time.
    """
    if combine not in (GRID, ZIP):
        raise AdcliError("usage_error", f"unknown combination {combine!r}: choose grid or zip")
    axes = _axes(point)
    lengths = [("/".join(names), n) for names, _, n in axes]
    if combine == ZIP and len({n for _, n in lengths}) > 1:
        shown = ", ".join(f"{name} has {n}" for name, n in lengths)
        raise AdcliError("usage_error", f"--zip pairs values one to one, so they need equal lengths: {shown}")
    total = check_size(lengths, combine, 1)  # at least one answer per point; over_chunks counts them all
    out: dict[str, PointValue] = {k: v for k, v in point.items() if not isinstance(v, Binding)}
    inner = total
    for names, bindings, n in axes:
        inner = inner // n if combine == GRID else 1
        out.update((name, Column(b, n, inner, total)) for name, b in zip(names, bindings, strict=True))
    return {k: out[k] for k in point}  # the column order stays the point's


def size(point: Mapping[str, Any]) -> int:
    """How many points a point holds (1 for plain numbers)."""
    return max(
        (v.size if isinstance(v, np.ndarray) else len(v) for v in point.values() if isinstance(v, MANY)), default=1
    )


def is_many(point: Mapping[str, Any]) -> bool:
    return any(isinstance(v, MANY) for v in point.values())


def column(v: Any, start: int, stop: int) -> np.ndarray:
    """Points [start, stop) of a point's or an answer's entry: a Column's chunk, an array's slice, a number repeated."""
    if isinstance(v, Column):
        return v.chunk(start, stop)
    if isinstance(v, np.ndarray) and v.ndim:
        return v[start:stop]
    return np.full(stop - start, float(v))


def at(point: Mapping[str, Any], i: int) -> dict[str, float]:
    """The i-th point as plain numbers."""
    return {k: float(v[i]) if isinstance(v, MANY) else float(v) for k, v in point.items()}


def describe(point: Mapping[str, Any], i: int, shown: str = "") -> str:
    """`point 7 of 11: x = 0.6, y = 2`: a point named for a message (names already in `shown` left out)."""
    values = ", ".join(f"{k} = {format_number(v)}" for k, v in at(point, i).items() if f"{k} = " not in shown)
    return f"point {i + 1:,} of {size(point):,}" + (f": {values}" if values else "")


# ---- evaluating a point set in chunks ------------------------------------------------------------

POINTWISE = ("domain_error", "nonfinite")
EXPLAINED = 1000  # failed points explained by running each alone; later ones by the primal sweep there


def _with(problem: Any, point: dict[str, Any]) -> Any:
    return replace(problem, point=point)


def _slice(problem: Any, start: int, stop: int) -> Any:
    point = {k: column(v, start, stop) if isinstance(v, MANY) else v for k, v in problem.point.items()}
    return _with(problem, point)


def _take(problem: Any, index: np.ndarray) -> Any:
    def pick(v: Any) -> Any:
        if isinstance(v, Column):
            return v.take(index)
        return v[index] if isinstance(v, np.ndarray) else v

    return _with(problem, {k: pick(v) for k, v in problem.point.items()})


def _one(problem: Any, i: int) -> Any:
    return _with(problem, at(problem.point, i))


def _first_failure(problem: Any, run: Callable[[Any], Any], start: int, stop: int) -> int:
    """The first point of [start, stop) where run fails: halve the range, keep the failing half."""
    while stop - start > 1:
        mid = (start + stop) // 2
        try:
            run(_slice(problem, start, mid))
        except AdcliError as exc:
            if exc.kind not in POINTWISE:
                raise
            stop = mid
        else:
            start = mid
    return start


def _named(exc: AdcliError, point: Mapping[str, Any], i: int) -> AdcliError:
    """`… at x = -1 (point 41 of 43, y = 2)`: the point added, without repeating values already said."""
    exc.message = f"{exc.message} ({describe(point, i, exc.message)})"
    return exc


def _locate(problem: Any, run: Callable[[Any], Any], start: int, stop: int, exc: AdcliError) -> AdcliError:
    """The error as the first offending point alone gives it, with that point named."""
    i = _first_failure(problem, run, start, stop)
    try:
        run(_one(problem, i))
    except AdcliError as alone:
        exc = alone
    return _named(exc, problem.point, i)


def _mark(found: Any, slot: int, kind: int, slots: np.ndarray, kinds: np.ndarray) -> None:
    new = np.broadcast_to(found, slots.shape) & (slots < 0)
    if new.any():
        slots[new], kinds[new] = slot, kind


def _primal_failures(problem: Any, start: int, stop: int) -> tuple[np.ndarray, np.ndarray]:
    """Where the primal sweep fails in [start, stop): per point, the first failing slot (-1: none) and the
    kind (0 domain, 1 not finite). One vectorised sweep that marks points instead of raising."""
    tape, point, m = problem.tape, _slice(problem, start, stop).point, stop - start
    vals: list[Any] = [np.broadcast_to(np.asarray(point.get(name, 0.0), dtype=float), (m,)) for name in tape.names]
    vals += [np.float64(tape.nodes[s].payload) for s in range(tape.n_inputs, tape.first_op)]
    vals += [None] * (len(tape.nodes) - len(vals))
    slots, kinds = np.full(m, -1, dtype=np.int64), np.zeros(m, dtype=np.int8)
    with np.errstate(all="ignore"):
        for s in range(tape.first_op, len(tape.nodes)):
            prim, a = tape.prims[s], [vals[j] for j in tape.args[s]]
            if prim.domain is not None:
                _mark(np.logical_not(prim.domain(*a)), s, 0, slots, kinds)
            vals[s] = prim.fn(*a)
            _mark(np.logical_not(np.isfinite(vals[s])), s, 1, slots, kinds)
    return slots, kinds


class Failures:
    """The points of a set that failed (the others have answers): each error is made when it is asked for,
    by running the point alone (the same message as for that one point); after EXPLAINED of them, by
    the primal sweep alone at the point (the same message when the value fails, not a whole run)."""

    def __init__(self, problem: Any, run: Callable[[Any], Any]) -> None:
        self.problem, self.run, self.explained = problem, run, 0
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
        self.index = self.slots = self.kinds = np.zeros(0, dtype=np.int64)
        self.mask = np.zeros(0, dtype=bool)

    def add(self, index: np.ndarray, slots: np.ndarray | None = None, kinds: np.ndarray | None = None) -> None:
        unknown = np.full(index.size, -1, dtype=np.int64)
        self.parts.append((index, unknown if slots is None else slots, unknown if kinds is None else kinds))

    def finish(self, n: int) -> None:
        if self.parts:
            index, slots, kinds = (np.concatenate(p) for p in zip(*self.parts, strict=True))
            order = np.argsort(index, kind="stable")
            self.index, self.slots, self.kinds = index[order], slots[order], kinds[order]
        self.parts = []
        self.mask = np.zeros(n, dtype=bool)
        self.mask[self.index] = True

    def __len__(self) -> int:
        return int(self.index.size)

    @property
    def exit_code(self) -> int:
        return 1 if len(self) else 0  # domain_error and nonfinite both exit 1

    def error(self, i: int) -> AdcliError:
        """Point i's error (i must be one of the failed points)."""
        k = int(np.searchsorted(self.index, i))
        slot, kind = int(self.slots[k]), int(self.kinds[k])
        if slot < 0 or self.explained < EXPLAINED:
            self.explained += 1
            try:
                self.run(_one(self.problem, i))
            except AdcliError as exc:
                return exc
        if slot < 0:
            return AdcliError("nonfinite", "this point failed with the others but gives an answer alone")
        return self._primal_error(i, slot, kind)

    def _primal_error(self, i: int, slot: int, kind: int) -> AdcliError:
        """The primal sweep alone at point i: its own message, with the argument's value (microseconds, not
        a whole run); the operation's name alone if the sweep passes there (it failed in the vectorised one)."""
        from adcli.core.tape import evaluate

        tape, point = self.problem.tape, at(self.problem.point, i)
        try:
            evaluate(tape, [np.float64(point.get(name, 0.0)) for name in tape.names])
        except AdcliError as exc:
            return exc
        if kind == 0:
            prim = tape.prims[slot]
            said = f"is outside the domain of {prim.name} ({prim.rule_text})"
        else:
            said = "is not finite here (an overflow, a division by zero or no real value)"
        return tape.error(POINTWISE[kind], f"{tape.text(slot)} {said}", slot)


def _isolate(problem: Any, run: Callable[[Any], Any], index: np.ndarray, failures: Failures) -> list[tuple[Any, Any]]:
    """run over the points `index`, halving around the ones that fail: (points, result) pieces."""
    pieces, stack = [], [index]
    while stack:
        part = stack.pop()
        if not part.size:
            continue
        try:
            pieces.append((part, run(_take(problem, part))))
        except AdcliError as exc:
            if exc.kind not in POINTWISE:
                raise
            if part.size == 1:
                failures.add(part)
            else:
                stack += [part[part.size // 2 :], part[: part.size // 2]]
    return pieces


def _pieces(problem: Any, run: Callable[[Any], Any], start: int, stop: int, failures: Failures | None) -> list:
    """The results over points [start, stop): one piece, or (a point failed) the pieces around the failures."""
    try:
        return [(slice(start, stop), run(_slice(problem, start, stop)))]
    except AdcliError as exc:
        if exc.kind not in POINTWISE:
            raise
        if failures is None:
            raise _locate(problem, run, start, stop, exc) from None
    slots, kinds = _primal_failures(problem, start, stop)
    bad = slots >= 0
    failures.add(np.flatnonzero(bad) + start, slots[bad], kinds[bad].astype(np.int64))
    return _isolate(problem, run, np.flatnonzero(~bad) + start, failures)


def _answers(result: Any, n: int) -> dict[str, Any]:
    """Arrays for every point's answers, shaped like the result's entries; refused when over the budget."""
    shapes = {"value": len(result.value)}
    if result.jacobian is not None:
        shapes["jacobian"] = (len(result.jacobian), len(result.jacobian[0]) if result.jacobian else 0)
    for key in ("jvp", "vjp"):
        if getattr(result, key) is not None:
            shapes[key] = len(getattr(result, key))
    count = sum(math.prod(s) if isinstance(s, tuple) else s for s in shapes.values())
    needed, budget = n * count * BYTES_PER_VALUE, memory_budget()
    if needed > budget:
        raise AdcliError(
            "limit_exceeded",
            f"the point set has {n:,} points; their answers take {_bytes(needed)} ({count} numbers per point); "
            f"the limit is {_bytes(budget)}: use fewer points",
        )

    def empty() -> np.ndarray:
        return np.full(n, math.nan)

    return {
        key: [[empty() for _ in range(s[1])] for _ in range(s[0])]
        if isinstance(s, tuple)
        else [empty() for _ in range(s)]
        for key, s in shapes.items()
    }


def _store(answers: dict[str, Any], where: Any, result: Any) -> None:
    for key, arrays in answers.items():
        entries = getattr(result, key)
        if key == "jacobian":
            for row, got in zip(arrays, entries, strict=True):
                for array, entry in zip(row, got, strict=True):
                    array[where] = entry
        else:
            for array, entry in zip(arrays, entries, strict=True):
                array[where] = entry


def _kinks(warnings: list[AdcliWarning], where: Any, seen: dict[tuple, list[Any]], n: int) -> None:
    """Collect a piece's kink warnings: per node, the first warning, the points at the kink, and the pieces."""
    for w in warnings:
        key = (w.kind, w.details.get("node", w.message))
        if key not in seen:
            seen[key] = [w, np.zeros(n, dtype=bool), []]
        mask = seen[key][1]
        mask[where] |= True if w.where is None else w.where
        seen[key][2].append((where, w))


def _at_point(pieces: list[tuple[Any, AdcliWarning]], n: int) -> Callable[[int], str | None]:
    """Point i's argument text, asked of the piece (a slice or an index array of points) that holds i.

    Which piece holds a point, and where in it, is one lookup in two arrays made at the first question
    (a search through the pieces per point was quadratic once failed points had split the chunks)."""
    owner = local = None

    def text(i: int) -> str | None:
        nonlocal owner, local
        if owner is None:
            owner, local = np.full(n, -1, dtype=np.int64), np.zeros(n, dtype=np.int64)
            for k, (where, _) in enumerate(pieces):
                count = where.stop - where.start if isinstance(where, slice) else len(where)
                owner[where], local[where] = k, np.arange(count)
        k = int(owner[i])
        if k < 0:
            return None
        w = pieces[k][1]
        return w.at_point(int(local[i])) if w.at_point is not None else None

    return text


def _kink_warning(w: AdcliWarning, mask: np.ndarray, point: Mapping[str, Any], pieces: list) -> AdcliWarning:
    index, count = int(np.argmax(mask)), int(np.count_nonzero(mask))
    first = describe(point, index, w.message)
    many = f"at {count:,} of the points, the first {first}" if count > 1 else first
    details = {**w.details, "point": index + 1, "points": count}
    at_point = _at_point(pieces, mask.size)
    return replace(w, message=f"{w.message}; {many}", details=details, where=mask, at_point=at_point)


def warning_at(w: AdcliWarning, i: int) -> dict[str, Any]:
    """A warning as point i's own (its record in jsonl and csv): a kink with that point's values, no count."""
    text = w.at_point(i) if w.at_point is not None else None
    if text is None:
        return w.to_dict()
    from adcli.core.tape import kink_message

    details = {k: (text if k == "at" else v) for k, v in w.details.items() if k not in ("point", "points")}
    return {"kind": w.kind, "message": kink_message(details), **details}


def over_chunks(problem: Any, run: Callable[[Any], Any], chunk: int | None = None) -> Any:
    """run(problem) over a many-point problem chunk by chunk: one Result whose entries are arrays.

    The points are made a chunk at a time and the answers written into arrays made once (their size
    checked first). A domain or non-finite error names the first offending point, or, when the problem
    asks for it (`each_point`, the command line), only that point fails: its answers are NaN and
    `result.failures` holds its error. Kink warnings name the first point at the kink and count them;
    `warning.where` marks the points.
    """
    n, chunk = size(problem.point), chunk or CHUNK
    failures = Failures(problem, run) if getattr(problem, "each_point", False) else None
    answers, seen, seconds, last = None, {}, 0.0, None  # type: ignore[var-annotated]
    for start in range(0, n, chunk):
        for where, result in _pieces(problem, run, start, min(start + chunk, n), failures):
            answers = answers or _answers(result, n)
            _store(answers, where, result)
            _kinks([w for w in result.warnings if w.kind == "nondifferentiable"], where, seen, n)
            seconds += result.seconds
            last = result
    if failures is not None:
        failures.finish(n)
    if last is None:  # every point failed: so does the problem, with the first point's error
        assert failures is not None
        exc = _named(failures.error(int(failures.index[0])), problem.point, int(failures.index[0]))
        exc.message += f"; all {n:,} points fail" if n > 1 else ""
        raise exc
    warnings = [w for w in last.warnings if w.kind != "nondifferentiable"]
    warnings += [_kink_warning(w, mask, problem.point, pieces) for w, mask, pieces in seen.values()]
    found = failures if failures is not None and len(failures) else None
    return replace(last, at=dict(problem.point), warnings=warnings, seconds=seconds, failures=found, **answers)
