"""Baydin's notation, in Unicode (v̇₋₁, v̄₀, ∂v₂/∂v₀, ẋ1) or in ASCII (vdot[-1], vbar[0], dv[2]/dv[0], x1dot).

Trace rows are kept in a neutral notation that is also Python: placeholders `v_m1`, `vdot_2`,
`vbar_0`, `dv_2` (m for minus), so the same row text is the program `--emit python` writes; the
user's own names sit in braces, `{x1}`, `{x1}dot`, `{y}bar_2`, so that no variable called `v_1`
is ever mistaken for a placeholder. `style` turns a neutral text into what the reader sees.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

PLACEHOLDER = re.compile(r"\b(vbardot|vdot|vbar|dv|v)_(m?)(\d+)\b")
VALUE_PLACEHOLDER = re.compile(r"\b(vbardot|vdot|vbar|v)_m?\d+\b")
NAME = re.compile(r"\{([^{}]+)\}(bardot|dot|bar)?(?:_(\d+))?")
SUBSCRIPTS = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")
ACCENTS = {"dot": "\u0307", "bar": "\u0304", "bardot": "\u0304\u0307"}  # combining dot above, macron
#: vbardot: the tangent of an adjoint (forward-over-reverse, `trace --order 2`)
UNICODE_KINDS = {"v": "v", "vdot": "v\u0307", "vbar": "v\u0304", "vbardot": "v\u0304\u0307", "dv": "∂v"}
#: the characters a Unicode trace needs; if the output encoding lacks one, write ASCII.
SAMPLE = "v\u0307\u0304₋₀₁∂·"


def token(kind: str, index: int) -> str:
    """`token("vdot", -1)` -> `vdot_m1`: a placeholder for vᵢ, v̇ᵢ, v̄ᵢ or ∂vᵢ."""
    return f"{kind}_{'m' if index < 0 else ''}{abs(index)}"


def index_of(placeholder: str) -> int:
    """`v_m1` -> -1, `vbar_2` -> 2."""
    digits = placeholder.rsplit("_", 1)[1]
    return -int(digits[1:]) if digits.startswith("m") else int(digits)


def name(text: str, accent: str = "", k: int | None = None) -> str:
    """A user's name in the neutral notation: `{x1}`, `{x1}dot`, `{y}bar_2`."""
    return "{" + text + "}" + accent + (f"_{k}" if k is not None else "")


def can_show(encoding: str | None) -> bool:
    """Whether an output encoding can show the Unicode notation (else ASCII is written)."""
    try:
        SAMPLE.encode(encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


def _placeholder(match: re.Match[str], ascii: bool) -> str:
    kind, minus, digits = match.groups()
    if ascii:
        return f"{kind}[{'-' if minus else ''}{digits}]"
    return UNICODE_KINDS[kind] + (f"-{digits}" if minus else digits).translate(SUBSCRIPTS)


def _name(match: re.Match[str], ascii: bool) -> str:
    text, accent, k = match.groups()
    if ascii:
        return text + (accent or "") + (f"[{k}]" if k else "")
    marked = text[0] + ACCENTS[accent] + text[1:] if accent else text
    return marked + (k.translate(SUBSCRIPTS) if k else "")


def style(text: str, ascii: bool = False) -> str:
    """Neutral notation -> what the reader sees: `vdot_m1*v_0` -> `v̇₋₁·v₀` or `vdot[-1]*v[0]`."""
    pieces, start = [], 0
    for match in NAME.finditer(text):  # a user's name is never read as a placeholder
        pieces += [_formula(text[start : match.start()], ascii), _name(match, ascii)]
        start = match.end()
    return "".join([*pieces, _formula(text[start:], ascii)])


def _formula(text: str, ascii: bool) -> str:
    text = PLACEHOLDER.sub(lambda m: _placeholder(m, ascii), text)
    return text if ascii else text.replace("*", "·")


def substitute(text: str, numbers: Mapping[str, float], fmt: Callable[[float], str]) -> str:
    """The rule with its numbers: each placeholder replaced by its value (negatives in parentheses)."""

    def number(match: re.Match[str]) -> str:
        shown = fmt(numbers[match.group(0)])
        return f"({shown})" if shown.startswith("-") and match.start() > 0 else shown

    return VALUE_PLACEHOLDER.sub(number, text)


def spell(
    target: str, forms: list[str], numbers: Mapping[str, float], value: float, fmt: Callable[[float], str], ascii: bool
) -> str:
    """One trace row: `v̇₂ = v̇₋₁·v₀ + v̇₀·v₋₁ = 1·5 + 0·2 = 5`."""
    pieces = [style(target, ascii)] + [style(f, ascii) for f in forms]
    shown = fmt(value)
    if numbers and forms:
        with_numbers = style(substitute(forms[-1], numbers, fmt), ascii)
        if with_numbers != shown:
            pieces.append(with_numbers)
    if not forms or pieces[-1] != shown:
        pieces.append(shown)
    return " = ".join(pieces)
