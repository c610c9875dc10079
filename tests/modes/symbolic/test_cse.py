"""The shared form: every repeated operation printed once, definitions before use, roots whole."""

from __future__ import annotations

import re

from adcli.language.parser import parse
from adcli.modes.symbolic.cse import shared_form


def test_repeated_parts_are_named_once() -> None:
    outputs = parse("sin(x + y)*cos(x + y), sin(x + y)").outputs
    definitions, results = shared_form(outputs).text()
    assert definitions == [("@1", "x + y"), ("@2", "sin(@1)")]
    assert results == ["@2*cos(@1)", "sin(@1)"]


def test_definitions_come_before_use() -> None:
    text = "*".join(f"(x - {k})" for k in range(1, 40))
    definitions, results = shared_form(parse(text).outputs).text()
    seen: set[str] = set()
    for name, body in definitions:
        assert set(re.findall(r"@\d+", body)) <= seen
        seen.add(name)
    assert set(re.findall(r"@\d+", results[0])) <= seen


def test_latex_shared_form() -> None:
    definitions, results = shared_form(parse("sin(x)^2 + sin(x)").outputs).text(latex=True)
    assert definitions == [("@1", r"\sin\left(x\right)")]
    assert results == ["@1^{2} + @1"]


def test_a_long_root_used_once_is_not_also_a_definition() -> None:
    """Every definition is used: a root over INLINE characters prints whole, never also as `@k = …`."""
    text = " + ".join(f"sin(x*{k})*cos(x*{k})" for k in range(1, 12)) + " + sin(x)^2*sin(x)"
    definitions, results = shared_form(parse(text).outputs).text()
    used = set(re.findall(r"@\d+", " ".join([*results, *(body for _, body in definitions)])))
    assert {name for name, _ in definitions} == used
    assert all(body != results[0] for _, body in definitions)
