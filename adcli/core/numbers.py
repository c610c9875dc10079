"""Numbers as adcli reads them: ASCII digits only, in the text, --at, --points, options and the REPL.

Python's `float()`, `int()`, `str.isdigit` and the regular expression `\\d` accept the digits of every
script (`float("٣")` is 3.0, `int("１")` is 1), so each reader that used them read `x=٣` as 3 while
another refused it. Every reader asks here instead: a number is written with 0-9 (the grammar's
NUMBER says the same), and a digit of another script is refused with its name and the ASCII digit
to write instead.
"""

from __future__ import annotations

import math
import re
import unicodedata

#: a number as a cell, an option or --step writes it: the grammar's NUMBER with a sign, inf and nan.
NUMBER = re.compile(r"\s*[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?|inf(?:inity)?|nan)\s*", re.IGNORECASE)
INTEGER = re.compile(r"\s*[+-]?[0-9]+\s*")


def foreign_digit(text: str) -> int | None:
    """The index of the first decimal digit in text that is not ASCII 0-9 (٣, １, ३), or None."""
    for i, ch in enumerate(text):
        if ch.isdecimal() and not "0" <= ch <= "9":
            return i
    return None


def digit_message(ch: str) -> str:
    """Why a digit of another script is refused, with the ASCII digit to write instead."""
    name = unicodedata.name(ch, "a digit of another script")
    return f"{ch!r} ({name}) is not an ASCII digit: numbers are written with 0-9, so write {unicodedata.decimal(ch)}"


def check_ascii(text: str) -> None:
    """ValueError naming the first non-ASCII digit of text, if any."""
    i = foreign_digit(text)
    if i is not None:
        raise ValueError(digit_message(text[i]))


def read_float(text: str) -> float:
    """A number as the language writes it (1e-3, -2, .5, inf): ValueError for anything else, in words."""
    check_ascii(text)
    if NUMBER.fullmatch(text) is None:
        raise ValueError(f"{text.strip()!r} is not a number" if text.strip() else "an empty value is not a number")
    return float(text)


def read_int(text: str) -> int:
    """A whole number in ASCII digits: ValueError for anything else, in words."""
    check_ascii(text)
    if INTEGER.fullmatch(text) is None:
        raise ValueError(f"{text.strip()!r} is not a whole number")
    return int(text)


def read_finite(text: str) -> float:
    value = read_float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text.strip()} is not a finite number")
    return value


def span_problem(start: float, stop: float, count: float) -> str | None:
    """What is wrong with a span start:stop:count, or None: asked where the span is parsed (a caret at its
    name, in --at and a text's `at`) and where its values are made (adcli.batch.points, for the API)."""
    if count != int(count) or count < 1:
        return "the count (the third number) must be a whole number >= 1"
    if count > 1 and not math.isfinite(stop - start):  # -1e308:1e308: the steps are NaN and Infinity
        return "the width of the span, stop - start, overflows a float"
    return None
