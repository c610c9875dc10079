"""Array results on a screen (issue 12): labelled matrices, numpy-style summaries, and .npz files.

A matrix prints with its row and column indices; a large array shows its corners and `…` with its
shape (as numpy summarises), unless `--full`. Plain text and the terminal share these lines (the
terminal only colours the headings). `--save FILE.npz` writes the value and one array per wrt
variable under its own name, through a temporary file renamed into place (never half a file).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import IO, Any

import numpy as np

from adcli.core.arrays import show as shape_of
from adcli.core.errors import AdcliError
from adcli.core.notation import style
from adcli.core.printing import compact

EDGE = 3  # entries kept at each end of a summarised axis
SUMMARY = 12  # axes longer than this are summarised (unless --full)


def _number(x: float, digits: int) -> str:
    if not np.isfinite(x):
        return str(x)
    if x == int(x) and abs(x) < 10.0**digits:
        return str(int(x))
    return f"{x:.{digits}g}"


def shape_text(shape: Sequence[int]) -> str:
    return "×".join(map(str, shape)) if len(shape) > 1 else f"({shape[0]},)" if shape else "scalar"


def _kept(n: int, full: bool) -> list[int | None]:
    """Indices shown along an axis of n entries; None marks the `…` of a summary."""
    if full or n <= SUMMARY:
        return list(range(n))
    return [*range(EDGE), None, *range(n - EDGE, n)]


def grid(  # noqa: PLR0913 - the matrix, its labels and how to show it
    matrix: np.ndarray, rows: Sequence[str], columns: Sequence[str], digits: int, full: bool = False, width: int = 0
) -> list[str]:
    """A labelled matrix as aligned lines: column labels on top, row labels on the left; wider than `width`
    (a terminal's, when given), a block per row of `column number` pieces folded between pieces."""
    keep_r, keep_c = _kept(matrix.shape[0], full), _kept(matrix.shape[1], full)
    head = [""] + ["…" if c is None else columns[c] for c in keep_c]
    body = []
    for r in keep_r:
        if r is None:
            body.append(["…"] + ["⋮" if c is not None else "⋱" for c in keep_c])
            continue
        body.append([rows[r]] + ["…" if c is None else _number(float(matrix[r, c]), digits) for c in keep_c])
    table = [head, *body]
    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    if width and sum(widths) + 2 * len(widths) + 2 > width:  # numbers are atoms: blocks, never a cut
        from adcli.render.layout import fold

        out = []
        for row in body:
            out.append(f"{row[0]}:")
            out += fold([f"{c} {v}" for c, v in zip(head[1:], row[1:], strict=True)], width - 2)
        return out
    return [
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()
        for row in table
    ]


def array_lines(name: str, value: Any, digits: int, full: bool = False) -> list[str]:
    """`name = 3.5`, a vector on one line (summarised), or a matrix as a labelled grid under `name (m×n):`."""
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return [f"{name} = {_number(float(arr), digits)}"]
    if arr.ndim == 1:
        shown = ["…" if i is None else _number(float(arr[i]), digits) for i in _kept(arr.size, full)]
        return [f"{name} {shape_text(arr.shape)} = [{', '.join(shown)}]"]
    if arr.ndim == 2:
        rows = [f"[{i}]" for i in range(arr.shape[0])]
        columns = [f"[{j}]" for j in range(arr.shape[1])]
        return [f"{name} ({shape_text(arr.shape)}):", *("  " + line for line in grid(arr, rows, columns, digits, full))]
    text = np.array2string(arr, threshold=10**9 if full else 1000, precision=digits, separator=", ")
    return [f"{name} ({shape_text(arr.shape)}):", text]


def _at_entry(name: str, value: Any, digits: int, full: bool) -> str:
    """One variable of the point line: a number, a vector, a matrix's shape (all its entries with --full)."""
    if np.ndim(value) < 2:
        return array_lines(name, value, digits, full)[0]
    if not full:
        return f"{name} ({shape_text(np.shape(value))})"
    rows = ["[" + ", ".join(_number(float(x), digits) for x in row) + "]" for row in np.asarray(value, dtype=float)]
    return f"{name} ({shape_text(np.shape(value))}) = [{', '.join(rows)}]"


def fit(lines: list[str], width: int) -> list[str]:
    """Lines no wider than a terminal's `width`, each broken after a `, ` (between entries, between a
    point's values), never inside a number; the later pieces indented."""
    from adcli.render.layout import fold

    out: list[str] = []
    for line in lines:
        if len(line) <= width or ", " not in line:
            out.append(line)
            continue
        parts = line.split(", ")
        pieces = [p + "," for p in parts[:-1]] + parts[-1:]
        folded = fold(pieces, width, indent="  ", gap=" ")  # later lines 4 in, each within the width
        out += [folded[0][2:], *folded[1:]]
    return out


def lines(result: Any, command: str, digits: int, full: bool = False, width: int = 0) -> list[str]:
    """Everything a result says, as lines: point, how, value(s), then gradient, Jacobian, JVP or VJP."""
    from adcli.render.results import _how

    out = [f"read as: {result.read_as}"]
    shown = [_at_entry(k, v, digits, full) for k, v in result.at.items()]
    out.append("at:      " + (", ".join(shown) or "(no variables)"))
    if result.seed is not None:
        out.append(f"seed:    {result.seed}")
    out += [f"mode:    {_how(result)}", ""]
    names = result.outputs if len(result.outputs) > 1 else ["value"]
    for name, v in zip(names, result.value, strict=True):
        out += array_lines(name, v, digits, full)
    if result.gradients is not None and command == "grad":
        for w, g in result.gradients.items():
            out += array_lines(f"d/d{w}", g, digits, full)
    elif result.has_jacobian():
        from adcli.arrays import labels

        rows, columns = labels(result)
        matrix = result.matrix().reshape(len(rows), -1)
        out.append(f"jacobian ({shape_text(matrix.shape)}):")
        out += ["  " + line for line in grid(matrix, rows, columns, digits, full, max(width - 2, 0))]
    if result.error_estimate is not None:
        err = np.asarray(result.error_estimate, dtype=float)
        out.append(f"largest error estimate: {_number(float(err.max(initial=0.0)), 2)}")
    for key, label in (("jvp", "J·v"), ("vjp", "vᵀ·J")):
        found = getattr(result, key)
        if found is not None:
            names = result.wrt if key == "vjp" else (result.outputs if len(found) > 1 else ["y"])
            for name, v in zip(names, found, strict=True):
                out += array_lines(f"{label} {name}", v, digits, full)
    return fit(out, width) if width else out


def show(  # noqa: PLR0913 - the result, where it goes and how
    result: Any, command: str, digits: int, out: IO[str], err: IO[str], full: bool = False, width: int = 0
) -> None:
    """The result's lines; `width`: a terminal's, which no line exceeds (adcli.render.layout's rule)."""
    out.write("\n".join(lines(result, command, digits, full, width)) + "\n")
    for note in result.notes:
        err.write(f"note: {note}\n")
    for w in result.warnings:
        err.write(f"warning[{w.kind}]: {w.message}\n")


def save(result: Any, path: str) -> None:
    """The value and every gradient (one array per wrt variable, under its name) as an .npz file."""
    if not path.endswith(".npz"):
        raise AdcliError("usage_error", f"--save {path}: the file must end in .npz")
    from adcli.render import binary

    binary.save(named(result), path)


def named(result: Any) -> dict[str, np.ndarray]:
    """An array result's arrays by name: `value`, and each wrt variable's gradient (or `jacobian`)."""
    arrays: dict[str, np.ndarray] = {}
    values = result.value
    arrays["value"] = np.asarray(values[0] if len(values) == 1 else values, dtype=float)
    if result.gradients is not None:
        arrays.update({w: np.asarray(g, dtype=float) for w, g in result.gradients.items()})
    elif result.has_jacobian():
        arrays["jacobian"] = result.matrix()
    if "value" in (result.gradients or {}):
        raise AdcliError("usage_error", "--save: a variable named value would clash with the value's array")
    return arrays


def trace_lines(trace: Any, digits: int, ascii: bool = False) -> list[str]:
    """The traces as aligned text: target = form, shape, a few entries (numpy's summary)."""
    out = [f"read as: {trace.read_as}"]
    titles = {
        "primal": "primal trace",
        "tangent": "tangent trace (forward sweep)",
        "adjoint": "adjoint trace (reverse sweep; each v̄ shown once complete)",
    }
    for section in ("primal", "tangent", "adjoint"):
        rows = getattr(trace, section)
        if rows is None:
            continue
        out += ["", titles[section]]
        mark = "'" if ascii else "ᵀ"
        texts = [
            (style(r.target, ascii), style(r.form, ascii).replace("{", "").replace("}", "").replace("'", mark))
            for r in rows
        ]
        width = max((len(t) + len(f) for t, f in texts), default=0) + 3
        for (target, form), r in zip(texts, rows, strict=True):
            joiner = " " if form.startswith("+=") else " = "
            left = f"{target}{joiner}{form}"
            out.append(f"{left.ljust(width)}  {shape_of(tuple(r.shape)):>10}  {compact(r.value, digits)}")
    out.append("")
    if trace.jvp is not None:
        names = ["y"] if len(trace.jvp) == 1 else [f"y{i + 1}" for i in range(len(trace.jvp))]
        out += [
            f"d{n} along the seed {shape_of(np.shape(t))} = {compact(t, digits)}"
            for n, t in zip(names, trace.jvp, strict=True)
        ]
    if trace.adjoint is not None:
        out += [f"d/d{w} {shape_of(np.shape(g))} = {compact(g, digits)}" for w, g in trace.gradient.items()]
    return out
