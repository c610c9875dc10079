"""`adcli functions "f(x) = x^2 + 1; g(x, y) = f(x)*y"`: a student's functions listed as the built-in ones are,
each with its partial derivatives worked out from its body by symbolic mode (adcli.commands.diff)."""

from __future__ import annotations

import re

from adcli.core.errors import AdcliError
from adcli.core.printing import to_text

_ENDS_WITH_DEFINITION = re.compile(r"\)\s*=[^;\n]*[;\n\s]*\Z")


def function_rows(text: str, strict: bool = False) -> list[dict[str, object]]:
    """One row per function the text defines: name(params), arity, domain, and d/dp = … per parameter."""
    from adcli.commands.diff import diff
    from adcli.language.parser import parse

    typed = text.rstrip().rstrip(";")
    program = typed + "; 0" if _ENDS_WITH_DEFINITION.search(typed) else typed  # an output to parse after them
    try:
        parsed = parse(program, strict=strict)
    except AdcliError as exc:
        if exc.source == program:  # the caret is in the text as typed (`; 0` only ever follows it)
            exc.source = text
            lines = typed.split("\n")
            if (exc.line, exc.column or 0) >= (
                len(lines),
                len(lines[-1]) + 1,
            ):  # at the `; 0` (it said "unexpected ';'")
                exc.line, exc.column = len(lines), len(lines[-1]) + 1
                exc.message = exc.message.replace("unexpected ';'", "unexpected end of input", 1)
                if typed.endswith("="):
                    exc.message = "unexpected end of input: a definition needs a body after '=', as in f(x) = x^2 + 1"
        raise
    if not parsed.functions:
        raise AdcliError("usage_error", "no function is defined here: write one as f(x) = x^2 + 1")
    rows = []
    for function in parsed.functions.values():
        assert function.body is not None
        body = to_text(function.body)
        found = diff(body, function.params, strict=strict)
        partials = [f"d/d{p} = {d}" for p, d in zip(function.params, found.derivatives[0], strict=True)]
        rows.append(
            {
                "name": function.signature(),
                "arity": len(function.params),
                "domain": f"where {body} is defined",
                "derivative": "; ".join(partials),
            }
        )
    return rows
