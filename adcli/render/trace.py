"""Traces to the screen: the survey's Tables 2 and 3 as Rich tables, as plain text, or as JSON.

Only rendering lives here (adcli.commands.trace computes, adcli.core.notation spells a row); Rich is imported
only when a table is drawn.
"""

from __future__ import annotations

from typing import IO, Any

from adcli.commands.trace import Row, Trace
from adcli.core.notation import spell, style
from adcli.render.results import dumps, number


def _full(x: float) -> str:
    """Every digit: the shortest text that reads back as the same float."""
    return str(int(x)) if x == int(x) and abs(x) < 1e15 else repr(float(x))


def lines(rows: list[Row], digits: int, ascii: bool) -> list[str]:
    """Each row spelled out: `v̇₂ = v̇₋₁·v₀ + v̇₀·v₋₁ = 1·5 + 0·2 = 5`, with its bound name."""

    def fmt(x: float) -> str:
        return number(x, digits)

    return [
        spell(r.target, r.forms, r.numbers, r.value, fmt, ascii) + (f"   ({r.label})" if r.label else "") for r in rows
    ]


def _vector(values: list[float], digits: int) -> str:
    inner = ", ".join(number(v, digits) for v in values)
    return f"({inner})" if len(values) != 1 else inner


def headings(trace: Trace, digits: int, ascii: bool) -> dict[str, str]:
    """The title of each trace, with the seed it starts from."""
    out = {"primal": "Forward primal trace"}
    if trace.direction is not None:
        seed = style("{x}dot", ascii)
        out["tangent"] = f"Forward tangent trace, {seed} = {_vector(list(trace.direction.values()), digits)}"
    if trace.cotangent is not None:
        symbol = trace.outputs[0]["label"].split("_")[0] if trace.outputs else "y"
        seed = style("{" + symbol + "}bar", ascii)
        out["adjoint"] = f"Reverse adjoint trace, {seed} = {_vector(trace.cotangent, digits)}"
    if trace.adjoint_tangent is not None:
        out["adjoint_tangent"] = "Forward-over-reverse: tangents of the adjoints (the inputs' are H·v)"
    return out


def _ops(n: int) -> str:
    return f"{n} op" + ("s" if n != 1 else "")


def cost_lines(trace: Trace, ascii: bool) -> list[str]:
    """Op counts of the sweeps, and their ratio to the primal (with the partials they need)."""
    c, times = trace.cost, "x" if ascii else "×"
    primal = c["primal_ops"]
    derivatives = f"{c['partials']} local derivative" + ("s" if c["partials"] != 1 else "")
    out = [f"primal sweep: {_ops(primal)}; partials: {derivatives}, {_ops(c['partial_ops'])}"]
    for sweep, key in (
        ("tangent", "tangent_ops"),
        ("adjoint", "adjoint_ops"),
        ("adjoint-tangent", "adjoint_tangent_ops"),
    ):
        if key in c:
            total = c[key] + c["partial_ops"]
            ratio = f", {total / primal:.2g}{times} the primal" if primal else ""
            out.append(f"{sweep} sweep: {_ops(c[key])} + {c['partial_ops']} for the partials = {total}{ratio}")
    n, m = len(trace.wrt), len(trace.outputs)
    arrow, r = ("->", "R^") if ascii else ("→", "ℝ")
    sup = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
    shape = (
        f"f: {r}{n} {arrow} {r}{m}" if ascii else f"f: {r}{str(n).translate(sup)} {arrow} {r}{str(m).translate(sup)}"
    )
    plural = "s" if n != 1 else ""
    out.append(
        f"{shape}: the full Jacobian takes {n} tangent sweep{plural} or {m} adjoint sweep{'s' if m != 1 else ''}"
    )
    return out


def _sections(trace: Trace) -> list[str]:
    return [s for s in ("primal", "tangent", "adjoint", "adjoint_tangent") if getattr(trace, s) is not None]


def _at(trace: Trace, digits: int) -> str:
    return ", ".join(f"{k} = {number(v, digits)}" for k, v in trace.at.items()) or "(no variables)"


def plain(trace: Trace, digits: int, ascii: bool, out: IO[str], err: IO[str]) -> None:
    if _arrays(trace):
        _arrays_text(trace, digits, ascii, out, err)
        return
    """The traces as indented text, one after the other; warnings and notes go to stderr."""
    text = [f"read as: {trace.read_as}", f"at:      {_at(trace, digits)}"]
    titles = headings(trace, digits, ascii)
    for section in _sections(trace):
        text += ["", titles[section]]
        text += ["  " + line for line in lines(getattr(trace, section), digits, ascii)]
    text += ["", *cost_lines(trace, ascii)]
    out.write("\n".join(text) + "\n")
    _messages(trace, lambda s: err.write(s + "\n"))


def _messages(trace: Trace, say: Any) -> None:
    for note in trace.notes:
        say(f"note: {note}")
    for w in trace.warnings:
        say(f"warning[{w['kind']}]: {w['message']}")


def _table(title: str, columns: list[str], blocks: list[list[list[str]]], ascii: bool) -> Any:
    """A Rich table whose rows come in blocks (inputs, operations, outputs) split by rules."""
    from rich import box
    from rich.table import Table
    from rich.text import Text

    grid = Table(title=Text(title), box=box.ASCII if ascii else box.SQUARE, show_lines=False)
    for name in columns:
        grid.add_column(Text(name), no_wrap=False)
    for block in blocks:
        for k, row in enumerate(block):
            grid.add_row(*(Text(cell) for cell in row), end_section=k == len(block) - 1)
    return grid


def _blocks(columns: list[list[str]], cuts: list[int]) -> list[list[list[str]]]:
    """Columns of lines -> rows, in blocks split before each of the given row numbers."""
    height = max(len(c) for c in columns)
    rows = [[c[i] if i < len(c) else "" for c in columns] for i in range(height)]
    edges = [0, *cuts, height]
    return [rows[a:b] for a, b in zip(edges, edges[1:], strict=False) if b > a]


def _fit(text: str, width: int) -> str:
    """A row broken between its ` = ` pieces (never inside a number), the later lines starting `  = `; a
    piece still too wide is broken between its terms (an operator starts the next line, indented deeper)."""
    from rich.cells import cell_len

    pieces = text.split(" = ")
    out, line = [], pieces[0]
    for piece in pieces[1:]:
        if cell_len(f"{line} = {piece}") <= width:
            line = f"{line} = {piece}"
            continue
        out.append(line)
        line = "  ="
        for term in _terms(piece):
            if line.strip() != "=" and cell_len(f"{line} {term}") > width:
                out.append(line)
                line = "   "
            line = f"{line} {term}"
    return "\n".join([*out, line])


def _terms(piece: str) -> list[str]:
    """`a + b·c - (-d)` -> [`a`, `+ b·c`, `- (-d)`]: an operator stays with the term after it."""
    terms: list[str] = []
    for word in piece.split(" "):
        if terms and terms[-1] in ("+", "-", "−", "·", "/", "×"):
            terms[-1] = f"{terms[-1]} {word}"
        else:
            terms.append(word)
    return terms


def _fitted(left: list[str], right: list[str], width: int) -> list[list[str]]:
    """The two columns of a trace table, each row fitted to its share of the terminal (borders take 7)."""
    from rich.cells import cell_len

    room = width - 7
    widest = [max((cell_len(c) for c in col), default=0) for col in (left, right)]
    if sum(widest) <= room:
        return [left, right]
    shares = [room // 2, room - room // 2]
    if widest[0] < shares[0]:
        shares = [widest[0], room - widest[0]]
    elif widest[1] < shares[1]:
        shares = [room - widest[1], widest[1]]
    return [[_fit(c, max(share, 12)) for c in col] for col, share in zip((left, right), shares, strict=True)]


def table(trace: Trace, digits: int, ascii: bool, console: Any) -> None:
    if _arrays(trace):
        import sys

        _arrays_text(trace, digits, ascii, console.file, sys.stderr)
        return
    """Tables 2 and 3 of the survey: primal beside tangent, primal beside adjoint; op counts below."""
    from rich.text import Text

    titles = headings(trace, digits, ascii)
    primal = lines(trace.primal, digits, ascii)
    n, m = trace.n_inputs, len(trace.outputs)
    from adcli.render.layout import caption_lines

    for line in caption_lines([trace.read_as, f"at {_at(trace, digits)}"], console.width, gap="  "):
        console.print(Text(line, style="bold", overflow="fold"))
    if trace.tangent is not None:
        columns = _fitted(primal, lines(trace.tangent, digits, ascii), console.width)
        blocks = _blocks(columns, [n, len(primal) - m])  # inputs | operations | outputs, as in the survey
        console.print(_table("Forward mode", [titles["primal"], titles["tangent"]], blocks, ascii))
    if trace.adjoint is not None:
        columns = _fitted(primal, lines(trace.adjoint, digits, ascii), console.width)
        console.print(_table("Reverse mode", [titles["primal"], titles["adjoint"]], _blocks(columns, []), ascii))
    if trace.adjoint_tangent is not None and trace.adjoint is not None:
        columns = _fitted(
            lines(trace.adjoint, digits, ascii), lines(trace.adjoint_tangent, digits, ascii), console.width
        )
        heads = [titles["adjoint"], titles["adjoint_tangent"]]
        console.print(_table("Forward-over-reverse", heads, _blocks(columns, []), ascii))
    for line in cost_lines(trace, ascii):
        console.print(Text(line, style="dim"))
    _messages(trace, lambda s: console.print(Text(s, style="yellow")))


def _arrays(trace: Any) -> bool:
    from adcli.commands.arraytrace import ArrayTrace

    return isinstance(trace, ArrayTrace)


def _arrays_text(trace: Any, digits: int, ascii: bool, out: IO[str], err: IO[str]) -> None:
    """An array trace (issue 12): its lines, then its notes and warnings on stderr."""
    from adcli.render.arrays import trace_lines

    out.write("\n".join(trace_lines(trace, digits, ascii)) + "\n")
    for note in trace.notes:
        err.write(f"note: {note}\n")
    for w in trace.warnings:
        err.write(f"warning[{w['kind']}]: {w['message']}\n")


def as_json(trace: Trace) -> str:
    if _arrays(trace):
        return dumps(trace.to_dict())
    """trace.to_dict() with each row in the ASCII notation (v[-1], x1dot, ybar) and its text at full precision.

    Rows are kept in a neutral notation inside adcli ({x1}, v_m1); the JSON a user reads speaks the
    notation the tables print, so `target`, `forms` and the keys of `numbers` are written as in --ascii.
    """
    data = trace.to_dict()
    for section in _sections(trace):
        for row, obj in zip(data[section], getattr(trace, section), strict=True):
            row["target"] = style(obj.target, True)
            row["forms"] = [style(form, True) for form in obj.forms]
            row["numbers"] = {style(k, True): v for k, v in obj.numbers.items()}
            row["text"] = spell(obj.target, obj.forms, obj.numbers, obj.value, _full, True)
    return dumps(data)


def table_text(trace: Trace, digits: int, ascii: bool, width: int = 100) -> str:
    """The tables as text at a fixed width (what a terminal of that width shows, without colour)."""
    import io

    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO(), color_system=None, safe_box=ascii)
    table(trace, digits, ascii, console)
    return console.export_text()
