"""--at with plain numbers is read without the parser (issue 15): the same bindings as the parser's."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adcli.core.primitives import CONSTANTS, FUNCTIONS
from adcli.language.parser import _parse, parse_point, plain_point

NAMES = st.from_regex(r"[A-Za-z_α-ορ-ω][A-Za-z0-9_]{0,5}", fullmatch=True).filter(lambda n: n != "at")
NUMBERS = st.floats(allow_nan=False, allow_infinity=False).map(repr) | st.sampled_from(["1.", ".5", "1e5", "-0", "+2"])


@given(
    st.lists(
        st.tuples(NAMES, NUMBERS, st.sampled_from(["", " ", "\t"])), min_size=1, max_size=6, unique_by=lambda t: t[0]
    )
)
def test_plain_numbers_read_as_the_parser_reads_them(pairs: list[tuple[str, str, str]]) -> None:
    text = ",".join(f"{space}{name}{space}={space}{number}" for name, number, space in pairs)
    if any(name in FUNCTIONS or name in CONSTANTS for name, _, _ in pairs):  # the parser's error, not a binding
        assert plain_point(text) is None
        return
    assert plain_point(text) is not None
    assert parse_point(text) == _parse(text, "point")


@pytest.mark.parametrize(
    "text",
    [
        "x=pi",
        "x=1,",
        "x=1, x=2",
        "x=0:1:3",
        "x={1,2}",
        "x=1e999",
        "at=1",
        "x=2y",
        "x=1\ny=2",
        "π=1",
        "tr=1",
        "e=2",
        "sin=0",
    ],
)
def test_anything_else_goes_to_the_parser(text: str) -> None:
    assert plain_point(text) is None
