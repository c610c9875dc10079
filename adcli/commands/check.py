"""`adcli check`: is ANSWER a correct derivative of EXPR? For students and autograders.

First symbolically, where the simplifier can decide: the derivative from the rule table minus the
answer simplifies to 0. Otherwise numerically: the answer against reverse-mode AD at the given
point and at random points inside the domain (a fixed seed, so a verdict is reproducible), with a
stated tolerance; the first point where they differ is the counterexample.
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from adcli.commands.trace import require_one_point
from adcli.commands.verdict import ATOL, RTOL, Verdict
from adcli.core.errors import AdcliError
from adcli.core.graph import Node, build, const, is_const, topo_order, variables
from adcli.core.printing import to_text
from adcli.core.tape import MAX_DETAILED
from adcli.language.parser import Parsed, check_calls, parse

TRIES = 40  # random candidates per point wanted (most are in the domain)
MAX_SAMPLES = 1_000  # --samples at most this: each costs a differentiation, and up to TRIES tries


def _answer(text: str, strict: bool, bound: set[str]) -> Parsed:
    """The answer, parsed; its errors point into the answer (not the expression).

    `name(…)` is a product only when name is one of the expression's variables (bound); else it is
    an unknown function, with a did-you-mean (coz(x): cos).
    """
    try:
        parsed = parse(text, strict=strict)
        check_calls(parsed, bound)
    except AdcliError as exc:
        exc.message = f"in the answer: {exc.message}"
        raise
    return parsed


def _expression(text: str, strict: bool) -> Parsed:
    """The expression of --of, parsed; `sinn(x)` is an unknown function, x(1+x) a product (syntax.check_calls)."""
    try:
        parsed = parse(text, strict=strict)
        check_calls(parsed)
    except AdcliError as exc:
        exc.message = f"in --of: {exc.message}"
        raise
    return parsed


def _wrt(expr: Parsed, answer: Parsed, wrt: Sequence[str] | None) -> list[str]:
    names = variables(expr.outputs)
    if len(expr.outputs) != 1:
        raise AdcliError("usage_error", f"check needs one expression; --of has {len(expr.outputs)} outputs")
    if wrt is None:
        if len(names) != 1:
            raise AdcliError("usage_error", f"the expression has variables {', '.join(names)}: say which with --wrt")
        wrt = names
    if len(answer.outputs) != len(wrt):
        raise AdcliError(
            "usage_error", f"the answer has {len(answer.outputs)} part(s); --wrt asks for {len(wrt)} (one per variable)"
        )
    extra = [n for n in variables(answer.outputs) if n not in names and n not in wrt]
    if extra:
        raise AdcliError("usage_error", f"the answer uses {', '.join(extra)}, which the expression does not have")
    return list(wrt)


def _symbolic(expr: Parsed, answer: Parsed, wrt: list[str]) -> tuple[bool, str | None] | None:
    """(decided equal?, derivative text), or None when symbolic mode is not installed."""
    if importlib.util.find_spec("adcli.modes.symbolic.derivative") is None:
        return None
    from adcli.modes.symbolic import derivative as symbolic
    from adcli.modes.symbolic.simplify import Simplifier

    root = expr.outputs[0]
    symbolic.scalar_only(topo_order([root, *answer.outputs]))
    derivatives: list[Node] = [symbolic.tangent_sweep([root], w).get(root, const(0)) for w in wrt]
    try:
        simple = Simplifier([root, *answer.outputs]).simplify(derivatives)
        pairs = zip(simple, answer.outputs, strict=True)
        differences = Simplifier([root]).simplify([build("sub", d, a) for d, a in pairs])
    except AdcliError as exc:
        if exc.kind != "limit_exceeded":
            raise
        return False, None  # numbers past symbolic mode's exact arithmetic: the numeric check decides
    text = ", ".join(to_text(d) for d in simple)
    return all(is_const(d, 0) for d in differences), text


def _candidates(
    names: Sequence[str], given: dict[str, float], rng: np.random.Generator, n: int
) -> Iterator[dict[str, float]]:
    """Points to try, in order: the given point, then n random ones.

    The first half are where most textbook answers live (uniform in [-3, 3], log-uniform in
    [0.05, 5] for logs and roots); the second half search wider, for domains that lie elsewhere
    (log(x - 5), sqrt(-x - 50)): both signs with magnitudes log-uniform in [1e-3, 1e4], and every
    other one near the given point (within 10% of its size). A point that gives only some of the
    variables fixes those in every candidate; the others are drawn.
    """
    whole = bool(names) and all(name in given for name in names)
    drawn = list(names) if whole else [name for name in names if name not in given]
    k = len(drawn)
    if whole:
        yield {name: given[name] for name in names}
        centre = np.array([given[name] for name in names])
    for j in range(n):
        if j >= n // 2 and whole and j % 2:
            values = centre + 0.1 * np.maximum(np.abs(centre), 1.0) * rng.uniform(-1.0, 1.0, k)
        elif j >= n // 2:
            values = rng.choice([-1.0, 1.0], k) * np.exp(rng.uniform(np.log(1e-3), np.log(1e4), k))
        elif j % 2:
            values = rng.uniform(-3.0, 3.0, k)
        else:
            values = np.exp(rng.uniform(np.log(0.05), np.log(5.0), k))
        point = {name: float(v) for name, v in zip(drawn, values, strict=True)}
        yield {name: point[name] if name in point else given[name] for name in names}


def _numeric(
    expr_text: str, answer_text: str, wrt: list[str], given: dict[str, float], options: dict[str, Any]
) -> Verdict:
    from adcli import api

    names = variables(parse(expr_text).outputs)
    names += [w for w in wrt if w not in names]
    start = {n: 1.0 for n in names}
    expr = api.prepare(expr_text, start, wrt)
    answer = api.prepare(answer_text, start)
    wanted, rtol, atol = options.samples, options.rtol, options.atol
    checked, seen = 0, {name: [] for name in names}  # the values each variable took at the points checked
    for point in _candidates(names, given, np.random.default_rng(options.seed), wanted * TRIES):
        expr.point, answer.point = dict(point), dict(point)
        try:
            result = api.differentiate(expr, "reverse")
            values = api.evaluate_problem(answer).value
        except AdcliError:
            continue  # outside a domain: not a point to judge at
        if any(w.kind == "nondifferentiable" for w in result.warnings):
            continue
        derivative = result.jacobian[0]  # type: ignore[index]
        for w, a, d in zip(wrt, values, derivative, strict=True):
            if not abs(a - d) <= atol + rtol * max(abs(a), abs(d)):
                reason = f"the answer differs from d/d{w} of the expression (tolerance rtol {rtol:g}, atol {atol:g})"
                ce = {"at": point, "wrt": w, "answer": a, "derivative": d}
                return Verdict(
                    "wrong", "numeric", reason, wrt, points=checked + 1, rtol=rtol, atol=atol, counterexample=ce
                )
        checked += 1
        for name in names:
            seen[name].append(point[name])
        if checked >= wanted:
            break
    if checked == 0:
        fixed = ", ".join(f"{name} = {given[name]:g}" for name in names if name in given)
        near = "near the given point, " if fixed and len(given) == len(names) else f"with {fixed}, " if fixed else ""
        reason = f"no point inside the domain of both was found (tried {near}in [-3, 3] and at ±1e-3 to ±1e4)"
        return Verdict("undecided", "numeric", reason, wrt, points=0, rtol=rtol, atol=atol)
    where = _where(checked, seen)
    reason = f"the answer agrees with the derivative at {where} (rtol {rtol:g}, atol {atol:g}); not proven"
    notes = [] if checked >= wanted else [f"only {checked} of {wanted} points were found inside the domain"]
    return Verdict("agrees", "numeric", reason, wrt, points=checked, rtol=rtol, atol=atol, notes=notes)


def _where(checked: int, seen: dict[str, list[float]]) -> str:
    """`12 points with x in [-2.9, 4.1]`: how many points, and the range each drawn variable took."""
    ranges = [f"{name} in [{min(v):.3g}, {max(v):.3g}]" for name, v in seen.items() if min(v) != max(v)]
    held = [f"{name} = {v[0]:.6g}" for name, v in seen.items() if min(v) == max(v)]
    said = f"{checked} point" + ("s" if checked != 1 else "")
    return said + (" with " + ", ".join(ranges + held) if ranges or held else "")


@dataclass(frozen=True)
class Options:
    """How the numeric check samples: how many in-domain points, from which seed, to what tolerance."""

    samples: int = 12
    seed: int = 0
    rtol: float = RTOL
    atol: float = ATOL


def check(  # noqa: PLR0913 - the command's options
    answer: str,
    expr: str,
    wrt: Sequence[str] | None = None,
    at: Any = None,
    options: Options | None = None,
    strict: bool = False,
    defaults: Sequence[Any] = (),
    shape: str | None = None,
) -> Verdict:
    """Is `answer` the derivative of `expr` (the gradient, one part per --wrt variable)?

    The point checked first: the expression's own `at`, then the answer's own (adding to it and
    overriding it), then `at` overriding both; `defaults` (a batch's --at for a file's answers) only
    fill in what the texts leave out, as in adcli.api.prepare."""
    options = options or Options()
    tolerances = (options.rtol, options.atol)
    if not 1 <= options.samples <= MAX_SAMPLES or not all(math.isfinite(t) and t >= 0 for t in tolerances):
        raise AdcliError(
            "usage_error",
            f"--samples must be 1 to {MAX_SAMPLES:,}, --rtol and --atol finite numbers at least 0 "
            f"(given {options.samples}, {options.rtol:g}, {options.atol:g})",
        )
    parsed = _expression(expr, strict)
    parsed_answer = _answer(answer, strict, set(variables(parsed.outputs)) | set(wrt or ()))
    from adcli import api
    from adcli.commands import matcheck, matdiff

    point = api._merge_point(parsed, [*parsed_answer.point, *api._bindings(at)], defaults)
    if matdiff.is_array_problem(parsed, point, shape) or matdiff.is_array_problem(parsed_answer, None, None):
        verdict = matcheck.check_arrays(parsed, parsed_answer, wrt, point, shape, options)  # issue 13
        verdict.answer, verdict.of = answer, expr
        return verdict
    names = _wrt(parsed, parsed_answer, wrt)

    own = parsed_answer.point  # the answer's own `at`: where a grader wants it checked
    given = api._merge_point(parsed, [*own, *api._bindings(at)], defaults)
    require_one_point(given, "check")
    used = list(dict.fromkeys([*variables(parsed.outputs), *names]))  # values for other names: not an error
    given = {name: value for name, value in given.items() if name in used}
    operations = sum(1 for n in topo_order([*parsed.outputs, *parsed_answer.outputs]) if n.args)
    big = operations > MAX_DETAILED  # symbolic mode's limit: then the answer is checked at points only
    symbolic = None if big else _symbolic(parsed, parsed_answer, names)
    if symbolic is not None and symbolic[0]:
        verdict = Verdict("correct", "symbolic", "the derivative minus the answer simplifies to 0", names)
    else:
        verdict = _numeric(expr, answer, names, given, options)
        drawn = [name for name in used if name not in given]
        if given and drawn:  # a point for some of the variables: those are held, the others drawn
            held = ", ".join(f"{name} = {value:g}" for name, value in given.items())
            verdict.notes.append(f"{held} at every point checked; {', '.join(drawn)} drawn at random")
    if big:
        verdict.notes.insert(
            0,
            f"{operations:,} operations: too big to prove symbolically (the limit is "
            f"{MAX_DETAILED:,}), checked at points only",
        )
    verdict.answer, verdict.of = answer, expr
    verdict.derivative = symbolic[1] if symbolic is not None else None
    return verdict
