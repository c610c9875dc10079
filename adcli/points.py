"""Many points at once: spans and lists from --at, rows from --points, crossed (grid) or zipped.

A point whose values are numpy arrays is evaluated by the same tape sweeps as a single point,
elementwise: one sweep over the arrays per chunk of points, never a Python loop per point.

    --at x=0:1:11        11 values from 0 to 1 (start:stop:count, like numpy.linspace)
    --at x=[0,0.5,1]     a list of values
    --points pts.csv     rows of a table whose header names the variables (zipped with each other)

Several spans, lists and tables are crossed by default (`--grid`: every combination, the first
varying slowest, like itertools.product) or paired (`--zip`: equal lengths, the i-th with the
i-th). Single values broadcast to every point.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from adcli.errors import AdcliError, AdcliWarning
from adcli.printing import format_number
from adcli.syntax import Binding

GRID, ZIP = "grid", "zip"
DEFAULT_COMBINE = GRID
CHUNK = 1 << 15  # points per sweep: arrays stay in cache and memory stays bounded
BYTES_PER_VALUE = 8
PointValue = float | np.ndarray


# ---- building a point set -----------------------------------------------------------------------


def _count(b: Binding) -> int:
    """How many values a span, list or table column has (a span's are not made yet)."""
    if b.kind != "span":
        return len(b.values)
    start, stop, count = b.values
    if count != int(count) or count < 1:
        raise AdcliError(
            "usage_error",
            f"{b.name}={format_number(start)}:{format_number(stop)}:{count:g}: "
            "the count (the third number) must be a whole number >= 1",
        )
    return int(count)


def axis_values(b: Binding) -> np.ndarray:
    """A span's or a list's values as a 1-D float array."""
    if b.kind == "span":
        return np.linspace(b.values[0], b.values[1], _count(b))
    return np.asarray(b.values, dtype=float).reshape(-1)


def memory_budget() -> int:
    """Bytes a point set may take: ADCLI_MEMORY_LIMIT if set, else half the memory available now."""
    configured = os.environ.get("ADCLI_MEMORY_LIMIT")
    if configured:
        return int(float(configured))
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
            f"the point set has {total:,} points ({shape}), {_bytes(needed)} for the point alone; "
            f"the limit is {_bytes(budget)}: use fewer points"
            + (" or --zip" if combine == GRID and len(lengths) > 1 else ""),
        )
    if total == 0:
        raise AdcliError("usage_error", "the point set is empty: there are no points to evaluate")
    return total


def _axes(point: Mapping[str, Any]) -> list[tuple[list[str], list[Binding], int]]:
    """Spans and lists are one axis each; the columns of a table ("rows") share one axis."""
    axes: list[tuple[list[str], list[Binding], int]] = []
    table: tuple[list[str], list[Binding], int] | None = None
    for name, b in point.items():
        if not isinstance(b, Binding):
            continue
        n = _count(b)
        if b.kind != "rows":
            axes.append(([name], [b], n))
        elif table is None:
            table = ([name], [b], n)
            axes.append(table)
        elif n != table[2]:
            raise AdcliError("usage_error", f"{name} has {n} values, {table[0][0]} has {table[2]}")
        else:
            table[0].append(name)
            table[1].append(b)
    return axes


def expand(point: Mapping[str, Any], combine: str = DEFAULT_COMBINE) -> dict[str, PointValue]:
    """name -> float or Binding (span, list, rows) becomes name -> float or 1-D array (all one length).

    The size is checked from the lengths alone, before any array is made.
    """
    if combine not in (GRID, ZIP):
        raise AdcliError("usage_error", f"unknown combination {combine!r}: choose grid or zip")
    axes = _axes(point)
    lengths = [("/".join(names), n) for names, _, n in axes]
    if combine == ZIP and len({n for _, n in lengths}) > 1:
        shown = ", ".join(f"{name} has {n}" for name, n in lengths)
        raise AdcliError("usage_error", f"--zip pairs values one to one, so they need equal lengths: {shown}")
    total = check_size(lengths, combine, sum(len(names) for names, _, _ in axes))
    out: dict[str, PointValue] = {k: v for k, v in point.items() if not isinstance(v, Binding)}
    inner = total
    for names, bindings, n in axes:
        cols = [axis_values(b) for b in bindings]
        if combine == GRID:
            inner //= n
            outer = total // (n * inner)
            cols = [np.tile(np.repeat(c, inner), outer) for c in cols]
        out.update(zip(names, cols, strict=True))
    return {k: out[k] for k in point}  # the column order stays the point's


def size(point: Mapping[str, Any]) -> int:
    """How many points a point holds (1 for plain numbers)."""
    return max((np.size(v) for v in point.values() if isinstance(v, np.ndarray)), default=1)


def is_many(point: Mapping[str, Any]) -> bool:
    return any(isinstance(v, np.ndarray) for v in point.values())


def at(point: Mapping[str, Any], i: int) -> dict[str, float]:
    """The i-th point as plain numbers."""
    return {k: float(v[i]) if isinstance(v, np.ndarray) else float(v) for k, v in point.items()}


def describe(point: Mapping[str, Any], i: int) -> str:
    """`point 7 of 11: x = 0.6, y = 2`: a point named for a message."""
    shown = ", ".join(f"{k} = {format_number(v)}" for k, v in at(point, i).items())
    return f"point {i + 1} of {size(point):,}: {shown}"


# ---- a table of points (--points file.csv) ------------------------------------------------------


def _header(row: list[str], path: str) -> list[str]:
    names = [cell.strip() for cell in row]
    for k, name in enumerate(names, 1):
        if not name.isidentifier():
            raise AdcliError("usage_error", f"{path}: header column {k} ({name!r}) is not a variable name")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise AdcliError("usage_error", f"{path}: the header names {', '.join(dupes)} twice")
    return names


def _cell(text: str, path: str, row: int, line: int, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
        shown = repr(text.strip()) if text.strip() else "an empty cell"
        reason = f"{shown} is not a number"
    else:
        reason = f"{text.strip()} is not a finite number"
    if not math.isfinite(value):
        raise AdcliError("usage_error", f"{path}: row {row} (line {line}), column {name}: {reason}")
    return value


def read_table(path: str) -> list[Binding]:
    """The columns of a CSV file with a header row of variable names, as zipped bindings."""
    import csv  # only --points needs it: one-expression start-up stays lean

    try:
        f = open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed below
    except OSError as exc:
        raise AdcliError("usage_error", f"cannot read the points file {path}: {exc.strerror or exc}") from None
    with f:
        reader = csv.reader(f)
        try:
            header = next((r for r in reader if r and not r[0].lstrip().startswith("#")), None)
            if header is None:
                raise AdcliError("usage_error", f"{path}: no header row (a row of variable names, e.g. x,y)")
            names = _header(header, path)
            columns: list[list[float]] = [[] for _ in names]
            row = 0
            for cells in reader:
                if not cells or (len(cells) == 1 and not cells[0].strip()) or cells[0].lstrip().startswith("#"):
                    continue
                row += 1
                _check_width(cells, names, path, row, reader.line_num)
                for column, text, name in zip(columns, cells, names, strict=True):
                    column.append(_cell(text, path, row, reader.line_num, name))
        except UnicodeDecodeError as exc:
            raise AdcliError("usage_error", f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
        except csv.Error as exc:
            raise AdcliError("usage_error", f"{path}: line {reader.line_num}: {exc}") from None
    if row == 0:
        raise AdcliError("usage_error", f"{path}: the header has no rows of points under it")
    return [Binding(name, np.asarray(col, dtype=float), "rows") for name, col in zip(names, columns, strict=True)]


def _check_width(cells: list[str], names: list[str], path: str, row: int, line: int) -> None:
    if len(cells) < len(names):
        missing = ", ".join(names[len(cells) :])
        raise AdcliError(
            "usage_error",
            f"{path}: row {row} (line {line}) has {len(cells)} cells for {len(names)} columns: "
            f"no value for column {missing}",
        )
    if len(cells) > len(names):
        raise AdcliError(
            "usage_error",
            f"{path}: row {row} (line {line}) has {len(cells)} cells for {len(names)} columns: "
            f"column {len(names) + 1} has no name in the header",
        )


# ---- evaluating a point set in chunks ------------------------------------------------------------


def _slice(problem: Any, start: int, stop: int) -> Any:
    point = {k: v[start:stop] if isinstance(v, np.ndarray) else v for k, v in problem.point.items()}
    return replace(problem, point=point)


def _one(problem: Any, i: int) -> Any:
    return replace(problem, point=at(problem.point, i))


POINTWISE = ("domain_error", "nonfinite")


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


def _locate(problem: Any, run: Callable[[Any], Any], start: int, stop: int, exc: AdcliError) -> AdcliError:
    """The error as the first offending point alone gives it, with that point named."""
    i = _first_failure(problem, run, start, stop)
    try:
        run(_one(problem, i))
    except AdcliError as alone:
        exc = alone
    exc.message = f"{exc.message}, at {describe(problem.point, i)}"
    return exc


def _kinks(warnings: list[AdcliWarning], offset: int, seen: dict[tuple, list[Any]]) -> None:
    """Collect a chunk's kink warnings: per node, the first warning, its first point and the count."""
    for w in warnings:
        key = (w.kind, w.details.get("node", w.message))
        index, count = w.details.get("point"), w.details.get("points", 0)
        if key in seen:
            seen[key][2] += count
        else:
            seen[key] = [w, offset + index if isinstance(index, int) else None, count]


def _kink_warning(w: AdcliWarning, index: int | None, count: int, point: Mapping[str, Any]) -> AdcliWarning:
    if index is None:
        return w
    many = f"at {count:,} of the points, the first {describe(point, index)}" if count > 1 else describe(point, index)
    return replace(w, message=f"{w.message}; {many}", details={**w.details, "point": index + 1, "points": count})


def _entries(result: Any, n: int) -> Iterator[tuple[str, Any]]:
    yield "value", [np.broadcast_to(v, (n,)) for v in result.value]
    if result.jacobian is not None:
        yield "jacobian", [[np.broadcast_to(e, (n,)) for e in row] for row in result.jacobian]
    if result.jvp is not None:
        yield "jvp", [np.broadcast_to(v, (n,)) for v in result.jvp]
    if result.vjp is not None:
        yield "vjp", [np.broadcast_to(v, (n,)) for v in result.vjp]


def _concat(parts: list[Any]) -> Any:
    if isinstance(parts[0], list):
        return [_concat([p[i] for p in parts]) for i in range(len(parts[0]))]
    return np.concatenate(parts) if len(parts) > 1 else np.array(parts[0], dtype=float)


def over_chunks(problem: Any, run: Callable[[Any], Any], chunk: int | None = None) -> Any:
    """run(problem) over a many-point problem chunk by chunk: one Result whose entries are arrays.

    A domain or non-finite error names the first offending point; kink warnings name the first
    point at the kink and count the points there.
    """
    n, chunk = size(problem.point), chunk or CHUNK
    results, seen, seconds = [], {}, 0.0  # type: ignore[var-annotated]
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        part = _slice(problem, start, stop)
        try:
            result = run(part)
        except AdcliError as exc:
            if exc.kind not in POINTWISE:
                raise
            raise _locate(problem, run, start, stop, exc) from None
        _kinks([w for w in result.warnings if w.kind == "nondifferentiable"], start, seen)
        results.append(dict(_entries(result, stop - start)))
        seconds += result.seconds
        last = result
    merged = {key: _concat([r[key] for r in results]) for key in results[0]}
    warnings = [w for w in last.warnings if w.kind != "nondifferentiable"]
    warnings += [_kink_warning(w, index, count, problem.point) for w, index, count in seen.values()]
    return replace(last, at=dict(problem.point), warnings=warnings, seconds=seconds, **merged)
