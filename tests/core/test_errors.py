"""Errors are values with a place: the kinds and exit codes of DESIGN.md, the caret, warnings."""

from __future__ import annotations

import pytest

from adcli.api import gradient, prepare, value
from adcli.core.errors import EXIT_CODES, AdcliError, AdcliWarning, worst_exit

#: DESIGN.md, "Error kinds and exit codes".
DESIGN_TABLE = {
    "shape_error": 2,
    "syntax_error": 2,
    "unknown_function": 2,
    "unbound_variable": 2,
    "arity_error": 2,
    "usage_error": 2,
    "limit_exceeded": 2,
    "domain_error": 1,
    "nonfinite": 1,
}


def test_exit_codes_are_the_design_table() -> None:
    # the README's additions: internal_error (exit 3), a bug in adcli, reported per batch line; nondifferentiable
    # (exit 1), a warning at order 1, is an error at order 2 and above (issue 14: hess, taylor); io_error
    # (74, sysexits' EX_IOERR), an output or input that failed
    assert EXIT_CODES == {**DESIGN_TABLE, "internal_error": 3, "nondifferentiable": 1, "io_error": 74}
    for kind, code in DESIGN_TABLE.items():
        assert AdcliError(kind, "m").exit_code == code


def test_an_unknown_kind_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown error kind"):
        AdcliError("oops", "m")


# one user mistake of every kind, through the API the CLI uses
EVERY_KIND = [
    ("syntax_error", lambda: value("sin(x", x=1.0)),
    ("unknown_function", lambda: prepare("sinn(x)", "x=1")),
    ("unbound_variable", lambda: value("x*y", x=1.0)),
    ("arity_error", lambda: value("atan2(x)", x=1.0)),
    ("usage_error", lambda: gradient("x, y", x=1.0, y=2.0)),  # grad of two outputs: use jac
    ("limit_exceeded", lambda: value("x+" * 1_000_001 + "x", x=1.0)),
    ("domain_error", lambda: value("log(x)", x=-1.0)),
    ("nonfinite", lambda: value("exp(x)", x=1000.0)),
]


@pytest.mark.parametrize(("kind", "mistake"), EVERY_KIND, ids=[k for k, _ in EVERY_KIND])
def test_every_kind_is_reachable_with_its_exit_code(kind: str, mistake) -> None:  # noqa: ANN001
    with pytest.raises(AdcliError) as caught:
        mistake()
    assert caught.value.kind == kind
    assert caught.value.exit_code == DESIGN_TABLE[kind]
    assert "\n" not in caught.value.message  # one line


CARETS = [
    # (text, the caret text)
    ("sin(x", "sin(x\n     ^"),
    ("2 +* 3", "2 +* 3\n   ^"),
    ("x**", "x**\n   ^"),
    ("a = x\nb = 2 +* a\nb", "b = 2 +* a\n       ^"),
    ("x @ 2", "x @ 2\n  ^"),
]


@pytest.mark.parametrize(("text", "caret"), CARETS, ids=[t for t, _ in CARETS])
def test_caret_under_the_offending_character(text: str, caret: str) -> None:
    with pytest.raises(AdcliError) as caught:
        value(text, x=1.0)
    assert caught.value.caret() == caret


def test_caret_needs_a_place() -> None:
    assert AdcliError("usage_error", "m").caret() is None
    assert AdcliError("syntax_error", "m", line=1, column=1).caret() is None  # no source
    assert AdcliError("syntax_error", "m", line=5, column=1, source="x").caret() is None  # no such line
    assert AdcliError("syntax_error", "m", line=1, column=3, source="x +\r\ny").caret() == "x +\n  ^"


def test_error_to_dict() -> None:
    err = AdcliError("syntax_error", "unexpected '*'", line=1, column=4, source="2 +* 3")
    assert err.to_dict() == {"kind": "syntax_error", "message": "unexpected '*'", "line": 1, "column": 4}
    assert str(err) == "unexpected '*'"


def test_warning_to_dict_merges_its_details() -> None:
    warning = AdcliWarning("nondifferentiable", "abs(x) is not differentiable at x = 0", {"node": "abs(x)"})
    assert warning.to_dict() == {
        "kind": "nondifferentiable",
        "message": "abs(x) is not differentiable at x = 0",
        "node": "abs(x)",
    }


def test_an_error_after_a_kink_keeps_the_warning() -> None:
    with pytest.raises(AdcliError) as caught:
        gradient("sqrt(abs(x))", x=0.0)
    assert caught.value.kind == "nonfinite"
    assert {w.details["node"] for w in caught.value.warnings} == {"abs(x)", "sqrt(abs(x))"}


@pytest.mark.parametrize(("codes", "worst"), [([], 0), ([0, 0], 0), ([0, 1, 0], 1), ([1, 2, 0], 2), ([2, 1], 2)])
def test_worst_exit_of_a_batch(codes: list[int], worst: int) -> None:
    assert worst_exit(codes) == worst


def test_a_batch_exit_ranks_check_agrees_below_every_failure() -> None:
    """check's 4 ("agrees, not proven") is no failure: a larger number, but a wrong answer (1) beats it."""
    from adcli.core.errors import worst_exit

    assert worst_exit([0, 4, 1]) == 1 and worst_exit([4, 0]) == 4 and worst_exit([4, 2, 1]) == 2
    assert worst_exit([]) == 0


def test_places_are_packed_and_keep_the_first_place() -> None:
    from adcli.core.errors import Places

    places = Places()
    places.add("a", 1, 5)
    places.add("a", 3, 7)  # a shared node: its first place stays
    places.add("b", 40_000, 2_000_000)
    assert places["a"] == (1, 5) and places.get("b") == (40_000, 2_000_000)
    assert "a" in places and "c" not in places and places.get("c", (None, None)) == (None, None)
    assert list(places) == ["a", "b"] and len(places) == 2


def test_the_carets_line_shows_control_characters_and_lines_up_under_wide_ones() -> None:
    """An ESC (a terminal escape sequence) or a bidi override in the text went to the terminal as it is in the
    caret's line; CJK characters, two columns wide, left the caret short by one column each."""
    escaped = AdcliError("syntax_error", "m", line=1, column=3, source="x+\x1b[31m").caret()
    assert escaped == "x+\u241b[31m\n  ^"
    assert AdcliError("usage_error", "m", line=1, column=2, source="1\x00,2").caret() == "1\u2400,2\n ^"
    assert AdcliError("syntax_error", "m", line=1, column=3, source="x+\u202ey").caret() == "x+\ufffdy\n  ^"
    assert AdcliError("syntax_error", "m", line=1, column=4, source="名字+)").caret() == "名字+)\n     ^"
    assert AdcliError("syntax_error", "m", line=1, column=4, source="\tx+)").caret() == "\tx+)\n\t  ^"
    zero_width = AdcliError("syntax_error", "m", line=1, column=2, source="x\u200b+y").caret()
    assert zero_width == "x\ufffd+y\n ^"  # the caret was under the + after the invisible space
    undecodable = AdcliError("syntax_error", "m", line=1, column=3, source="\udcff\udcfe\x17").caret()
    assert undecodable == "\ufffd\ufffd\u2417\n  ^"  # a REPL's undecodable bytes were written as \udcff, 6 columns
