"""The seeds of one sweep given on the command line — --dir (ẋ), --hvp (v), --cot (ȳ) — matched to a problem.

One place for what every command that takes them checks, so that jac, trace, graph, taylor and hess say
the same thing in the same words (each had its own copy, with its own wording, and some a float() of an
array — an internal_error): by name (`x=1`; the variables not named are 0) or in --wrt order (`1,0`),
each entry in its variable's shape (a number for a scalar), and for --cot one weight per output, in order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError

_PLURAL = {"entry": "entries", "weight": "weights", "variable": "variables", "output": "outputs"}


def counted(n: int, word: str) -> str:
    """`1 entry`, `2 entries`."""
    return f"{n} {word if n == 1 else _PLURAL[word]}"


def _shape(shape: tuple[int, ...]) -> str:
    return "a scalar" if shape == () else f"shape {shape}"


def _shape_words(shape: tuple[int, ...]) -> str:
    return "is a scalar" if shape == () else f"has shape {shape}"


def _few(names: Sequence[str], shown: int = 10) -> str:
    """`x, y` or the first few names and how many more."""
    more = len(names) - shown
    return ", ".join(names[:shown]) + (f" and {more:,} more" if more > 0 else "")


def fitted(option: str, label: str, given: Any, shape: tuple[int, ...]) -> Any:
    """`given` as a float (shape ()) or a float array of `shape`; another shape is a shape_error naming both
    (`--dir for x has shape (2,); x is a scalar`)."""
    value = np.asarray(given, dtype=float)
    if value.shape != tuple(shape):
        message = f"{option} for {label} {_shape_words(value.shape)}; {label} {_shape_words(tuple(shape))}"
        raise AdcliError("shape_error", message)
    return float(value) if value.shape == () else value


def named(option: str, given: Mapping[str, Any] | Sequence[Any], wrt: Sequence[str]) -> dict[str, Any]:
    """--dir or --hvp as {variable: entry}: by name (the names must be variables here) or one entry per
    variable in --wrt order; entries not given are absent (the caller's zeros)."""
    if isinstance(given, Mapping):
        known = set(wrt)
        unknown = [name for name in given if name not in known]
        if unknown:  # a few of each, and how many more: 12,000 names made a 100 KB message
            message = f"{option} names {_few(unknown)}, not a variable here (variables: {_few(wrt) or 'none'})"
            raise AdcliError("usage_error", message)
        return dict(given)
    if len(given) != len(wrt):
        there = counted(len(wrt), "variable") + (f" ({', '.join(wrt)})" if wrt else "")
        raise AdcliError("usage_error", f"{option} has {counted(len(given), 'entry')}; there are {there}")
    return dict(zip(wrt, given, strict=True))


def entries(
    option: str, given: Mapping[str, Any] | Sequence[Any], wrt: Sequence[str], shapes: Sequence[tuple[int, ...]]
) -> dict[str, Any]:
    """Every wrt variable's entry in its shape (a float for a scalar; 0 where a name is not given), laid out
    as grad lays out a gradient: by name (`x=[1,0]`), one entry per variable in --wrt order (`[1,0],2`),
    or every entry of the arrays flattened in that order (`1,0,2`, as --hvp and taylor's --dir took them)."""
    shapes = [tuple(shape) for shape in shapes]
    if isinstance(given, Mapping):
        by_name = named(option, given, wrt)
    else:
        sizes = [math.prod(shape) for shape in shapes]
        fits = len(given) == len(wrt) and all(np.shape(g) == s for g, s in zip(given, shapes, strict=True))
        if not fits and len(given) == sum(sizes) and all(np.ndim(g) == 0 for g in given):
            cuts = np.cumsum([0, *sizes])
            given = [np.asarray(given, dtype=float)[cuts[k] : cuts[k + 1]].reshape(s) for k, s in enumerate(shapes)]
        elif len(given) != len(wrt) and any(shapes):
            listed = ", ".join(f"{n}: {_shape(s)}" for n, s in zip(wrt, shapes, strict=True))
            raise AdcliError(
                "usage_error",
                f"{option} has {counted(len(given), 'entry')}; there are {counted(len(wrt), 'variable')} ({listed}): "
                f"give one per variable in --wrt order, all {sum(sizes)} entries flattened, or name them",
            )
        by_name = named(option, given, wrt)
    return {n: fitted(option, n, by_name.get(n, np.zeros(s)), s) for n, s in zip(wrt, shapes, strict=True)}


def weights(given: Mapping[str, Any] | Sequence[Any], outputs: int) -> list[Any]:
    """--cot's weights, one per output in order (outputs have no names to give them by)."""
    if isinstance(given, Mapping):
        raise AdcliError(
            "usage_error", "--cot takes one weight (a number or an array) per output, in order (1,0), not names"
        )
    if len(given) != outputs:
        raise AdcliError(
            "usage_error", f"--cot has {counted(len(given), 'weight')}; the expression has {counted(outputs, 'output')}"
        )
    return list(given)
