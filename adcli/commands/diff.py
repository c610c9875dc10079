"""`adcli diff`: derivative expressions, printed in the input syntax (parseable back), LaTeX or shared form.

Computation only: returns a `Derivatives` (plain data); adcli.render.results prints it. The derivatives
come from adcli.modes.symbolic.derivative (the rule table, on the DAG) and adcli.modes.symbolic.simplify;
with a point they are also evaluated there, on a tape, with the input's kink warnings as in the AD modes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.batch.points import at as at_point
from adcli.batch.points import is_many, over_chunks
from adcli.commands import matdiff
from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.graph import Node, topo_order, variables
from adcli.core.primitives import CONSTANTS, FUNCTIONS
from adcli.core.printing import LIMIT, expanded_size, to_latex, to_text
from adcli.core.tape import Tape, require_detailed, require_detailed_text
from adcli.modes.symbolic.cse import shared_form
from adcli.modes.symbolic.defined import check_derivatives, check_input, locate
from adcli.modes.symbolic.derivative import StepTree, count_operations, derivative_table, scalar_only, steps_for
from adcli.modes.symbolic.normal_form import PROD, SUM
from adcli.modes.symbolic.simplify import Simplifier

MAX_ORDER = 12
MAX_ENTRIES = 10_000


@dataclass
class Derivatives:
    """What `adcli diff` found: rows = outputs, columns = wrt (multi-indices for --order > 1)."""

    input: str
    read_as: str
    outputs: list[str]
    wrt: list[str]
    order: int
    columns: list[list[str]]
    derivatives: list[list[str]]  # input syntax; with shared, entries may name @k
    latex: list[list[str]] | None = None
    shared: list[tuple[str, str]] | None = None  # (@k, definition) when printed in shared form
    shared_latex: list[tuple[str, str]] | None = None
    at: dict[str, Any] | None = None
    value: list[Any] | None = None
    values: list[list[Any]] | None = None
    steps: list[StepTree] | None = None
    warnings: list[AdcliWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    size: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    failures: Any = None  # many points, each_point: the points that failed (adcli.batch.points.Failures)
    shapes: dict[str, list[Any]] | None = None  # array expressions (issue 13): each variable's shape

    def to_dict(self, command: str = "diff") -> dict[str, Any]:
        out: dict[str, Any] = {"input": self.input, "read_as": self.read_as, "outputs": self.outputs}
        out.update(wrt=self.wrt, order=self.order, derivatives=self.derivatives)
        if self.shapes is not None:
            out["shapes"] = self.shapes
        if self.order > 1:
            out["columns"] = self.columns
        if self.latex is not None:
            out["latex"] = self.latex
        if self.shared is not None:
            out["shared"] = [{"name": n, "expression": t} for n, t in self.shared]
        if self.shared_latex is not None:
            out["shared_latex"] = [{"name": n, "expression": t} for n, t in self.shared_latex]
        if self.at is not None:
            out.update(at=_plain(self.at), value=_plain(self.value), values=_plain(self.values))
        if self.failures is not None:  # their entries in value and values are null
            point = self.failures.problem.point
            out["failures"] = [
                {"point": i + 1, "at": at_point(point, i), "error": self.failures.error(i).to_dict()}
                for i in self.failures.index.tolist()
            ]
        if self.steps is not None:
            out["steps"] = [tree.to_dict() for tree in self.steps]
        out["warnings"] = [w.to_dict() for w in self.warnings]
        out["notes"] = list(self.notes)
        out["size"] = dict(self.size)
        return out


def _plain(x: Any) -> Any:
    """numpy values (many points) to JSON lists."""
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_plain(v) for v in x]
    many = isinstance(x, np.ndarray | np.generic) or hasattr(x, "__array__")  # points.Column: a lazy span
    return np.asarray(x, dtype=float).tolist() if many else x


def _check_wrt(wrt: Sequence[str] | None) -> None:
    for name in wrt or ():
        if name in CONSTANTS:
            raise AdcliError("usage_error", f"--wrt {name}: {name} is a constant, not a variable")
        if name in FUNCTIONS:
            raise AdcliError("usage_error", f"--wrt {name}: {name} is a function, not a variable")
    if wrt is not None and len(set(wrt)) != len(wrt):
        raise AdcliError("usage_error", "--wrt names a variable twice")


def _check_options(order: int, wrt: Sequence[str] | None) -> None:
    if order < 1:
        raise AdcliError("usage_error", f"--order must be 1 or more, not {order}")
    if order > MAX_ORDER:
        raise AdcliError("usage_error", f"--order {order} is over the limit of {MAX_ORDER}")
    _check_wrt(wrt)


def _unpointed(
    parsed: Any, wrt: Sequence[str] | None, point: dict[str, Any] | None = None, defaults: Sequence[Any] = ()
) -> tuple[Any, list[str], list[AdcliWarning]]:
    """Without a point (or one that leaves a variable without a value): every variable is a symbol; `f(x)`
    with f not in --wrt is an unknown function. A partial point orders the columns and warns of names it
    gives a value that the expression does not use, as adcli.api.prepare does (a batch's --at aside)."""
    from adcli.language.parser import check_calls

    check_calls(parsed, None if wrt is None else {*wrt, *(t.value for t in parsed.maybe_calls if len(t.value) == 1)})
    present = variables(parsed.outputs)
    shared = {b.name for b in defaults}  # a batch's --at serves every line: unused there is no news
    warnings = [
        AdcliWarning("unused_variable", f"{name} is given a value but does not appear in the expression")
        for name in point or ()
        if name not in present and name not in (wrt or ()) and name not in shared
    ]
    if wrt is None:
        return (
            parsed,
            [n for n in point or () if n in present] + [n for n in present if n not in (point or ())],
            warnings,
        )
    warnings += [
        AdcliWarning("unused_variable", f"{name} does not appear in the expression: its derivatives are 0")
        for name in wrt
        if name not in present
    ]
    return parsed, list(wrt), warnings


def _print(rows: list[list[Node]], latex: bool, cse: bool, result: Derivatives) -> None:
    """Tree form, or shared form when asked for and shorter; refuse a tree form over the limit."""
    flat = [n for row in rows for n in row]
    width = len(result.columns)
    tree = expanded_size(flat, {}, 10**30)
    if cse:
        form = shared_form(flat)
        printed = form.text()
        if form.definitions and (tree > LIMIT or form.length(printed) < tree):
            definitions, texts = printed
            result.shared = definitions
            result.derivatives = [texts[i : i + width] for i in range(0, len(texts), width)]
            if latex:
                result.shared_latex, latex_texts = form.text(latex=True)
                result.latex = [latex_texts[i : i + width] for i in range(0, len(latex_texts), width)]
            return
        result.notes.append("the shared form (--cse) is not shorter here: printed as a tree")
    if tree > LIMIT:
        raise AdcliError(
            "limit_exceeded",
            f"the derivative is {tree:,} characters as a tree (limit {LIMIT:,}); its shared form has "
            f"{result.size['operations']:,} operations: use --cse",
        )
    result.derivatives = [[to_text(n) for n in row] for row in rows]
    if latex:
        result.latex = [[to_latex(n) for n in row] for row in rows]


def estimated_size(outputs: Sequence[Node], wrt: Sequence[str]) -> tuple[int, int]:
    """(operations of the input, characters of the derivatives' tree form as the rules build it).

    A cheap estimate before differentiating, from the (simplified) input alone: each rule's partial
    mentions its arguments (d sin(u) = cos(u)·du, d(u*v) = v·du + u·dv), so a node's derivative
    prints about as long as its arguments' derivatives plus the arguments it mentions. outputs may
    be the simplifier's normal form (sums and products of many parts). Simplifying the derivative
    usually shrinks this by a small factor (by more in contrived cases: hence the margin).
    """
    cap = 10**18
    wanted = set(wrt)
    tree: dict[Node, int] = {}  # characters of the node's own tree form
    deriv: dict[Node, int] = {}  # estimated characters of its derivative (absent: does not depend on wrt)
    operations = 0
    for node in topo_order(outputs):
        args = node.args
        if node.op in ("const", "var"):
            tree[node] = len(str(node.payload)) if node.op == "var" else 2
            if node.op == "var" and node.payload in wanted:
                deriv[node] = 1
            continue
        operations += 1
        tree[node] = min(cap, len(node.op) + 2 + sum(tree[a] + 2 for a in args))
        if not any(a in deriv for a in args):
            continue
        total = 0
        for k, a in enumerate(args):
            if a not in deriv:
                continue
            if node.op in ("add", "sub", "neg", SUM):
                mentions = 0
            elif node.op in ("mul", PROD):  # the other factors
                mentions = sum(tree[b] for j, b in enumerate(args) if j != k)
            else:  # quotients, powers and functions: the rule mentions the arguments
                mentions = sum(tree[b] for b in args)
            total += deriv[a] + mentions + 3
        deriv[node] = min(cap, total)
    return operations, min(cap, sum(deriv.get(o, 1) for o in outputs) * max(1, len(wrt)))


GUARD_OPERATIONS = 5_000  # inputs smaller than this are differentiated and measured exactly (fast enough)
GUARD_MARGIN = 100  # refuse early only when the estimate is this many times the limit


def _guard(outputs: Sequence[Node], wrt: Sequence[str]) -> None:
    """limit_exceeded in a fraction of a second, not after minutes, for a derivative that cannot print."""
    if not wrt:
        return
    operations, size = estimated_size(outputs, wrt)
    if operations >= GUARD_OPERATIONS and size > GUARD_MARGIN * LIMIT:
        raise AdcliError(
            "limit_exceeded",
            f"the derivative would be about {size:,} characters as a tree (estimated from the simplified "
            f"input, {operations:,} operations, before differentiating; limit {LIMIT:,}): use --cse, which "
            "prints it in shared form (size linear in the input)",
        )


#: a second or later pass of --order whose tree is estimated over this is refused before it is built: without
#: --cse the answer must print as a tree (LIMIT); with it, a shared form may be printed, so more is tried
PASS_LIMIT = {False: 2 * LIMIT, True: 5 * LIMIT}


def pass_guard(cse: bool, advice: str = "use a lower --order") -> Callable[[int, Sequence[Node], str], None]:
    """Before the k-th derivative (k ≥ 2): refuse one estimated too big to print, or to simplify in seconds.

    The simplifier's time grows with the tree (d⁸/dx⁸ x^x: about 100,000 characters, seconds), and each
    pass multiplies it (x^x: by 3-4), so --order 12 worked for minutes before refusing."""
    limit = PASS_LIMIT[cse]

    def guard(k: int, graphs: Sequence[Node], w: str) -> None:
        if k < 2:
            return
        _, size = estimated_size(graphs, [w])
        if size > limit:
            raise AdcliError(
                "limit_exceeded",
                f"derivative {k} by {w} would be about {size:,} characters as a tree (estimated before building "
                f"it; a pass of --order may build {limit:,}{'' if cse else ' without --cse'}): {advice}",
            )

    return guard


def printed_nodes(graphs: Sequence[Node]) -> int:
    """Nodes of the tree form (what a printout without sharing contains)."""
    count: dict[Node, int] = {}
    for node in topo_order(graphs):
        count[node] = 1 + sum(count[a] for a in node.args)
    return sum(count[g] for g in graphs)


def diff(  # noqa: PLR0913 - the command's options
    text: str,
    wrt: Sequence[str] | None = None,
    order: int = 1,
    at: Any = None,
    *,
    latex: bool = False,
    cse: bool = False,
    steps: bool = False,
    strict: bool = False,
    defaults: Sequence[Any] = (),
    each_point: bool = False,
    shape: str | None = None,
) -> Derivatives:
    """`adcli.commands.diff.diff("x^2")`: the derivative expressions (and their values when a point is given).

    The point is the text's own `at`, with `at` adding to and overriding it and `defaults` filling in
    (a batch's --at for a file's lines), as in adcli.api.prepare. Many points with `each_point` (the
    command line): a point where the values fail fails alone (result.failures); else it raises, named.
    """
    from adcli import api
    from adcli.language.parser import parse

    started = time.perf_counter()
    _check_options(order, wrt)
    problem, notes = None, []
    require_detailed_text(text, "diff")  # a 1 MB sum: refused at once, not after seconds of parsing
    parsed = parse(text, strict=strict)
    require_detailed(count_operations(parsed.outputs), "diff")  # before the tape and the simplifier
    point = api._merge_point(parsed, api._bindings(at), defaults) if at or defaults or parsed.point else None
    if matdiff.is_array_problem(parsed, point, shape):  # matrix calculus (issue 13)
        if order != 1:
            raise AdcliError("usage_error", "diff on arrays gives first derivatives (--order 1); hess takes scalars")
        options = {"latex": latex, "cse": cse, "steps": steps, "print_rows": _print}
        return matdiff.diff_arrays(parsed, wrt, point or {}, shape, Derivatives, **options)
    scalar_only(topo_order(parsed.outputs))  # the scalar path: an array operation left is a usage_error
    missing = api.shared_point_gaps(parsed, at, defaults)
    if point is not None and not missing:  # a point for every variable: values too
        problem = api.prepare(text, at, wrt, strict=strict, defaults=defaults, each_point=each_point, parsed=parsed)
        parsed, names, warnings = problem.parsed, list(problem.wrt), list(problem.warnings)
    else:
        parsed, names, warnings = _unpointed(parsed, wrt, point, defaults)
    if missing:  # a point for some variables (a batch's shared --at): the expressions, and why no values
        give = ", ".join(f"{name}=…" for name in missing)
        notes.append(f"no value for {', '.join(missing)}: the derivatives are shown without values (--at {give})")
    if len(names) ** order > MAX_ENTRIES:
        raise AdcliError("limit_exceeded", f"{len(names)}^{order} derivatives is over the limit of {MAX_ENTRIES:,}")
    simplifier = Simplifier(topo_order(parsed.outputs))
    one = problem is not None and not is_many(problem.point)
    primal = _primal(problem, warnings) if one else None  # the input's errors at the point first, as in AD
    check_input(parsed, simplifier)
    if not cse:
        _guard(simplifier.normal(parsed.outputs), names)  # the simplified input: x/(x/(x/…)) is x, or 1
    table = derivative_table(parsed.outputs, names, order, simplifier, before_pass=pass_guard(cse))
    check_derivatives(parsed, simplifier, table.rows, table.passes, names)
    flat = [n for row in table.rows for n in row]
    result = Derivatives(
        input=parsed.source,
        read_as=parsed.read_as(),
        outputs=[to_text(n, parsed.labels, truncate=True) for n in parsed.outputs],
        wrt=names,
        order=order,
        columns=[list(c) for c in table.columns],
        derivatives=[],
        warnings=warnings,
        notes=[*parsed.notes, *notes],
    )
    if not names:
        result.notes.append("the expression has no variables: there is nothing to differentiate")
    result.size = {
        "input_operations": count_operations(parsed.outputs),
        "operations": count_operations(flat),
        "printed_nodes": printed_nodes(flat),
        "sweeps": table.sweeps,
    }
    _print(table.rows, latex, cse, result)
    if steps:
        labels = parsed.labels
        result.steps = [steps_for(run, simplifier, i, labels) for run in table.passes for i in range(len(run.roots))]
    if problem is not None:

        def place(exc: AdcliError, point: dict[str, Any]) -> AdcliError:
            return locate(exc, parsed, simplifier, table.passes, names, point)

        _evaluate(problem, primal, flat, result, place)
    result.seconds = time.perf_counter() - started
    return result


def _point(problem: Any) -> dict[str, Any]:
    """Variable name -> value (arrays for many points), as the tape reads them."""
    from adcli import api

    return dict(zip(problem.tape.names, api._inputs(problem), strict=True))


def _primal(problem: Any, warnings: list[AdcliWarning]) -> list[Any]:
    """The input's values at the point, with its domain errors and kink warnings (as in the AD modes)."""
    from adcli import api
    from adcli.core.tape import evaluate

    tape = problem.tape
    return evaluate(tape, api._inputs(problem), tape.active(problem.wrt), warnings)


Place = Callable[[AdcliError, dict[str, Any]], AdcliError]


def _values(problem: Any, derivatives: Tape, width: int, place: Place, vals: Any = None, warnings: Any = None) -> Any:
    """The outputs and every derivative at the problem's point(s), as an adcli.api.Result whose `jacobian`
    rows (one per output, `width` entries) are the derivatives: the shape adcli.batch.points.over_chunks fills.

    vals and warnings: the input's primal sweep when it has run already (one point)."""
    from adcli import api
    from adcli.core.tape import evaluate

    warnings = list(problem.warnings) if warnings is None else warnings
    if vals is None:
        vals = _primal(problem, warnings)
    inputs = api._inputs(problem)
    try:
        got = evaluate(derivatives, inputs)
    except AdcliError as exc:
        exc.warnings = list(warnings)
        raise place(exc, _point(problem)) from None
    shape = np.broadcast_shapes(*map(np.shape, inputs))  # np.broadcast takes at most 64
    entries = [api._float(np.broadcast_to(got[o], shape) if shape else got[o]) for o in derivatives.outputs]
    value = [api._float(vals[o]) for o in problem.tape.outputs]
    rows = [entries[i * width : (i + 1) * width] for i in range(len(value))]  # width may be 0: no variables
    return api.Result("", "", [], [], problem.point, None, 0, value, jacobian=rows, warnings=warnings)


def _evaluate(problem: Any, vals: Any, flat: list[Node], result: Derivatives, place: Place) -> None:
    """Values at the point: the outputs (evaluated before differentiating) and every derivative.

    Many points go through adcli.batch.points.over_chunks: chunk by chunk, and (each_point) a failing point
    fails alone, its entries null."""
    from adcli.core.tape import linearise

    derivatives = linearise(flat, problem.tape.names)  # once: every chunk (and failed point) sweeps it
    width = len(result.columns)
    if is_many(problem.point):
        found = over_chunks(problem, lambda part: _values(part, derivatives, width, place))
        result.warnings, result.failures = found.warnings, found.failures
    else:
        found = _values(problem, derivatives, width, place, vals, result.warnings)
    failed = None if result.failures is None else result.failures.mask
    result.at = _plain(dict(problem.point))  # many points (spans, lists): lists of values
    result.value = _blank(_plain(found.value), failed)
    result.values = _blank(_plain(found.jacobian), failed)


def _blank(x: Any, failed: Any) -> Any:
    """Lists of values with None at the points that failed."""
    if failed is None:
        return x
    if x and isinstance(x[0], list):
        return [_blank(v, failed) for v in x]
    return [None if bad else v for v, bad in zip(x, failed.tolist(), strict=True)]
