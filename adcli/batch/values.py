"""Array values of a point from outside the expression language (issue 12): generators and files.

`W=randn(64,32)`, `zeros(n)`, `ones(m,n)`, `eye(n)` make arrays (randn from numpy's default_rng
with a seed: a fixed default, printed in the result, or --seed N); `A=@a.npy` loads a .npy file with
np.load(allow_pickle=False) (never unpickled), `@a.csv` / `@a.txt` a table of numbers. Everything
else in the --at text goes to the language's own point parser (numbers, constant expressions,
array literals, sets of values and spans).
"""

from __future__ import annotations

import io
import math
import os
import re
import tokenize
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from adcli.batch.points import memory_budget
from adcli.core.errors import AdcliError
from adcli.language.parser import GENERATORS, Binding, parse_point

DEFAULT_SEED = 0
#: a generated or loaded array larger than this is refused before allocation (32 MB of float64; the
#: sweeps hold several arrays of its size), and so is one over the memory budget (ADCLI_MEMORY_LIMIT)
MAX_ENTRIES = 4_000_000
_GENERATED = re.compile(r"\s*([^\W\d]\w*)\s*=\s*(randn|zeros|ones|eye)\s*\(([^()]*)\)\s*$")
_FILE = re.compile(r"\s*([^\W\d]\w*)\s*=\s*@(.*?)\s*$")
_UNNAMED = re.compile(r"\s*(?:(randn|zeros|ones|eye)\s*\(([^()]*)\)|@(.*?))\s*$")  # --cot ones(2), @c.npy


def pieces(text: str) -> list[str]:
    """The text split at its top-level commas (not those inside brackets, braces or parentheses)."""
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _who(name: str) -> str:
    """`W=` before a generator or file in messages; nothing for one given in order (--cot ones(2))."""
    return f"{name}=" if name else ""


def _dims(name: str, call: str, args: str) -> tuple[int, ...]:
    try:
        dims = tuple(int(a) for a in args.split(",")) if args.strip() else ()
    except ValueError:
        raise AdcliError("usage_error", f"{_who(name)}{call}({args}): the sizes must be whole numbers") from None
    return _checked(name, call, dims, args)


def _checked(name: str, call: str, dims: tuple[int, ...], args: str) -> tuple[int, ...]:
    if not dims or any(d < 1 for d in dims) or len(dims) > 2:
        raise AdcliError("usage_error", f"{_who(name)}{call}({args}): give one or two sizes, each at least 1")
    size = math.prod(dims)  # exact: a float product printed 99999999999999999999999 as 99,999,999,999,999,991,611,392
    if size > min(MAX_ENTRIES, memory_budget() // 64):
        raise AdcliError(
            "limit_exceeded",
            f"{_who(name)}{call}({args}) would have {size:,} entries ({size * 8:,} bytes);"
            f" the limit is {MAX_ENTRIES:,}",
        )
    return dims


def _generated(name: str, call: str, args: str, rng: np.random.Generator) -> np.ndarray:
    return _made(name, call, _dims(name, call, args), args, rng)


def generated(bindings: list[Binding], seed: int | None) -> tuple[list[Binding], bool]:
    """The generators of the text's own point (`at W = randn(3, 2)`: kind "randn", values the sizes) made
    into arrays, in order from one generator of the seed, as --at makes W=randn(3,2) (the same seed gives
    the same values); also whether randn was drawn (then the seed is shown)."""
    if all(b.kind not in GENERATORS for b in bindings):  # the usual point: no generator (default_rng costs ~30 us)
        return bindings, False
    rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
    made, random = [], False
    for b in bindings:
        if b.kind not in GENERATORS:
            made.append(b)
            continue
        args = ",".join(str(int(v)) for v in b.values)
        value = _made(b.name, b.kind, _checked(b.name, b.kind, tuple(int(v) for v in b.values), args), args, rng)
        made.append(Binding(b.name, [value], "array", b.line, b.column))
        random = random or b.kind == "randn"
    return made, random


def _made(name: str, call: str, dims: tuple[int, ...], args: str, rng: np.random.Generator) -> np.ndarray:
    if call == "eye":
        if len(dims) != 1:
            raise AdcliError("usage_error", f"{_who(name)}eye({args}): eye takes one size (a square matrix)")
        return np.eye(dims[0])
    if call == "randn":
        return rng.standard_normal(dims)
    return np.zeros(dims) if call == "zeros" else np.ones(dims)


def load(name: str, path: str) -> np.ndarray:
    """An array from a .npy (no pickles), .csv or .txt file; refused with a one-line error when bad."""
    lower = path.lower()
    if not path:  # `x=@`: the parser said "unexpected '@'"
        raise AdcliError("usage_error", f"{_who(name)}@: give a file after @, as in {_who(name)}@a.npy")
    try:
        if lower.endswith(".npy"):
            value = _npy(name, path)
            if value.dtype.kind not in "biuf":
                raise AdcliError("usage_error", f"{_who(name)}@{path}: dtype {value.dtype} is not numbers")
            if value.size > MAX_ENTRIES:
                raise AdcliError(
                    "limit_exceeded", f"{_who(name)}@{path} has {value.size:,} entries; the limit is {MAX_ENTRIES:,}"
                )
            value = np.array(value, dtype=float)
        elif lower.endswith((".csv", ".txt")):
            text = _text(name, path)
            with warnings.catch_warnings():  # an empty file: refused below, in adcli's words
                warnings.simplefilter("ignore")
                delimiter = "," if lower.endswith(".csv") else None
                value = np.loadtxt(io.StringIO(text), delimiter=delimiter, dtype=float, ndmin=1)
        else:
            raise AdcliError("usage_error", f"{_who(name)}@{path}: adcli reads .npy, .csv and .txt files")
    except FileNotFoundError:
        raise AdcliError("usage_error", f"{_who(name)}@{path}: no such file") from None
    except ValueError as exc:  # a pickled object array, ragged or non-numeric text
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if "pickled" in first or "Python objects" in first:  # numpy's words advised loading it unsafely
            first = "it holds Python objects (pickled data), which adcli never loads"
        raise AdcliError("usage_error", f"{_who(name)}@{path}: not an array of numbers ({first})") from None
    except OSError as exc:
        raise AdcliError("usage_error", f"{_who(name)}@{path}: {exc.strerror or exc}") from None
    return _usable(name, path, value)


def _usable(name: str, path: str, value: np.ndarray) -> np.ndarray:
    """A loaded array, refused when empty, too large, of more than two axes or with a value not finite."""
    if value.size == 0:
        raise AdcliError("usage_error", f"{_who(name)}@{path}: the array is empty")
    if value.size > MAX_ENTRIES:  # a text file from a pipe (@<(…), a FIFO) had no size to check first
        raise AdcliError(
            "limit_exceeded", f"{_who(name)}@{path} has {value.size:,} entries; the limit is {MAX_ENTRIES:,}"
        )
    if value.ndim > 2:
        raise AdcliError("usage_error", f"{_who(name)}@{path}: shape {value.shape}: adcli takes vectors and matrices")
    if not np.all(np.isfinite(value)):
        raise AdcliError("usage_error", f"{_who(name)}@{path}: holds a value that is not finite")
    return value


def _npy(name: str, path: str) -> np.ndarray:
    """np.load of a .npy file, never unpickled; an .npz archive (np.load's other answer) or a header numpy cannot
    read (its tokenizer's TokenError, not a ValueError: an internal_error before) is refused as not an array."""
    if os.path.exists(path) and not os.path.isfile(path) and not os.path.isdir(path):  # a FIFO: open() waits
        raise AdcliError("usage_error", f"{_who(name)}@{path}: not a regular file (a .npy is read with np.load)")
    with open(path, "rb") as f:  # /dev/zero as z.npy: numpy took it for pickled data and advised unpickling it
        magic = f.read(6)
    if magic[:4] == b"PK\x03\x04":
        raise AdcliError("usage_error", f"{_who(name)}@{path}: an .npz archive, not one array: save it with np.save")
    if magic != b"\x93NUMPY":
        raise AdcliError("usage_error", f"{_who(name)}@{path}: not a .npy file (no numpy header: save it with np.save)")
    try:
        value = np.load(path, allow_pickle=False, mmap_mode="r")
    except (SyntaxError, tokenize.TokenError, EOFError) as exc:
        what = type(exc).__name__
        raise AdcliError("usage_error", f"{_who(name)}@{path}: not a .npy file numpy can read ({what})") from None
    if not isinstance(value, np.ndarray):  # an .npz archive named .npy: np.load gives its NpzFile
        getattr(value, "close", lambda: None)()
        raise AdcliError("usage_error", f"{_who(name)}@{path}: an .npz archive, not one array: save it with np.save")
    return value


TEXT_LIMIT = MAX_ENTRIES * 32  # characters of a .csv or .txt array: 32 a number, with its separator


def _text(name: str, path: str) -> str:
    """A .csv or .txt file's text, read up to TEXT_LIMIT characters: its size on disk was checked, but
    /dev/zero named z.csv (a MemoryError, an internal_error) or a FIFO (84 million entries read) has none."""
    with open(path, encoding="utf-8") as f:
        text = f.read(TEXT_LIMIT + 1)
    if len(text) > TEXT_LIMIT:
        raise AdcliError(
            "limit_exceeded", f"{_who(name)}@{path} is longer than {TEXT_LIMIT:,} characters, too large to read"
        )
    return text


def point_bindings(text: str, seed: int | None = None) -> tuple[list[Binding], bool]:
    """Parse an --at text: generated and file arrays here, the rest by the language. Also: was randn used?"""
    if not text.strip():
        return [], False  # an empty point: a problem without variables (`pi*e`), as its `at: {}` reads
    if "@" not in text and not any(word in text for word in ("randn", "zeros", "ones", "eye")):
        return parse_point(text), False  # the common case: the language's own point syntax, in one parse
    rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
    found: list[tuple[Binding, int]] = []  # each binding with its piece's offset in the text, for carets
    random, offset = False, 0
    for piece in pieces(text):
        try:
            made, drawn = _piece(piece, rng)
        except AdcliError as exc:
            raise _placed(exc, text, offset, piece) from None
        found += [(b, offset) for b in made]
        random = random or drawn
        offset += len(piece) + 1
    seen: set[str] = set()
    for b, at in found:
        if b.name in seen:
            error = AdcliError("usage_error", f"{b.name} is given two values in one point")
            raise _placed(error, text, at, text[at:])
        seen.add(b.name)
    return [b for b, _ in found], random


def made_outside(text: str) -> dict[str, str]:
    """The names an --at text gives a generated or file array, each with its generator (randn, zeros,
    ones, eye) or "@": what the REPL shows of `:at W=randn(64,32)` rather than 2,048 numbers."""
    found = {}
    for piece in pieces(text):
        generated, loaded = _GENERATED.match(piece), _FILE.match(piece)
        if generated or loaded:
            found[(generated or loaded).group(1)] = generated.group(2) if generated else "@"  # type: ignore[union-attr]
    return found


def _piece(piece: str, rng: np.random.Generator) -> tuple[list[Binding], bool]:
    """One top-level piece of an --at text: a generated array, a file's, or the language's point syntax."""
    generated, loaded = _GENERATED.match(piece), _FILE.match(piece)
    if generated:
        name, call, args = generated.groups()
        return [Binding(name, [_generated(name, call, args, rng)], "array")], call == "randn"
    if loaded:
        return [Binding(loaded.group(1), [load(loaded.group(1), loaded.group(2))], "array")], False
    return (parse_point(piece) if piece.strip() else []), False


def in_order(text: str, constants: Callable[[str], list[Any]], seed: int | None = None) -> list[Any]:
    """Values given in order, not by name (--cot's weights, --dir's and --hvp's entries in --wrt order):
    each top-level piece a generator (`ones(2)`, `randn(3)`, with the seed), a file (`@c.npy`) or, by
    `constants`, the language's numbers, arrays and constant expressions, as --at reads a value."""
    if "@" not in text and not any(word in text for word in ("randn", "zeros", "ones", "eye")):
        return constants(text)  # the usual case, in one parse
    rng = np.random.default_rng(DEFAULT_SEED if seed is None else seed)
    found, offset = [], 0
    for piece in pieces(text):
        made = _UNNAMED.match(piece)
        try:
            if made and made.group(3) is not None:
                found.append(load("", made.group(3)))
            elif made:
                found.append(_generated("", made.group(1), made.group(2), rng))
            else:
                found += constants(piece)
        except AdcliError as exc:
            raise _placed(exc, text, offset, piece) from None
        offset += len(piece) + 1
    return found


def _placed(exc: AdcliError, text: str, offset: int, piece: str) -> AdcliError:
    """An error of one piece placed in the whole --at text: the piece's own column moved by its offset, or
    (a file or generator, which has none) a caret at the piece's name; it had no caret, or one under the
    piece alone (`y=randn(2), x=[1,2` showed `x=[1,2` as if it were the whole point)."""
    if exc.line == 1 and exc.column is not None and exc.source is not None:
        exc.column += offset
    elif exc.line is None:
        exc.line, exc.column = 1, offset + len(piece) - len(piece.lstrip()) + 1
    else:
        return exc
    exc.source = text
    return exc
