"""The Python API, which the CLI also uses: parse, evaluate, gradient, jacobian, jvp, vjp.

Every function returns a plain `Result` (values, Jacobian, warnings, cost); nothing here prints.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.batch.points import Column, expand, is_many, over_chunks
from adcli.batch.values import DEFAULT_SEED, generated, point_bindings
from adcli.core import seeds
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.graph import topo_order, variables
from adcli.core.primitives import CONSTANTS, FUNCTIONS
from adcli.core.printing import to_text
from adcli.core.shaped import infer_shapes
from adcli.core.tape import ERRSTATE, Tape, evaluate, linearise, local_partials, require_detailed
from adcli.language.parser import (
    GENERATORS,
    READ_AS_LIMIT,
    Binding,
    Parsed,
    check_calls,
    parse,
    parse_point,
)
from adcli.modes import forward, reverse

PointLike = Mapping[str, float] | str | Sequence[str] | None
MODES = ("reverse", "forward", "auto")
HINT_CHARS = 40  # longer names get no did-you-mean hint, and are shown cut in messages
NAMED = 10  # unbound names named in the message; the rest are counted


@dataclass
class Problem:
    """A parsed expression with its point and column order: everything a mode needs."""

    parsed: Parsed
    point: dict[str, float]
    wrt: list[str]
    tape: Tape
    warnings: list[AdcliWarning] = field(default_factory=list)
    each_point: bool = False  # many points: a failing point fails alone (result.failures), not the whole set
    seed: int | None = None  # the seed of the point's randn values, when it has any
    #: the outputs' texts and read_as, made once (a prepared problem differentiated again prints nothing anew)
    texts: tuple[list[str], str] | None = field(default=None, repr=False, compare=False)
    #: an array problem's shapes, labels and gradient cuts (adcli.arrays.describe), made once likewise
    layout: Any = field(default=None, repr=False, compare=False)


class _Listed:
    """A Result field that may be set to a numpy array and reads as nested lists, made on the first read.

    Why: an array problem's Jacobian is found as a matrix, and for a gradient of 44,000 entries (the
    network loss at h = 1024) tolist() was 0.7 ms, a tenth of the whole gradient, while the Python API's
    caller reads .gradient (arrays) and the JSON and .npz writers want the matrix (`Result.matrix`)."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = "_" + name

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:  # the dataclass's default
            return None
        found = obj.__dict__.get(self.key)
        if isinstance(found, np.ndarray):
            found = obj.__dict__[self.key] = found.tolist()
        return found

    def __set__(self, obj: Any, value: Any) -> None:
        obj.__dict__[self.key] = value


@dataclass
class Result:
    """What a computation found; the renderers turn this into tables, JSON or text."""

    input: str
    read_as: str
    outputs: list[str]
    wrt: list[str]
    at: dict[str, float]
    mode: str | None
    sweeps: int
    value: list[float]
    jacobian: list[list[float]] | None = _Listed()  # type: ignore[assignment]
    jvp: list[float] | None = None
    direction: dict[str, float] | None = None
    vjp: list[float] | None = None
    cotangent: list[float] | None = None
    warnings: list[AdcliWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    cost: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    method: str | None = None  # numeric mode: richardson | central | forward | backward | complex
    error_estimate: list[list[float]] | None = None  # numeric mode: shaped like the Jacobian
    nfev: int | None = None  # numeric mode: function evaluations, the point itself included
    sweep: dict[str, Any] | None = None  # numeric mode --sweep: error versus step for one partial
    failures: Any = None  # many points with each_point: the points that failed (adcli.batch.points.Failures)
    # arrays (issue 12): set when the problem has array values or operations (adcli.arrays)
    shapes: dict[str, list[int]] | None = None
    output_shapes: list[list[int]] | None = None
    gradients: dict[str, Any] | None = None  # one array per wrt variable, in its shape
    labelled: Any = None  # (outputs, wrt variables) as (name, shape) pairs: adcli.arrays.labels makes y[0], W[1,0]
    seed: int | None = None  # the seed of randn values in the point

    def has_jacobian(self) -> bool:
        """Whether there is a Jacobian, without listing an array problem's (reading .jacobian lists it)."""
        return self.__dict__.get("_jacobian") is not None

    def matrix(self) -> np.ndarray | None:
        """The Jacobian as a 2-D array (an array problem's as found, without listing it)."""
        found = self.__dict__.get("_jacobian")
        return None if found is None else np.asarray(found, dtype=float)

    @property
    def gradient(self) -> list[float] | None:
        if self.shapes is not None:  # arrays: one array (or number) per wrt variable
            return None if self.gradients is None else list(self.gradients.values())
        return self.jacobian[0] if self.jacobian is not None and len(self.jacobian) == 1 else None

    def to_dict(self, command: str = "jac") -> dict[str, Any]:
        """The JSON object of the README's schema (floats at full precision)."""
        out: dict[str, Any] = {
            "input": self.input,
            "read_as": self.read_as,
            "outputs": self.outputs,
            "wrt": self.wrt,
            "at": self.at,
            "mode": self.mode,
            "sweeps": self.sweeps,
            "value": self.value,
        }
        if command != "eval":
            out["jacobian"] = self.jacobian
        if command == "grad":
            out["gradient"] = self.gradient
        if self.jvp is not None:
            out.update(direction=self.direction, jvp=self.jvp)
        if self.vjp is not None:
            out.update(cotangent=self.cotangent, vjp=self.vjp)
        for key in ("method", "error_estimate", "nfev", "sweep"):  # numeric mode only
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.shapes is not None:
            from adcli import arrays

            arrays.to_dict(self, out, command)
        out["warnings"] = [w.to_dict() for w in self.warnings]
        out["notes"] = list(self.notes)
        out["cost"] = dict(self.cost)
        return out


# ---- points -------------------------------------------------------------------------------------


def _bindings(point: PointLike, seed: int | None = None, drawn: list[bool] | None = None) -> list[Binding]:
    """The bindings of a point; `drawn` gets True appended when a randn value was drawn (its seed is shown)."""
    if point is None:
        return []
    if isinstance(point, str):
        found, random = point_bindings(point, seed)
        if random and drawn is not None:
            drawn.append(True)
        return found
    if isinstance(point, Mapping):  # numpy arrays (and nested lists) are array values (issue 12)
        return [
            Binding(str(k), [_array(k, v)], "array") if np.ndim(v) else Binding(str(k), [float(v)])
            for k, v in point.items()
        ]
    return [b for item in point for b in ([item] if isinstance(item, Binding) else _bindings(item, seed, drawn))]


def _array(name: object, v: Any) -> np.ndarray:
    """A float array of v: the caller's own array where it is one (no copy: the sweeps never write into inputs).
    A complex one is refused, as a complex .npy is (numpy's cast dropped the imaginary part with a warning only)."""
    if np.iscomplexobj(v):
        raise AdcliError("usage_error", f"{name}: complex values are not real numbers")
    try:
        return np.asarray(v, dtype=float)
    except (TypeError, ValueError) as exc:
        raise AdcliError("usage_error", f"{name}: not an array of numbers ({exc})") from None


def _merge_point(  # noqa: PLR0913 - keyword-only: the seed of the text's own randn
    parsed: Parsed,
    given: list[Binding],
    defaults: Sequence[Binding] = (),
    combine: str = "grid",
    *,
    seed: int | None = None,
    drawn: list[bool] | None = None,
) -> dict[str, Any]:
    """The text's `at` point, with the command line's values added and overriding (defaults: filling in).

    The order of the names (the Jacobian's columns, the axes of a grid) is the text's own, then the
    command line's other names: a --at value the text overrides changes nothing, not even the order.
    Spans, lists and arrays make a many-point point: name -> numpy array, crossed or zipped (adcli.batch.points).
    """
    assigned = {name for name, _ in parsed.assignments}
    for b in [*defaults, *parsed.point, *given]:
        if b.name in CONSTANTS:
            raise AdcliError(
                "usage_error", f"{b.name} is a constant ({CONSTANTS[b.name]!r}); it cannot be given a value"
            )
        if b.name in assigned:
            raise AdcliError("usage_error", f"{b.name} is assigned in the expression; it cannot be given a value")
        if b.name in FUNCTIONS or b.name in parsed.functions:
            raise AdcliError("usage_error", f"{b.name} is a function name, not a variable")
    chosen: dict[str, Binding] = {b.name: b for b in parsed.point}
    if any(b.kind in GENERATORS for b in parsed.point):  # `at W = randn(3, 2)`: arrays, as --at makes them
        overridden = {g.name for g in given}  # not drawn
        own, random = generated([b for b in parsed.point if b.name not in overridden], seed)
        if random and drawn is not None:
            drawn.append(True)
        chosen.update((b.name, b) for b in own)
    chosen.update((b.name, b) for b in defaults if b.name not in chosen)  # the text's own value wins
    chosen.update((b.name, b) for b in given)  # the command line's --at for EXPR wins, in its place
    point = {name: b.values[0] if b.kind in ("value", "array") else b for name, b in chosen.items()}
    arrays = [name for name, b in chosen.items() if b.kind == "array"]
    many = [name for name, b in chosen.items() if b.kind not in ("value", "array")]
    if arrays and many:
        raise AdcliError(
            "usage_error",
            f"{many[0]} is a set of values and {arrays[0]} an array: point sets over array problems are not"
            " supported; run one point at a time",
        )
    return expand(point, combine) if any(isinstance(v, Binding) for v in point.values()) else point


def _hint(name: str, bound: Mapping[str, float]) -> str:
    """`xy` when x and y have values: did you mean x*y? `sinx`: did you mean sin(x)?

    Only a name up to HINT_CHARS long gets a hint: a function name is short, and a product of letters
    longer than that was not typed by mistake (each prefix of a 400,000-letter name was tried: 27 s)."""
    if len(name) > HINT_CHARS:
        return ""
    for k in range(2, len(name)):
        head, tail = name[:k], name[k:]
        if head in FUNCTIONS and (tail in bound or tail.isdigit()):
            return f"{name}: did you mean {head}({tail})?"
    if len(name) > 1 and all(ch in bound for ch in name):
        return f"{name}: did you mean {'*'.join(name)}?"
    return ""


def _names(names: Sequence[str]) -> str:
    """`x, y` or, for many, the first few and how many more: 100,000 unbound names made a 789 KB message."""
    shown = [n if len(n) <= HINT_CHARS else n[:HINT_CHARS] + "…" for n in names[:NAMED]]
    more = len(names) - len(shown)
    return ", ".join(shown) + (f" and {more:,} more ({len(names):,} names)" if more else "")


def shared_point_gaps(parsed: Parsed, at: PointLike, defaults: Sequence[Binding]) -> list[str]:
    """The variables a batch's shared --at leaves without a value on a line with no point of its own:
    diff and graph show such a line without values (a note says why), where grad cannot. A point of the
    problem's own (its text's `at`, or --at for EXPR) must give every value: none here, prepare says
    unbound_variable; so does a name with a hint (`xy` where x and y have values: did you mean x*y?)."""
    if at or parsed.point or not defaults:
        return []
    point = _merge_point(parsed, [], defaults)
    missing = [name for name in variables(parsed.outputs) if name not in point]
    return [] if any(_hint(name, point) for name in missing) else missing


def _check_names(
    parsed: Parsed, point: Mapping[str, float], present: Sequence[str] | None = None, tables: Sequence[str] = ()
) -> None:
    """Every function known and every variable given; a missing one is named with where to give it (--at,
    or a column of the --points tables in `tables`)."""
    check_calls(parsed, point)
    missing = [n for n in (variables(parsed.outputs) if present is None else present) if n not in point]
    if missing:
        hints = [h for h in (_hint(n, point) for n in missing[:NAMED]) if h]
        first = next((parsed.positions[n] for n in parsed.positions if n.op == "var" and n.payload == missing[0]), None)
        message = "no value for " + _names(missing) + (" (" + "; ".join(hints) + ")" if hints else "")
        if not hints:
            message += f"; give {'them' if len(missing) > 1 else 'it'} one with --at {_names(missing[:1])}=…"
            message += f" or a column {_names(missing[:1])} in {' or '.join(tables)}" if tables else ""
        line, column = first or (None, None)
        raise AdcliError("unbound_variable", message, line=line, column=column, source=parsed.source)


def _column_order(
    parsed: Parsed, point: Mapping[str, float], wrt: Sequence[str] | None, present: Sequence[str] | None = None
) -> tuple[list[str], list[AdcliWarning]]:
    present = set(variables(parsed.outputs) if present is None else present)  # sets: `in` on lists was O(n²)
    asked = set(wrt or ())
    warnings = [
        AdcliWarning("unused_variable", f"{name} is given a value but does not appear in the expression")
        for name in point
        if name not in present and name not in asked
    ]
    if wrt is None:
        return [n for n in point if n in present], warnings
    if not wrt and present:  # no columns asked of an expression with variables: a slip, not a request
        some = sorted(present)
        choices = some[0] if len(some) == 1 else f"{some[0]} or {','.join(some[:3])}"  # `give x or x` for one
        raise AdcliError("usage_error", f"--wrt names no variable: give {choices}")
    for name in wrt:
        if not name.isidentifier():
            raise AdcliError("usage_error", f"--wrt {name!r}: not a variable name")
        if name in CONSTANTS:
            raise AdcliError("usage_error", f"--wrt {name}: {name} is a constant, not a variable")
        if name not in present:
            warnings.append(
                AdcliWarning("unused_variable", f"{name} does not appear in the expression: its derivatives are 0")
            )
    if len(set(wrt)) != len(wrt):
        raise AdcliError("usage_error", "--wrt names a variable twice")
    return list(wrt), warnings


def prepare(  # noqa: PLR0913 - keyword-only options
    text: str,
    at: PointLike = None,
    wrt: Sequence[str] | None = None,
    *,
    strict: bool = False,
    defaults: Sequence[Binding] = (),
    combine: str = "grid",
    each_point: bool = False,
    parsed: Parsed | None = None,
    seed: int | None = None,
) -> Problem:
    """Parse, bind the point, check every name and build the tape.

    `defaults` are values the text's own `at` overrides (a batch's --at); spans, lists and numpy arrays
    in the point give a many-point problem (arrays crossed or zipped per `combine`), evaluated vectorised;
    with `each_point`, a point where the computation fails gets its own error and the others their answers.
    """
    remembered = None  # the API's repeated calls: same text, same names and shapes (adcli.reuse)
    mapping = type(at) is dict or isinstance(at, Mapping)  # a dict without the ABC's check (a training loop's µs)
    if parsed is None and mapping and not defaults and combine == "grid" and not each_point:
        remembered = _reuse().key(text, at, wrt, strict) if seed is None else None
    template = None if remembered is None else _reuse().recall(remembered)
    if template is not None:
        return _from_template(template, at)
    parsed = parse(text, strict=strict) if parsed is None else parsed  # `parsed`: the caller has parsed text
    drawn: list[bool] = []
    point = _merge_point(parsed, _bindings(at, seed, drawn), defaults, combine, seed=seed, drawn=drawn)
    order = topo_order(parsed.outputs)  # once: each walk over the graph costs
    present: list[str] = [n.payload for n in order if n.op == "var"]  # type: ignore[misc]
    bound = [*defaults, *(at if isinstance(at, list) else ())]  # --points' columns come as either
    tables = list(dict.fromkeys(b.table for b in bound if getattr(b, "table", None)))
    _check_names(parsed, point, present, tables)
    columns, warnings = _column_order(parsed, point, wrt, present)
    shared = {b.name for b in defaults}  # a batch's --at serves every line: unused there is no news
    warnings = [w for w in warnings if not (w.kind == "unused_variable" and w.message.split(" ", 1)[0] in shared)]
    chosen = set(columns)
    names = columns + [n for n in present if n not in chosen]
    tape = linearise(parsed.outputs, names, parsed.labels, parsed.positions, parsed.source, order=order)
    if any(isinstance(v, np.ndarray) for v in point.values()) or any(p and p.rules for p in tape.prims):
        if any(isinstance(v, Column) for v in point.values()):
            raise AdcliError("usage_error", "point sets over array expressions are not supported: one point at a time")
        tape.shapes = infer_shapes(tape, [np.shape(point.get(n, 0.0)) for n in names])
        _elementwise_notes(parsed, tape)
    problem = Problem(parsed, point, columns, tape, warnings, each_point)
    problem.seed = (DEFAULT_SEED if seed is None else seed) if drawn else None
    if remembered is not None and not drawn and not any(isinstance(v, Column) for v in point.values()):
        reuse = _reuse()
        own = _merge_point(parsed, [])  # the text's own point, which this call's values override
        reuse.remember(remembered, reuse.Template(parsed, columns, tape, list(warnings), own, problem))
    return problem


_loaded: dict[str, Any] = {}  # adcli.reuse and adcli.arrays once used (an import statement costs µs a call)


def _reuse() -> Any:
    """adcli.reuse, imported on first use: the command line's points are text, and its start-up skips it."""
    found = _loaded.get("reuse")
    if found is None:
        from adcli import reuse

        found = _loaded["reuse"] = reuse
    return found


def _array_path() -> Any:
    """adcli.arrays, imported on first use (an array problem's)."""
    found = _loaded.get("arrays")
    if found is None:
        from adcli import arrays

        found = _loaded["arrays"] = arrays
    return found


def _from_template(template: Any, at: Mapping[str, Any]) -> Problem:
    """A problem of a remembered text and point structure, with this call's values. Its names passed
    _merge_point's checks on the first call; the values are read as there (_bindings)."""
    point = dict(template.own)
    for k, v in at.items():
        if type(v) is np.ndarray and v.dtype == np.float64 and v.ndim:  # the usual case: taken as it is
            point[str(k)] = v
        else:
            point[str(k)] = _array(k, v) if np.ndim(v) else float(v)
    problem = Problem(template.parsed, point, list(template.wrt), template.tape, list(template.warnings))
    problem.texts, problem.layout = template.first.texts, template.first.layout
    return problem


def _elementwise_notes(parsed: Parsed, tape: Tape) -> None:
    """`A*B` of two arrays is elementwise (numpy's rule): say so once, and that `@` is the matrix product."""
    shapes = tape.shapes or []
    for s in range(tape.first_op, len(tape.nodes)):
        node = tape.nodes[s]
        if node.op == "mul" and all(len(shapes[j]) >= 1 for j in tape.args[s]):
            note = f"{tape.text(s)} is elementwise (numpy's *); the matrix product is written @"
            if note not in parsed.notes:  # a parse shared by several problems says it once
                parsed.notes.append(note)
            return


# ---- computations -------------------------------------------------------------------------------


def _inputs(problem: Problem) -> list[Any]:
    if problem.tape.shapes is not None:
        return [np.asarray(problem.point.get(name, 0.0), dtype=float)[()] for name in problem.tape.names]
    return [np.float64(problem.point.get(name, 0.0)) for name in problem.tape.names]


def _finite(matrix: Sequence[Sequence[Any]], problem: Problem, what: str, warnings: list[AdcliWarning]) -> None:
    for i, row in enumerate(matrix):
        for k, entry in enumerate(row):
            if isinstance(entry, float) and math.isfinite(entry):
                continue  # the one-point case, without numpy's per-call overhead
            if not np.all(np.isfinite(entry)):
                wrt = problem.wrt[k] if k < len(problem.wrt) else str(k)
                message = f"the {what} entry d(f{i + 1})/d({wrt}) is not finite"
                raise AdcliError("nonfinite", message, warnings=warnings)


def _float(x: Any) -> Any:
    if isinstance(x, float):  # one point (np.float64 is a float): without np.ndim's dispatch
        return float(x)
    return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=float)  # many points: numpy in, numpy out


def _base(problem: Problem, vals: list[Any], mode: str | None, sweeps: int) -> Result:
    parsed = problem.parsed
    values = [vals[o] for o in problem.tape.outputs]
    if problem.tape.shapes is not None:
        values = [np.asarray(v, dtype=float)[()] for v in values]
    elif all(isinstance(v, float) for v in values):  # one point: float() cannot raise, no errstate needed
        values = [float(v) for v in values]
    else:
        with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
            values = [_float(v) for v in values]
    if problem.texts is None:
        problem.texts = _texts(parsed)
    outputs, read_as = problem.texts
    return Result(
        input=parsed.source,
        read_as=read_as,
        outputs=list(outputs),
        wrt=list(problem.wrt),
        at=dict(problem.point),
        mode=mode,
        sweeps=sweeps,
        value=values,
        warnings=list(problem.warnings),
        notes=list(parsed.notes),
        seed=problem.seed,
    )


def _texts(parsed: Parsed) -> tuple[list[str], str]:
    """Each output's text (its first 200 characters) and the read-as text (its first READ_AS_LIMIT).

    Without statements read-as is the outputs' texts joined, and an output's short text is the start of
    its long one: each output is printed once (a 200-character text walked the whole left spine of a
    long sum first, as the long one does)."""
    if parsed.assignments or parsed.definitions:
        return [to_text(n, parsed.labels, 200, truncate=True) for n in parsed.outputs], parsed.read_as()
    longer = [to_text(n, parsed.labels, READ_AS_LIMIT, truncate=True) for n in parsed.outputs]
    return [t if len(t) <= 200 else t[:200] + "…" for t in longer], ", ".join(longer)


def _edges(tape: Tape, active: Sequence[bool]) -> int:
    return sum([1 for s in range(tape.first_op, len(tape.nodes)) if active[s] for j in tape.args[s] if active[j]])


def evaluate_problem(problem: Problem, *, chunked: bool = True) -> Result:
    if problem.tape.shapes is not None:
        return _evaluate_arrays(problem)
    if chunked and is_many(problem.point):  # many points: vectorised chunk by chunk, errors name the point
        return over_chunks(problem, lambda part: evaluate_problem(part, chunked=False))
    tape = problem.tape
    started = time.perf_counter()
    vals = evaluate(tape, _inputs(problem))
    result = _base(problem, vals, None, 0)
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op}
    result.seconds = time.perf_counter() - started
    return result


def _choose(mode: str, n_in: int, n_out: int) -> str:
    if mode not in MODES:
        raise AdcliError("usage_error", f"unknown mode {mode!r}: choose {', '.join(MODES)}")
    if mode == "auto":
        return "forward" if n_in <= n_out else "reverse"
    return mode


def differentiate(
    problem: Problem,
    mode: str = "auto",
    direction: Mapping[str, float] | None = None,
    cotangent: Sequence[float] | None = None,
    *,
    chunked: bool = True,
    numeric: Any = None,
) -> Result:
    """Value and Jacobian (or a JVP along direction, or a VJP with cotangent) by forward or reverse AD.

    mode "numeric": finite differences or the complex step, as `numeric` (adcli.modes.numeric.estimate.Options) says.
    """
    if problem.tape.shapes is not None:
        return _arrays(problem, mode, direction, cotangent, numeric)
    if mode == "numeric":
        return _numeric(problem, numeric, direction, cotangent)
    if chunked and is_many(problem.point):  # many points: vectorised chunk by chunk, errors name the point
        return over_chunks(problem, lambda part: differentiate(part, mode, direction, cotangent, chunked=False))
    if mode == "symbolic":  # derivative graphs from the same rule table, evaluated at the point
        return _symbolic(problem, direction, cotangent)
    tape = problem.tape
    started = time.perf_counter()
    n_in, n_out = len(problem.wrt), len(tape.outputs)
    _one_sweep(mode, direction, cotangent)
    if direction is not None:
        mode = "forward"
    elif cotangent is not None:
        mode = "reverse"
    mode = _choose(mode, n_in, n_out)
    warnings = list(problem.warnings)
    active = tape.active(problem.wrt)
    vals = evaluate(tape, _inputs(problem), active, warnings)
    underflow: list[str] = []
    partials = local_partials(tape, vals, active, warnings, underflow)
    edges = _edges(tape, active)
    try:
        result = _sweeps(problem, vals, partials, mode, direction, cotangent, warnings)
    except FloatingPointError as exc:
        raise AdcliError("nonfinite", f"a derivative overflowed ({exc})", warnings=warnings) from None
    if underflow:  # a rule underflowed: flag the derivatives it may have robbed (adcli.core.underflow)
        _underflow_warnings(problem, vals, partials, active, result, warnings)
    result.warnings = warnings
    per_sweep = {"forward": "tangent_ops", "reverse": "adjoint_ops"}[mode]
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "partials": edges, per_sweep: edges * result.sweeps}
    result.seconds = time.perf_counter() - started
    return result


def _underflow_warnings(  # noqa: PLR0913 - one sweep's pieces
    problem: Problem, vals: Any, partials: Any, active: Any, result: Result, warnings: list[AdcliWarning]
) -> None:
    """An `inaccurate` warning per derivative that an underflowed partial may have taken a real share of."""
    from adcli.core import underflow

    tape, wrt = problem.tape, problem.wrt
    bound, edges = underflow.loss_bound(tape, vals, partials, active, len(wrt))
    if bound is None:
        return
    outputs = result.outputs or [tape.text(o) for o in tape.outputs]
    entries = []  # (what, bound, found)
    if result.jvp is not None:
        direction = [abs(result.direction.get(w, 0.0)) for w in wrt]
        for i, found in enumerate(result.jvp):
            lost = sum(b * d for b, d in zip(bound[i], direction, strict=True))
            entries.append((f"the JVP of {outputs[i]}", lost, found))
    elif result.vjp is not None:
        for k, found in enumerate(result.vjp):
            lost = sum(abs(c) * bound[i][k] for i, c in enumerate(result.cotangent))
            entries.append((f"the VJP's ∂/∂{wrt[k]}", lost, found))
    else:
        for i, row in enumerate(result.jacobian):
            entries += [(f"∂({outputs[i]})/∂{w}", bound[i][k], row[k]) for k, w in enumerate(wrt)]
    for what, lost, found in entries:
        mask = underflow.flagged(lost, found)
        if not np.any(mask):
            continue
        many = np.ndim(mask) > 0
        worst = int(np.argmax(np.where(mask, lost, -1.0))) if many else 0
        shown = (float(np.ravel(lost)[worst]), float(np.ravel(np.asarray(found, dtype=float))[worst]))
        warnings.append(underflow.warning(tape, edges, *shown, what, mask if many else None))


def _evaluate_arrays(problem: Problem) -> Result:
    from adcli import arrays
    from adcli.core.shaped import evaluate as evaluate_arrays

    started, warnings = time.perf_counter(), list(problem.warnings)
    vals = evaluate_arrays(problem.tape, _inputs(problem), None, warnings)
    result = _base(problem, vals, None, 0)
    arrays.describe(problem, result)
    result.warnings = warnings
    result.cost = {"primal_ops": len(problem.tape.nodes) - problem.tape.first_op}
    result.seconds = time.perf_counter() - started
    return result


def _arrays(problem: Problem, mode: str, direction: Any, cotangent: Any, numeric: Any = None) -> Result:
    """Array problems (adcli.arrays): forward, reverse and numeric; symbolic is a later issue."""
    arrays = _array_path()
    if mode == "symbolic":
        if direction is not None or cotangent is not None:
            raise AdcliError("usage_error", "symbolic mode on arrays gives the whole Jacobian (no --dir, --cot)")
        return _symbolic_arrays(problem)
    if mode == "numeric":
        if direction is not None or cotangent is not None:
            raise AdcliError("usage_error", "numeric mode gives the whole Jacobian (no --dir, --cot)")
        if numeric is not None and (numeric.method != "richardson" or numeric.step is not None or numeric.sweep):
            raise AdcliError(
                "usage_error",
                "numeric mode on arrays uses central differences with Richardson extrapolation;"
                " --method, --step and --sweep are for scalar expressions",
            )
        return arrays.numeric(problem, _base)
    _one_sweep(mode, direction, cotangent)  # --cot with --mode forward ran a reverse sweep, said nothing
    return arrays.differentiate(problem, mode, direction, cotangent, _base, _choose)


def _one_sweep(mode: str, direction: Any, cotangent: Any) -> None:
    """--dir asks for a forward sweep and --cot a reverse one: another --mode is a usage error."""
    for sweep, given in {"forward": direction, "reverse": cotangent}.items():
        if given is not None and mode not in ("auto", sweep):
            option = "--dir" if sweep == "forward" else "--cot"
            raise AdcliError("usage_error", f"{option} asks for one {sweep} sweep; it cannot run in {mode} mode")


def _symbolic_arrays(problem: Problem) -> Result:
    """Symbolic matrix calculus (issue 13) at the point: the derivative graphs evaluated, as the AD modes' layout."""
    arrays = _array_path()
    from adcli.core.shaped import evaluate as evaluate_arrays
    from adcli.modes.symbolic.matrix import sweep as matrix

    started, tape, warnings = time.perf_counter(), problem.tape, list(problem.warnings)
    require_detailed(len(tape.nodes) - tape.first_op, "symbolic mode")
    inputs = _inputs(problem)
    vals = evaluate_arrays(tape, inputs, tape.active(problem.wrt), warnings)  # domains and kinks, as in AD
    point = dict(zip(tape.names, inputs, strict=True))
    used = {n.payload for n in topo_order(problem.parsed.outputs) if n.op == "var"}
    point = {n: v for n, v in point.items() if n in used or n in problem.wrt}
    found, operations = matrix.jacobian_values(problem.parsed.outputs, problem.wrt, point)
    result = _base(problem, vals, "symbolic", 1)
    result.jacobian = found.tolist()
    _finite(result.jacobian, problem, "Jacobian", warnings)
    arrays.describe(problem, result)
    result.warnings = warnings
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "derivative_ops": operations}
    result.seconds = time.perf_counter() - started
    return result


def _numeric(problem: Problem, options: Any, direction: Any, cotangent: Any) -> Result:
    """Numeric mode: the Jacobian from function values (adcli.modes.numeric.estimate), with error estimates and nfev."""
    from adcli.modes.numeric import estimate as numeric
    from adcli.modes.numeric import stepsweep

    options = options or numeric.Options()
    options.check()
    if direction is not None or cotangent is not None or any(np.ndim(v) for v in problem.point.values()):
        raise AdcliError("usage_error", "numeric mode gives the whole Jacobian at one point (no --dir, --cot, spans)")
    tape, started, warnings = problem.tape, time.perf_counter(), list(problem.warnings)
    base = _inputs(problem)
    vals = evaluate(tape, base, tape.active(problem.wrt), warnings)
    f0 = np.array([float(vals[o]) for o in tape.outputs])
    found = numeric.jacobian(tape, base, f0, len(problem.wrt), options, vals)
    result = _base(problem, vals, "numeric", found.sweeps)
    result.method, result.nfev, result.notes = options.method, found.nfev, result.notes + found.notes
    result.jacobian, result.error_estimate = found.jacobian.tolist(), found.error.tolist()
    _finite(result.jacobian, problem, "Jacobian", warnings)
    result.warnings = numeric.verdict(warnings, found, options, result.outputs, problem.wrt)
    if options.sweep:
        result.sweep = stepsweep.curve(tape, base, f0, problem.wrt, options, found)
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "function_evaluations": found.nfev}
    result.seconds = time.perf_counter() - started
    return result


def _symbolic(problem: Problem, direction: Any, cotangent: Any) -> Result:
    """`--mode symbolic`: value and Jacobian from the derivative graphs (modes.symbolic), evaluated at the point."""
    from adcli.modes.symbolic import defined, derivative

    started, tape, wrt = time.perf_counter(), problem.tape, problem.wrt
    require_detailed(len(tape.nodes) - tape.first_op, "symbolic mode")  # before the sweeps, not after
    warnings = list(problem.warnings)
    inputs = _inputs(problem)
    vals = evaluate(tape, inputs, tape.active(wrt), warnings)  # values, domains, kink warnings as in AD
    try:
        found = derivative.jacobian_values(problem.parsed.outputs, wrt, tape.names, inputs)
    except derivative.SymbolicFailedError as failed:
        failed.error.warnings = warnings
        point = dict(zip(tape.names, inputs, strict=True))
        raise defined.locate(failed.error, problem.parsed, failed.simplifier, failed.passes, wrt, point) from None
    result = _base(problem, vals, "symbolic", found.sweeps)
    n, outputs = len(wrt), problem.parsed.outputs
    result.jacobian = [[_float(found.entries[i * n + k]) for k in range(n)] for i in range(len(outputs))]
    _finite(result.jacobian, problem, "Jacobian", warnings)
    matrix = np.asarray(result.jacobian, dtype=float) if np.ndim(result.jacobian) == 2 else None
    if direction is not None and matrix is not None:
        given = seeds.named("--dir", direction, wrt)
        result.direction = {w: seeds.fitted("--dir", w, given.get(w, 0.0), ()) for w in wrt}
        result.jvp = [float(v) for v in matrix @ np.array([result.direction[w] for w in wrt])]
    if cotangent is not None and matrix is not None:
        weights = seeds.weights(cotangent, len(outputs))
        result.cotangent = [seeds.fitted("--cot", f"output {k + 1}", c, ()) for k, c in enumerate(weights)]
        result.vjp = [float(v) for v in np.array(result.cotangent) @ matrix]
    result.warnings = warnings
    result.cost = {"primal_ops": len(tape.nodes) - tape.first_op, "derivative_ops": found.derivative_ops}
    result.seconds = time.perf_counter() - started
    return result


def _sweeps(problem, vals, partials, mode, direction, cotangent, warnings) -> Result:  # noqa: ANN001, PLR0913
    tape = problem.tape
    if direction is not None:
        given = seeds.named("--dir", direction, problem.wrt)
        direction = {n: seeds.fitted("--dir", n, given.get(n, 0.0), ()) for n in problem.wrt}
        seed = [np.float64(direction.get(n, 0.0)) for n in tape.names]
        result = _base(problem, vals, "forward", 1)
        result.direction = direction
        result.jvp = [_float(t) for t in forward.jvp(tape, vals, partials, seed)]
        _finite([result.jvp], problem, "JVP", warnings)
        return result
    if cotangent is not None:
        weights = seeds.weights(cotangent, len(tape.outputs))
        result = _base(problem, vals, "reverse", 1)
        result.cotangent = [seeds.fitted("--cot", f"output {k + 1}", c, ()) for k, c in enumerate(weights)]
        adj = reverse.vjp(tape, vals, partials, [np.float64(c) for c in result.cotangent])
        result.vjp = [_float(a) for a in adj[: len(problem.wrt)]]
        _finite([result.vjp], problem, "VJP", warnings)
        return result
    module = forward if mode == "forward" else reverse
    sweeps = len(problem.wrt) if mode == "forward" else len(tape.outputs)
    matrix = module.jacobian(tape, vals, partials, len(problem.wrt))
    result = _base(problem, vals, mode, sweeps)
    result.jacobian = [[_float(e) for e in row] for row in matrix]
    _finite(result.jacobian, problem, "Jacobian", warnings)
    return result


# ---- the short forms ----------------------------------------------------------------------------


def _point(at: PointLike, kwargs: Mapping[str, float]) -> PointLike:
    if at is None:  # `adcli.gradient(text, x=…)`: the call's own keyword dict, made for this call
        return kwargs or None
    if kwargs:
        merged = dict(at) if isinstance(at, Mapping) else {}
        if at is not None and not isinstance(at, Mapping):
            return [*([at] if isinstance(at, str) else at), ",".join(f"{k}={v!r}" for k, v in kwargs.items())]
        merged.update(kwargs)
        return merged
    return at


def value(text: str, at: PointLike = None, **point: float) -> Result:
    """`adcli.value("sin(x)*y", x=1, y=2)`: the value(s) only."""
    return evaluate_problem(prepare(text, _point(at, point)))


def gradient(
    text: str, at: PointLike = None, *, wrt: Sequence[str] | None = None, mode: str = "reverse", **point: float
) -> Result:
    """`adcli.gradient("sin(x)*y", x=1, y=2).gradient` -> [y*cos(x), sin(x)] at the point."""
    problem = prepare(text, _point(at, point), wrt)
    check_scalar(problem)
    if len(problem.tape.outputs) != 1:
        raise AdcliError(
            "usage_error", f"grad needs one output; this expression has {len(problem.tape.outputs)}: use jac"
        )
    return differentiate(problem, mode)


def check_scalar(problem: Problem) -> None:
    """grad of an array-valued expression: a usage_error that says what was probably meant."""
    shapes = problem.tape.shapes
    if shapes is None or len(problem.tape.outputs) != 1 or shapes[problem.tape.outputs[0]] == ():
        return
    shape = shapes[problem.tape.outputs[0]]
    text = problem.parsed.outputs and to_text(problem.parsed.outputs[0], problem.parsed.labels, 60, truncate=True)
    arrays = [n for n, v in problem.point.items() if np.ndim(v) == 1]
    points = ""
    if arrays:
        shown = ", ".join(format(float(v), "g") for v in np.ravel(problem.point[arrays[0]])[:6])
        points = f", or {arrays[0]}={{{shown}}} for a set of points (x=[…] is now one array)"
    raise AdcliError(
        "usage_error",
        f"grad needs a scalar output; {text} has shape {tuple(shape)}: use jac for its Jacobian,"
        f" sum({text}) for a scalar{points}",
    )


def jacobian(
    text: str, at: PointLike = None, *, wrt: Sequence[str] | None = None, mode: str = "auto", **point: float
) -> Result:
    """The full Jacobian (rows = outputs, columns = wrt)."""
    return differentiate(prepare(text, _point(at, point), wrt), mode)


def jvp(text: str, direction: Mapping[str, float], at: PointLike = None, **point: float) -> Result:
    return differentiate(prepare(text, _point(at, point)), "forward", direction=direction)


def vjp(text: str, cotangent: Sequence[float], at: PointLike = None, **point: float) -> Result:
    return differentiate(prepare(text, _point(at, point)), "reverse", cotangent=cotangent)


def is_finite(x: float) -> bool:
    return math.isfinite(x)


def constants(text: str) -> list[float]:
    """`1, 0, -pi/2` -> numbers: a list of constant expressions (for --cot)."""
    parsed = parse(text)
    if variables(parsed.outputs):
        raise AdcliError("usage_error", f"{text!r}: weights must be numbers or constant expressions")
    from adcli.core.shaped import constant_value

    return [constant_value(node, text, parsed.positions) for node in parsed.outputs]  # numbers, or arrays


def point_values(text: str) -> dict[str, float]:
    """`x=1, y=0` -> {"x": 1.0, "y": 0.0} (for --dir)."""
    return {b.name: b.values[0] for b in parse_point(text)}


def _structural_row(prim: Any) -> dict[str, Any]:
    shown = prim.shown or prim.name
    letters = ["a", "b"][: len(prim.params)]
    texts = [t.format(g="ḡ", a=letters[0], b=letters[-1], o="out") for t in prim.rules.vjp_text]
    rules = "; ".join(f"VJP to {p}: {t}" for p, t in zip(letters, texts, strict=False))
    name = f"{shown}({', '.join(letters)})" + (" (one array: reduces)" if prim.name in ("amax", "amin") else "")
    return {"name": name, "arity": prim.arity, "domain": prim.domain_text, "derivative": rules, "kinks": ""}


def function_table() -> list[dict[str, str]]:
    """Every primitive with its arity, domain and derivative rule, printed from the table itself."""
    from adcli.core.graph import make, var
    from adcli.core.primitives import TABLE

    rows = []
    for name, prim in TABLE.items():
        if prim.rules is not None:  # structural (arrays): the VJP rule in words, per argument
            if not prim.operator or name in ("amax", "amin"):
                rows.append(_structural_row(prim))
            continue
        if prim.operator and name != "pow":
            continue
        args = [var(p) for p in prim.params]
        out = make(name, args)
        rules = []
        for param, rule in zip(prim.params, prim.partials, strict=True):
            partial = rule(*args, out)
            d = f"d/d{param}" if prim.arity > 1 else "d/dx"
            rules.append(f"{d} = {to_text(partial) if hasattr(partial, 'op') else partial}")
        spelled = to_text(out)
        also = [*prim.aliases] + ([] if spelled.startswith(f"{name}(") else [f"{name}({', '.join(prim.params)})"])
        aliases = f" (also {', '.join(also)})" if also else ""  # a^b is also callable as pow(a, b)
        rows.append(
            {
                "name": f"{spelled}{aliases}",
                "arity": prim.arity,
                "domain": prim.domain_text,
                "derivative": "; ".join(rules),
                "kinks": "; ".join(f"left {k.left}, right {k.right}, used {k.convention}" for k in prim.kinks),
            }
        )
    return rows
