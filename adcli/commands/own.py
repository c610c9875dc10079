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

    program = text.rstrip().rstrip(";")
    if _ENDS_WITH_DEFINITION.search(program):  # definitions alone: nothing to compute, an output to parse
        program += "; 0"
    try:
        parsed = parse(program, strict=strict)
    except AdcliError as exc:
        if exc.source == program:  # the caret is in the text as typed (`; 0` only ever follows it)
            exc.source = text
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
