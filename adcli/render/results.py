"""Results to the screen: Rich tables on a terminal, aligned plain text in pipes, JSON for programs.

Only the render and cli packages know about output; Rich is imported only when a table is drawn.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import IO, Any

from adcli.api import Result
from adcli.core.errors import AdcliError

FORMATS = ("table", "plain", "json")


def number(x: Any, digits: int) -> str:
    """A float with `digits` significant digits, shortest form (2 not 2.00000)."""
    if isinstance(x, list):
        return "[" + ", ".join(number(v, digits) for v in x) + "]"
    if getattr(x, "ndim", 0):  # an array (issue 12): numpy's summary, corners and …
        from adcli.core.printing import compact

        return compact(x, digits)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 10.0**digits:  # larger whole numbers in the same e-form as their neighbours
        return str(int(x))
    return f"{x:.{digits}g}"


def _columns(result: Result) -> tuple[list[str], list[list[str]]]:
    """Header and rows: output, value, then d/d(wrt) or the JVP/VJP."""
    header = ["output", "value"]
    rows = [[name, str(v)] for name, v in zip(result.outputs, result.value, strict=True)]
    if result.jacobian is not None:
        header += [f"d/d{w}" for w in result.wrt]
        for row, jac in zip(rows, result.jacobian, strict=True):
            row += [str(e) for e in jac]
    if result.jvp is not None:
        header.append("J·v")
        for row, t in zip(rows, result.jvp, strict=True):
            row.append(str(t))
    if result.error_estimate is not None:  # numeric mode: the error estimate of each entry
        header += [f"±d/d{w}" for w in result.wrt]
        for row, errors in zip(rows, result.error_estimate, strict=True):
            row += [str(e) for e in errors]
    return header, rows


def _formatted(result: Result, digits: int) -> tuple[list[str], list[list[str]]]:
    header, _ = _columns(result)
    rows = []
    for i, name in enumerate(result.outputs):
        row = [name, number(result.value[i], digits)]
        if result.jacobian is not None:
            row += [number(e, digits) for e in result.jacobian[i]]
        if result.jvp is not None:
            row.append(number(result.jvp[i], digits))
        if result.error_estimate is not None:
            row += [number(e, 2) for e in result.error_estimate[i]]
        rows.append(row)
    return header, rows


def _point(result: Result, digits: int) -> str:
    return ", ".join(f"{k} = {number(v, digits)}" for k, v in result.at.items()) or "(no variables)"


def _how(result: Result) -> str:
    if result.mode is None:
        return "evaluated"
    sweeps = f"{result.sweeps} sweep" + ("s" if result.sweeps != 1 else "")
    if result.nfev is not None:  # numeric mode
        evaluations = f"{result.nfev} function evaluation" + ("s" if result.nfev != 1 else "")
        return f"{result.mode} mode ({result.method}), {evaluations} in {sweeps}"
    return f"{result.mode} mode, {sweeps}"


def _vjp_lines(result: Result, digits: int) -> list[str]:
    if result.vjp is None:
        return []
    weights = ", ".join(number(c, digits) for c in result.cotangent or [])
    entries = "  ".join(f"d/d{w} {number(v, digits)}" for w, v in zip(result.wrt, result.vjp, strict=True))
    return [f"vjp (cotangent {weights}):  {entries}"]


def plain(result: Result, digits: int, out: IO[str], err: IO[str], origin: str = "") -> None:
    """Aligned text for pipes and scripts; warnings and notes go to stderr (after `origin`, a batch's file:line)."""
    lines = [f"read as: {result.read_as}", f"at:      {_point(result, digits)}", f"mode:    {_how(result)}", ""]
    header, rows = _formatted(result, digits)
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    lines += _vjp_lines(result, digits)
    lines += sweep_lines(result.sweep, digits) if result.sweep else []
    out.write("\n".join(lines) + "\n")
    for note in result.notes:
        err.write(f"{origin}note: {note}\n")
    for w in result.warnings:
        err.write(f"{origin}warning[{w.kind}]: {w.message}\n")


def table(result: Result, digits: int, console: Any) -> None:
    """A Rich table: the Jacobian as a matrix, rows labelled by output, columns ∂/∂x (adcli.render.layout:
    blocks when the numbers do not fit side by side)."""
    from rich.text import Text

    from adcli.render.layout import NUMBER, TEXT, Columns, show_table

    header, rows = _formatted(result, digits)
    labels = [_label(name) for name in header]
    caption = [f"at {_point(result, digits)}", _how(result)]
    columns = Columns(labels, [TEXT] + [NUMBER] * (len(labels) - 1))
    show_table(console, columns, rows, result.read_as, caption)
    for line in _vjp_lines(result, digits):
        console.print(Text(line))
    if result.sweep:
        console.print(Text("\n".join(sweep_lines(result.sweep, digits))))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="cyan"))
    for w in result.warnings:
        console.print(Text(f"warning[{w.kind}]: {w.message}", style="yellow"))


LABEL_MIN = 8  # characters the outputs' column keeps when a table is squeezed (its text wraps)


def _label(name: str) -> str:
    if name.startswith("±d/d"):  # numeric mode's error estimates
        return f"±∂/∂{name[4:]}"
    return f"∂/∂{name[3:]}" if name.startswith("d/d") else name


def table_width(header: list[str], rows: list[list[str]]) -> int:
    """The width a Rich table with these cells needs unwrapped (a border and padding of 1 around each cell)."""
    cells = [max(len(header[k]), *(len(r[k]) for r in rows)) if rows else len(header[k]) for k in range(len(header))]
    return sum(cells) + 3 * len(cells) + 1


def fold(pieces: list[str], width: int, indent: str = "  ") -> list[str]:
    """Pieces on lines of at most `width`, broken between pieces (adcli.render.layout.fold)."""
    from adcli.render.layout import fold as between

    return between(pieces, width, indent)


def _nearest(steps: list[float], chosen: float | None) -> int:
    """The row of the step nearest the method's own (-1 when it is off the chart, as the complex step's 1e-200)."""
    if not chosen or not min(steps) / 2 <= chosen <= max(steps) * 2:
        return -1
    return min(range(len(steps)), key=lambda n: abs(math.log(steps[n] / chosen)))


def _sweep_table(sweep: dict[str, Any], digits: int) -> list[str]:
    """The V curve as rows: step, central difference and its error, forward difference and its error."""
    chosen, steps = sweep["chosen_step"], [r["step"] for r in sweep["rows"]]
    nearest = _nearest(steps, chosen)
    cells = [["step", "central", "rel. error", "forward", "rel. error", ""]]
    for n, r in enumerate(sweep["rows"]):
        shown = [number(r[k], digits) if r[k] is not None else "-" for k in ("central", "forward")]
        errors = [number(r[k], 2) if r[k] is not None else "-" for k in ("central_error", "forward_error")]
        mark = f"<- {sweep['method']} (h = {number(chosen, 3)})" if n == nearest else ""
        cells.append([number(r["step"], 2), shown[0], errors[0], shown[1], errors[1], mark])
    widths = [max(len(row[i]) for row in cells) for i in range(6)]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]


def _sweep_plot(sweep: dict[str, Any]) -> list[str]:
    """log10(error) against log10(step), step growing to the right: c central, f forward, * both."""
    rows = sweep["rows"][::-1]
    top, bottom = 0, -17
    grid = [[" "] * (2 * len(rows)) for _ in range(top - bottom + 1)]
    for n, r in enumerate(rows):
        for key, mark in (("central_error", "c"), ("forward_error", "f")):
            if r[key] is not None:
                level = max(bottom, min(top, math.floor(math.log10(r[key])) if r[key] > 0 else bottom))
                cell = grid[top - level]
                cell[2 * n] = "*" if cell[2 * n] not in (" ", mark) else mark
    lines = [
        f"{'1e' + str(top - i) if (top - i) % 4 == 0 else '':>6} |{''.join(line).rstrip()}"
        for i, line in enumerate(grid)
    ]
    lines.append("       +" + "-" * (2 * len(rows)))
    chosen = sweep["chosen_step"]
    n = _nearest([r["step"] for r in rows], chosen)
    if n >= 0:
        lines.append("        " + " " * (2 * n) + f"^ h = {number(chosen, 3)} ({sweep['method']})")
    first, last = number(rows[0]["step"], 1), number(rows[-1]["step"], 1)
    lines.append(f"        c central, f forward, * both; relative error against step {first} to {last}, log scales")
    return lines


def sweep_lines(sweep: dict[str, Any], digits: int) -> list[str]:
    """`--sweep`: the error-versus-step table and its plot, errors against the reference named."""
    head = (
        f"error versus step for d(f{sweep['output']})/d{sweep['wrt']} at {sweep['wrt']} = {number(sweep['at'], digits)}"
        f" (reference {number(sweep['reference'], 17)} from {sweep['reference_from']})"
    )
    return ["", head, *_sweep_table(sweep, digits), "", *_sweep_plot(sweep)]


def _numpy(value: Any) -> Any:
    """numpy arrays and scalars as lists and floats (compare and check of an array expression carried
    ndarrays into JSON: fuzzing found `[1,2]` an internal error there)."""
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_STRICT = json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=_numpy)


def dumps(data: Any, default: Any = None) -> str:
    """JSON text that is JSON: RFC 8259 has no NaN or infinity (Python writes the tokens NaN and Infinity,
    which JSON readers refuse), so a non-finite number is written as null. The sources are checked first
    (a non-finite point is a usage error, a non-finite value an error with its message); this is the
    guarantee for whatever is left."""
    encoder = _STRICT if default is None else json.JSONEncoder(ensure_ascii=False, allow_nan=False, default=default)
    try:  # plain data encodes at once; NaN raises ValueError, a numpy array or scalar TypeError (no default)
        return encoder.encode(data)
    except (ValueError, TypeError):
        return encoder.encode(_finite(data))


def _finite(data: Any) -> Any:
    if hasattr(data, "tolist") and not isinstance(data, float):  # a numpy array (graph's values, issue 12)
        return _finite(data.tolist())
    if isinstance(data, float):
        return data if math.isfinite(data) else None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(v) for v in data]
    return data


def as_json(result: Result, command: str) -> str:
    return dumps(result.to_dict(command))


def error_text(exc: AdcliError, origin: str = "") -> str:
    """`error[kind]: message` (with `line:column`), then the line and a caret under the place."""
    text = f"{origin}{exc.place()}error[{exc.kind}]: {exc.message}"
    caret = exc.caret()
    lines = [text] + ([caret] if caret and len(caret) < 400 else [])
    lines += [f"warning[{w.kind}]: {w.message}" for w in exc.warnings if not _is_the_error(w, exc)]
    return "\n".join(lines)


def _is_the_error(warning: Any, exc: AdcliError) -> bool:
    """A kink without a derivative is the error itself: its warning (kept in JSON for its left/right
    details) said the same sentence again under the error (`grad "x^x" --at x=0`)."""
    return warning.details.get("refuse") == exc.kind and warning.details.get("node") is not None


def error_json(exc: AdcliError) -> str:
    return dumps({"error": exc.to_dict(), "warnings": [w.to_dict() for w in exc.warnings]})


def functions_rows(rows: Sequence[dict[str, object]], digits: int = 0) -> str:
    """Plain listing of the primitive table (for `adcli functions` in a pipe)."""
    keys = ["name", "arity", "domain", "derivative"]
    cells = [[str(r[k]) for k in keys] for r in rows]
    widths = [max(len(k), *(len(c[i]) for c in cells)) for i, k in enumerate(keys)]
    lines = ["  ".join(k.ljust(w) for k, w in zip(keys, widths, strict=True)).rstrip()]
    for c in cells:
        lines.append("  ".join(v.ljust(w) for v, w in zip(c, widths, strict=True)).rstrip())
    return "\n".join(lines)


def functions_table(rows: Sequence[dict[str, object]], console: Any) -> None:
    """`adcli functions` on a terminal: each derivative formula whole on its own line (a formula is an
    atom, as a number is); a terminal too narrow for the table gets a block per function."""
    from rich.text import Text

    from adcli.render.layout import ATOM, NUMBER, TEXT, Columns, fold, min_width, show_table

    cells = [
        [str(r["name"]), str(r["arity"]), str(r["domain"]), str(r["derivative"]).replace("; ", "\n")] for r in rows
    ]
    columns = Columns(["name", "arity", "domain", "derivative"], [ATOM, NUMBER, TEXT, ATOM])
    if min_width(columns, cells) + 12 <= console.width:  # the domain's prose keeps a dozen columns or more
        show_table(console, columns, cells, "adcli functions")
        return
    console.print(Text("adcli functions", style="bold"))
    for name, arity, domain, derivative in cells:
        console.print(Text(f"{name}  ({arity} argument{'s' if arity != '1' else ''})", style="bold", overflow="fold"))
        for line in fold(domain.split(" "), console.width - 2, indent="", gap=" "):
            console.print(Text(f"  {line}", overflow="fold"))
        for formula in derivative.split("\n"):
            console.print(Text(f"  {formula}", overflow="fold"))


# ---- derivative expressions (adcli diff) ----------------------------------------------------------


def derivative_label(column: Sequence[str], unicode: bool = True, output: str = "") -> str:
    """∂/∂x, ∂²/∂x², ∂³/∂x²∂y (d/dx, d^2/dx^2, d^3/dx^2dy without Unicode); output: d(f1)/dx."""
    k = len(column)
    d = "∂" if unicode else "d"
    shown = f"({output})" if output else ""
    if k == 1:
        return f"{d}{shown}/{d}{column[0]}"

    def power(n: int) -> str:
        if n == 1:
            return ""
        return "".join("⁰¹²³⁴⁵⁶⁷⁸⁹"[int(c)] for c in str(n)) if unicode else f"^{n}"

    runs: list[list[Any]] = []  # x, x, y: [x, 2], [y, 1]
    for w in column:
        if runs and runs[-1][0] == w:
            runs[-1][1] += 1
        else:
            runs.append([w, 1])
    return f"{d}{power(k)}{shown}/" + "".join(f"{d}{w}{power(n)}" for w, n in runs)


def _many_points(d: Any) -> bool:
    return d.at is not None and any(isinstance(v, list) for v in d.at.values())


def _diff_entries(d: Any, digits: int, unicode: bool = False) -> list[tuple[str, str, str, str | None]]:
    """(output, column label, expression, value) for every derivative, outputs × columns in order
    (value None without a point, or with many points: those go in a table of their own)."""
    texts = d.latex if d.latex is not None else d.derivatives
    one = d.values is not None and not _many_points(d)
    entries = []
    for i, name in enumerate(d.outputs):
        for k, column in enumerate(d.columns):
            value = number(d.values[i][k], digits) if one else None
            entries.append((name, derivative_label(column, unicode), texts[i][k], value))
    return entries


def diff_points(d: Any, digits: int, unicode: bool = False) -> tuple[list[str], list[list[str]]]:
    """Many points: a header (the variables, the values, each derivative) and one row per point.

    A point that failed shows its error kind in the first value column and `-` in the others (as grad's)."""
    import numpy as np

    one = len(d.outputs) == 1
    header = list(d.at) + (["value"] if one else [f"f{i}" for i in range(1, len(d.outputs) + 1)])
    columns = list(d.at.values()) + list(d.value)
    for i in range(len(d.outputs)):
        for k, column in enumerate(d.columns):
            header.append(derivative_label(column, unicode, "" if one else f"f{i + 1}"))
            columns.append(d.values[i][k])
    arrays = np.broadcast_arrays(*(np.asarray(c, dtype=float) for c in columns))
    failures, lead = d.failures, len(d.at)
    rows = []
    for j in range(arrays[0].size if arrays else 0):
        if failures is not None and failures.mask[j]:
            cells = [number(float(a[j]), digits) for a in arrays[:lead]]
            rows.append(cells + [failures.error(j).kind] + ["-"] * (len(arrays) - lead - 1))
        else:
            rows.append([number(float(a[j]), digits) for a in arrays])
    return header, rows


POINT_ERRORS = 20  # failed points whose errors are listed on stderr (json lists them all)


def origin(place: tuple[str, int] | None, exc: AdcliError | None = None) -> str:
    """`file:line: ` (with `column:` for an error with a place) before a batch problem's messages on stderr;
    nothing for the EXPR argument (place None)."""
    if place is None:
        return ""
    file, line = place
    if exc is None or exc.line is None:
        return f"{file}:{line}: "
    return f"{file}:{line + exc.line - 1}:" + (f"{exc.column}: " if exc.column else " ")


def diff_point_errors(d: Any, place: tuple[str, int] | None = None) -> list[str]:
    """The errors of the points that failed: `error[kind]: point 3 of 5: …` (the first POINT_ERRORS)."""
    failures = d.failures
    if failures is None:
        return []
    n, lines = len(failures.mask), []
    for i in failures.index[:POINT_ERRORS].tolist():
        exc = failures.error(i)
        lines.append(f"{origin(place, exc)}error[{exc.kind}]: point {i + 1:,} of {n:,}: {exc.message}")
    if len(failures) > POINT_ERRORS:
        more = len(failures) - POINT_ERRORS
        said = f"… {more:,} more point{'s' if more != 1 else ''} failed: --format json gives each one's error"
        lines.append(f"{origin(place)}{said}")
    return lines


def _shared_lines(d: Any) -> list[str]:
    definitions = d.shared_latex if d.shared_latex is not None else d.shared
    return [f"{name} = {text}" for name, text in definitions or []]


def steps_lines(tree: Any) -> list[str]:
    """A step tree as indented text (the Rich tree's plain twin); a node met twice says so."""
    lines = [tree.title]
    seen: set[int] = set()
    stack: list[tuple[int, str, bool]] = [(0, "", True)]
    while stack:
        i, indent, last = stack.pop()
        step = tree.steps[i]
        branch = "└─ " if last else "├─ "
        if i in seen:
            lines.append(f"{indent}{branch}{step.node}: (as above)")
            continue
        seen.add(i)
        formula = f"  [{step.formula}]" if step.formula else ""
        raw = f"{step.unsimplified} = " if getattr(step, "unsimplified", "") else ""
        lines.append(f"{indent}{branch}{step.node}: {step.rule}{formula}  →  {raw}{step.derivative}")
        below = indent + ("   " if last else "│  ")
        stack.extend((c, below, n == 0) for n, c in enumerate(reversed(step.children)))
    if tree.omitted:
        lines.append(f"… {tree.omitted} more step{'s' if tree.omitted != 1 else ''} not shown")
    lines.append(f"result: {tree.result}")
    return lines


def diff_plain(d: Any, digits: int, out: IO[str], err: IO[str], place: tuple[str, int] | None = None) -> None:
    """Just the derivatives, one per line (outputs × wrt); with a point, a tab and the value.

    Point errors, notes and warnings go to err, after a batch problem's `file:line:` (place)."""
    lines = [line for tree in d.steps or [] for line in [*steps_lines(tree), ""]]
    lines += _shared_lines(d)
    lines += [text if value is None else f"{text}\t{value}" for _, _, text, value in _diff_entries(d, digits)]
    if _many_points(d):  # the derivatives, a blank line, then one aligned row per point
        header, rows = diff_points(d, digits)
        widths = [max(len(r[k]) for r in [header, *rows]) for k in range(len(header))]
        lines += ["", *("  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in [header, *rows])]
    out.write("".join(line + "\n" for line in lines))
    out.flush()
    for line in diff_point_errors(d, place):
        err.write(line + "\n")
    for note in d.notes:
        err.write(f"{origin(place)}note: {note}\n")
    for w in d.warnings:
        err.write(f"{origin(place)}warning[{w.kind}]: {w.message}\n")


def _steps_tree(tree: Any) -> Any:
    from rich.text import Text
    from rich.tree import Tree

    root = Tree(Text(tree.title, style="bold"))
    seen: set[int] = set()
    stack: list[tuple[int, Any]] = [(0, root)]
    while stack:
        i, parent = stack.pop()
        step = tree.steps[i]
        if i in seen:
            parent.add(Text(f"{step.node}: (as above)", style="dim"))
            continue
        seen.add(i)
        label = Text(step.node, style="bold")
        label.append(f"  {step.rule}", style="cyan")
        if step.formula:
            label.append(f"  [{step.formula}]", style="dim")
        raw = f"{step.unsimplified} = " if getattr(step, "unsimplified", "") else ""
        label.append(f"  →  {raw}{step.derivative}")
        branch = parent.add(label)
        stack.extend((c, branch) for c in reversed(step.children))
    if tree.omitted:
        root.add(Text(f"… {tree.omitted} more step{'s' if tree.omitted != 1 else ''} not shown", style="dim"))
    root.add(Text(f"result: {tree.result}", style="green"))
    return root


def diff_table(
    d: Any, digits: int, console: Any, err: IO[str] | None = None, place: tuple[str, int] | None = None
) -> None:
    """Steps as Rich trees, shared definitions, then one row per derivative; failed points' errors to err."""
    from rich.text import Text

    for tree in d.steps or []:
        console.print(_steps_tree(tree))
    for line in _shared_lines(d):
        console.print(Text(line))
    from adcli.render.layout import ATOM, NUMBER, TEXT, Columns, show_table

    many = _many_points(d)
    caption = [f"at {', '.join(f'{k} = {number(v, digits)}' for k, v in d.at.items())}"] if d.at and not many else []
    shown = d.values is not None and not many
    one = len(d.outputs) == 1  # then the title names it: no column repeating it
    header = [*([] if one else ["output"]), "derivative", "expression", *(["value"] if shown else [])]
    kinds = [*([] if one else [TEXT]), ATOM, TEXT, *([NUMBER] if shown else [])]
    rows = [
        [*([] if one else [output]), label, text, *([value] if value is not None else [])]
        for output, label, text, value in _diff_entries(d, digits, unicode=True)
    ]
    show_table(console, Columns(header, kinds), rows, d.read_as, caption)
    if many:
        _diff_points_table(d, digits, console)
        console.file.flush()
        for line in diff_point_errors(d, place):
            (err or console.file).write(line + "\n")
    for note in d.notes:
        console.print(Text(f"note: {note}", style="cyan"))
    for w in d.warnings:
        console.print(Text(f"warning[{w.kind}]: {w.message}", style="yellow"))


def _diff_points_table(d: Any, digits: int, console: Any) -> None:
    """Many points: one row per point, the first 1,000 (as for grad's points); plain and json have them all."""
    from rich.text import Text

    from adcli.render.layout import Columns, show_table

    limit = 1000
    header, rows = diff_points(d, digits, unicode=True)
    show_table(
        console,
        Columns.numbers(header, len(d.at)),
        rows[:limit],
        caption=[f"{len(rows):,} point{'s' if len(rows) != 1 else ''}"],
    )
    if len(rows) > limit:
        more = len(rows) - limit
        console.print(Text(f"… {more:,} more point{'s' if more != 1 else ''}: --format plain or json lists them all"))
