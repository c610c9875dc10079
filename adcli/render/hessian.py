"""`adcli hess` and `adcli taylor` on the screen: aligned text, Rich tables, JSON.

The plain text is the table's content without boxes, so that both say the same; warnings and notes
go to stderr, as for grad.
"""

from __future__ import annotations

from typing import IO, Any

from adcli.render.results import dumps, number

# ---- hess ---------------------------------------------------------------------------------------


def _aligned(rows: list[list[str]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w) for i, (cell, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    ]


def verdict_text(h: Any, digits: int) -> str:
    """The one-line verdict: the word, and why (the gradient's size, the eigenvalues' signs)."""
    if h.verdict is None:
        return ""
    norm = number(h.gradient_norm, 3)
    if not h.critical_point:
        convex = (
            "the Hessian is positive definite (f is convex near this point)"
            if h.positive_definite
            else "the Hessian is not positive definite"
        )
        bound = number(h.tolerance["gradient"], 2)
        return f"not a critical point: |∇f| = {norm} (a critical point needs at most {bound}); {convex}"
    why = {
        "minimum": "every eigenvalue of the Hessian is positive",
        "maximum": "every eigenvalue of the Hessian is negative",
        "saddle": "the Hessian has eigenvalues of both signs",
        "degenerate": "an eigenvalue is 0 (within "
        f"{number(h.tolerance['eigenvalue'], 2)}) and none has the other sign: the second-order test is inconclusive",
    }[h.verdict]
    return f"{h.verdict}: the gradient is 0 (|∇f| = {norm}) and {why}"


def _how(h: Any) -> str:
    sweeps = f"{h.sweeps} sweep" + ("s" if h.sweeps != 1 else "")
    if "function_evaluations" in h.cost:
        return f"{h.mode}, {h.cost['function_evaluations']} function evaluations"
    return f"{h.mode}, {sweeps}"


def hess_lines(h: Any, digits: int) -> list[str]:
    point = ", ".join(f"{k} = {number(v, digits)}" for k, v in h.at.items()) or "(no variables)"
    lines = [
        f"read as:  {h.read_as}",
        f"at:       {point}",
        f"mode:     {_how(h)}",
        f"value:    {number(h.value, digits)}",
    ]
    lines += ["", "gradient:"] + [
        "  " + r for r in _aligned([[f"d/d{w}", number(g, digits)] for w, g in zip(h.names, h.gradient, strict=True)])
    ]
    if h.hvp is not None:
        v = ", ".join(f"{w} = {number(x, digits)}" for w, x in (h.vector or {}).items())
        lines += ["", f"H·v (v: {v}):"]
        lines += ["  " + r for r in _aligned([[w, number(x, digits)] for w, x in zip(h.names, h.hvp, strict=True)])]
    if h.hessian is not None:
        rows = [["", *h.names]] + [
            [w, *[number(e, digits) for e in row]] for w, row in zip(h.names, h.hessian, strict=True)
        ]
        lines += ["", "Hessian:"] + ["  " + r for r in _aligned(rows)]
        if h.error_estimate is not None:
            largest = max((max(row) for row in h.error_estimate), default=0.0)
            lines.append(f"  (error estimate: every entry within ±{number(largest, 2)})")
        lines += ["", "eigenvalues: " + ", ".join(number(e, digits) for e in h.eigenvalues or [])]
        lines.append(f"verdict:  {verdict_text(h, digits)}")
    return lines


def hess_plain(h: Any, digits: int, out: IO[str], err: IO[str]) -> None:
    out.write("\n".join(hess_lines(h, digits)) + "\n")
    _notes(h, err)


def _heading(console: Any, parts: list[str]) -> None:
    from rich.text import Text

    from adcli.render.layout import caption_lines

    for line in caption_lines(parts, console.width, gap="  "):
        console.print(Text(line, overflow="fold"))


def hess_table(h: Any, digits: int, console: Any) -> None:
    from rich.text import Text

    from adcli.render.layout import ATOM, NUMBER, Columns, show_table

    point = ", ".join(f"{k} = {number(v, digits)}" for k, v in h.at.items()) or "(no variables)"
    _heading(console, [h.read_as, f"at {point}", f"({_how(h)})"])
    console.print(Text(f"value {number(h.value, digits)}"))
    header = ["", "gradient", *(["H·v"] if h.hvp is not None else []), *(h.names if h.hessian is not None else [])]
    rows = []
    for k, w in enumerate(h.names):
        cells = [number(h.gradient[k], digits)]
        cells += [number(h.hvp[k], digits)] if h.hvp is not None else []
        cells += [number(e, digits) for e in h.hessian[k]] if h.hessian is not None else []
        rows.append([w, *cells])
    show_table(console, Columns(header, [ATOM] + [NUMBER] * (len(header) - 1)), rows)
    if h.hessian is not None:
        console.print(Text("eigenvalues: " + ", ".join(number(e, digits) for e in h.eigenvalues or [])))
        console.print(Text(verdict_text(h, digits), style="bold"))
    _console_notes(h, console)


# ---- taylor -------------------------------------------------------------------------------------


def taylor_lines(t: Any, digits: int) -> list[str]:
    from adcli.commands.taylor import polynomial

    point = ", ".join(f"{k} = {number(v, digits)}" for k, v in t.at.items()) or "(no variables)"
    lines = [f"read as:  {t.read_as}", f"at:       {point}"]
    if t.direction is not None:
        lines.append("along:    " + ", ".join(f"{k} = {number(v, digits)}" for k, v in t.direction.items()))
    lines.append(f"order:    {t.order} (Taylor mode: truncated power series on the tape)")
    rows = [["k", "c_k", "k!·c_k"]] + [
        [str(k), number(c, digits), number(d, digits)]
        for k, (c, d) in enumerate(zip(t.coefficients, t.derivatives, strict=True))
    ]
    lines += [""] + _aligned(rows) + [""]
    centre = float(t.at.get(t.variable, 0.0)) if t.direction is None else 0.0
    lines.append(f"polynomial: {polynomial(t.coefficients, t.variable, centre, digits)}")
    if t.latex is not None:
        lines.append(f"latex:      {polynomial(t.coefficients, t.variable, centre, digits, latex=True)}")
    return lines


def taylor_plain(t: Any, digits: int, out: IO[str], err: IO[str]) -> None:
    out.write("\n".join(taylor_lines(t, digits)) + "\n")
    _notes(t, err)


def taylor_table(t: Any, digits: int, console: Any) -> None:
    from adcli.commands.taylor import polynomial
    from adcli.render.layout import Columns, print_folded, show_table

    point = ", ".join(f"{k} = {number(v, digits)}" for k, v in t.at.items()) or "(no variables)"
    along = (
        []
        if t.direction is None
        else ["along " + ", ".join(f"{k} = {number(v, digits)}" for k, v in t.direction.items())]
    )
    _heading(console, [t.read_as, f"at {point}", *along, f"(order {t.order}, Taylor mode)"])
    rows = [
        [str(k), number(c, digits), number(d, digits)]
        for k, (c, d) in enumerate(zip(t.coefficients, t.derivatives, strict=True))
    ]
    show_table(console, Columns.numbers(["k", "cₖ", "k!·cₖ"]), rows)
    centre = float(t.at.get(t.variable, 0.0)) if t.direction is None else 0.0
    print_folded(console, "polynomial:", polynomial(t.coefficients, t.variable, centre, digits))
    if t.latex is not None:
        print_folded(console, "latex:", polynomial(t.coefficients, t.variable, centre, digits, latex=True))
    _console_notes(t, console)


# ---- shared -------------------------------------------------------------------------------------


def as_json(result: Any) -> str:
    return dumps(result.to_dict())


def _notes(result: Any, err: IO[str]) -> None:
    for note in result.notes:
        err.write(f"note: {note}\n")
    for w in result.warnings:
        err.write(f"warning[{w.kind}]: {w.message}\n")


def _console_notes(result: Any, console: Any) -> None:
    from rich.text import Text

    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))
    for w in result.warnings:
        console.print(Text(f"warning[{w.kind}]: {w.message}", style="yellow"))
