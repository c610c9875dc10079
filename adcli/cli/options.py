"""The options several commands share, declared once: their Typer types and the reading of their text.

Imported when the command line starts: nothing here imports numpy, lark or rich until an option is read.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

INPUT, OUTPUT, NUMERIC = "Input: the point and problems", "Output", "Numeric mode"  # --help's panels

Problems = Annotated[
    str | None,
    typer.Argument(
        help="The expression, e.g. 'sin(x)*y'. '-' or no EXPR with a pipe: one problem per line from stdin."
    ),
]
Files = Annotated[
    list[str] | None,
    typer.Option("--file", "-f", help="Read problems from a file, one per line; repeatable.", rich_help_panel=INPUT),
]
PointsFile = Annotated[
    list[str] | None,
    typer.Option(
        "--points",
        help="A CSV file of points: a header row of variable names, then rows; repeatable (crossed).",
        rich_help_panel=INPUT,
    ),
]
Grid = Annotated[
    bool,
    typer.Option(
        "--grid/--zip",
        help="Cross spans, sets and tables (every combination, the default) or pair them.",
        rich_help_panel=INPUT,
    ),
]
At = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        help="The point: x=1,y=2 (pi/4, -1e-3); arrays x=[1,2], W=randn(3,2), @w.npy; sets x={1,2}, spans x=0:1:11;"
        " repeatable.",
        rich_help_panel=INPUT,
    ),
]
Wrt = Annotated[
    str | None,
    typer.Option("--wrt", help="Columns of the Jacobian: x,y (default: the point's order).", rich_help_panel=INPUT),
]
Format = Annotated[
    str | None,
    typer.Option("--format", help="table | plain | json (default: table on a terminal).", rich_help_panel=OUTPUT),
]
Presented = Annotated[
    str | None,
    typer.Option(
        "--format", help="table | plain | json | jsonl (default: table on a terminal).", rich_help_panel=OUTPUT
    ),
]
BatchFormat = Annotated[
    str | None,
    typer.Option(
        "--format",
        help="table | plain | json | jsonl | csv | npz | parquet (default: table on a terminal).",
        rich_help_panel=OUTPUT,
    ),
]
Full = Annotated[
    bool,
    typer.Option("--full", help="Arrays: every entry, not numpy's summary with corners and ….", rich_help_panel=OUTPUT),
]


def _save_path(value: Any) -> Any:
    """--save's file: an empty name (`--save ""`, an unset shell variable) was skipped silently, exit 0."""
    if isinstance(value, str) and not value.strip():
        raise typer.BadParameter("give a file name, such as out.npz")
    return value


Save = Annotated[
    str | None,
    typer.Option(
        "--save",
        parser=_save_path,
        metavar="<str>",
        help="Write the numbers to FILE.npz (arrays: the value and each gradient; points: csv's columns).",
        rich_help_panel=OUTPUT,
    ),
]


_WORD = {int: "integer", float: "float"}


def ascii_number(kind: type, low: float | None = None, high: float | None = None) -> Any:
    """A Typer parser for a numeric option: ASCII digits only (adcli.numbers; int("٣") would be 3), in range."""

    def parse(value: Any) -> Any:
        if not isinstance(value, str):  # the default
            return value
        from adcli.core import numbers

        try:
            number = numbers.read_int(value) if kind is int else numbers.read_float(value)
        except ValueError as exc:  # Click's own words, but for a digit of another script
            said = str(exc) if numbers.foreign_digit(value) is not None else f"{value!r} is not a valid {_WORD[kind]}."
            raise typer.BadParameter(said) from None
        if (low is not None and number < low) or (high is not None and number > high):
            limits = f"{low}<=x<={high}" if high is not None else f"x>={low}"
            raise typer.BadParameter(f"{value} is not in the range {limits}.")
        return number

    parse.__name__ = kind.__name__
    return parse


def _int_option(
    *names: str,
    low: int | None = None,
    high: int | None = None,
    help: str,  # noqa: A002
    panel: str | None = None,
) -> Any:
    return typer.Option(
        *names, parser=ascii_number(int, low, high), metavar="INTEGER", help=help, rich_help_panel=panel
    )


def _float_option(*names: str, help: str) -> Any:  # noqa: A002
    return typer.Option(*names, parser=ascii_number(float), metavar="FLOAT", help=help)


Precision = Annotated[
    int, _int_option("--precision", low=1, high=17, help="Significant digits shown (JSON: all).", panel=OUTPUT)
]
Order = Annotated[int, _int_option("--order", help="Derivative order: 2 gives all second partials.")]
Samples = Annotated[int, _int_option("--samples", help="Random in-domain points to check at.")]
CheckSeed = Annotated[int, _int_option("--seed", low=0, help="Seed of the random points.")]  # numpy's: >= 0
Seed = Annotated[
    int | None,
    _int_option(
        "--seed",
        low=0,
        help="The seed of randn(…) values in --at (and jac's --dir, --cot; default 0, printed).",
        panel=INPUT,
    ),
]
RelativeAgreement = Annotated[float, _float_option("--rtol", help="Relative tolerance of agreement.")]
AbsoluteAgreement = Annotated[float, _float_option("--atol", help="Absolute tolerance of agreement.")]
Relative = Annotated[float, _float_option("--rtol", help="Relative tolerance.")]
Absolute = Annotated[float, _float_option("--atol", help="Absolute tolerance.")]
Shape = Annotated[
    str | None,
    typer.Option(
        "--shape",
        help="Array shapes for matrix calculus: x=3,A=3x3, or symbolic sizes x=n,A=nxn.",
        rich_help_panel=INPUT,
    ),
]
Strict = Annotated[
    bool, typer.Option("--strict", help="Refuse implicit multiplication (2x, x(1+x)).", rich_help_panel=INPUT)
]
Method = Annotated[
    str | None,
    typer.Option(
        "--method",
        help="With --mode numeric: richardson (default), central, forward, backward, complex.",
        rich_help_panel=NUMERIC,
    ),
]
Step = Annotated[  # text, so that 1e-400 is refused for what it is rather than read as 0.0
    str | None,
    typer.Option(
        "--step",
        metavar="FLOAT",
        help="With --mode numeric: the (largest) step h, not the scaled default.",
        rich_help_panel=NUMERIC,
    ),
]
Sweep = Annotated[
    bool,
    typer.Option(
        "--sweep",
        help="With --mode numeric: also the error-versus-step curve of the first partial.",
        rich_help_panel=NUMERIC,
    ),
]
Ascii = Annotated[bool, typer.Option("--ascii", help="Write v[-1], vdot[2], vbar[0] (automatic if needed).")]
Cot = Annotated[str | None, typer.Option("--cot", help="The adjoint seed: output weights 1,0 (default: 1, 0, …).")]


_EMPTY_LIST = {
    "--modes": "--modes names no mode: give forward,reverse",
    "--with": "--with names no framework: give torch or torch,jax",
}


def wrt_names(wrt: str | None, option: str = "--wrt") -> list[str] | None:
    """`x,y` -> ["x", "y"] (--wrt, and the lists of --modes and --with); None when the option is absent.
    A blank --wrt is no columns (the API refuses it unless the expression has no variables: `pi*e`)."""
    if wrt is None:
        return None
    found = [w.strip() for w in wrt.split(",") if w.strip()]
    if not found and option in _EMPTY_LIST:
        from adcli.core.errors import AdcliError

        raise AdcliError("usage_error", _EMPTY_LIST[option])
    return found


def numeric_options(mode: str, method: str | None, step: str | None, sweep: bool, precision: int) -> Any:
    """Numeric mode's options (adcli.modes.numeric.estimate.Options), or None for the other modes."""
    if mode != "numeric":
        if method is not None or step is not None or sweep:
            from adcli.core.errors import AdcliError

            raise AdcliError("usage_error", "--method, --step and --sweep go with --mode numeric")
        return None
    from adcli.modes.numeric.estimate import Options, parse_step

    return Options(method or "richardson", None if step is None else parse_step(step), precision, sweep)


def seed_values(option: str, text: str | None, seed: int | None = None) -> Any:
    """`x=1,y=0` (by name) or `1,0` (in order) -> a dict or a list of finite numbers; bad text is a usage error.
    randn(…) draws with --seed, as --at's does (it drew with seed 0 whatever --seed said)."""
    if text is None:
        return None
    from adcli import api
    from adcli.batch.values import in_order, point_bindings
    from adcli.language.parser import cut

    try:
        if "=" in text:
            # as --at reads it: x=ones(3) (was the scalar ones-like of 3), @f.npy
            bindings, _ = point_bindings(text, seed)
            seen: set[str] = set()  # a set: bound.count(n) for each name was quadratic
            twice = next((b.name for b in bindings if b.name in seen or seen.add(b.name)), None)
            if twice is not None:
                raise api.AdcliError("usage_error", f"{twice} is given two values in one point")
            many = next((b.name for b in bindings if b.kind not in ("value", "array")), None)
            if many is not None:
                raise api.AdcliError("usage_error", f"{many} takes one number or array, not a set of values or a span")
            values: Any = {b.name: b.values[0] for b in bindings}
        else:
            values = in_order(text, api.constants, seed)  # as --at reads a value: [1,2], ones(2), @c.npy, pi/4
    except api.AdcliError as exc:  # a number too large for a float is bad text too: exit 2
        reason = exc.message.removeprefix(f"bad point {cut(text)!r}: ").removeprefix(f"{text!r}: ")
        reason = reason.replace("weights must be", "entries must be")
        exc.kind, exc.message = "usage_error", f"bad {option} {cut(text)!r}: {reason}"
        raise
    import numpy as np

    if not all(np.all(np.isfinite(v)) for v in (values.values() if isinstance(values, dict) else values)):
        raise api.AdcliError("usage_error", f"bad {option} {cut(text)!r}: entries must be finite numbers")
    return values
