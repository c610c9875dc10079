"""Numbers at scale without text (issue 15): `--format npz`, `--format parquet`, `--save FILE.npz`.

The columns are csv's (adcli.render.records.csv_row names them: `x`, `f1`, `d(f1)/d(x)`, `jvp(f1)`,
`vjp(x)`), as arrays: float64 for the numbers, NaN where a point failed; `line` and `point` (int64)
say which problem and point a row is. The text columns (file, input, warnings, error) stay out: errors
and warnings go to stderr, as with plain text. An .npz is read with `np.load(path, allow_pickle=False)`
(nothing in it is a pickle) and each array goes to PyTorch with `torch.from_numpy`. Parquet is written
only when pyarrow is installed (never a dependency).

A file is written to a temporary name in its folder and renamed into place: a failure leaves nothing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Mapping
from typing import IO, Any

import numpy as np

from adcli.batch.points import MANY, is_many, size
from adcli.batch.points import column as values_of
from adcli.core.errors import AdcliError
from adcli.render.records import LEAD, csv_row, group, records

BINARY = ("npz", "parquet")
SUFFIXES = {".npz": "npz", ".parquet": "parquet"}


def saved_format(path: str) -> str:
    """The format of a --save file, from its name; its folder must exist and be writable (io_error now,
    before the computation, rather than after it)."""
    suffix = os.path.splitext(path)[1].lower()
    if suffix not in SUFFIXES:
        raise AdcliError("usage_error", f"--save {path}: the file must end in .npz (or .parquet, with pyarrow)")
    if SUFFIXES[suffix] == "parquet":
        _pyarrow()
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise AdcliError("io_error", f"--save {path}: no such folder {folder}")
    if not os.access(folder, os.W_OK):
        raise AdcliError("io_error", f"--save {path}: the folder {folder} cannot be written")
    if os.path.isdir(path):
        raise AdcliError("io_error", f"--save {path}: is a folder")
    return SUFFIXES[suffix]


def save(arrays: Mapping[str, np.ndarray], path: str, fmt: str = "npz") -> None:
    """Named arrays to a file, through a temporary file renamed into place (an I/O failure: io_error)."""
    folder = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(suffix=f".{fmt}", prefix=".adcli-", dir=folder)
        with os.fdopen(handle, "wb") as f:
            write(arrays, f, fmt)
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise AdcliError("io_error", f"--save {path}: {exc.strerror or exc}") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)


def write(arrays: Mapping[str, np.ndarray], f: IO[bytes], fmt: str = "npz") -> None:
    if fmt == "npz":
        np.savez(f, **arrays)
        return
    parquet = _pyarrow()
    table = parquet.Table.from_pydict({k: v for k, v in arrays.items()})
    parquet.parquet.write_table(table, f)


def _pyarrow() -> Any:
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        said = "--format parquet needs pyarrow (pip install pyarrow); npz needs nothing"
        raise AdcliError("usage_error", said) from None
    return pyarrow


def check(fmt: str, out: Any) -> None:
    """Refuse what cannot work before anything is computed: binary to a terminal, parquet without pyarrow."""
    if fmt == "parquet":
        _pyarrow()
    isatty = getattr(out, "isatty", None)
    if isatty is not None and isatty():
        raise AdcliError(
            "usage_error", f"--format {fmt} is binary: redirect the output to a file (> out.{fmt}) or use --save"
        )


def point_columns(outcome: Any, command: str) -> tuple[dict[str, Any], int]:
    """One outcome's rows as named columns (csv's names), and how many rows: arrays for a point set."""
    result, item = outcome.result, outcome.item
    if outcome.error is not None or result.shapes is not None:
        return {}, 0
    if not is_many(result.at):
        row = csv_row(next(records(outcome, command)))
        cells = {k: v for k, v in row.items() if group(k) in (1, 2, 3, 4, 5)}
        return {"line": item.line or 0, "point": 1, **cells}, 1
    n = size(result.at)
    body = result.to_dict(command)
    probe = {"file": item.file, "line": item.line, "point": 1, "input": body["input"], "wrt": body["wrt"]}
    probe["at"] = {k: values_of(v, 0, n) if isinstance(v, MANY) else float(v) for k, v in result.at.items()}
    probe.update((key, body[key]) for key in ("value", "jvp", "vjp") if body.get(key) is not None)
    if body.get("jacobian") is not None:
        probe["jacobian"] = body["jacobian"]
    cells = {k: v for k, v in csv_row(probe).items() if group(k) in (1, 2, 3, 4, 5)}
    return {"line": item.line or 0, "point": np.arange(1, n + 1), **cells}, n


class Collected:
    """The columns of every outcome, joined at the end into arrays (NaN where a problem lacks a column)."""

    def __init__(self) -> None:
        self.blocks: list[tuple[dict[str, Any], int]] = []
        self.order: dict[str, int] = {}

    def add(self, cells: dict[str, Any], n: int) -> None:
        if n:
            self.blocks.append((cells, n))
            for name in cells:
                self.order.setdefault(name, len(self.order))

    def arrays(self) -> dict[str, np.ndarray]:
        names = sorted(self.order, key=lambda c: (group(c) if c not in LEAD else 0, self.order[c]))
        out: dict[str, np.ndarray] = {}
        for name in names:
            integer = name in ("line", "point")
            parts = [_part(cells.get(name), n, integer) for cells, n in self.blocks]
            out[name] = parts[0] if len(parts) == 1 else np.concatenate(parts)
        return out


def _part(v: Any, n: int, integer: bool) -> np.ndarray:
    dtype = np.int64 if integer else np.float64
    if v is None:
        return np.full(n, np.nan)
    if isinstance(v, np.ndarray) and v.shape == (n,):
        return v.astype(dtype, copy=False)
    return np.full(n, v, dtype=dtype)


def writer(fmt: str, out: Any, path: str | None) -> Callable[[dict[str, np.ndarray]], None]:
    """Where the arrays go: the file of --save (whole or not at all), or the binary stdout (zip
    streams to a pipe too: each member's sizes follow its data)."""
    if path is not None:
        return lambda arrays: save(arrays, path, fmt)

    def to_stdout(arrays: dict[str, np.ndarray]) -> None:
        out.flush()
        stream = getattr(out, "buffer", out)
        write(arrays, stream, fmt)
        stream.flush()

    return to_stdout
