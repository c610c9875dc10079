"""The linearised program (Wengert list) in Baydin's notation, and the sweeps every mode shares.

Inputs are v₋ₙ₊₁ … v₀, intermediates v₁ … vₗ (children before parents, each shared node once),
outputs y₁ … yₘ name slots. Constants are slots without a v-number: the survey writes them inline.
The primal sweep evaluates and checks domains and kinks; `local_partials` evaluates each
primitive's derivative rule once at the point (the linearisation), which the tangent sweep
(forward mode) and the adjoint sweep (reverse mode) then push through.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from adcli.core.errors import AdcliError, AdcliWarning
from adcli.core.graph import Node, topo_order, var
from adcli.core.primitives import TABLE, Kink, Primitive
from adcli.core.printing import expanded_size, format_number, to_text

ERRSTATE = {"divide": "raise", "over": "raise", "invalid": "raise", "under": "ignore"}
_ONE = np.float64(1.0)
TEXT_LIMIT = 60  # a node's text in a message: longer is cut, with …
MAX_KINK_WARNINGS = 20  # kinks named in one sweep's warnings; the others are counted
#: operations that trace, compare and symbolic mode take: each works per operation far more than a sweep
#: does (rows of text, every mode, a simplifier), and a 500,000-term sum took them minutes and ~1 GB
MAX_DETAILED = 10_000


def require_detailed(operations: int, what: str) -> None:
    """limit_exceeded for an expression too big for a command that works per operation (MAX_DETAILED)."""
    if operations > MAX_DETAILED:
        raise AdcliError(
            "limit_exceeded",
            f"{what} takes expressions of up to {MAX_DETAILED:,} operations; this one has {operations:,} "
            "(grad, jac and eval take any size up to the input limit)",
        )


_OPERATOR = re.compile(r"#[^\n]*|[0-9.][eE][-+]|[-+*/^@]|[A-Za-z_]\w*\s*\(")
#: refused from the text alone past this many operators: parsing a 1 MB sum takes seconds, a refusal
#: should not; the margin is for text that simplifies away (x*0, shared subexpressions) as it is parsed
EARLY_FACTOR = 4


def require_detailed_text(text: str, what: str) -> None:
    """limit_exceeded before parsing for a text far over MAX_DETAILED (issue 11: refused within a second).

    Counts operator characters and calls, not exponent signs (1e-5) or comments: a lower bound on the
    operations up to what parsing folds or shares, hence the margin."""
    if len(text) <= EARLY_FACTOR * MAX_DETAILED:
        return
    count = sum(1 for m in _OPERATOR.finditer(text) if m.group()[0] not in "#0123456789.")
    if count > EARLY_FACTOR * MAX_DETAILED:
        raise AdcliError(
            "limit_exceeded",
            f"{what} takes expressions of up to {MAX_DETAILED:,} operations; this one's text has {count:,} "
            "operators (grad, jac and eval take any size up to the input limit)",
        )


def ones_like(value: Any) -> Any:
    """A seed of ones shaped like value: np.ones_like, without its µs of dispatch for one point's float64."""
    return _ONE if type(value) is np.float64 else np.ones_like(value)


@dataclass
class Tape:
    names: list[str]  # input variables: slot k is v_{k-n+1}
    nodes: list[Node]  # slot -> node
    prims: list[Primitive | None]  # None for inputs and constants
    args: list[tuple[int, ...]]
    first_op: int  # slot of v_1
    outputs: list[int]
    labels: Mapping[Node, str] = field(default_factory=dict)
    positions: Mapping[Node, tuple[int, int]] = field(default_factory=dict)
    source: str | None = None
    shapes: list[tuple[int, ...]] | None = None  # arrays (issue 12): every slot's shape; None: all scalars
    #: arrays: the arrays the sweeps write into, kept for the next call (adcli.core.workspace)
    workspaces: list[Any] = field(default_factory=list, repr=False, compare=False)
    memo: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)  # active(wrt), per wrt

    @property
    def n_inputs(self) -> int:
        return len(self.names)

    def index(self, slot: int) -> int | None:
        """Baydin's subscript of a slot: inputs ≤ 0, intermediates ≥ 1, constants None."""
        if slot < self.n_inputs:
            return slot - self.n_inputs + 1
        return slot - self.first_op + 1 if slot >= self.first_op else None

    def active(self, wrt: Sequence[str]) -> list[bool]:
        """Which slots depend on the variables in wrt (only those carry tangents and adjoints); found once
        per wrt and tape (a prepared tape differentiated again asks again), shared: never write into it."""
        key = tuple(wrt)
        found = self.memo.get(key)
        if found is None:
            found = self.memo[key] = self._active(key)
        return found

    def _active(self, wrt: Sequence[str]) -> list[bool]:
        wanted = set(wrt)  # a set: `name in wrt` on a list made this O(n²) in the number of inputs
        flags = [name in wanted for name in self.names] + [False] * (len(self.nodes) - self.n_inputs)
        args = self.args
        for s in range(self.first_op, len(self.nodes)):
            for j in args[s]:
                if flags[j]:
                    flags[s] = True
                    break
        return flags

    def text(self, slot: int, limit: int = TEXT_LIMIT) -> str:
        """A node's text for messages, shortened when long; bound names (`a = x*y`) label its parts."""
        node = self.nodes[slot]
        labels = {n: name for n, name in self.labels.items() if n is not node} if self.labels else {}
        if expanded_size([node], labels, limit) <= limit:
            return to_text(node, labels)
        return to_text(node, labels, limit, truncate=True)  # the input's syntax, cut with "…" (never add(…))

    def error(self, kind: str, message: str, slot: int, warnings: list[AdcliWarning] | None = None) -> AdcliError:
        line, column = self.positions.get(self.nodes[slot], (None, None))
        return AdcliError(kind, message, line=line, column=column, source=self.source, warnings=warnings)


def _by_level(order: Sequence[Node]) -> list[Node]:
    """Operations by height (longest path down to a leaf), ties in `order`: the survey's numbering.

    Baydin et al. number ln(x1), x1*x2 and sin(x2) as v1, v2, v3 before their sum v4: every
    operation one step above the inputs first, then the next level, each level left to right.
    """
    height: dict[Node, int] = {}
    for node in order:
        args = node.args
        if len(args) == 2:  # most operations: max of two without a list
            left, right = height[args[0]], height[args[1]]
            height[node] = 1 + (left if left > right else right)
        else:
            height[node] = 1 + max([height[a] for a in args]) if args else 0
    return sorted((n for n in order if n.op not in ("const", "var")), key=height.__getitem__)


def linearise(
    outputs: Sequence[Node],
    names: Sequence[str],
    labels: Mapping[Node, str] | None = None,
    positions: Mapping[Node, tuple[int, int]] | None = None,
    source: str | None = None,
    *,
    order: Sequence[Node] | None = None,
) -> Tape:
    """Graph -> tape: inputs in the given order, then constants, then operations in topological order.

    `order` is topo_order(outputs), when the caller has walked the graph already.
    """
    order = topo_order(outputs) if order is None else order
    by_name: dict[str, Node] = {}
    constants: list[Node] = []
    for node in order:
        if node.op == "var":
            by_name[node.payload] = node  # type: ignore[index]
        elif node.op == "const":
            constants.append(node)
    # a variable differentiated but absent from the graph gets a slot too; nothing reads it
    nodes = [by_name[name] if name in by_name else var(name) for name in names]
    nodes += constants
    first_op = len(nodes)
    nodes += _by_level(order)
    slot_of = {node: slot for slot, node in enumerate(nodes)}
    missing = [name for name, node in by_name.items() if node not in slot_of]
    if missing:
        raise AdcliError("unbound_variable", f"no value for {', '.join(map(str, missing))}")
    prims = [TABLE.get(n.op) for n in nodes]
    slot = slot_of.__getitem__
    args = [tuple(map(slot, n.args)) for n in nodes]
    return Tape(
        list(names),
        nodes,
        prims,
        args,
        first_op,
        [slot_of[o] for o in outputs],
        labels or {},
        positions or {},
        source,
    )


def _shown(value: Any) -> str:
    """A value for a message: the number, or the first offending one of an array."""
    arr = np.asarray(np.real(value), dtype=float)  # complex (the complex step): the real part
    return format_number(float(arr.flat[0])) if arr.size else "[]"


def _first(mask: Any, values: Sequence[Any]) -> list[Any]:
    """The argument values at the first point where mask holds (arrays: many points at once)."""
    if np.ndim(mask) == 0:
        return list(values)
    i = int(np.argmax(np.broadcast_to(mask, np.broadcast(*values).shape)))
    return [np.broadcast_to(v, np.shape(mask)).flat[i] if np.ndim(v) else v for v in values]


def _args_text(tape: Tape, slot: int, values: Sequence[Any]) -> str:
    """`x = 0, y = 2`: the non-constant arguments of a slot, by their text, with their values."""
    shown = [
        _named(tape.text(j, 30), _shown(v))
        for j, v in zip(tape.args[slot], values, strict=True)
        if tape.nodes[j].op != "const"
    ]
    return ", ".join(dict.fromkeys(shown)) or ", ".join(_shown(v) for v in values)  # x^x: `x = -1` once


def _named(text: str, shown: str) -> str:
    """`x = 0`, but `-1` alone where the argument is written as its value (log(-1))."""
    return shown if text == shown else f"{text} = {shown}"


def _float_error(tape: Tape, slot: int, exc: FloatingPointError, values: Sequence[Any], what: str = "") -> AdcliError:
    prim = tape.prims[slot]
    assert prim is not None
    reason = str(exc)
    if "overflow" in reason:
        said = "overflowed"
    elif "invalid" in reason and "divide" in reason:  # 0/0: undefined, not infinite (hypot's x/hypot at 0, 0)
        said = "is undefined (0/0)"
    elif "divide" in reason:
        said = "is infinite (a division by zero)" if what else "divided by zero"
    else:
        said = "is not a real number"
    at = "" if _constant_args(tape, slot) else f" at {_args_text(tape, slot, values)}"  # 1/0: no "at 1, 0"
    return tape.error("nonfinite", f"{what}{tape.text(slot)} {said}{at}", slot)


def _constant_args(tape: Tape, slot: int) -> bool:
    return all(tape.nodes[j].op == "const" for j in tape.args[slot])


def _check_domain(tape: Tape, slot: int, prim: Primitive, values: Sequence[Any]) -> None:
    ok = prim.domain(*values)  # type: ignore[misc]
    if ok is np.True_ or ok is True:  # one point, inside: np.all would cost more than the whole check
        return
    if not np.all(ok):
        bad = _first(np.logical_not(ok), values)
        rule = prim.rule_text
        if prim.arity == 1:
            at = _args_text(tape, slot, bad)
        else:
            at = ", ".join(
                f"{p} = {_shown(v)}"
                if tape.text(j, 30) in (p, _shown(v))
                else f"{p} = {tape.text(j, 30)} = {_shown(v)}"
                for p, j, v in zip(prim.params, tape.args[slot], bad, strict=True)
            )
        at = "" if _constant_args(tape, slot) else f": {at}"  # log(0): its argument is in plain sight
        message = f"{tape.text(slot)} is outside the domain of {prim.name} ({rule}){at}"
        raise tape.error("domain_error", message, slot)


NONE = "none: "  # a convention that starts so: there is no derivative (the kink refuses)


def kink_message(details: Mapping[str, Any]) -> str:
    """A kink warning's words, from its details (so one point of a set can be said again with its own values)."""
    convention = str(details["convention"])
    used = convention.removeprefix(NONE) if convention.startswith(NONE) else f"used {convention}"
    return (
        f"{details['node']} is not differentiable at {details['at']}: left derivative {details['left']}, "
        f"right derivative {details['right']}; {used}"
    )


def refusal(details: Mapping[str, Any]) -> str:
    """The error of a kink with no derivative at all (the table's `refuse`), the same words in every mode."""
    return (
        f"{details['node']} has no derivative at {details['at']}: left derivative {details['left']}, "
        f"right derivative {details['right']}; {str(details['convention']).removeprefix(NONE)}"
    )


def _at_index(values: Sequence[Any], i: int, shape: tuple[int, ...]) -> list[Any]:
    return [np.broadcast_to(v, shape).flat[i] if np.ndim(v) else v for v in values]


def _moves(tape: Tape, slot: int, active: Sequence[bool] | None) -> bool:
    """Whether a slot moves with the variables differentiated (without activity: whether it is not a constant)."""
    return active[slot] if active is not None else tape.nodes[slot].op != "const"


def _kinks_where(
    tape: Tape, slot: int, prim: Primitive, values: Sequence[Any], active: Sequence[bool] | None = None
) -> list[tuple[Kink, Any]]:
    """The slot's kinks that the point is at, each with where (a bool, or an array over many points)."""
    args = tape.args[slot]
    if active is not None:  # inline: the primal sweep asks this of every x^2 with a moving x
        kinks = [k for k in prim.kinks if k.along is None or active[args[k.along]]]
    else:
        kinks = [k for k in prim.kinks if k.along is None or _moves(tape, args[k.along], active)]
    if not kinks:  # 0^0 with a constant exponent: x^0 is the constant 1
        return []
    try:  # comparisons, which raise nothing on numpy 2 (an errstate costs 3 µs, more than the checks here)
        return _kinks_found(kinks, values)
    except FloatingPointError:  # a comparison with nan (older numpy, many points) is no kink
        with np.errstate(invalid="ignore"):
            return _kinks_found(kinks, values)


def _kinks_found(kinks: Sequence[Kink], values: Sequence[Any]) -> list[tuple[Kink, Any]]:
    found = []
    for kink in kinks:
        where = kink.where(*values)
        if where is np.False_ or where is False:  # one point, not at the kink (np.any costs µs)
            continue
        if np.any(where):
            found.append((kink, where))
    return found


def _kink_warnings(
    tape: Tape, slot: int, prim: Primitive, values: Sequence[Any], active: Sequence[bool] | None = None
) -> list[tuple[AdcliWarning, Kink]]:
    found = []
    for kink, where in _kinks_where(tape, slot, prim, values, active):
        at = _args_text(tape, slot, _first(where, values))
        details = {"node": tape.text(slot), "at": at, "left": kink.left, "right": kink.right}
        if kink.along is not None:  # atan2's cut is about y alone: the argument, by its text
            details["along"] = tape.text(tape.args[slot][kink.along], 30)
        if kink.refuse is not None:  # no derivative at all: the error every mode gives
            details["refuse"] = kink.refuse
        many = np.ndim(where) > 0  # many points: which is the first at the kink, how many are, which
        if many:
            details.update(point=int(np.argmax(where)), points=int(np.count_nonzero(where)))
        details["convention"] = kink.convention
        at_point = None
        if many:  # point i's own argument values, for its own record (jsonl, csv)
            shape = np.shape(where)
            at_point = lambda i, a=values, sh=shape: _args_text(tape, slot, _at_index(a, i, sh))  # noqa: E731
        message = kink_message(details)
        warning = AdcliWarning("nondifferentiable", message, details, where if many else None, at_point)
        found.append((warning, kink))
    return found


class _Kinks:
    """The kink warnings of one sweep: the first MAX_KINK_WARNINGS named, the rest counted in one more warning
    (a 100,000-deep max(x, max(x, …)) at a tie wrote 100,000 warnings, 21 MB). A kink without a derivative
    raises its error (every mode alike), named or not, unless the caller refuses kinks its own way."""

    def __init__(self, warnings: list[AdcliWarning]) -> None:
        self.warnings, self.named, self.more, self.where = warnings, 0, 0, None

    def add(  # noqa: PLR0913 - one slot of the primal sweep
        self, tape: Tape, slot: int, prim: Primitive, values: Sequence[Any], active: Sequence[bool] | None, refuse: bool
    ) -> None:
        if self.named < MAX_KINK_WARNINGS:
            for warning, kink in _kink_warnings(tape, slot, prim, values, active):
                self.named += 1
                self.warnings.append(warning)
                if kink.refuse is not None and refuse:
                    raise tape.error(kink.refuse, refusal(warning.details), slot, warnings=list(self.warnings))
            return
        for kink, where in _kinks_where(tape, slot, prim, values, active):
            if kink.refuse is not None and refuse:  # said in full: it is the error
                warning = next(w for w, k in _kink_warnings(tape, slot, prim, values, active) if k is kink)
                raise tape.error(kink.refuse, refusal(warning.details), slot, warnings=[*self.warnings, warning])
            self.more += 1
            self.where = where if np.ndim(where) == 0 or self.where is None else np.logical_or(self.where, where)

    def close(self) -> None:
        if self.more:
            many = np.ndim(self.where) > 0
            message = f"{self.more:,} more operations are at a kink, with the conventions above; the first "
            message += f"{MAX_KINK_WARNINGS} are named"
            where = self.where if many else None
            self.warnings.append(AdcliWarning("nondifferentiable", message, {"more": self.more}, where))


def evaluate(
    tape: Tape,
    inputs: Sequence[Any],
    active: Sequence[bool] | None = None,
    warnings: list[AdcliWarning] | None = None,
    *,
    refuse: bool = True,
) -> list[Any]:
    """The primal sweep: every slot's value; kinks of active slots are reported into warnings.

    Complex inputs (numeric mode's complex step) are checked for domains and kinks on their real parts.
    """
    vals: list[Any] = list(inputs) + [None] * (len(tape.nodes) - len(inputs))
    real = np.real if any(not isinstance(v, float) and np.iscomplexobj(v) for v in inputs) else None
    one_point = all(type(v) is np.float64 for v in inputs)  # numpy scalars: the table's `scalar` operators
    for s in range(tape.n_inputs, tape.first_op):
        vals[s] = np.float64(tape.nodes[s].payload)
    prims, args = tape.prims, tape.args
    kinks = _Kinks(warnings) if warnings is not None else None
    with np.errstate(**ERRSTATE):  # type: ignore[arg-type]
        for s in range(tape.first_op, len(vals)):
            prim = prims[s]
            a = [vals[j] for j in args[s]]
            checked = a if real is None else [real(v) for v in a]
            if prim.domain is not None:  # type: ignore[union-attr]
                _check_domain(tape, s, prim, checked)  # type: ignore[arg-type]
            try:
                vals[s] = (prim.scalar or prim.fn)(*a) if one_point else prim.fn(*a)  # type: ignore[union-attr]
            except FloatingPointError as exc:
                raise _float_error(tape, s, exc, checked) from None
            if prim.kinks and kinks is not None and (active is None or active[s]):  # type: ignore[union-attr]
                kinks.add(tape, s, prim, checked, active, refuse)  # type: ignore[arg-type]
    if kinks is not None:
        kinks.close()
    return vals


def _kinks_at(  # noqa: PLR0913 - one slot of the primal sweep
    tape: Tape,
    s: int,
    prim: Primitive,
    values: Sequence[Any],
    active: Sequence[bool] | None,
    warnings: list,
    refuse: bool = True,
) -> None:
    """The slot's kink warnings into warnings; a kink without a derivative raises its error (every mode alike),
    unless the caller refuses kinks its own way (hess: every kink is an error of order 2)."""
    for warning, kink in _kink_warnings(tape, s, prim, values, active):
        warnings.append(warning)
        if kink.refuse is not None and refuse:
            raise tape.error(kink.refuse, refusal(warning.details), s, warnings=list(warnings))


_CONSTANT: dict[str, tuple[int, ...] | None] = {}


def constant_partials(prim: Primitive) -> tuple[int, ...] | None:
    """The partials of an operation whose rules give numbers whatever the arguments (add: 1, 1; neg: -1),
    found once by calling the rules on placeholders: every slot of it shares one tuple (a 500,000-term sum
    held 500,000 equal tuples, 28 MB)."""
    if prim.name not in _CONSTANT:
        probe = [object()] * (len(prim.partials) + 1)
        try:
            found: tuple[Any, ...] | None = tuple(rule(*probe) for rule in prim.partials)
        except (TypeError, ValueError, ArithmeticError, AttributeError):  # the rule uses its arguments (np.hypot)
            found = None
        _CONSTANT[prim.name] = found if found and all(type(p) is int for p in found) else None
    return _CONSTANT[prim.name]


def local_partials(
    tape: Tape,
    vals: Sequence[Any],
    active: Sequence[bool],
    warnings: list[AdcliWarning] | None = None,
    underflow: list[str] | None = None,
) -> list[tuple[Any, ...] | None]:
    """∂vᵢ/∂vⱼ for every active edge, from the table's rules at the point (None where inactive).

    `underflow`, where given, records numpy's underflow flag (free unless a rule underflows): adcli.core.underflow
    then bounds what a partial rounded to 0 took from the derivative."""
    partials: list[tuple[Any, ...] | None] = [None] * len(vals)
    prims, args = tape.prims, tape.args
    # by name: a set of the primitives themselves hashed each frozen dataclass field by field
    constant = {name: constant_partials(TABLE[name]) for name in {p.name for p in prims[tape.first_op :] if p}}
    state: dict[str, Any] = dict(ERRSTATE)
    if underflow is not None:
        state.update(under="call", call=lambda kind, flag: underflow.append(kind))
    with np.errstate(**state):
        for s in range(tape.first_op, len(vals)):
            if not active[s]:
                continue
            idx = args[s]
            shared = constant[prims[s].name]  # type: ignore[union-attr]
            if shared is not None and all(map(active.__getitem__, idx)):
                partials[s] = shared
                continue
            a = [vals[j] for j in idx]
            out = vals[s]
            try:  # a list comprehension, not a generator: this loop is the gradient's hot path
                partials[s] = tuple(
                    [
                        rule(*a, out) if active[j] else None
                        for rule, j in zip(prims[s].partials, idx, strict=True)  # type: ignore[union-attr]
                    ]
                )
            except FloatingPointError as exc:
                err = _float_error(tape, s, exc, a, "the derivative of ")
                err.warnings = list(warnings or [])
                if "not a real number" in err.message:
                    err.kind = "domain_error"
                raise err from None
    return partials


def constant_value(
    node: Node, source: str | None = None, positions: Mapping[Node, tuple[int, int]] | None = None
) -> float:
    """The value of a constant expression (a point's `x = pi/4`); a variable in it is a usage error."""
    names = [n.payload for n in topo_order([node]) if n.op == "var"]
    if names:
        line, column = (positions or {}).get(node, (None, None))
        raise AdcliError(
            "usage_error",
            f"a point's value must be a number or constant expression, not one with the variable {names[0]}",
            line=line,
            column=column,
            source=source,
        )
    tape = linearise([node], [], positions=positions, source=source)
    return float(evaluate(tape, [])[tape.outputs[0]])
