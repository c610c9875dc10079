"""`adcli graph` to the screen: the DAG as a Rich tree (shared nodes marked, not repeated) or as DOT.

Both walk the drawing with an explicit stack, never recursion: a graph 100,000 levels deep draws
(the tree is cut at the depth the terminal's width allows, MAX_DEPTH at most, and at MAX_LINES, with a note
of what is left; DOT has no such limit, one line per vertex and edge).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from adcli.commands.drawing import Drawing, Vertex
from adcli.core.notation import name, style, token
from adcli.render.results import dumps, number

MAX_LINES = 400  # tree lines drawn in the terminal; --dot draws everything
MAX_DEPTH = 24  # four columns of guide per level
DOT_ESCAPE = str.maketrans({c: "\\" + c for c in '\\{}|<>"'})


def _v(vertex: Vertex, ascii: bool) -> str:
    return style(token("v", vertex.index), ascii) if vertex.index is not None else ""


def _numbers(vertex: Vertex, digits: int) -> str:
    if vertex.value is None:
        return ""
    grad = f" | grad {number(vertex.adjoint, digits)}" if vertex.adjoint is not None else ""
    return f"data {number(vertex.value, digits)}{grad}"


def _outputs(drawing: Drawing, ascii: bool) -> list[str]:
    symbol = "f" if any(v.op == "input" and v.text == "y" for v in drawing.vertices) else "y"
    if len(drawing.outputs) == 1:
        return [style(name(symbol), ascii)]
    return [style(name(symbol, k=k + 1), ascii) for k in range(len(drawing.outputs))]


def _line(vertex: Vertex, digits: int, ascii: bool) -> str:
    if vertex.op == "const":
        return vertex.text
    parts = [_v(vertex, ascii), vertex.text]
    if vertex.name:
        parts.append(f"({vertex.name})")
    if vertex.uses > 1 and vertex.op != "const":
        parts.append(f"[shared: {vertex.uses} uses]")
    numbers = _numbers(vertex, digits)
    return "  ".join(p for p in parts if p) + (f"   {numbers}" if numbers else "")


def _heights(drawing: Drawing) -> list[int]:
    """Levels of operands below each vertex (0 for an input or a constant): slots come after their arguments."""
    heights = [0] * len(drawing.vertices)
    for v in drawing.vertices:
        if v.args:
            heights[v.slot] = 1 + max(heights[j] for j in v.args)
    return heights


def depth_for(width: int | None) -> int:
    """How many levels fit: each takes 4 columns of guide, and a line wants ~50 for its text."""
    return MAX_DEPTH if width is None else max(2, min(MAX_DEPTH, (width - 50) // 4))


def tree(drawing: Drawing, digits: int, ascii: bool, width: int | None = None) -> Any:
    """A Rich Tree: each output, then its operands below it; a shared vertex in full once, then `↑ v₂`.

    Cut at the depth a terminal of `width` columns can show (MAX_DEPTH at most), saying how many levels are left.
    """
    from rich.text import Text
    from rich.tree import Tree

    max_depth, heights = depth_for(width), _heights(drawing)

    title = drawing.read_as if len(drawing.read_as) <= 160 else drawing.read_as[:159] + "…"
    root = Tree(Text(title), guide_style="dim")
    if ascii:
        root.TREE_GUIDES = [root.ASCII_GUIDES] * 3  # type: ignore[misc]
    shown: set[int] = set()
    lines = 0
    up = "^" if ascii else "↑"
    stack: list[tuple[int, Any, int, str]] = [
        (slot, root, 0, f"{label} = ")
        for slot, label in reversed(list(zip(drawing.outputs, _outputs(drawing, ascii), strict=True)))
    ]
    while stack:
        slot, parent, depth, prefix = stack.pop()
        vertex = drawing.vertices[slot]
        lines += 1
        if lines > MAX_LINES:
            parent.add(Text(f"… {len(stack) + 1} more branches not drawn (adcli graph --dot draws all)", style="dim"))
            break
        if slot in shown:
            parent.add(Text(f"{prefix}{up} {_v(vertex, ascii)} {vertex.text}  (shared, drawn above)", style="cyan"))
            continue
        if vertex.op != "const":
            shown.add(slot)
        branch = parent.add(Text(prefix + _line(vertex, digits, ascii)))
        if depth >= max_depth and vertex.args:
            more = f"{heights[slot]} more level" + ("s" if heights[slot] != 1 else "")
            branch.add(Text(f"… {more} below (--dot draws all)", style="dim"))
            continue
        stack.extend((j, branch, depth + 1, "") for j in reversed(vertex.args))
    return root


def dot(drawing: Drawing, digits: int, ascii: bool) -> str:
    """Graphviz DOT: one record per vertex, `{ v₂ | * | data 10 | grad 1 }`, edges from operand to use."""
    esc: Callable[[str], str] = lambda s: s.translate(DOT_ESCAPE)  # noqa: E731
    out = [
        "digraph adcli {",
        "  rankdir=LR;",
        '  graph [fontname="Helvetica"];',
        '  node [shape=record, fontname="Helvetica"];',
        '  edge [fontname="Helvetica", fontsize=10];',
        f'  label="{esc(drawing.read_as)}";',
    ]
    ids = [token("v", v.index) if v.index is not None else f"c{v.slot}" for v in drawing.vertices]  # v_m1 is v₋₁
    for v in drawing.vertices:
        if v.op == "const":
            out.append(f'  {ids[v.slot]} [label="{esc(v.text)}", shape=plaintext];')
            continue
        fields = [_v(v, ascii) + (f" ({v.name})" if v.name else ""), v.text]
        fields += [f for f in _numbers(v, digits).split(" | ") if f]
        label = "{ " + " | ".join(esc(f) for f in fields) + " }"
        out.append(f'  {ids[v.slot]} [label="{label}"];')
    for v in drawing.vertices:
        for position, j in enumerate(v.args, start=1):  # by position: a parameter name could be a user's variable
            attrs = f' [label="{position}"]' if len(v.args) > 1 else ""
            out.append(f"  {ids[j]} -> {ids[v.slot]}{attrs};")
    for k, (slot, label) in enumerate(zip(drawing.outputs, _outputs(drawing, ascii), strict=True)):
        out.append(f'  out{k + 1} [label="{esc(label)}", shape=plaintext];')
        out.append(f"  {ids[slot]} -> out{k + 1};")
    out.append("}")
    return "\n".join(out) + "\n"


def as_json(drawing: Drawing) -> str:
    from dataclasses import asdict

    def arrays(value: object) -> object:  # an array's value or adjoint (issue 12): nested lists
        if hasattr(value, "tolist"):
            return value.tolist()
        raise TypeError(f"{type(value).__name__} is not JSON")

    return dumps(asdict(drawing), default=arrays)


def tree_text(drawing: Drawing, digits: int, ascii: bool, width: int = 100) -> str:
    """The tree as text at a fixed width (for tests and pipes)."""
    import io

    from rich.console import Console

    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    console.print(tree(drawing, digits, ascii, width))
    return console.export_text()
