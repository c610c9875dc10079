"""Functions a student defines: `f(x) = x^2 + 1; g(x, y) = f(x)*y; g(sin(t), t)`.

A definition is parsed once into a body graph over its parameters; each call puts the arguments in for
the parameters (`expand`), so the graph a mode sees has no calls at all: every mode, the trace and the
graph drawing work unchanged, and the call's node is labelled `f(sin(t))` wherever labels show.
Recursion cannot be expanded and is refused, as are a wrong number of arguments, a parameter that is a
function or constant name, and a name that is already a function.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from adcli.core.errors import AdcliError
from adcli.core.graph import Node, make, topo_order
from adcli.core.primitives import CONSTANTS, FUNCTIONS

_LETTER = "A-Za-z_\u0391-\u03a9\u03b1-\u03bf\u03c1-\u03c9"  # the grammar's NAME
_NAME = f"[{_LETTER}][{_LETTER}0-9]*"
#: what follows a defined name: `(x, y) =` (not `==`); the parameters on the name's own line
HEAD = re.compile(rf"[ \t]*\([ \t]*({_NAME}(?:[ \t]*,[ \t]*{_NAME})*)[ \t]*\)[ \t]*=(?!=)")
_PARAM = re.compile(_NAME)


@dataclass
class Function:
    """A definition: its name, parameters and body (a graph over the parameters' variables)."""

    name: str
    params: list[str]
    body: Node | None = None  # None while its body is being parsed (a call then is recursion)

    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"


def starts_statement(source: str, pos: int) -> bool:
    """Whether only spaces lie between the start of a statement (text start, `;`, a new line) and pos."""
    i = pos - 1
    while i >= 0 and source[i] in " \t":
        i -= 1
    return i < 0 or source[i] in ";\n\r"


def head(source: str, name: str, end: int, line: int, column: int) -> list[str] | None:
    """The parameters when `name(a, b) =` starts at end (the name's end), else None. A parameter that is a
    function or a constant, or given twice, is a syntax error under it."""
    found = HEAD.match(source, end)
    if found is None:
        return None
    params = []
    for m in _PARAM.finditer(found.group(1)):
        param, place = m.group(), column + (found.start(1) - end) + len(name) + m.start()
        what = "a function" if param in FUNCTIONS else "a constant" if param in CONSTANTS else None
        if what is not None:
            message = f"the parameter {param} of {name} is {what}: name the parameter x, y, t, …"
        elif param in params:
            message = f"{name} has two parameters named {param}"
        else:
            params.append(param)
            continue
        raise AdcliError("syntax_error", message, line=line, column=place, source=source)
    return params


def expand(function: Function, args: list[Node], call_labels: Mapping[Node, str]) -> tuple[Node, dict[Node, Node]]:
    """The body with the arguments put in for the parameters, one loop over its nodes (no recursion), and
    the map old node -> new node (so that calls inside the body keep their labels)."""
    assert function.body is not None
    mapping = dict(zip(function.params, args, strict=True))
    new: dict[Node, Node] = {}
    for n in topo_order([function.body]):
        if n.op == "var" and n.payload in mapping:
            new[n] = mapping[n.payload]  # type: ignore[index]
        elif not n.args:
            new[n] = n
        else:
            new[n] = make(n.op, [new[a] for a in n.args], n.payload)
    return new[function.body], new


def arity_message(function: Function, given: int) -> str:
    want = f"{len(function.params)} argument" + ("s" if len(function.params) != 1 else "")
    return f"{function.name} takes {want} ({', '.join(function.params)}), got {given}"


def recursion_message(name: str) -> str:
    return f"{name} calls itself: a function is expanded at each call, so it cannot be recursive"
